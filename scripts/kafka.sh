#!/usr/bin/env bash
# kafka.sh runs a single-node Apache Kafka 4.2 broker (KRaft, broker and
# controller in one JVM) for the integration tests, straight from the jars
# that Maven resolves from scripts/kafka/pom.xml. No Docker needed.
#
# Usage: scripts/kafka.sh fetch|up|down|status|reset|topics [TopicCommand args]
#
#   fetch   copy the Kafka jars into .cache/kafka/libs (once per pom.xml)
#   up      fetch, format storage on first use, start the broker and wait
#           until it answers; prints KAFKA_BROKERS=host:port
#   down    stop the broker (SIGTERM, SIGKILL after KAFKA_DOWN_TIMEOUT);
#           the data survives, so the next `up` restarts the same cluster
#   status  exit 0 and print the pid if the broker runs and answers
#   reset   down, then delete the data and the log (fresh cluster next time)
#   topics  kafka-topics with --bootstrap-server preset, e.g. `topics --list`
#
# fetch, up, down and reset take a lock in KAFKA_DIR, so concurrent callers
# queue up instead of starting two brokers. A KAFKA_DIR is one broker: give
# parallel runs on one machine their own KAFKA_DIR and ports.
#
# Environment:
#   KAFKA_DIR              config, data, log and pid file (default .cache/kafka)
#   KAFKA_PORT             client listener port (default 19092)
#   KAFKA_CONTROLLER_PORT  controller listener port (default 19093)
#   KAFKA_HEAP_OPTS        broker heap flags (default "-Xms256m -Xmx1g")
#   KAFKA_OPTS             extra JVM flags for the broker (default none)
#   KAFKA_UP_TIMEOUT       seconds `up` waits for the broker (default 90)
#   KAFKA_DOWN_TIMEOUT     seconds `down` waits before SIGKILL (default 60)
#
# Opt-in SASL (off unless KAFKA_SASL_USER is set): a SASL_PLAINTEXT listener
# on KAFKA_SASL_PORT accepting SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN for
# one user. The PLAINTEXT listener stays, for the tools and inter-broker
# traffic. The SCRAM credentials are written when storage is formatted, so
# set the variables before the first `up` of a KAFKA_DIR (or `reset`).
#   KAFKA_SASL_USER        user name (letters, digits, '.', '_', '-')
#   KAFKA_SASL_PASSWORD    its password (no '"', '\', ',', ']' or spaces)
#   KAFKA_SASL_PORT        SASL_PLAINTEXT listener port (default 19094)
#
# Opt-in TLS (off unless KAFKA_SSL_KEYSTORE is set): an SSL listener on
# KAFKA_SSL_PORT, server authentication only.
#   KAFKA_SSL_KEYSTORE     PEM file with the broker's unencrypted PKCS#8 key
#                          and its certificate chain
#   KAFKA_SSL_PORT         SSL listener port (default 19095)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pom=$repo/scripts/kafka/pom.xml
log4j_config=$repo/scripts/kafka/log4j2.properties
# The jars are shared by every KAFKA_DIR, so pointing a test at another
# directory does not download them again.
libs=$repo/.cache/kafka/libs

kafka_dir=$(realpath -m "${KAFKA_DIR:-$repo/.cache/kafka}")
config=$kafka_dir/server.properties
data=$kafka_dir/data
log_file=$kafka_dir/logs/broker.log
pid_file=$kafka_dir/broker.pid

port=${KAFKA_PORT:-19092}
controller_port=${KAFKA_CONTROLLER_PORT:-19093}
brokers=127.0.0.1:$port
sasl_user=${KAFKA_SASL_USER:-}
sasl_password=${KAFKA_SASL_PASSWORD:-}
sasl_port=${KAFKA_SASL_PORT:-19094}
ssl_keystore=${KAFKA_SSL_KEYSTORE:-}
ssl_port=${KAFKA_SSL_PORT:-19095}
up_timeout=${KAFKA_UP_TIMEOUT:-90}
down_timeout=${KAFKA_DOWN_TIMEOUT:-60}

say() { echo "kafka.sh: $*" >&2; }

