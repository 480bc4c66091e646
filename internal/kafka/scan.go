package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/IBM/sarama"
)

// scanPartitionBytes is how much of one partition a scan asks for at a
// time. The broker returns a record batch larger than this whole, so it
// bounds the reply's size, not the largest record a scan can read.
const scanPartitionBytes = 1 << 20

// scan hands visit the records of topic's partition from offset from up
// to, not including, offset to, in order, until visit returns false.
//
// It sends its own fetch requests, one after the other, each answered at
// once (no wait for new data). sarama's consumer is made for tailing a
// partition: after the last record it asks again and the broker holds that
// request for Consumer.MaxWaitTime, and closing the consumer waits for the
// answer. A look back at a bounded range (FindWritten, ReadRecord) would
// pay that wait each time, on a connection it shares with the client's
// produce requests: forty tickets each searching after an outage held
// every send back for twenty seconds.
//
// Under read_committed the records of aborted transactions are left out,
// and to must not lie above the last stable offset (LastStableOffset),
// which is as far as such a read can go.
//
// A failure of the connection closes it and refreshes the topic's
// metadata, so that the caller's next try goes to the leader afresh.
func scan(ctx context.Context, client sarama.Client, topic string, partition int32, from, to int64,
	isolation sarama.IsolationLevel, visit func(*sarama.ConsumerMessage) bool,
) error {
	version := int16(4) // the oldest fetch a Kafka 4 broker answers; record batches, isolation level
	if client.Config().Version.IsAtLeast(sarama.V2_1_0_0) {
		version = 10 // zstd
	}
	for from < to {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read offsets %d-%d: %w", from, to-1, context.Cause(ctx))
		}
		broker, err := client.Leader(topic, partition)
		if err != nil {
			return err
		}
		req := &sarama.FetchRequest{Version: version, MinBytes: 1, MaxBytes: scanPartitionBytes, Isolation: isolation}
		if version >= 7 {
			req.SessionEpoch = -1 // no fetch session
		}
		req.AddBlock(topic, partition, from, scanPartitionBytes, -1)
		resp, err := broker.Fetch(req)
		if err != nil {
			_ = broker.Close()
			_ = client.RefreshMetadata(topic)
			return err
		}
		block := resp.GetBlock(topic, partition)
		if block == nil {
			return fmt.Errorf("fetch %s/%d@%d: the broker answered for another partition", topic, partition, from)
		}
		if !errors.Is(block.Err, sarama.ErrNoError) {
			if retriableLeaderError(block.Err) {
				_ = client.RefreshMetadata(topic)
			}
			return fmt.Errorf("fetch %s/%d@%d: %w", topic, partition, from, block.Err)
		}
		next, more, err := visitBlock(block, topic, partition, from, to, abortedFilter(isolation, block), visit)
		if err != nil || !more {
			return err
		}
		if next == from {
			return fmt.Errorf("fetch %s/%d@%d: no record returned below offset %d", topic, partition, from, to)
		}
		from = next
	}
	return nil
}

// visitBlock hands visit the records of block at or above from and below
// to. It returns the offset to fetch next, and whether to go on.
func visitBlock(block *sarama.FetchResponseBlock, topic string, partition int32, from, to int64,
	aborted *abortedTransactions, visit func(*sarama.ConsumerMessage) bool,
) (next int64, more bool, err error) {
	next = from
	for _, set := range block.RecordsSet {
		b := set.RecordBatch
		if b == nil {
			return next, false, fmt.Errorf("fetch %s/%d@%d: a message set of the legacy format", topic, partition, from)
		}
		if b.PartialTrailingRecord {
			break // cut off by the size limit; fetched again from next
		}
		if aborted.skip(b) {
			next = max(next, b.LastOffset()+1)
			continue
		}
		for _, r := range b.Records {
			offset := b.FirstOffset + r.OffsetDelta
			if offset < next || b.Control {
				continue // before from (a batch is returned whole), or a transaction marker
			}
			if offset >= to {
				return offset, false, nil
			}
			ts := b.FirstTimestamp.Add(r.TimestampDelta)
			if b.LogAppendTime {
				ts = b.MaxTimestamp
			}
			msg := &sarama.ConsumerMessage{
				Topic: topic, Partition: partition, Offset: offset,
				Key: r.Key, Value: r.Value, Headers: r.Headers, Timestamp: ts, BlockTimestamp: b.MaxTimestamp,
			}
			if !visit(msg) {
				return offset + 1, false, nil
			}
			next = offset + 1
		}
		next = max(next, b.FirstOffset+int64(b.LastOffsetDelta)+1)
	}
	return next, next < to, nil
}

