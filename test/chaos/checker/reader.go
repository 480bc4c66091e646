package checker

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/IBM/sarama"
)

// NewConfig returns the sarama configuration the reader needs: Kafka 4.0
// protocol versions, read_committed isolation, and network timeouts short
// enough that a dead broker cannot outlast the caller's deadline by much.
func NewConfig(clientID string) (*sarama.Config, error) {
	c := sarama.NewConfig()
	c.ClientID = clientID
	c.Version = sarama.V4_0_0_0
	c.Consumer.IsolationLevel = sarama.ReadCommitted
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 10 * time.Second
	c.Net.WriteTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 5
	// A checker reads; it must never create a topic by asking about it.
	c.Metadata.AllowAutoTopicCreation = false
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("sarama config: %w", err)
	}
	return c, nil
}

// Topic is one topic read whole.
type Topic struct {
	Name string `json:"name"`
	// Ends are the partitions' bounds, captured before reading began.
	Ends []PartitionEnd `json:"ends"`
	// Records are the committed records between those bounds, partition by
	// partition in offset order, without control records.
	Records []Record `json:"-"`
}

// PartitionEnd is one partition's bounds when the reader captured them.
type PartitionEnd struct {
	Partition int32 `json:"partition"`
	// LogStart is the first offset the partition still holds; reading
	// starts there.
	LogStart int64 `json:"log_start"`
	// End is the last stable offset: every offset below it is committed,
	// aborted or not transactional. Reading stops there.
	End int64 `json:"end"`
	// HighWatermark is the high watermark. Offsets from End up to it belong
	// to a transaction that was open, and are not read.
	HighWatermark int64 `json:"high_watermark"`
}

// Undecided returns how many offsets of t were left unread because their
// transaction was still open when the ends were captured.
func (t Topic) Undecided() int64 {
	var n int64
	for _, e := range t.Ends {
		n += e.HighWatermark - e.End
	}
	return n
}

// ReadTopics captures the ends of every named topic, in the order given,
// and only then reads each topic from its log start to those ends, under
// read_committed. The context bounds the whole of it, though a request
// already sent may outlast it by up to the client's network timeouts. The
// client must have been built from [NewConfig] or something like it
// (version 0.11 or later).
func ReadTopics(ctx context.Context, client sarama.Client, names ...string) ([]Topic, error) {
	topics := make([]Topic, len(names))
	for i, name := range names {
		ends, err := captureEnds(ctx, client, name)
		if err != nil {
			return nil, err
		}
		topics[i] = Topic{Name: name, Ends: ends}
	}
	for i := range topics {
		for _, end := range topics[i].Ends {
			records, err := readPartition(ctx, client, topics[i].Name, end)
			if err != nil {
				return nil, err
			}
			topics[i].Records = append(topics[i].Records, records...)
		}
	}
	return topics, nil
}

