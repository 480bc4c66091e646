package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"

	"ticket-processor/internal/kafka"
)

// errStop ends a scan early without an error, e.g. at --limit.
var errStop = errors.New("stop scanning")

// offsetSource answers the metadata questions a scan asks before it reads;
// clientOffsets implements it on a sarama.Client.
type offsetSource interface {
	Partitions(topic string) ([]int32, error)
	GetOffset(topic string, partition int32, time int64) (int64, error)
	LastStableOffset(topic string, partition int32) (int64, error)
}

// clientOffsets is an offsetSource on a client.
type clientOffsets struct{ sarama.Client }

// LastStableOffset asks the partition's leader.
func (c clientOffsets) LastStableOffset(topic string, partition int32) (int64, error) {
	return kafka.LastStableOffset(c.Client, topic, partition)
}

// rangeReader hands visit the committed records of a partition from offset
// from up to to, until visit returns false; kafka.ScanCommitted is one.
type rangeReader func(ctx context.Context, topic string, partition int32, from, to int64, visit func(*sarama.ConsumerMessage) bool) error

// partitionRange is the part of one partition a scan reads: offsets from
// oldest up to, not including, end (the last stable offset at start).
type partitionRange struct {
	partition int32
	oldest    int64
	end       int64
}

// captureRanges fixes, before anything is read, which records of topic a
// scan will visit: every partition from its oldest offset to its current
// last stable offset, below which every transaction is decided. Records
// written later are not visited, so a scan ends.
func captureRanges(src offsetSource, topic string) ([]partitionRange, error) {
	partitions, err := src.Partitions(topic)
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	ranges := make([]partitionRange, 0, len(partitions))
	for _, p := range partitions {
		oldest, err := src.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, fmt.Errorf("oldest offset of %s/%d: %w", topic, p, err)
		}
		end, err := src.LastStableOffset(topic, p)
		if err != nil {
			return nil, fmt.Errorf("last stable offset of %s/%d: %w", topic, p, err)
		}
		ranges = append(ranges, partitionRange{partition: p, oldest: oldest, end: end})
	}
	return ranges, nil
}

// scan reads the ranges of topic one partition after the other, in
// partition order, and calls visit for each committed record: records of
// aborted transactions (a dead letter the consumer wrote in a transaction
// it then aborted) are never seen. It returns visit's error (nil for
// errStop), ctx's error, a read error, or an error when a partition
// delivers nothing for idle before its range is done.
func scan(ctx context.Context, read rangeReader, topic string, ranges []partitionRange, idle time.Duration,
	visit func(*sarama.ConsumerMessage) error,
) error {
	for _, r := range ranges {
		if r.oldest >= r.end {
			continue
		}
		err := scanPartition(ctx, read, topic, r, idle, visit)
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func scanPartition(ctx context.Context, read rangeReader, topic string, r partitionRange, idle time.Duration,
	visit func(*sarama.ConsumerMessage) error,
) error {
	// A watchdog ends the read when nothing arrives for idle.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := r.oldest
	quiet := func() error {
		return fmt.Errorf("read %s/%d: nothing arrived for %s at offset %d, before the last stable offset %d seen at start (raise --idle-timeout if the brokers are slow)",
			topic, r.partition, idle, next, r.end)
	}
	timer := time.AfterFunc(idle, func() { cancel(errQuiet) })
	defer timer.Stop()

	var visitErr error
	err := read(ctx, topic, r.partition, r.oldest, r.end, func(msg *sarama.ConsumerMessage) bool {
		timer.Stop() // the visit's own time (a replay's send) is not idleness
		if visitErr = visit(msg); visitErr != nil {
			return false
		}
		next = msg.Offset + 1
		timer.Reset(idle)
		return true
	})
	switch {
	case visitErr != nil:
		return visitErr
	case errors.Is(context.Cause(ctx), errQuiet):
		return quiet()
	case err != nil:
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("read %s/%d at offset %d: %w", topic, r.partition, next, err)
	}
	return nil
}

// errQuiet is the cause of a read ended by its idle watchdog.
var errQuiet = errors.New("partition quiet")
