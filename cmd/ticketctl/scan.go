package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// errStop ends a scan early without an error, e.g. at --limit.
var errStop = errors.New("stop scanning")

// offsetSource answers the metadata questions a scan asks before it reads;
// sarama.Client implements it.
type offsetSource interface {
	Partitions(topic string) ([]int32, error)
	GetOffset(topic string, partition int32, time int64) (int64, error)
}

// partitionRange is the part of one partition a scan reads: offsets from
// oldest up to, not including, end (the high watermark at start).
type partitionRange struct {
	partition int32
	oldest    int64
	end       int64
}

// captureRanges fixes, before anything is read, which records of topic a
// scan will visit: every partition from its oldest offset to its current
// high watermark. Records written later are not visited, so a scan ends.
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
		end, err := src.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, fmt.Errorf("high watermark of %s/%d: %w", topic, p, err)
		}
		ranges = append(ranges, partitionRange{partition: p, oldest: oldest, end: end})
	}
	return ranges, nil
}

// scan reads the ranges of topic one partition after the other, in
// partition order, and calls visit for each record. It returns visit's
// error (nil for errStop), ctx's error, a read error, or an error when a
// partition delivers nothing for idle before its range is done.
func scan(ctx context.Context, consumer sarama.Consumer, topic string, ranges []partitionRange, idle time.Duration,
	visit func(*sarama.ConsumerMessage) error,
) error {
	for _, r := range ranges {
		if r.oldest >= r.end {
			continue
		}
		err := scanPartition(ctx, consumer, topic, r, idle, visit)
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func scanPartition(ctx context.Context, consumer sarama.Consumer, topic string, r partitionRange, idle time.Duration,
	visit func(*sarama.ConsumerMessage) error,
) error {
	pc, err := consumer.ConsumePartition(topic, r.partition, r.oldest)
	if err != nil {
		return fmt.Errorf("read %s/%d from offset %d: %w", topic, r.partition, r.oldest, err)
	}
	// Close drains the channels; an error it reports came after the last
	// record this scan needed, so it does not change the outcome.
	defer func() { _ = pc.Close() }()

	timer := time.NewTimer(idle)
	defer timer.Stop()
	next := r.oldest
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case cerr, ok := <-pc.Errors():
			if !ok {
				return fmt.Errorf("read %s/%d: partition consumer closed at offset %d", topic, r.partition, next)
			}
			return fmt.Errorf("read %s/%d at offset %d: %w", topic, r.partition, next, cerr.Err)
		case msg, ok := <-pc.Messages():
			if !ok {
				return fmt.Errorf("read %s/%d: partition consumer closed at offset %d", topic, r.partition, next)
			}
			if msg.Offset >= r.end {
				return nil
			}
			if err := visit(msg); err != nil {
				return err
			}
			next = msg.Offset + 1
			if next >= r.end {
				return nil
			}
			timer.Reset(idle)
		case <-timer.C:
			return fmt.Errorf("read %s/%d: nothing arrived for %s at offset %d, before the high watermark %d seen at start (raise --idle-timeout if the brokers are slow)",
				topic, r.partition, idle, next, r.end)
		}
	}
}