// retriableLeaderError reports whether err means the client asked a broker
// that no longer leads the partition, so that new metadata will help.
func retriableLeaderError(err error) bool {
	return errors.Is(err, sarama.ErrNotLeaderForPartition) || errors.Is(err, sarama.ErrLeaderNotAvailable) ||
		errors.Is(err, sarama.ErrUnknownTopicOrPartition) || errors.Is(err, sarama.ErrFencedLeaderEpoch) ||
		errors.Is(err, sarama.ErrUnknownLeaderEpoch) || errors.Is(err, sarama.ErrReplicaNotAvailable)
}

// abortedTransactions leaves out, under read_committed, the batches of
// the transactions a fetch answer names as aborted: from each one's first
// offset, a batch of its producer belongs to it up to the producer's abort
// marker.
type abortedTransactions struct {
	pending []*sarama.AbortedTransaction // by first offset, not yet reached
	open    map[int64]bool               // producers inside an aborted transaction
}

// abortedFilter returns the filter for block, or nil (nothing left out)
// under read_uncommitted.
func abortedFilter(isolation sarama.IsolationLevel, block *sarama.FetchResponseBlock) *abortedTransactions {
	if isolation != sarama.ReadCommitted || len(block.AbortedTransactions) == 0 {
		return nil
	}
	pending := slices.Clone(block.AbortedTransactions)
	slices.SortFunc(pending, func(a, b *sarama.AbortedTransaction) int { return cmp.Compare(a.FirstOffset, b.FirstOffset) })
	return &abortedTransactions{pending: pending, open: map[int64]bool{}}
}

// skip reports whether batch b belongs to an aborted transaction, or is
// the marker that ends one.
func (a *abortedTransactions) skip(b *sarama.RecordBatch) bool {
	if a == nil {
		return false
	}
	for len(a.pending) > 0 && a.pending[0].FirstOffset <= b.LastOffset() {
		a.open[a.pending[0].ProducerID] = true
		a.pending = a.pending[1:]
	}
	if !a.open[b.ProducerID] {
		return false
	}
	if b.Control {
		delete(a.open, b.ProducerID) // the abort marker: the transaction ends
		return true
	}
	return b.IsTransactional
}

// LastStableOffset returns the last stable offset of topic's partition:
// every offset below it is committed, aborted or not transactional, so a
// read_committed read can go up to it and no further while a transaction
// is open.
func LastStableOffset(client sarama.Client, topic string, partition int32) (int64, error) {
	broker, err := client.Leader(topic, partition)
	if err != nil {
		return 0, err
	}
	req := sarama.NewOffsetRequest(client.Config().Version)
	req.IsolationLevel = sarama.ReadCommitted
	req.AddBlock(topic, partition, sarama.OffsetNewest, 1)
	resp, err := broker.GetAvailableOffsets(req)
	if err != nil {
		_ = broker.Close()
		return 0, err
	}
	block := resp.GetBlock(topic, partition)
	switch {
	case block == nil:
		return 0, sarama.ErrIncompleteResponse
	case !errors.Is(block.Err, sarama.ErrNoError):
		return 0, block.Err
	case block.Offset >= 0:
		return block.Offset, nil
	case len(block.Offsets) == 1:
		return block.Offsets[0], nil
	}
	return 0, sarama.ErrIncompleteResponse
}

// ScanCommitted hands visit the committed records of topic's partition
// from offset from up to, not including, to, in order, until visit returns
// false: read_committed, so records of aborted transactions are left out.
// to must not lie above LastStableOffset. Like every look back here, its
// fetches never wait for new records.
func ScanCommitted(ctx context.Context, client sarama.Client, topic string, partition int32, from, to int64,
	visit func(*sarama.ConsumerMessage) bool,
) error {
	return scan(ctx, client, topic, partition, from, to, sarama.ReadCommitted, visit)
}
