#!/usr/bin/env bash
# kafka.sh runs Apache Kafka 4.2 (KRaft, broker and controller in one JVM)
# for the integration tests, straight from the jars that Maven resolves from
# scripts/kafka/pom.xml. No Docker needed. By default it runs one node;
# KAFKA_NODES=3 runs a three-node cluster instead (see "Cluster mode").
#
# Usage: scripts/kafka.sh fetch|up|down|status|reset|topics [TopicCommand args]
#        scripts/kafka.sh quorum [MetadataQuorumCommand args]
#        scripts/kafka.sh start-node|stop-node|kill-node|freeze-node|thaw-node N
#
#   fetch   copy the Kafka jars into .cache/kafka/libs (once per pom.xml)
#   up      fetch, format storage on first use, start the broker and wait
#           until it answers; prints KAFKA_BROKERS=host:port
#   down    stop the broker (SIGTERM, SIGKILL after KAFKA_DOWN_TIMEOUT);
#           the data survives, so the next `up` restarts the same cluster
#   status  exit 0 and print the pid if the broker runs and answers
#   reset   down, then delete the data and the log (fresh cluster next time)
#   topics  kafka-topics with --bootstrap-server preset, e.g. `topics --list`
#   quorum  kafka-metadata-quorum with --bootstrap-server preset, e.g.
#           `quorum describe --status` (its LeaderId is the active controller)
#
# Per node (N from 1 to KAFKA_NODES; with one node, N is 1):
#   start-node N   start node N (formatted by an earlier `up`) and wait until
#                  it answers
#   stop-node N    stop node N as `down` does; its data survives
#   kill-node N    SIGKILL node N and wait until its ports are free
#   freeze-node N  SIGSTOP node N: it holds its connections but answers
#                  nothing, like a long GC pause or a hung host
#   thaw-node N    SIGCONT node N
#
# fetch, up, down, reset and the per-node commands take a lock in
# KAFKA_DIR, so concurrent callers queue up instead of starting two brokers.
# A KAFKA_DIR is one broker or one cluster: give parallel runs on one
# machine their own KAFKA_DIR and ports.
#
# Environment:
#   KAFKA_DIR              config, data, log and pid file (default .cache/kafka)
#   KAFKA_PORT             client listener port (default 19092)
#   KAFKA_CONTROLLER_PORT  controller listener port (default 19093)
#   KAFKA_HEAP_OPTS        broker heap flags (default "-Xms256m -Xmx1g"; in
#                          cluster mode "-Xms256m -Xmx640m" for each node)
#   KAFKA_OPTS             extra JVM flags for the broker (default none)
#   KAFKA_UP_TIMEOUT       seconds `up` waits for the broker (default 90)
#   KAFKA_DOWN_TIMEOUT     seconds `down` waits before SIGKILL (default 60)
#
# Cluster mode (KAFKA_NODES from 2 to 9): every node is a broker and a
# controller, with node.id N; all of them are the controller quorum
# (KIP-853, formatted with --initial-controllers) and share one cluster id.
# Node N keeps its config, data, log and pid file in KAFKA_DIR/nodeN. Topics
# get min(KAFKA_NODES, 3) replicas by default, internal topics too, and
# min.insync.replicas is one less (at least 1): RF 3 and 2 with three nodes.
# `up` starts every node that is not running and waits until all of them
# answer and the quorum has a leader; it prints all the client addresses.
# `down` stops all of them. SASL and TLS are single-node only.
#   KAFKA_NODES            number of nodes (default 1, the single broker)
#   KAFKA_PORTS            client ports, one per node, comma-separated
#                          (default KAFKA_PORT, KAFKA_PORT+10, +20, ...)
#   KAFKA_CONTROLLER_PORTS controller ports, one per node (default
#                          KAFKA_CONTROLLER_PORT, +10, +20, ...)
#   With the defaults, node 1 is 19092/19093, node 2 19102/19103 and node 3
#   19112/19113.
#
# Opt-in proxy placement (off unless KAFKA_ADVERTISED_PORT or
# KAFKA_ADVERTISED_PORTS is set), for network faults between clients and
# brokers: each node still binds its client listener on its client port but
# advertises 127.0.0.1:ADVERTISED instead, where a proxy such as toxiproxy
# (scripts/toxiproxy.sh) listens and forwards to the client port. Clients
# then reach every broker through the proxy, bootstrap and all, and
# KAFKA_BROKERS names the advertised ports; `up` does not need the proxy to
# exist. Replication and this script's tools use a separate INTERNAL
# listener, and the controllers their CONTROLLER one, neither behind the
# proxy, so a fault in the proxy cuts clients only. Works with one node or
# more.
#   KAFKA_ADVERTISED_PORT  advertised client port of node 1, +10 per further
#                          node (or KAFKA_ADVERTISED_PORTS, one per node)
#   KAFKA_INTERNAL_PORT    INTERNAL listener port of node 1, +10 per further
#                          node (default 19096; or KAFKA_INTERNAL_PORTS)
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