# fetch copies the runtime jars once. The marker holds the pom's hash, so
# editing the pom (say, a version bump) fetches again.
fetch() {
  local want
  want=$(sha256sum "$pom" | cut -d' ' -f1)
  if [[ -f $libs/.fetched && $(<"$libs/.fetched") == "$want" ]]; then
    return 0
  fi
  say "fetching Kafka jars into $libs"
  rm -rf "$libs.tmp"
  # Maven 3.8 prints colour resets even with -q, so its output is shown
  # only when it fails.
  local out
  if ! out=$(mvn -q -B -f "$pom" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" 2>&1 </dev/null); then
    printf '%s\n' "$out" >&2
    return 1
  fi
  echo "$want" >"$libs.tmp/.fetched"
  rm -rf "$libs"
  mv "$libs.tmp" "$libs"
}

# tool_java starts a Kafka command-line class (about 0.5 s). The JIT and GC
# flags take about a fifth off the start-up of these short-lived JVMs;
# logging is WARN to stderr.
tool_java=(java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
  -Dkafka.sh.log.level=WARN -Dlog4j2.configurationFile="$log4j_config"
  -cp "$libs/*")

# broker_pid prints the pid of our broker, or fails if it is not running.
# It checks the command line, not just the pid, so a recycled pid or a
# zombie (empty command line) does not count as running.
broker_pid() {
  local pid
  [[ -f $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F "kafka.Kafka $config" >/dev/null || return 1
  echo "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# answering proves that the broker serves requests: BrokerApiVersionsCommand
# fetches metadata, then asks every broker listed there for its API versions.
# The port check first spares a JVM start while nothing listens yet.
answering() {
  port_open "$port" || return 1
  timeout 30 "${tool_java[@]}" org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$brokers" 2>/dev/null | grep -F "$brokers (id: 1 " >/dev/null
}

# new_cluster_id makes a random Kafka Uuid: 16 bytes, URL-safe base64, no
# padding (what `kafka-storage random-uuid` prints, minus a JVM start). An
# id starting with '-' would read as an option to StorageTool, so (as
# Kafka's own generator does) such ids are drawn again.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    [[ $id == -* ]] || break
  done
  echo "$id"
}

# check_sasl refuses a user or password that would need quoting in the
# JAAS line or in StorageTool's --add-scram argument.
check_sasl() {
  [[ -n $sasl_user ]] || return 0
  if [[ ! $sasl_user =~ ^[A-Za-z0-9._-]+$ ]]; then
    say "KAFKA_SASL_USER=$sasl_user: want letters, digits, '.', '_' or '-'"
    return 1
  fi
  local unsafe='[]"\\,[:space:]]'
  if [[ -z $sasl_password || $sasl_password =~ $unsafe ]]; then
    say "KAFKA_SASL_PASSWORD: want a non-empty password without '\"', '\\', ',', ']' or spaces"
    return 1
  fi
}

write_config() {
  local listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
  local protocols=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
  if [[ -n $sasl_user ]]; then
    listeners+=,SASL_PLAINTEXT://127.0.0.1:$sasl_port
    protocols+=,SASL_PLAINTEXT:SASL_PLAINTEXT
  fi
  if [[ -n $ssl_keystore ]]; then
    listeners+=,SSL://127.0.0.1:$ssl_port
    protocols+=,SSL:SSL
  fi
  cat >"$config" <<EOF
# Written by scripts/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
controller.listener.names=CONTROLLER
listeners=$listeners
advertised.listeners=$listeners
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$data
num.partitions=6
# Off on purpose: tests create their topics, so a misspelt topic name fails
# loudly instead of quietly creating a new topic.
auto.create.topics.enable=false
# One node, so every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
  if [[ -n $sasl_user ]]; then
    cat >>"$config" <<EOF
# SASL_PLAINTEXT for KAFKA_SASL_USER; SCRAM users live in the metadata log.
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$sasl_user="$sasl_password";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
  fi
  if [[ -n $ssl_keystore ]]; then
    cat >>"$config" <<EOF
# SSL listener with the PEM key and chain in KAFKA_SSL_KEYSTORE.
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$(realpath "$ssl_keystore")
EOF
  fi
}

# scram_args prints StorageTool's --add-scram arguments, one per line, for
# KAFKA_SASL_USER (nothing when SASL is off).
scram_args() {
  [[ -n $sasl_user ]] || return 0
  local m
  for m in SCRAM-SHA-256 SCRAM-SHA-512; do
    printf '%s\n' --add-scram "$m=[name=$sasl_user,password=$sasl_password]"
  done
}

# wait_until_answering polls until the broker answers, the broker process
# dies, or the deadline passes. Pass the pid when the broker is our child,
# so that its exit status can be reported.
wait_until_answering() {
  local child=${1:-} deadline=$((SECONDS + up_timeout)) status=unknown
  until answering; do
    # With our own child, ask the kernel whether it lives: the pid-file
    # check can miss a live broker for a moment, and `wait` on a live child
    # would block for ever.
    if { [[ -n $child ]] && ! kill -0 "$child" 2>/dev/null; } ||
      { [[ -z $child ]] && ! broker_pid >/dev/null; }; then
      if [[ -n $child ]]; then wait "$child" && status=0 || status=$?; fi
      say "broker exited during start-up (status $status); last lines of $log_file:"
      tail -n 40 "$log_file" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "broker did not answer within ${up_timeout}s; last lines of $log_file:"
      tail -n 40 "$log_file" >&2
      return 1
    fi
    sleep 0.5
  done
}

up() {
  local pid child
  if pid=$(broker_pid); then
    say "already running (pid $pid)"
    wait_until_answering || return 1
    echo "KAFKA_BROKERS=$brokers"
    return 0
  fi
  if port_open "$port" || port_open "$controller_port"; then
    say "port $port or $controller_port is taken by another process"
    return 1
  fi
  if [[ -n $sasl_user ]] && port_open "$sasl_port"; then
    say "SASL port $sasl_port is taken by another process"
    return 1
  fi
  if [[ -n $ssl_keystore ]] && port_open "$ssl_port"; then
    say "SSL port $ssl_port is taken by another process"
    return 1
  fi
  check_sasl
  fetch
  mkdir -p "$data" "$(dirname "$log_file")"
  write_config
  if [[ ! -f $data/meta.properties ]]; then
    say "formatting $data"
    local scram=()
    mapfile -t scram < <(scram_args)
    "${tool_java[@]}" kafka.tools.StorageTool format --standalone \
      --cluster-id "$(new_cluster_id)" --config "$config" "${scram[@]}" >/dev/null
  fi
  echo "=== kafka.sh up $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log_file"
  # setsid: the broker outlives this script and is not hit by a Ctrl-C
  # meant for the caller. All three standard streams are redirected, so a
  # caller reading our output is not kept waiting by the broker, and the
  # lock's descriptor is closed, so the broker does not hold the lock.
  # shellcheck disable=SC2086 # the *_OPTS variables hold several flags
  setsid java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true ${KAFKA_OPTS:-} \
    -Dkafka.sh.log.level=INFO -Dlog4j2.configurationFile="$log4j_config" \
    -cp "$libs/*" kafka.Kafka "$config" </dev/null >>"$log_file" 2>&1 9>&- &
  child=$!
  echo "$child" >"$pid_file"
  if ! wait_until_answering "$child"; then
    down
    return 1
  fi
  say "broker up (pid $(<"$pid_file")), log in $log_file"
  echo "KAFKA_BROKERS=$brokers"
}

# wait_for_exit polls until process $1 has exited and released its ports,
# or $2 seconds have passed. The command line is no guide here: it is gone
# before the sockets are closed, and a killed JVM's main thread can be a
# zombie while other threads still hold the process's files.
wait_for_exit() {
  local deadline=$((SECONDS + $2)) stat
  while :; do
    if ! read -r stat 2>/dev/null <"/proc/$1/stat" || [[ ${stat##*) } == Z* ]]; then
      if ! port_open "$port" && ! port_open "$controller_port"; then
        return 0
      fi
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

down() {
  local pid
  if ! pid=$(broker_pid); then
    say "not running"
    rm -f "$pid_file"
    return 0
  fi
  kill -TERM "$pid"
  if ! wait_for_exit "$pid" "$down_timeout"; then
    say "broker (pid $pid) ignored SIGTERM for ${down_timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    if ! wait_for_exit "$pid" 10; then
      say "pid $pid or ports $port/$controller_port still busy after SIGKILL"
      return 1
    fi
  fi
  rm -f "$pid_file"
  say "stopped (pid $pid)"
}

status() {
  local pid
  if ! pid=$(broker_pid); then
    say "not running"
    return 1
  fi
  if ! answering; then
    say "running (pid $pid) but not answering on $brokers"
    return 1
  fi
  echo "running pid=$pid KAFKA_BROKERS=$brokers"
}

reset() {
  down
  rm -rf "$data" "$log_file" "$config"
  say "deleted $data"
}

topics() {
  fetch
  "${tool_java[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$brokers" "$@"
}

# lock serialises the commands that change state, so that two callers (say,
# parallel test packages) cannot start two brokers on one KAFKA_DIR.
lock() {
  mkdir -p "$kafka_dir"
  exec 9>"$kafka_dir/lock"
  flock -w 180 9 || { say "timed out waiting for $kafka_dir/lock"; return 1; }
}

case ${1:-} in
  fetch | up | down | reset) lock; "$1" ;;
  status) "$1" ;;
  topics) shift; topics "$@" ;;
  *)
    echo "usage: $0 fetch|up|down|status|reset|topics [args]" >&2
    exit 2
    ;;
esac
