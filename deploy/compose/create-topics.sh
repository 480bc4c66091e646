#!/bin/sh
# create-topics.sh creates the stack's topics before the producer and the
# consumer start. The `topics` service of docker-compose.yml runs it in the
# apache/kafka image; --if-not-exists makes every `docker compose up` safe.
#
# No replication factor or min.insync.replicas is given: the brokers'
# defaults decide (1 and 1 on the single broker, 3 and 2 in the cluster
# profile).
#
# Environment (set in docker-compose.yml):
#   BOOTSTRAP_SERVERS      brokers, host:port[,host:port...]
#   TOPIC, PARTITIONS      the tickets topic and its partition count
#   OUTPUT_TOPIC           processed tickets, as many partitions
#   DLQ_TOPIC              dead letters, as many partitions, with
#   DLQ_MAX_MESSAGE_BYTES  its max.message.bytes
#   KAFKA_BIN              the Kafka scripts (default /opt/kafka/bin)
set -eu

topics() {
  "${KAFKA_BIN:-/opt/kafka/bin}/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP_SERVERS" "$@"
}

topics --create --if-not-exists --topic "$TOPIC" --partitions "$PARTITIONS"
topics --create --if-not-exists --topic "$OUTPUT_TOPIC" --partitions "$PARTITIONS"
topics --create --if-not-exists --topic "$DLQ_TOPIC" --partitions "$PARTITIONS" \
  --config "max.message.bytes=$DLQ_MAX_MESSAGE_BYTES"
# For `docker compose logs topics`: partitions, replicas and configs.
topics --describe --topic "$TOPIC|$OUTPUT_TOPIC|$DLQ_TOPIC"
