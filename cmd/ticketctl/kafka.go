package main

import (
	"fmt"

	"github.com/IBM/sarama"

	"ticket-processor/internal/kafka"
)

// maxRecordBytes bounds a replayed record: the largest ticket the consumer
// accepts by default (1 MiB) plus room for headers.
const maxRecordBytes = 1<<20 + 64<<10

// newSaramaConfig returns the configuration of ticketctl's one client,
// shared by the partition consumers that read the dead-letter topic and by
// the replay producer. It goes through kafka.NewProducerConfig, the
// project's translation point, so that TLS, SASL, the protocol version and
// the producer settings match the daemons': idempotent, acks from all
// in-sync replicas, and the murmur2 partitioner, so a replayed ticket lands
// on the partition its order's other tickets use.
func newSaramaConfig(k kafka.Config) (*sarama.Config, error) {
	sc, err := kafka.NewProducerConfig(k, kafka.ToolSettings(maxRecordBytes))
	if err != nil {
		return nil, err
	}
	// Errors reach the partition reader instead of only sarama's log, so a
	// failing read ends the command rather than stalling it.
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka config: %w", err)
	}
	return sc, nil
}
