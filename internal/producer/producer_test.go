package producer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"ticket-processor/internal/metrics"
	"ticket-processor/internal/models"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// roundRobin yields tickets of orders order-0..order-(n-1) in turn, each
// order with its own gap-free sequence.
type roundRobin struct {
	n    int
	i    int
	seqs map[string]uint64
}

func (r *roundRobin) Next() models.Ticket {
	id := fmt.Sprintf("order-%d", r.i%r.n)
	r.i++
	if r.seqs == nil {
		r.seqs = map[string]uint64{}
	}
	r.seqs[id]++
	return models.Ticket{
		TicketID:      "00000000-0000-4000-8000-000000000001",
		OrderID:       id,
		CustomerID:    "cust-1",
		Sequence:      r.seqs[id],
		Type:          models.EventType("created"),
		Amount:        100,
		Currency:      "EUR",
		CreatedAt:     time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		SchemaVersion: models.SchemaVersion,
	}
}

// fakeKafka is a SyncProducer that accepts or fails each message as fail
// decides, and records what it accepted in order. lose makes it accept a
// message and still report it failed, as when the broker's answer is lost.
type fakeKafka struct {
	sarama.SyncProducer // not called; satisfies the rest of the interface

	mu       sync.Mutex
	calls    int
	fail     func(call int, m *sarama.ProducerMessage) error
	lose     func(call int, m *sarama.ProducerMessage) bool
	accepted []*sarama.ProducerMessage
	block    chan struct{} // when non-nil, sends wait for it to close
	findErrs int           // so many findWritten calls fail before one answers
	finds    int
}

func (f *fakeKafka) SendMessage(m *sarama.ProducerMessage) (int32, int64, error) {
	err := f.SendMessages([]*sarama.ProducerMessage{m})
	var pe sarama.ProducerErrors
	if errors.As(err, &pe) {
		return -1, -1, pe[0].Err
	}
	return 0, 0, err
}

func (f *fakeKafka) SendMessages(msgs []*sarama.ProducerMessage) error {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var errs sarama.ProducerErrors
	for _, m := range msgs {
		if f.fail != nil {
			if err := f.fail(f.calls, m); err != nil {
				errs = append(errs, &sarama.ProducerError{Msg: m, Err: err})
				continue
			}
		}
		f.accepted = append(f.accepted, m)
		if f.lose != nil && f.lose(f.calls, m) {
			errs = append(errs, &sarama.ProducerError{Msg: m, Err: sarama.ErrNetworkException})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// findWritten implements Options.FindWritten over what the fake accepted.
func (f *fakeKafka) findWritten(_ context.Context, msgs []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds++
	if f.findErrs > 0 {
		f.findErrs--
		return nil, sarama.ErrOutOfBrokers
	}
	found := map[*sarama.ProducerMessage]bool{}
	for _, m := range msgs {
		for _, a := range f.accepted {
			if a == m {
				found[m] = true
			}
		}
	}
	return found, nil
}

func (f *fakeKafka) acceptedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.accepted)
}

func testOptions() Options {
	var c Config
	c.SetDefaults()
	c.Rate, c.Burst, c.BatchSize = 0, 1, 64
	c.RetryBackoff, c.RetryMaxBackoff = time.Millisecond, 5*time.Millisecond
	return Options{
		Config:        c,
		DrainTimeout:  5 * time.Second,
		Probe:         func() error { return nil },
		ProbeInterval: 10 * time.Millisecond,
		StallAfter:    time.Second,
		FindWritten: func(context.Context, []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error) {
			return nil, nil
		},
	}
}

func newTestProducer(t *testing.T, opts Options, kafka *fakeKafka, src Source) (*Producer, *metrics.Producer) {
	t.Helper()
	m := metrics.NewProducer(prometheus.NewRegistry())
	opts.FindWritten = kafka.findWritten
	p, err := New(opts, kafka, src, m, zap.NewNop())
	require.NoError(t, err)
	return p, m
}

// runUntil runs p until kafka accepted at least n tickets, then stops it and
// returns Run's error.
func runUntil(t *testing.T, p *Producer, kafka *fakeKafka, n int) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, func() bool { return kafka.acceptedCount() >= n }, 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

// requireInOrder checks that every order's accepted sequences are 1, 2, 3…
// with no gap, repeat or reordering.
func requireInOrder(t *testing.T, accepted []*sarama.ProducerMessage) {
	t.Helper()
	last := map[string]uint64{}
	for _, m := range accepted {
		value, err := m.Value.Encode()
		require.NoError(t, err)
		tk, err := models.Decode(value)
		require.NoError(t, err)
		key, err := m.Key.Encode()
		require.NoError(t, err)
		require.Equal(t, tk.OrderID, string(key), "record key is the order id")
		require.Equal(t, last[tk.OrderID]+1, tk.Sequence, "order %s", tk.OrderID)
		last[tk.OrderID] = tk.Sequence
	}
}

func TestDeliversEveryTicketInOrder(t *testing.T) {
	kafka := &fakeKafka{}
	p, m := newTestProducer(t, testOptions(), kafka, &roundRobin{n: 20})

	require.NoError(t, runUntil(t, p, kafka, 2000))

	requireInOrder(t, kafka.accepted)
	assert.Equal(t, float64(len(kafka.accepted)), testutil.ToFloat64(m.Produced.WithLabelValues("tickets")))
	assert.Zero(t, testutil.ToFloat64(m.InFlight), "nothing left in flight after a drain")
	assert.Greater(t, testutil.CollectAndCount(m.BatchSize), 0)
}

func TestPartialFailuresAreResentWithoutReordering(t *testing.T) {
	// Every third send fails for the tickets of odd-numbered orders.
	kafka := &fakeKafka{fail: func(call int, m *sarama.ProducerMessage) error {
		var n int
		_, _ = fmt.Sscanf(orderKey(m), "order-%d", &n)
		if call%3 == 0 && n%2 == 1 {
			return sarama.ErrNotEnoughReplicas
		}
		return nil
	}}
	p, m := newTestProducer(t, testOptions(), kafka, &roundRobin{n: 7})

	require.NoError(t, runUntil(t, p, kafka, 3000))

	requireInOrder(t, kafka.accepted)
	assert.Positive(t, testutil.ToFloat64(m.Errors.WithLabelValues("unavailable")))
	assert.Zero(t, testutil.ToFloat64(m.InFlight))
}

func TestLostAnswersAreNotResent(t *testing.T) {
	// Every fourth send is written but answered with an error; in every
	// fifth, some tickets fail for real as well. The search runs into an
	// unreachable broker twice before it answers.
	kafka := &fakeKafka{
		lose: func(call int, _ *sarama.ProducerMessage) bool { return call%4 == 0 },
		fail: func(call int, m *sarama.ProducerMessage) error {
			if call%5 == 0 && strings.HasSuffix(orderKey(m), "1") {
				return sarama.ErrNotEnoughReplicas
			}
			return nil
		},
		findErrs: 2,
	}
	p, m := newTestProducer(t, testOptions(), kafka, &roundRobin{n: 13})

	require.NoError(t, runUntil(t, p, kafka, 3000))

	requireInOrder(t, kafka.accepted) // a resent lost answer would repeat a sequence
	assert.Positive(t, testutil.ToFloat64(m.FoundWritten))
	assert.Equal(t, float64(len(kafka.accepted)), testutil.ToFloat64(m.Produced.WithLabelValues("tickets")),
		"tickets found written count as produced, once")
	assert.Zero(t, testutil.ToFloat64(m.InFlight))
	assert.Greater(t, kafka.finds, 2, "the search was asked again after failing")
}

func TestDrainDeadlineReportsUndelivered(t *testing.T) {
	kafka := &fakeKafka{fail: func(int, *sarama.ProducerMessage) error { return sarama.ErrOutOfBrokers }}
	opts := testOptions()
	opts.DrainTimeout = 50 * time.Millisecond
	p, m := newTestProducer(t, opts, kafka, &roundRobin{n: 3})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.Errors.WithLabelValues("unavailable")) > 0 },
		5*time.Second, time.Millisecond)
	require.Error(t, p.Ready(), "failing sends make the producer unready")
	cancel()

	err := <-done
	require.ErrorIs(t, err, ErrUndelivered)
	assert.Empty(t, kafka.accepted)
}

