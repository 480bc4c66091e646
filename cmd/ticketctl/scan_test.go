package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
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

func (f fakeOffsets) LastStableOffset(_ string, partition int32) (int64, error) {
	return f.GetOffset("", partition, sarama.OffsetNewest)
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

// fakeTopic is a rangeReader over records held in memory, by partition;
// a partition without records fails with err, or stays quiet until ctx
// ends when err is nil.
type fakeTopic struct {
	records map[int32][]string // values from offset 0
	err     error
	opened  []int32
}

func (f *fakeTopic) read(ctx context.Context, _ string, partition int32, from, to int64, visit func(*sarama.ConsumerMessage) bool) error {
	f.opened = append(f.opened, partition)
	values, ok := f.records[partition]
	if !ok {
		if f.err != nil {
			return f.err
		}
		<-ctx.Done()
		return ctx.Err()
	}
	for o := from; o < to && o < int64(len(values)); o++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !visit(&sarama.ConsumerMessage{Partition: partition, Offset: o, Value: []byte(values[o])}) {
			return nil
		}
	}
	return nil
}

func TestScanStopsAtTheEndCapturedAtStart(t *testing.T) {
	// Partition 0 holds offsets 0-2 (3 is written later and must not be
	// visited), partition 1 is empty, partition 2 holds 2-3 after
	// retention removed 0-1.
	topic := &fakeTopic{records: map[int32][]string{
		0: {"p0o0", "p0o1", "p0o2", "p0o3-late"},
		2: {"gone", "gone", "p2o2", "p2o3"},
	}}
	ranges := []partitionRange{{0, 0, 3}, {1, 5, 5}, {2, 2, 4}}
	var got visited

	err := scan(context.Background(), topic.read, "tickets.dlq", ranges, time.Minute, got.visit)

	require.NoError(t, err)
	assert.Equal(t, visited{"p0o0", "p0o1", "p0o2", "p2o2", "p2o3"}, got)
	assert.Equal(t, []int32{0, 2}, topic.opened, "an empty range is not read")
}

func TestScanStopsEarly(t *testing.T) {
	topic := &fakeTopic{records: map[int32][]string{0: {"a", "b", "c"}, 1: {"d"}}}
	var got visited

	err := scan(context.Background(), topic.read, "tickets.dlq", []partitionRange{{0, 0, 3}, {1, 0, 1}}, time.Minute,
		func(msg *sarama.ConsumerMessage) error {
			_ = got.visit(msg)
			if len(got) == 2 {
				return errStop
			}
			return nil
		})

	require.NoError(t, err, "errStop is not an error")
	assert.Equal(t, visited{"a", "b"}, got)
	assert.Equal(t, []int32{0}, topic.opened, "partition 1 is never read")
}

func TestScanReturnsVisitError(t *testing.T) {
	topic := &fakeTopic{records: map[int32][]string{0: {"a", "b"}}}
	boom := errors.New("send failed")

	err := scan(context.Background(), topic.read, "tickets.dlq", []partitionRange{{0, 0, 2}}, time.Minute,
		func(*sarama.ConsumerMessage) error { return boom })

	require.ErrorIs(t, err, boom)
}

func TestScanReturnsReadError(t *testing.T) {
	topic := &fakeTopic{err: sarama.ErrOffsetOutOfRange}

	err := scan(context.Background(), topic.read, "tickets.dlq", []partitionRange{{0, 0, 2}}, time.Minute,
		func(*sarama.ConsumerMessage) error { return nil })

	require.ErrorIs(t, err, sarama.ErrOffsetOutOfRange)
	assert.Contains(t, err.Error(), "read tickets.dlq/0 at offset 0: ")
}

func TestScanFailsWhenAPartitionGoesQuiet(t *testing.T) {
	topic := &fakeTopic{records: map[int32][]string{}}
	var got visited

	err := scan(context.Background(), topic.read, "tickets.dlq", []partitionRange{{0, 0, 5}}, 50*time.Millisecond, got.visit)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "nothing arrived for 50ms at offset 0, before the last stable offset 5 seen at start")
	assert.Empty(t, got)
}

func TestScanEndsWithContext(t *testing.T) {
	topic := &fakeTopic{records: map[int32][]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := scan(ctx, topic.read, "tickets.dlq", []partitionRange{{0, 0, 5}}, time.Hour,
		func(*sarama.ConsumerMessage) error { return nil })

	require.ErrorIs(t, err, context.Canceled)
}
