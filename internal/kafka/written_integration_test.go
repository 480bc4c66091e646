//go:build integration

package kafka

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
)

func TestFindWrittenFindsOnlyWhatTheTopicHolds(t *testing.T) {
	const partitions = 4
	topic := kafkatest.CreateTopic(t, "it-written", partitions, nil)
	sent := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	message := func(key, value string, at time.Time) *sarama.ProducerMessage {
		return &sarama.ProducerMessage{
			Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.StringEncoder(value), Timestamp: at,
			Partition: PartitionFor([]byte(key), partitions),
		}
	}
	// Written: an old record, then ten records over every partition.
	var written []*sarama.ProducerMessage
	for i := range 10 {
		written = append(written, message(fmt.Sprintf("order-%d", i), fmt.Sprintf("v%d", i), sent))
	}
	old := message("order-old", "same bytes", sent.Add(-time.Hour))
	cfg := kafkatest.Config()
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	sp, err := sarama.NewSyncProducer(kafkatest.Brokers(t), cfg)
	require.NoError(t, err)
	require.NoError(t, sp.SendMessages([]*sarama.ProducerMessage{old}))
	require.NoError(t, sp.SendMessages(written))
	require.NoError(t, sp.Close())

	// Asked about copies of the written ones (equal, not the same values),
	// one of which differs in its value, one never written, and a copy of
	// the old record first sent now: the search starts at the first record
	// stamped at or after the send, past the old one.
	ask := []*sarama.ProducerMessage{
		message("order-0", "v0", sent),
		message("order-7", "v7", sent),
		message("order-3", "v3 changed", sent),
		message("order-new", "v-new", sent),
		withHeader(message("order-5", "v5", sent)),
		message("order-old", "same bytes", sent),
	}
	require.Equal(t, "order-old", string(ask[5].Key.(sarama.StringEncoder)))
	client := kafkatest.Client(t)
	var found map[*sarama.ProducerMessage]bool
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	found, err = FindWritten(ctx, client, ask)
	require.NoError(t, err)

	assert.True(t, found[ask[0]], "order-0 is in the topic")
	assert.True(t, found[ask[1]], "order-7 is in the topic")
	assert.False(t, found[ask[2]], "a different value is a different ticket")
	assert.False(t, found[ask[3]], "never written")
	assert.False(t, found[ask[4]], "different headers make a different record")
	assert.False(t, found[ask[5]], "an equal record written before the search window is not looked at")
	assert.Len(t, found, 2)
}

func TestFindWrittenNeedsKeyAndTimestamp(t *testing.T) {
	client := kafkatest.Client(t)
	_, err := FindWritten(context.Background(), client, []*sarama.ProducerMessage{
		{Topic: "t", Key: sarama.StringEncoder("k"), Value: sarama.StringEncoder("v")},
	})
	require.ErrorContains(t, err, "no key or no timestamp")
}

func withHeader(m *sarama.ProducerMessage) *sarama.ProducerMessage {
	m.Headers = []sarama.RecordHeader{{Key: []byte("dlq-original-offset"), Value: []byte("7")}}
	return m
}
