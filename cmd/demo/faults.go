package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/models"
	"ticket-processor/internal/producer"
)

// The demo's faults come in two kinds, both set by --fail-rate:
//
//   - flakyStep is the consumer's business step. It fails the first one or
//     two attempts of a share of the tickets with a transient error, and
//     always lets them through before the retry budget is spent, so
//     retries show and no good ticket is lost or reordered.
//   - badRecords writes records the consumer must dead-letter (malformed
//     JSON, an invalid field, an unknown schema version) into the tickets
//     topic, under keys of their own, so that they are no part of any
//     order's sequence.

// errSimulated is the transient failure flakyStep returns.
var errSimulated = errors.New("simulated transient failure")

// flakyStep fails the first attempts of a share of the tickets. Which
// tickets fail, and how often, follows from a hash of the ticket id, so it
// does not depend on the order of processing.
type flakyStep struct {
	rate     float64 // share of tickets that fail at first, 0 to 1
	maxFails int     // most failures of one ticket; below the retry budget

	mu     sync.Mutex
	failed map[string]int // ticket id → failures so far, until it succeeds
}

// newFlakyStep returns a step failing a share rate of the tickets at most
// attempts-1 times each (and at most twice), so that every ticket succeeds
// within attempts.
func newFlakyStep(rate float64, attempts int) *flakyStep {
	return &flakyStep{rate: rate, maxFails: min(2, attempts-1), failed: make(map[string]int)}
}

// Process fails with errSimulated while the ticket has planned failures
// left, and accepts it afterwards.
func (f *flakyStep) Process(_ context.Context, t models.Ticket) error {
	planned := f.plannedFailures(t.TicketID)
	if planned == 0 {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.failed[t.TicketID]
	if n < planned {
		f.failed[t.TicketID] = n + 1
		return fmt.Errorf("ticket %s, failure %d of %d: %w", t.TicketID, n+1, planned, errSimulated)
	}
	delete(f.failed, t.TicketID)
	return nil
}

// plannedFailures returns how many times the ticket fails before it
// succeeds: 0 for most, 1 to maxFails for a share rate of them.
func (f *flakyStep) plannedFailures(ticketID string) int {
	if f.maxFails < 1 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(ticketID)) // a hash.Hash never fails to write
	sum := mix(h.Sum64())
	if float64(sum>>11)/(1<<53) >= f.rate {
		return 0
	}
	return 1 + int(sum%uint64(f.maxFails))
}

// mix spreads the bits of an FNV hash, whose high bits change little
// between ids that differ only at the end (murmur3's finaliser).
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Kinds of bad record, named after the dead-letter reason each one gets.
var badRecordKinds = []failure.Reason{failure.Malformed, failure.InvalidField, failure.UnknownSchema}

// badRecords mixes records that the consumer must dead-letter into the
// tickets topic: rate of them per generated ticket. It wraps the
// generator as the producer's Source, so the mix follows the tickets
// actually generated at any --rate, and writes the bad records itself,
// through the producer's SyncProducer, as separate sends.
type badRecords struct {
	producer.Source // the generator

	topic string
	rate  float64
	sent  *prometheus.CounterVec
	log   *zap.Logger

	share float64       // owed fraction of a record; only Next touches it
	owed  atomic.Int64  // records owed and not yet written
	wake  chan struct{} // bound 1: a pending wake-up is enough
	n     int           // records written, for keys and kinds; only run touches it
}

func newBadRecords(src producer.Source, topic string, rate float64, reg prometheus.Registerer, log *zap.Logger) *badRecords {
	return &badRecords{
		Source: src,
		topic:  topic,
		rate:   rate,
		sent: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Subsystem: "demo", Name: "bad_records_total",
			Help: "Bad records the demo wrote into the tickets topic, by kind (the dead-letter reason they should get).",
		}, []string{"kind"}),
		log:  log,
		wake: make(chan struct{}, 1),
	}
}

// Next returns the generator's next ticket and owes a bad record for every
// 1/rate tickets. The producer calls it from one goroutine.
func (b *badRecords) Next() models.Ticket {
	t := b.Source.Next()
	if b.share += b.rate; b.share >= 1 {
		b.share--
		b.owed.Add(1)
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return t
}

// run writes the owed bad records through out, the producer's
// SyncProducer, until ctx ends. A failed send is logged and not repeated:
// the records are demo input, and they are counted only once Kafka
// acknowledged them.
func (b *badRecords) run(ctx context.Context, out sarama.SyncProducer) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		owed := b.owed.Swap(0)
		msgs := make([]*sarama.ProducerMessage, 0, owed)
		kinds := make([]failure.Reason, 0, owed)
		for range owed {
			kind := badRecordKinds[b.n%len(badRecordKinds)]
			msgs = append(msgs, badRecord(b.topic, kind, fmt.Sprintf("junk-%06d", b.n), time.Now()))
			kinds = append(kinds, kind)
			b.n++
		}
		err := out.SendMessages(msgs)
		var perMsg sarama.ProducerErrors
		failed := make(map[*sarama.ProducerMessage]bool)
		if errors.As(err, &perMsg) {
			for _, pe := range perMsg {
				failed[pe.Msg] = true
			}
		}
		for i, m := range msgs {
			if err == nil || (len(failed) > 0 && !failed[m]) {
				b.sent.WithLabelValues(string(kinds[i])).Inc()
			}
		}
		if err != nil {
			b.log.Warn("bad records not written", zap.Int("records", len(msgs)), zap.Error(err))
		}
	}
}

// badRecord returns a record of the given kind for the tickets topic,
// keyed by key, which also serves as its order id where it has one.
func badRecord(topic string, kind failure.Reason, key string, now time.Time) *sarama.ProducerMessage {
	t := models.Ticket{
		TicketID: uuid.NewString(), OrderID: key, CustomerID: "cust-000000", Sequence: 1,
		Type: models.EventCreated, Amount: 1999, Currency: "EUR", CreatedAt: now.UTC(),
		SchemaVersion: models.SchemaVersion,
	}
	var value []byte
	switch kind {
	case failure.Malformed:
		full, _ := json.Marshal(t) // a Ticket always marshals
		value = full[:len(full)/2]
	case failure.InvalidField:
		t.Amount, t.Currency = -100, "ZZZ"
		value, _ = json.Marshal(t)
	default: // failure.UnknownSchema
		t.SchemaVersion = models.SchemaVersion + 1
		value, _ = json.Marshal(t)
	}
	return &sarama.ProducerMessage{
		Topic:   topic,
		Key:     sarama.StringEncoder(key),
		Value:   sarama.ByteEncoder(value),
		Headers: []sarama.RecordHeader{{Key: []byte("content-type"), Value: []byte("application/json")}},
	}
}
