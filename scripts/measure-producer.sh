#!/usr/bin/env bash
# measure-producer.sh runs the producer binary at its default rate for
# DURATION seconds (default 60) against KAFKA_BROKERS and prints the
# delivered rate, CPU use and resident memory, all read from its own
# /metrics. Build first with `make build`.
#
#   KAFKA_BROKERS=127.0.0.1:19092 scripts/measure-producer.sh
set -euo pipefail

duration=${DURATION:-60}
port=${METRICS_PORT:-2212}
bin=$(dirname "$0")/../bin/producer
: "${KAFKA_BROKERS:?set KAFKA_BROKERS to a running broker}"

metric() { curl -fs "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $2} END {printf "%.6f", s}'; }

KAFKA_TOPIC=measure-$$ METRICS_PORT=$port LOG_LEVEL=warn "$bin" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' EXIT

deadline=$((SECONDS + 60))
until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null; do
  ((SECONDS < deadline)) || { echo "producer not ready after 60 s" >&2; exit 1; }
  sleep 0.2
done

t0=$(date +%s.%N) n0=$(metric ticket_processor_producer_produced_total) c0=$(metric process_cpu_seconds_total)
sleep "$duration"
t1=$(date +%s.%N) n1=$(metric ticket_processor_producer_produced_total) c1=$(metric process_cpu_seconds_total)
rss=$(metric process_resident_memory_bytes)

awk -v t0="$t0" -v t1="$t1" -v n0="$n0" -v n1="$n1" -v c0="$c0" -v c1="$c1" -v rss="$rss" 'BEGIN {
  s = t1 - t0
  printf "window     %.1f s\n", s
  printf "delivered  %d tickets, %.2f per second\n", n1 - n0, (n1 - n0) / s
  printf "cpu        %.2f%% of one core\n", 100 * (c1 - c0) / s
  printf "rss        %.1f MiB\n", rss / 1048576
}'
