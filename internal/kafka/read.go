package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// ErrNoRecord means a partition holds no record at the offset asked for:
// it was deleted by retention or compaction, was a transaction marker, or
// was never written.
var ErrNoRecord = errors.New("no record at that offset")

// RecordReader returns the record at one offset of a partition, or an
// error matching ErrNoRecord when there is none. NewRecordReader returns
// one; tests put in their own.
type RecordReader func(ctx context.Context, topic string, partition int32, offset int64) (*sarama.ConsumerMessage, error)

// readTimeout bounds one read; a caller that gets the timeout error asks
// again after its backoff.
const readTimeout = 30 * time.Second

// NewRecordReader returns a RecordReader that reads through client, each
// read bounded by 30 s.
func NewRecordReader(client sarama.Client) RecordReader {
	return func(ctx context.Context, topic string, partition int32, offset int64) (*sarama.ConsumerMessage, error) {
		ctx, cancel := context.WithTimeout(ctx, readTimeout)
		defer cancel()
		return ReadRecord(ctx, client, topic, partition, offset)
	}
}

// ReadRecord returns the record at offset of topic's partition. It is for
// the rare look back at one record (checking what a replayed ticket claims
// to copy), not for consuming.
func ReadRecord(ctx context.Context, client sarama.Client, topic string, partition int32, offset int64) (*sarama.ConsumerMessage, error) {
	oldest, err := client.GetOffset(topic, partition, sarama.OffsetOldest)
	if err != nil {
		return nil, fmt.Errorf("read %s/%d@%d: %w", topic, partition, offset, err)
	}
	newest, err := client.GetOffset(topic, partition, sarama.OffsetNewest)
	if err != nil {
		return nil, fmt.Errorf("read %s/%d@%d: %w", topic, partition, offset, err)
	}
	if offset < oldest || offset >= newest {
		return nil, fmt.Errorf("read %s/%d@%d: %w (the partition holds %d to %d)",
			topic, partition, offset, ErrNoRecord, oldest, newest-1)
	}
	var r *sarama.ConsumerMessage
	err = scan(ctx, client, topic, partition, offset, newest, sarama.ReadUncommitted, func(m *sarama.ConsumerMessage) bool {
		r = m
		return false
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("read %s/%d@%d: %w", topic, partition, offset, err)
	case r == nil:
		return nil, fmt.Errorf("read %s/%d@%d: %w (no record from there to %d)", topic, partition, offset, ErrNoRecord, newest-1)
	case r.Offset != offset:
		// The first record at or after offset: another offset means the
		// one asked for is gone (compacted, or a transaction marker).
		return nil, fmt.Errorf("read %s/%d@%d: %w (next record at %d)", topic, partition, offset, ErrNoRecord, r.Offset)
	}
	return r, nil
}