func TestReadinessFollowsProbeAndStalls(t *testing.T) {
	var mu sync.Mutex
	probeErr := errors.New("connection refused")
	opts := testOptions()
	opts.StallAfter = 20 * time.Millisecond
	opts.Probe = func() error {
		mu.Lock()
		defer mu.Unlock()
		return probeErr
	}
	kafka := &fakeKafka{block: make(chan struct{})}
	p, m := newTestProducer(t, opts, kafka, &roundRobin{n: 1})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	require.Eventually(t, func() bool {
		err := p.Ready()
		return err != nil && strings.Contains(err.Error(), "connection refused")
	}, 5*time.Second, time.Millisecond)
	assert.Zero(t, testutil.ToFloat64(m.Ready))

	mu.Lock()
	probeErr = nil
	mu.Unlock()
	// The broker answers, but the first send is still blocked.
	require.Eventually(t, func() bool {
		err := p.Ready()
		return err != nil && strings.Contains(err.Error(), "blocked")
	}, 5*time.Second, time.Millisecond)
	// Generation fills the queue and then waits. What is in flight never
	// passes the bound: the blocked batch and its backlog (BatchSize
	// together), a full queue (BatchSize), and one ticket being queued.
	bound := float64(2*opts.BatchSize + 1)
	require.Eventually(t, func() bool { return testutil.ToFloat64(m.InFlight) >= float64(opts.BatchSize+2) }, 5*time.Second, time.Millisecond)
	require.Never(t, func() bool { return testutil.ToFloat64(m.InFlight) > bound }, 200*time.Millisecond, time.Millisecond,
		"no more tickets generated while Kafka does not answer")

	close(kafka.block)
	require.Eventually(t, func() bool { return p.Ready() == nil && testutil.ToFloat64(m.Ready) == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"no topic", func(o *Options) { o.Topic = "" }, "KAFKA_TOPIC"},
		{"negative rate", func(o *Options) { o.Rate = -1 }, "RATE"},
		{"zero batch", func(o *Options) { o.BatchSize = 0 }, "BATCH_SIZE"},
		{"no probe", func(o *Options) { o.Probe = nil }, "Probe"},
		{"no search for written tickets", func(o *Options) { o.FindWritten = nil }, "FindWritten"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			tt.mutate(&opts)
			_, err := New(opts, &fakeKafka{}, &roundRobin{n: 1}, metrics.NewProducer(prometheus.NewRegistry()), zap.NewNop())
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestStopsByItselfAfterLimit(t *testing.T) {
	opts := testOptions()
	opts.MaxTickets = 500
	kafka := &fakeKafka{}
	p, m := newTestProducer(t, opts, kafka, &roundRobin{n: 9})

	require.NoError(t, p.Run(context.Background()))

	assert.Len(t, kafka.accepted, 500)
	requireInOrder(t, kafka.accepted)
	assert.Equal(t, 500.0, testutil.ToFloat64(m.Produced.WithLabelValues("tickets")))
}
