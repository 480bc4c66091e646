package kafka

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/IBM/sarama"
)

// clockSkew widens the search for a record whose timestamp the broker may
// have set itself (a topic with message.timestamp.type=LogAppendTime), in
// case the broker's clock runs behind this host's. With the default
// CreateTime the record carries the client's own timestamp exactly.
const clockSkew = time.Second

// Finder reports which of msgs their topics already hold. NewFinder
// returns one; tests put in their own.
type Finder func(ctx context.Context, msgs []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error)

// findTimeout bounds one search; a caller that gets the timeout error
// asks again after its backoff.
const findTimeout = 30 * time.Second

// NewFinder returns a Finder that runs FindWritten through client, each
// search bounded by 30 s.
func NewFinder(client sarama.Client) Finder {
	return func(ctx context.Context, msgs []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error) {
		ctx, cancel := context.WithTimeout(ctx, findTimeout)
		defer cancel()
		return FindWritten(ctx, client, msgs)
	}
}

// FindWritten reports which of msgs are already in their topic, as
// records with the same key and value. It answers the question a send
// failure leaves open: a request may have been written by the broker even
// though its answer never arrived (the connection dropped, the broker
// stopped). The idempotent producer dedupes such a resend only while it
// keeps its epoch; once sarama gives up on a message it bumps the epoch,
// and a blind resend would then duplicate the record.
//
// Every message must carry the timestamp it was sent with (Timestamp set
// before its first send, unchanged since) and a key: FindWritten looks in
// the partition that the murmur2 partitioner gives the key, from the
// offset of that timestamp (less clockSkew) up to the high watermark, so
// the search covers only what was written since the message was first
// sent. Records are compared by key, value and headers, byte for byte, so
// a message must encode the same way every time, and two messages meant as
// distinct records must differ in one of them.
//
// It reads up to the high watermark only: a record that a broker wrote but
// had not replicated when it failed can surface later, and is not found.
func FindWritten(ctx context.Context, client sarama.Client, msgs []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error) {
	byPartition := map[string]map[int32][]*sarama.ProducerMessage{}
	for _, m := range msgs {
		if m.Key == nil || m.Timestamp.IsZero() {
			return nil, fmt.Errorf("find written: message to %s has no key or no timestamp", m.Topic)
		}
		key, err := m.Key.Encode()
		if err != nil {
			return nil, fmt.Errorf("find written: encode key: %w", err)
		}
		if byPartition[m.Topic] == nil {
			byPartition[m.Topic] = map[int32][]*sarama.ProducerMessage{}
		}
		// The client caches the partition list, so this asks the broker
		// once per topic at most.
		partitions, err := client.Partitions(m.Topic)
		if err != nil {
			return nil, fmt.Errorf("find written: partitions of %s: %w", m.Topic, err)
		}
		p := PartitionFor(key, int32(len(partitions)))
		byPartition[m.Topic][p] = append(byPartition[m.Topic][p], m)
	}

	found := make(map[*sarama.ProducerMessage]bool, len(msgs))
	for topic, partitions := range byPartition {
		for p, pending := range partitions {
			if err := findInPartition(ctx, client, topic, p, pending, found); err != nil {
				return nil, fmt.Errorf("find written in %s/%d: %w", topic, p, err)
			}
		}
	}
	return found, nil
}

// findInPartition marks in found the messages of pending that partition p
// of topic holds.
func findInPartition(ctx context.Context, client sarama.Client, topic string, p int32, pending []*sarama.ProducerMessage, found map[*sarama.ProducerMessage]bool,
) error {
	earliest := pending[0].Timestamp
	wanted := make([]wantedRecord, len(pending))
	for i, m := range pending {
		if m.Timestamp.Before(earliest) {
			earliest = m.Timestamp
		}
		key, _ := m.Key.Encode() // encoded once already by the caller
		wanted[i] = wantedRecord{key: key, headers: m.Headers}
		if m.Value != nil {
			v, err := m.Value.Encode()
			if err != nil {
				return fmt.Errorf("encode value: %w", err)
			}
			wanted[i].value = v
		}
	}

	// The offset of the first record stamped at or after earliest; -1 when
	// there is none, so nothing of pending can be there.
	from, err := client.GetOffset(topic, p, earliest.Add(-clockSkew).UnixMilli())
	if err != nil {
		return err
	}
	to, err := client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		return err
	}
	if from < 0 || from >= to {
		return nil
	}

	return scan(ctx, client, topic, p, from, to, sarama.ReadUncommitted, func(r *sarama.ConsumerMessage) bool {
		for i, w := range wanted {
			if !found[pending[i]] && w.matches(r) {
				found[pending[i]] = true
			}
		}
		return true
	})
}

// wantedRecord is a message in the form a search compares.
type wantedRecord struct {
	key, value []byte
	headers    []sarama.RecordHeader
}

// matches reports whether r has w's key, value and headers.
func (w wantedRecord) matches(r *sarama.ConsumerMessage) bool {
	if !bytes.Equal(r.Key, w.key) || !bytes.Equal(r.Value, w.value) || len(r.Headers) != len(w.headers) {
		return false
	}
	for i, h := range r.Headers {
		if h == nil || !bytes.Equal(h.Key, w.headers[i].Key) || !bytes.Equal(h.Value, w.headers[i].Value) {
			return false
		}
	}
	return true
}