// captureEnds asks each partition's leader for its log start, last stable
// offset and high watermark.
func captureEnds(ctx context.Context, client sarama.Client, topic string) ([]PartitionEnd, error) {
	var partitions []int32
	err := retry(ctx, client, topic, func() error {
		var err error
		partitions, err = client.Partitions(topic)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	slices.Sort(partitions)
	ends := make([]PartitionEnd, 0, len(partitions))
	for _, p := range partitions {
		end := PartitionEnd{Partition: p}
		for _, q := range []struct {
			into      *int64
			timestamp int64
			isolation sarama.IsolationLevel
		}{
			{&end.LogStart, sarama.OffsetOldest, sarama.ReadUncommitted},
			{&end.HighWatermark, sarama.OffsetNewest, sarama.ReadUncommitted},
			{&end.End, sarama.OffsetNewest, sarama.ReadCommitted},
		} {
			err := retry(ctx, client, topic, func() error {
				var err error
				*q.into, err = listOffset(client, topic, p, q.timestamp, q.isolation)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("offsets of %s/%d: %w", topic, p, err)
			}
		}
		ends = append(ends, end)
	}
	return ends, nil
}

// listOffset sends one ListOffsets request. sarama's Client.GetOffset
// cannot ask for the last stable offset: it sends no isolation level.
func listOffset(client sarama.Client, topic string, partition int32, timestamp int64, isolation sarama.IsolationLevel) (int64, error) {
	leader, err := client.Leader(topic, partition)
	if err != nil {
		return 0, err
	}
	req := sarama.NewOffsetRequest(client.Config().Version)
	req.IsolationLevel = isolation
	req.AddBlock(topic, partition, timestamp, 1)
	resp, err := leader.GetAvailableOffsets(req)
	if err != nil {
		_ = leader.Close() // the client opens it afresh on the next try
		return 0, err
	}
	block := resp.GetBlock(topic, partition)
	switch {
	case block == nil:
		return 0, sarama.ErrIncompleteResponse
	case !errors.Is(block.Err, sarama.ErrNoError):
		return 0, block.Err
	case len(block.Offsets) != 1:
		return 0, sarama.ErrIncompleteResponse
	}
	return block.Offsets[0], nil
}

// Fetch sizes: a response starts at fetchBytes per partition and doubles,
// up to maxFetchBytes, while a batch does not fit.
const (
	fetchBytes    = 4 << 20
	maxFetchBytes = 256 << 20
	fetchWait     = 500 * time.Millisecond
)

// readPartition fetches one partition from end.LogStart to end.End.
//
// It fetches by hand, rather than through sarama's partition consumer,
// to know its position: a partition can end in an abort marker or in an
// aborted transaction, which yield no record, and only the position says
// that the end was reached. Aborted records are dropped as Kafka's own
// consumer does: the fetch response lists the aborted transactions, a
// producer's transactional batches are dropped from the first offset of
// its aborted transaction up to its abort marker, and control batches are
// never returned.
func readPartition(ctx context.Context, client sarama.Client, topic string, end PartitionEnd) ([]Record, error) {
	var records []Record
	pos := end.LogStart
	size := int32(fetchBytes)
	for pos < end.End {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read %s/%d at offset %d of %d: %w", topic, end.Partition, pos, end.End, err)
		}
		var block *sarama.FetchResponseBlock
		err := retry(ctx, client, topic, func() error {
			var err error
			block, err = fetch(client, topic, end.Partition, pos, size)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("fetch %s/%d at offset %d: %w", topic, end.Partition, pos, err)
		}
		got, next, cut, err := decodeBlock(topic, end.Partition, block, pos, end.End)
		if err != nil {
			return nil, fmt.Errorf("decode %s/%d at offset %d: %w", topic, end.Partition, pos, err)
		}
		records = append(records, got...)
		if cut && next == pos {
			size = min(2*size, maxFetchBytes) // the next batch did not fit
		}
		pos = next
	}
	return records, nil
}

// fetch sends one read_committed Fetch request for a partition.
func fetch(client sarama.Client, topic string, partition int32, offset int64, size int32) (*sarama.FetchResponseBlock, error) {
	leader, err := client.Leader(topic, partition)
	if err != nil {
		return nil, err
	}
	req := &sarama.FetchRequest{
		// Version 12 is the last that names topics rather than topic ids.
		Version:     12,
		MaxWaitTime: int32(fetchWait / time.Millisecond),
		MinBytes:    1,
		MaxBytes:    size,
		Isolation:   sarama.ReadCommitted,
		// A final epoch asks for a plain fetch, without a fetch session.
		SessionEpoch: -1,
	}
	req.AddBlock(topic, partition, offset, size, -1)
	resp, err := leader.Fetch(req)
	if err != nil {
		_ = leader.Close() // the client opens it afresh on the next try
		return nil, err
	}
	block := resp.GetBlock(topic, partition)
	switch {
	case block == nil:
		return nil, sarama.ErrIncompleteResponse
	case !errors.Is(block.Err, sarama.ErrNoError):
		return nil, block.Err
	}
	return block, nil
}

// errLegacyRecords is returned for a partition in the message format of
// Kafka before 0.11, which cannot hold transactions.
var errLegacyRecords = errors.New("legacy message format")

// decodeBlock returns the committed records of a fetch response from pos
// up to end, the offset to fetch next, and whether the size limit cut a
// batch short.
func decodeBlock(topic string, partition int32, block *sarama.FetchResponseBlock, pos, end int64) (records []Record, next int64, cut bool, err error) {
	aborted := slices.Clone(block.AbortedTransactions)
	slices.SortFunc(aborted, func(a, b *sarama.AbortedTransaction) int { return cmp.Compare(a.FirstOffset, b.FirstOffset) })
	abortedProducers := make(map[int64]bool)

	next, cut = pos, block.Partial
	for _, set := range block.RecordsSet {
		batch := set.RecordBatch
		if batch == nil {
			if set.MsgSet != nil {
				return nil, pos, false, errLegacyRecords
			}
			continue
		}
		if batch.PartialTrailingRecord {
			cut = true // fetched again from here, with more room
			break
		}
		if batch.LastOffset() < next {
			continue
		}
		for len(aborted) > 0 && aborted[0].FirstOffset <= batch.LastOffset() {
			abortedProducers[aborted[0].ProducerID] = true
			aborted = aborted[1:]
		}
		switch {
		case batch.Control:
			if isAbortMarker(batch) {
				delete(abortedProducers, batch.ProducerID)
			}
		case batch.IsTransactional && abortedProducers[batch.ProducerID]:
			// A record of an aborted transaction.
		default:
			for _, rec := range batch.Records {
				offset := batch.FirstOffset + rec.OffsetDelta
				if offset < pos || offset >= end {
					continue
				}
				records = append(records, toRecord(topic, partition, offset, batch, rec))
			}
		}
		next = batch.LastOffset() + 1
	}
	return records, next, cut, nil
}

// isAbortMarker reports whether a control batch ends a transaction by
// aborting it: its record's key is a version and a type, both int16, and
// type 0 is abort (1 is commit).
func isAbortMarker(batch *sarama.RecordBatch) bool {
	if len(batch.Records) == 0 {
		return false
	}
	key := batch.Records[0].Key
	return len(key) >= 4 && binary.BigEndian.Uint16(key[2:4]) == 0
}

func toRecord(topic string, partition int32, offset int64, batch *sarama.RecordBatch, rec *sarama.Record) Record {
	ts := batch.FirstTimestamp.Add(rec.TimestampDelta)
	if batch.LogAppendTime {
		ts = batch.MaxTimestamp
	}
	var headers []Header
	for _, h := range rec.Headers {
		if h != nil {
			headers = append(headers, Header{Key: string(h.Key), Value: string(h.Value)})
		}
	}
	return Record{
		Topic:     topic,
		Partition: partition,
		Offset:    offset,
		Key:       rec.Key,
		Value:     rec.Value,
		Headers:   headers,
		Timestamp: ts,
	}
}

// retryTries bounds the attempts of one request; the caller's context
// bounds their time.
const retryTries = 8

// retry runs op until it succeeds, fails in a way a retry cannot help, has
// been tried retryTries times, or ctx ends, refreshing the topic's metadata
// between tries (a leader may have moved). The checker shares nothing with
// the pipeline, its retry package included, so it waits here itself.
func retry(ctx context.Context, client sarama.Client, topic string, op func() error) error {
	pause := 100 * time.Millisecond
	for try := 1; ; try++ {
		err := op()
		if err == nil || try == retryTries || !retriable(err) {
			return err
		}
		_ = client.RefreshMetadata(topic)
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-timer.C:
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// retriable reports whether err may go away: a Kafka error about leaders,
// availability or timing, or any error that is not Kafka's (the network).
// An unknown topic is not retried: the checker runs on topics a run has
// written, so a missing one is a wrong name.
func retriable(err error) bool {
	var kerr sarama.KError
	if !errors.As(err, &kerr) {
		return true
	}
	switch kerr {
	case sarama.ErrLeaderNotAvailable, sarama.ErrNotLeaderForPartition,
		sarama.ErrRequestTimedOut, sarama.ErrBrokerNotAvailable, sarama.ErrReplicaNotAvailable,
		sarama.ErrNetworkException, sarama.ErrKafkaStorageError, sarama.ErrFencedLeaderEpoch,
		sarama.ErrUnknownLeaderEpoch, sarama.ErrOffsetNotAvailable, sarama.ErrNotEnoughReplicas:
		return true
	default:
		return false
	}
}
