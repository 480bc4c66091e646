package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/IBM/sarama/mocks"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeOffsets answers Partitions and GetOffset from fixed ranges.
type fakeOffsets struct {
	ranges map[int32][2]int64 // partition: oldest, high watermark
	err    error
}

func (f fakeOffsets) Partitions(string) ([]int32, error) {
	if f.err != nil {
		return nil, f.err
	}
	var ps []int32
	for p := range int32(len(f.ranges)) {
		ps = append(ps, p)
	}
	return ps, nil
}

func (f fakeOffsets) GetOffset(_ string, partition int32, which int64) (int64, error) {
	r, ok := f.ranges[partition]
	if !ok {
		return 0, sarama.ErrUnknownTopicOrPartition
	}
	if which == sarama.OffsetOldest {
		return r[0], nil
	}
	return r[1], nil
}

func TestCaptureRanges(t *testing.T) {
	got, err := captureRanges(fakeOffsets{ranges: map[int32][2]int64{0: {0, 3}, 1: {5, 5}, 2: {2, 4}}}, "tickets.dlq")

	require.NoError(t, err)
	assert.Equal(t, []partitionRange{{0, 0, 3}, {1, 5, 5}, {2, 2, 4}}, got)

	_, err = captureRanges(fakeOffsets{err: sarama.ErrUnknownTopicOrPartition}, "tickets.dlq")
	require.ErrorIs(t, err, sarama.ErrUnknownTopicOrPartition)
}

// visited records the position of every record a scan visits.
type visited []string

func (v *visited) visit(msg *sarama.ConsumerMessage) error {
	*v = append(*v, string(msg.Value))
	return nil
}

func yield(pc *mocks.PartitionConsumer, values ...string) {
	for _, v := range values {
		pc.YieldMessage(&sarama.ConsumerMessage{Value: []byte(v)})
	}
}

func TestScanStopsAtTheHighWatermarkCapturedAtStart(t *testing.T) {
	consumer := mocks.NewConsumer(t, nil)
	defer func() { require.NoError(t, consumer.Close()) }()
	// Partition 0 holds offsets 0-2, partition 1 is empty, partition 2
	// holds 2-3 after retention removed 0-1. A record written after the
	// start (offset 3 of partition 0) must not be visited.
	yield(consumer.ExpectConsumePartition("tickets.dlq", 0, 0), "p0o0", "p0o1", "p0o2", "p0o3-late")
	yield(consumer.ExpectConsumePartition("tickets.dlq", 2, 2), "p2o2", "p2o3")
	ranges := []partitionRange{{0, 0, 3}, {1, 5, 5}, {2, 2, 4}}
	var got visited

	err := scan(context.Background(), consumer, "tickets.dlq", ranges, time.Minute, got.visit)

	require.NoError(t, err)
	assert.Equal(t, visited{"p0o0", "p0o1", "p0o2", "p2o2", "p2o3"}, got)
}

func TestScanStopsEarly(t *testing.T) {
	consumer := mocks.NewConsumer(t, nil)
	defer func() { require.NoError(t, consumer.Close()) }()
	yield(consumer.ExpectConsumePartition("tickets.dlq", 0, 0), "a", "b", "c")
	var got visited

	err := scan(context.Background(), consumer, "tickets.dlq", []partitionRange{{0, 0, 3}, {1, 0, 10}}, time.Minute,
		func(msg *sarama.ConsumerMessage) error {
			_ = got.visit(msg)
			if len(got) == 2 {
				return errStop
			}
			return nil
		})

	require.NoError(t, err, "errStop is not an error")
	assert.Equal(t, visited{"a", "b"}, got, "partition 1 is never opened")
}

func TestScanReturnsVisitError(t *testing.T) {
	consumer := mocks.NewConsumer(t, nil)
	defer func() { require.NoError(t, consumer.Close()) }()
	yield(consumer.ExpectConsumePartition("tickets.dlq", 0, 0), "a", "b")
	boom := errors.New("send failed")

	err := scan(context.Background(), consumer, "tickets.dlq", []partitionRange{{0, 0, 2}}, time.Minute,
		func(*sarama.ConsumerMessage) error { return boom })

	require.ErrorIs(t, err, boom)
}

func TestScanReturnsReadError(t *testing.T) {
	consumer := mocks.NewConsumer(t, nil)
	defer func() { require.NoError(t, consumer.Close()) }()
	consumer.ExpectConsumePartition("tickets.dlq", 0, 0).YieldError(sarama.ErrOffsetOutOfRange)

	err := scan(context.Background(), consumer, "tickets.dlq", []partitionRange{{0, 0, 2}}, time.Minute,
		func(*sarama.ConsumerMessage) error { return nil })

	require.ErrorIs(t, err, sarama.ErrOffsetOutOfRange)
	assert.Contains(t, err.Error(), "read tickets.dlq/0 at offset 0: ")
}

func TestScanFailsWhenAPartitionGoesQuiet(t *testing.T) {
	consumer := mocks.NewConsumer(t, nil)
	defer func() { require.NoError(t, consumer.Close()) }()
	yield(consumer.ExpectConsumePartition("tickets.dlq", 0, 0), "a")
	var got visited

	err := scan(context.Background(), consumer, "tickets.dlq", []partitionRange{{0, 0, 5}}, 50*time.Millisecond, got.visit)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing arrived for 50ms at offset 1, before the high watermark 5 seen at start")
	assert.Equal(t, visited{"a"}, got)
}

func TestScanEndsWithContext(t *testing.T) {
	consumer := mocks.NewConsumer(t, nil)
	defer func() { require.NoError(t, consumer.Close()) }()
	consumer.ExpectConsumePartition("tickets.dlq", 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := scan(ctx, consumer, "tickets.dlq", []partitionRange{{0, 0, 5}}, time.Hour,
		func(*sarama.ConsumerMessage) error { return nil })

	require.ErrorIs(t, err, context.Canceled)
}
