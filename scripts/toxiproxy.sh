#!/usr/bin/env bash
# toxiproxy.sh installs and runs toxiproxy (github.com/Shopify/toxiproxy,
# the TCP proxy that sarama's own functional tests use) to put network
# faults between clients and Kafka: added latency, cut connections, a slow
# link. kafka.sh places it in the clients' path with KAFKA_ADVERTISED_PORT
# (or KAFKA_ADVERTISED_PORTS): each broker advertises the port where a
# proxy listens, and the proxy forwards to the broker's client port.
#
# Usage: scripts/toxiproxy.sh install|up|down|status|cli [toxiproxy-cli args]
#
#   install  build toxiproxy-server and toxiproxy-cli at the pinned version
#            into .cache/bin with the Go toolchain (once per version);
#            prints TOXIPROXY_BIN=<path of toxiproxy-server>
#   up       install, start the server with its API on 127.0.0.1:TOXIPROXY_PORT
#            and wait until it answers; prints TOXIPROXY_URL=http://host:port
#   down     stop the server (SIGTERM, SIGKILL after 10 s)
#   status   exit 0 and print the pid if the server runs and answers
#   cli      toxiproxy-cli against the server, for example
#              cli create -l 127.0.0.1:19097 -u 127.0.0.1:19092 kafka-1
#              cli toxic add -t latency -a latency=200 kafka-1
#              cli toggle kafka-1      (cut, and later restore, every connection)
#
# The Go tests (internal/kafkatest) run a server of their own from
# TOXIPROXY_BIN, which the Makefile sets after `install`; up and down are
# for trying faults by hand.
#
# Environment:
#   TOXIPROXY_DIR   pid file and log (default .cache/toxiproxy)
#   TOXIPROXY_PORT  API port (default 8474, toxiproxy's own)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The newest v2 release; the module proxy's version list stops at v2.5.0,
# so look at the repository's tags before bumping it.
version=v2.12.0
module=github.com/Shopify/toxiproxy/v2
bin_dir=$repo/.cache/bin
server_bin=$bin_dir/toxiproxy-server
cli_bin=$bin_dir/toxiproxy-cli

toxi_dir=$(realpath -m "${TOXIPROXY_DIR:-$repo/.cache/toxiproxy}")
pid_file=$toxi_dir/toxiproxy.pid
log_file=$toxi_dir/toxiproxy.log
port=${TOXIPROXY_PORT:-8474}
api=127.0.0.1:$port

say() { echo "toxiproxy.sh: $*" >&2; }

installed() {
  [[ -x $cli_bin ]] &&
    [[ $("$server_bin" -version 2>/dev/null) == "toxiproxy-server version $version" ]]
}

# install builds both commands with `go install`, which names them after
# their package directories (server and cli), into a scratch directory on
# the same file system, then renames them to the names toxiproxy's own
# releases use. The version is stamped as toxiproxy's Makefile would.
install() {
  if ! installed; then
    mkdir -p "$bin_dir"
    exec 8>"$bin_dir/.toxiproxy.lock"
    flock -w 300 8 || { say "timed out waiting for $bin_dir/.toxiproxy.lock"; return 1; }
    if ! installed; then
      say "building toxiproxy $version into $bin_dir"
      local tmp
      tmp=$(mktemp -d "$bin_dir/.toxiproxy.XXXXXX")
      if ! GOBIN=$tmp go install -ldflags "-s -w -X $module.Version=$version" \
        "$module/cmd/server@$version" "$module/cmd/cli@$version"; then
        rm -rf "$tmp"
        return 1
      fi
      mv "$tmp/server" "$server_bin"
      mv "$tmp/cli" "$cli_bin"
      rm -rf "$tmp"
    fi
    exec 8>&-
  fi
  echo "TOXIPROXY_BIN=$server_bin"
}

# server_pid prints the pid of our server, or fails if it is not running.
server_pid() {
  local pid
  [[ -f $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F "$server_bin -host 127.0.0.1 -port $port" >/dev/null ||
    return 1
  echo "$pid"
}

answering() {
  "$cli_bin" -h "$api" list >/dev/null 2>&1
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

up() {
  local pid child deadline=$((SECONDS + 30))
  install >/dev/null
  if pid=$(server_pid); then
    say "already running (pid $pid)"
    echo "TOXIPROXY_URL=http://$api"
    return 0
  fi
  # The server logs a taken port and keeps running without an API, so the
  # port is checked first.
  if port_open "$port"; then
    say "port $port is taken by another process"
    return 1
  fi
  mkdir -p "$toxi_dir"
  setsid "$server_bin" -host 127.0.0.1 -port "$port" </dev/null >>"$log_file" 2>&1 9>&- &
  child=$!
  echo "$child" >"$pid_file"
  until answering; do
    if ! kill -0 "$child" 2>/dev/null || ((SECONDS >= deadline)); then
      say "server did not answer on $api; last lines of $log_file:"
      tail -n 20 "$log_file" >&2
      down
      return 1
    fi
    sleep 0.2
  done
  say "server up (pid $child), log in $log_file"
  echo "TOXIPROXY_URL=http://$api"
}

down() {
  local pid i
  if ! pid=$(server_pid); then
    say "not running"
    rm -f "$pid_file"
    return 0
  fi
  kill -TERM "$pid"
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "server (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
  say "stopped (pid $pid)"
}

status() {
  local pid
  if ! pid=$(server_pid); then
    say "not running"
    return 1
  fi
  if ! answering; then
    say "running (pid $pid) but not answering on $api"
    return 1
  fi
  echo "running pid=$pid TOXIPROXY_URL=http://$api"
}

# lock serialises up and down on one TOXIPROXY_DIR.
lock() {
  mkdir -p "$toxi_dir"
  exec 9>"$toxi_dir/lock"
  flock -w 60 9 || { say "timed out waiting for $toxi_dir/lock"; return 1; }
}

case ${1:-} in
  install) install ;;
  up | down) lock; "$1" ;;
  status) "$1" ;;
  cli)
    shift
    install >/dev/null
    exec "$cli_bin" -h "$api" "$@"
    ;;
  *)
    echo "usage: $0 install|up|down|status|cli [toxiproxy-cli args]" >&2
    exit 2
    ;;
esac