say() { echo "kafka.sh: $*" >&2; }

nodes=${KAFKA_NODES:-1}
if [[ ! $nodes =~ ^[1-9]$ ]]; then
  say "KAFKA_NODES=$nodes: want a number of nodes from 1 to 9"
  exit 2
fi

# node_ports sets the array named $1 to one port per node, indexed from 1:
# from the comma-separated list in the variable named $2, or else from the
# variable named $3 (default $4) plus 10 for each node after the first.
# With neither a list nor a base, the array stays empty.
node_ports() {
  local -n ports=$1
  local list=${!2:-} base=${!3:-$4} name i p
  local -a given=()
  ports=()
  if [[ -n $list ]]; then
    name=$2
    IFS=, read -r -a given <<<"$list"
    if ((${#given[@]} != nodes)); then
      say "$name=$list: want $nodes port(s), one per node"
      return 1
    fi
    for ((i = 1; i <= nodes; i++)); do ports[i]=${given[i - 1]}; done
  elif [[ -n $base ]]; then
    name=$3
    [[ $base =~ ^[1-9][0-9]{0,4}$ ]] || { say "$name=$base is not a port"; return 1; }
    for ((i = 1; i <= nodes; i++)); do ports[i]=$((base + 10 * (i - 1))); done
  fi
  for p in "${ports[@]}"; do
    if [[ ! $p =~ ^[1-9][0-9]{0,4}$ ]] || ((p > 65535)); then
      say "$name: $p is not a port"
      return 1
    fi
  done
}

declare -a client_ports=() controller_ports=() advertised_ports=() internal_ports=()
node_ports client_ports KAFKA_PORTS KAFKA_PORT 19092 || exit 2
node_ports controller_ports KAFKA_CONTROLLER_PORTS KAFKA_CONTROLLER_PORT 19093 || exit 2
node_ports advertised_ports KAFKA_ADVERTISED_PORTS KAFKA_ADVERTISED_PORT "" || exit 2
# Behind a proxy, the brokers talk among themselves, and the tools to them,
# on an INTERNAL listener that the proxy does not sit in front of.
if ((${#advertised_ports[@]} > 0)); then
  node_ports internal_ports KAFKA_INTERNAL_PORTS KAFKA_INTERNAL_PORT 19096 || exit 2
fi

# addresses prints 127.0.0.1:PORT for each argument, comma-separated.
addresses() {
  local IFS=, p
  local -a out=()
  for p; do out+=("127.0.0.1:$p"); done
  echo "${out[*]}"
}

# brokers is what clients use, tool_brokers what this script's tools use;
# they differ only behind a proxy.
if ((${#advertised_ports[@]} > 0)); then
  brokers=$(addresses "${advertised_ports[@]}")
  tool_brokers=$(addresses "${internal_ports[@]}")
else
  brokers=$(addresses "${client_ports[@]}")
  tool_brokers=$brokers
fi
controller_addrs=$(addresses "${controller_ports[@]}")

sasl_user=${KAFKA_SASL_USER:-}
sasl_password=${KAFKA_SASL_PASSWORD:-}
sasl_port=${KAFKA_SASL_PORT:-19094}
ssl_keystore=${KAFKA_SSL_KEYSTORE:-}
ssl_port=${KAFKA_SSL_PORT:-19095}
up_timeout=${KAFKA_UP_TIMEOUT:-90}
down_timeout=${KAFKA_DOWN_TIMEOUT:-60}
if ((nodes == 1)); then
  heap_opts=${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
else
  # The nodes share the machine with each other and with the tests.
  heap_opts=${KAFKA_HEAP_OPTS:--Xms256m -Xmx640m}
fi

# select_node sets the paths and ports of node $1. A single broker keeps
# its files at the top of KAFKA_DIR and its messages carry no node label.
select_node() {
  node=$1
  if ((nodes == 1)); then
    node_dir=$kafka_dir
    label=
  else
    node_dir=$kafka_dir/node$node
    label="node $node: "
  fi
  config=$node_dir/server.properties
  data=$node_dir/data
  log_file=$node_dir/logs/broker.log
  pid_file=$node_dir/broker.pid
  port=${client_ports[node]}
  controller_port=${controller_ports[node]}
  advertised_port=${advertised_ports[node]:-}
  internal_port=${internal_ports[node]:-}
  tool_port=${internal_port:-$port}
}
select_node 1

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

# broker_pid prints the pid of the selected node, or fails if it is not
# running. It checks the command line, not just the pid, so a recycled pid
# or a zombie (empty command line) does not count as running.
broker_pid() {
  local pid
  [[ -f $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F "kafka.Kafka $config" >/dev/null || return 1
  echo "$pid"
}

# process_state prints the state letter of process $1 (R, S, T for
# stopped, Z, ...).
process_state() {
  local stat
  read -r stat <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  echo "${stat%% *}"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# answering proves that the selected node serves requests:
# BrokerApiVersionsCommand fetches metadata from it, then asks every broker
# listed there for its API versions. The port check first spares a JVM
# start while nothing listens yet.
answering() {
  port_open "$tool_port" || return 1
  timeout 30 "${tool_java[@]}" org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "127.0.0.1:$tool_port" 2>/dev/null |
    grep -F "127.0.0.1:$tool_port (id: $node " >/dev/null
}

# live_tool_brokers prints the tool addresses of the nodes that run and
# are not frozen (all of them when none is): a frozen node accepts
# connections but never answers, and would hold a tool up until it gives up.
live_tool_brokers() {
  local i pid
  local -a live=()
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    if pid=$(broker_pid) && [[ $(process_state "$pid") != T ]]; then
      live+=("$tool_port")
    fi
  done
  if ((${#live[@]} == 0)); then
    echo "$tool_brokers"
  else
    addresses "${live[@]}"
  fi
}

# api_versions prints what BrokerApiVersionsCommand reports for every node
# it can reach from the live nodes; node_answers then tells from that
# output whether node $2 answered.
api_versions() {
  timeout 30 "${tool_java[@]}" org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$(live_tool_brokers)" 2>/dev/null
}
node_answers() {
  local tool=${internal_ports[$2]:-${client_ports[$2]}}
  grep -E "^127\.0\.0\.1:$tool \(id: $2 .*-> \($" >/dev/null <<<"$1"
}

# cluster_answering succeeds when every node answers.
cluster_answering() {
  local i out
  for ((i = 1; i <= nodes; i++)); do
    port_open "${internal_ports[i]:-${client_ports[i]}}" || return 1
  done
  out=$(api_versions) || return 1
  for ((i = 1; i <= nodes; i++)); do
    node_answers "$out" "$i" || return 1
  done
}

# quorum_leader prints the node id of the active controller, or fails
# while the quorum has none. Right after the active controller freezes, the
# brokers hold a forwarded request for 30 s (controller.socket.timeout.ms)
# before they try the new one, so this may take that long.
quorum_leader() {
  local out leader
  out=$(timeout 45 "${tool_java[@]}" org.apache.kafka.tools.MetadataQuorumCommand \
    --bootstrap-server "$(live_tool_brokers)" describe --status 2>/dev/null) || return 1
  leader=$(sed -n 's/^LeaderId:[[:space:]]*//p' <<<"$out")
  [[ $leader =~ ^[0-9]+$ ]] || return 1
  echo "$leader"
}

# new_cluster_id makes a random Kafka Uuid: 16 bytes, URL-safe base64, no
# padding (what `kafka-storage random-uuid` prints, minus a JVM start). An
# id starting with '-' would read as an option to StorageTool, so (as
# Kafka's own generator does) such ids are drawn again. The metadata
# directory ids of a cluster's controllers are made the same way.
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

# check_layout refuses a KAFKA_DIR laid out for another number of nodes:
# its data belongs to another cluster.
check_layout() {
  local had=1
  [[ -f $kafka_dir/nodes ]] && had=$(<"$kafka_dir/nodes")
  if ((nodes == 1 && had != 1)); then
    say "$kafka_dir holds a $had-node cluster: set KAFKA_NODES=$had, or use another KAFKA_DIR"
    return 1
  fi
  if ((nodes > 1)) && [[ -e $kafka_dir/data ]]; then
    say "$kafka_dir holds a single broker: reset it, or use another KAFKA_DIR"
    return 1
  fi
  if ((nodes > 1 && had != 1 && had != nodes)); then
    say "$kafka_dir holds a $had-node cluster, not $nodes: reset it with KAFKA_NODES=$had, or use another KAFKA_DIR"
    return 1
  fi
}

# replication_settings prints the replication part of the broker config.
replication_settings() {
  if ((nodes == 1)); then
    cat <<EOF
# One node, so every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
    return
  fi
  local rf=$((nodes < 3 ? nodes : 3))
  local isr=$((rf > 1 ? rf - 1 : 1))
  cat <<EOF
# $nodes nodes: every topic, internal ones too, gets $rf replicas by
# default, and acks=all needs $isr of them in sync.
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
EOF
}

# write_config writes the selected node's server.properties.
write_config() {
  local listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
  local protocols=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
  local advertised inter=PLAINTEXT
  if [[ -n $internal_port ]]; then
    listeners+=,INTERNAL://127.0.0.1:$internal_port
    advertised=PLAINTEXT://127.0.0.1:$advertised_port,CONTROLLER://127.0.0.1:$controller_port
    advertised+=,INTERNAL://127.0.0.1:$internal_port
    protocols+=,INTERNAL:PLAINTEXT
    inter=INTERNAL
  else
    advertised=$listeners
  fi
  if [[ -n $sasl_user ]]; then
    listeners+=,SASL_PLAINTEXT://127.0.0.1:$sasl_port
    advertised+=,SASL_PLAINTEXT://127.0.0.1:$sasl_port
    protocols+=,SASL_PLAINTEXT:SASL_PLAINTEXT
  fi
  if [[ -n $ssl_keystore ]]; then
    listeners+=,SSL://127.0.0.1:$ssl_port
    advertised+=,SSL://127.0.0.1:$ssl_port
    protocols+=,SSL:SSL
  fi
  cat >"$config" <<EOF
# Written by scripts/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=$node
controller.quorum.bootstrap.servers=$controller_addrs
controller.listener.names=CONTROLLER
listeners=$listeners
advertised.listeners=$advertised
inter.broker.listener.name=$inter
listener.security.protocol.map=$protocols
log.dirs=$data
num.partitions=6
# Off on purpose: tests create their topics, so a misspelt topic name fails
# loudly instead of quietly creating a new topic.
auto.create.topics.enable=false
$(replication_settings)
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

# ports_free fails, saying which, when a port of the selected node is taken.
ports_free() {
  if port_open "$port" || port_open "$controller_port"; then
    say "${label}port $port or $controller_port is taken by another process"
    return 1
  fi
  if [[ -n $internal_port ]] && port_open "$internal_port"; then
    say "${label}INTERNAL port $internal_port is taken by another process"
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
}

# start_broker writes the selected node's config and starts it in the
# background; child is its pid.
start_broker() {
  mkdir -p "$data" "$(dirname "$log_file")"
  write_config
  echo "=== kafka.sh up $(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$log_file"
  # setsid: the broker outlives this script and is not hit by a Ctrl-C
  # meant for the caller. All three standard streams are redirected, so a
  # caller reading our output is not kept waiting by the broker, and the
  # lock's descriptor is closed, so the broker does not hold the lock.
  # shellcheck disable=SC2086 # the *_OPTS variables hold several flags
  setsid java $heap_opts \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true ${KAFKA_OPTS:-} \
    -Dkafka.sh.log.level=INFO -Dlog4j2.configurationFile="$log4j_config" \
    -cp "$libs/*" kafka.Kafka "$config" </dev/null >>"$log_file" 2>&1 9>&- &
  child=$!
  echo "$child" >"$pid_file"
}

# broker_exited fails while the selected node runs; when it has exited it
# reports so with the tail of its log. Pass the pid when the broker is our
# child, so that its exit status can be reported.
broker_exited() {
  local child=${1:-} status=unknown
  # With our own child, ask the kernel whether it lives: the pid-file check
  # can miss a live broker for a moment, and `wait` on a live child would
  # block for ever.
  if [[ -n $child ]]; then
    kill -0 "$child" 2>/dev/null && return 1
    wait "$child" && status=0 || status=$?
  else
    broker_pid >/dev/null && return 1
  fi
  say "${label}broker exited during start-up (status $status); last lines of $log_file:"
  tail -n 40 "$log_file" >&2
}

# wait_until_answering polls until the selected node answers, its process
# dies, or the deadline passes. Pass the pid when the broker is our child.
wait_until_answering() {
  local child=${1:-} deadline=$((SECONDS + up_timeout))
  until answering; do
    if broker_exited "$child"; then
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "${label}broker did not answer within ${up_timeout}s; last lines of $log_file:"
      tail -n 40 "$log_file" >&2
      return 1
    fi
    sleep 0.5
  done
}

up() {
  if ((nodes > 1)); then
    up_cluster
    return
  fi
  local pid child
  check_layout
  if pid=$(broker_pid); then
    say "already running (pid $pid)"
    wait_until_answering || return 1
    echo "KAFKA_BROKERS=$brokers"
    return 0
  fi
  ports_free
  check_sasl
  fetch
  mkdir -p "$data"
  write_config
  if [[ ! -f $data/meta.properties ]]; then
    say "formatting $data"
    local scram=()
    mapfile -t scram < <(scram_args)
    "${tool_java[@]}" kafka.tools.StorageTool format --standalone \
      --cluster-id "$(new_cluster_id)" --config "$config" "${scram[@]}" >/dev/null
  fi
  start_broker
  if ! wait_until_answering "$child"; then
    down
    return 1
  fi
  say "broker up (pid $(<"$pid_file")), log in $log_file"
  echo "KAFKA_BROKERS=$brokers"
}

# format_cluster formats every node's storage for one new cluster: one
# cluster id, and the same initial controller set (each voter's id,
# controller address and metadata directory id) given to every node, as
# KIP-853 wants. The formats run in parallel, a JVM each.
format_cluster() {
  local cluster_id i dir_ids=() voters=() pids=() status=0
  cluster_id=$(new_cluster_id)
  for ((i = 1; i <= nodes; i++)); do
    dir_ids[i]=$(new_cluster_id)
    voters+=("$i@127.0.0.1:${controller_ports[i]}:${dir_ids[i]}")
  done
  local initial
  initial=$(IFS=,; echo "${voters[*]}")
  say "formatting $nodes nodes of cluster $cluster_id in $kafka_dir"
  echo "$nodes" >"$kafka_dir/nodes"
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    mkdir -p "$data"
    write_config
    "${tool_java[@]}" kafka.tools.StorageTool format --initial-controllers "$initial" \
      --cluster-id "$cluster_id" --config "$config" >/dev/null &
    pids[i]=$!
  done
  for ((i = 1; i <= nodes; i++)); do
    wait "${pids[i]}" || { say "node $i: formatting failed"; status=1; }
  done
  return "$status"
}

# up_cluster starts every node that does not run, then waits until all of
# them answer and the controller quorum has a leader.
up_cluster() {
  local i pid formatted=0 leader deadline
  local -a children=()
  if [[ -n $sasl_user || -n $ssl_keystore ]]; then
    say "SASL and TLS are for a single node; unset KAFKA_SASL_USER and KAFKA_SSL_KEYSTORE or KAFKA_NODES"
    return 1
  fi
  check_layout
  fetch
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    [[ -f $data/meta.properties ]] && formatted=$((formatted + 1))
    if pid=$(broker_pid); then
      say "${label}already running (pid $pid)"
      continue
    fi
    ports_free
  done
  if ((formatted == 0)); then
    format_cluster
  elif ((formatted < nodes)); then
    say "$kafka_dir: only $formatted of $nodes nodes are formatted; reset it"
    return 1
  fi
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    broker_pid >/dev/null && continue
    start_broker
    children[i]=$child
  done
  deadline=$((SECONDS + up_timeout))
  until cluster_answering && leader=$(quorum_leader); do
    for ((i = 1; i <= nodes; i++)); do
      select_node "$i"
      if broker_exited "${children[i]:-}"; then
        down_cluster
        return 1
      fi
    done
    if ((SECONDS >= deadline)); then
      say "the cluster did not answer within ${up_timeout}s"
      for ((i = 1; i <= nodes; i++)); do
        select_node "$i"
        say "last lines of $log_file:"
        tail -n 15 "$log_file" >&2
      done
      down_cluster
      return 1
    fi
    sleep 0.5
  done
  say "cluster of $nodes up (controller quorum leader: node $leader), logs in $kafka_dir/node*/logs"
  echo "KAFKA_BROKERS=$brokers"
}

# wait_for_exit polls until process $1 has exited and released the
# selected node's ports, or $2 seconds have passed. The command line is no
# guide here: it is gone before the sockets are closed, and a killed JVM's
# main thread can be a zombie while other threads still hold the
# process's files.
wait_for_exit() {
  local deadline=$((SECONDS + $2)) stat
  while :; do
    if ! read -r stat 2>/dev/null <"/proc/$1/stat" || [[ ${stat##*) } == Z* ]]; then
      if ! port_open "$port" && ! port_open "$controller_port" &&
        { [[ -z $internal_port ]] || ! port_open "$internal_port"; }; then
        return 0
      fi
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# await_stop waits for the selected node's process $1, sent SIGTERM, to
# exit; SIGKILL after KAFKA_DOWN_TIMEOUT.
await_stop() {
  local pid=$1
  if ! wait_for_exit "$pid" "$down_timeout"; then
    say "${label}broker (pid $pid) ignored SIGTERM for ${down_timeout}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    if ! wait_for_exit "$pid" 10; then
      say "${label}pid $pid or ports $port/$controller_port still busy after SIGKILL"
      return 1
    fi
  fi
  rm -f "$pid_file"
  say "${label}stopped (pid $pid)"
}

# term sends SIGTERM to process $1, and SIGCONT in case it is frozen.
term() {
  kill -TERM "$1"
  kill -CONT "$1" 2>/dev/null || true
}

down() {
  if ((nodes > 1)); then
    down_cluster
    return
  fi
  stop_node
}

# stop_node stops the selected node.
stop_node() {
  local pid
  if ! pid=$(broker_pid); then
    say "${label}not running"
    rm -f "$pid_file"
    return 0
  fi
  term "$pid"
  await_stop "$pid"
}

# down_cluster sends SIGTERM to every node at once, then waits for each.
down_cluster() {
  local i pid status=0
  local -a pids=()
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    if pid=$(broker_pid); then
      term "$pid"
      pids[i]=$pid
    else
      rm -f "$pid_file"
    fi
  done
  if ((${#pids[@]} == 0)); then
    say "not running"
    return 0
  fi
  for i in "${!pids[@]}"; do
    select_node "$i"
    await_stop "${pids[i]}" || status=1
  done
  return "$status"
}

status() {
  if ((nodes > 1)); then
    status_cluster
    return
  fi
  local pid
  if ! pid=$(broker_pid); then
    say "not running"
    return 1
  fi
  if ! answering; then
    say "running (pid $pid) but not answering on $tool_brokers"
    return 1
  fi
  echo "running pid=$pid KAFKA_BROKERS=$brokers"
}

# status_cluster prints a line per node and exits 0 when every node runs
# and answers.
status_cluster() {
  local i pid out= ok=1 leader
  local -a pids=()
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    pid=$(broker_pid) && pids[i]=$pid
  done
  ((${#pids[@]} == 0)) || out=$(api_versions) || true
  for ((i = 1; i <= nodes; i++)); do
    select_node "$i"
    local addr=127.0.0.1:${advertised_port:-$port}
    if [[ -z ${pids[i]:-} ]]; then
      echo "node$i not running ($addr)"
      ok=0
    elif [[ $(process_state "${pids[i]}") == T ]]; then
      echo "node$i frozen pid=${pids[i]} ($addr)"
      ok=0
    elif node_answers "$out" "$i"; then
      echo "node$i running pid=${pids[i]} ($addr)"
    else
      echo "node$i running pid=${pids[i]} but not answering ($addr)"
      ok=0
    fi
  done
  if ((${#pids[@]} > 0)) && leader=$(quorum_leader); then
    echo "controller quorum leader: node $leader"
  else
    echo "controller quorum: no leader"
    ok=0
  fi
  ((ok)) || return 1
  echo "running KAFKA_BROKERS=$brokers"
}

reset() {
  down
  if ((nodes > 1)); then
    local i
    for ((i = 1; i <= nodes; i++)); do rm -rf "$kafka_dir/node$i"; done
    rm -f "$kafka_dir/nodes"
    say "deleted the data of $nodes nodes in $kafka_dir"
    return
  fi
  rm -rf "$data" "$log_file" "$config"
  say "deleted $data"
}

topics() {
  fetch
  "${tool_java[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$(live_tool_brokers)" "$@"
}

quorum() {
  fetch
  "${tool_java[@]}" org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server "$(live_tool_brokers)" "$@"
}

# node_command runs a per-node command ($1) on node $2.
node_command() {
  local cmd=$1 n=${2:-} pid
  if [[ ! $n =~ ^[1-9]$ ]] || ((n > nodes)); then
    say "$cmd: want a node number from 1 to $nodes, not '$n'"
    return 2
  fi
  select_node "$n"
  case $cmd in
    start-node)
      if ((nodes == 1)); then
        up
        return
      fi
      check_layout
      if pid=$(broker_pid); then
        say "${label}already running (pid $pid)"
        wait_until_answering
        return
      fi
      if [[ ! -f $data/meta.properties ]]; then
        say "${label}not formatted: start the cluster with up first"
        return 1
      fi
      ports_free
      fetch
      start_broker
      if ! wait_until_answering "$child"; then
        stop_node
        return 1
      fi
      say "${label}up (pid $child), log in $log_file"
      ;;
    stop-node) stop_node ;;
    kill-node | freeze-node | thaw-node)
      if ! pid=$(broker_pid); then
        say "${label}not running"
        return 1
      fi
      case $cmd in
        kill-node)
          kill -KILL "$pid"
          if ! wait_for_exit "$pid" 10; then
            say "${label}pid $pid or its ports still busy after SIGKILL"
            return 1
          fi
          rm -f "$pid_file"
          say "${label}killed (pid $pid)"
          ;;
        freeze-node)
          kill -STOP "$pid"
          say "${label}frozen (pid $pid)"
          ;;
        thaw-node)
          kill -CONT "$pid"
          say "${label}thawed (pid $pid)"
          ;;
      esac
      ;;
  esac
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
  topics | quorum) cmd=$1; shift; "$cmd" "$@" ;;
  start-node | stop-node | kill-node | freeze-node | thaw-node) lock; node_command "$1" "${2:-}" ;;
  *)
    echo "usage: $0 fetch|up|down|status|reset|topics|quorum [args]" >&2
    echo "       $0 start-node|stop-node|kill-node|freeze-node|thaw-node N" >&2
    exit 2
    ;;
esac
