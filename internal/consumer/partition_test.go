package consumer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/models"
	"ticket-processor/internal/retry"
)

func TestMain(m *testing.M) {
	// sarama's metrics library starts one process-wide ticker goroutine on
	// first use and never stops it.
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"))
}

// fakeOut is a SyncProducer that records what it accepted, per topic.
// fail rejects a message; lose accepts it and reports an error all the
// same, as when the broker's answer is lost.
type fakeOut struct {
	sarama.SyncProducer // not called; satisfies the rest of the interface

	mu      sync.Mutex
	records map[string][]*sarama.ProducerMessage
	fail    func(m *sarama.ProducerMessage) error
	lose    func(m *sarama.ProducerMessage) error
}

func (f *fakeOut) SendMessage(m *sarama.ProducerMessage) (int32, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(m); err != nil {
			return -1, -1, err
		}
	}
	if f.records == nil {
		f.records = map[string][]*sarama.ProducerMessage{}
	}
	f.records[m.Topic] = append(f.records[m.Topic], m)
	if f.lose != nil {
		if err := f.lose(m); err != nil {
			return -1, -1, err
		}
	}
	return 0, int64(len(f.records[m.Topic]) - 1), nil
}

// findWritten implements Options.FindWritten over what the fake accepted.
func (f *fakeOut) findWritten(_ context.Context, msgs []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	found := map[*sarama.ProducerMessage]bool{}
	for _, m := range msgs {
		for _, r := range f.records[m.Topic] {
			if r == m {
				found[m] = true
			}
		}
	}
	return found, nil
}

func (f *fakeOut) topic(name string) []*sarama.ProducerMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*sarama.ProducerMessage(nil), f.records[name]...)
}

// marks records the commit points marked, in order, and the metadata
// last marked with them.
type marks struct {
	mu       sync.Mutex
	got      []int64
	metadata string
	resets   int
}

func (m *marks) MarkOffset(_ string, _ int32, offset int64, metadata string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, offset)
	m.metadata = metadata
}

func (m *marks) ResetOffset(_ string, _ int32, offset int64, metadata string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.got) > 0 && offset != m.got[len(m.got)-1] {
		panic(fmt.Sprintf("ResetOffset(%d) after MarkOffset(%d): the point moved back", offset, m.got[len(m.got)-1]))
	}
	m.metadata = metadata
	m.resets++
}

// lastMetadata returns the metadata of the last mark or reset.
func (m *marks) lastMetadata() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.metadata
}

func (m *marks) last() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.got) == 0 {
		return -1
	}
	return m.got[len(m.got)-1]
}

func testOptions() Options {
	return Options{
		Config: Config{
			Topic: "tickets", OutputTopic: "out", DLQTopic: "dlq", GroupID: "g", BalanceStrategy: "sticky",
			Workers: 8, MaxInFlight: 1000,
			Retry:        retry.Policy{MaxAttempts: 3, Base: time.Millisecond, MaxDelay: 2 * time.Millisecond},
			OrderPolicy:  OrderPolicyContinue,
			DrainTimeout: 5 * time.Second, LagInterval: time.Second, NotReadyAfter: 30 * time.Second, MaxMessageBytes: 1 << 20,
			CommitInterval: 10 * time.Millisecond, MetadataMaxBytes: DefaultMetadataMaxBytes,
			ProcessingGuarantee: AtLeastOnce,
		},
		FindWritten: func(context.Context, []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error) {
			return nil, nil
		},
		ReadRecord: func(_ context.Context, topic string, partition int32, offset int64) (*sarama.ConsumerMessage, error) {
			return nil, fmt.Errorf("%s/%d@%d: %w", topic, partition, offset, kafka.ErrNoRecord)
		},
		ReadCommitted: func(context.Context, string, int32) (kafka.Committed, error) {
			return kafka.Committed{Offset: -1}, nil
		},
	}
}

type harness struct {
	opts  Options
	out   *fakeOut
	marks *marks
	m     *metrics.Consumer
	part  *partition
	in    chan *sarama.ConsumerMessage
}

func newHarness(t *testing.T, opts Options, step Step) *harness {
	t.Helper()
	h := &harness{opts: opts, out: &fakeOut{}, marks: &marks{}, m: metrics.NewConsumer(prometheus.NewRegistry())}
	opts.FindWritten = h.out.findWritten
	proc := &processor{opts: opts, out: h.out, step: step, obs: metricsObserver{h.m}, log: zap.NewNop(), now: time.Now}
	h.part = newPartition("tickets", 0, claimStart{}, opts, proc, h.marks, zap.NewNop())
	h.in = make(chan *sarama.ConsumerMessage, 100_000)
	return h
}

// run runs the partition until stop ends, in the background; the returned
// func waits for it.
func (h *harness) run(stop context.Context) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.part.run(stop, h.in, h.opts.DrainTimeout)
	}()
	return func() { <-done }
}

func ticket(order string, seq uint64) models.Ticket {
	return models.Ticket{
		TicketID: fmt.Sprintf("00000000-0000-4000-8000-%012d", seq), OrderID: order, CustomerID: "cust-000001",
		Sequence: seq, Type: models.EventUpdated, Amount: int64(seq) * 100, Currency: "EUR",
		CreatedAt: time.Now().UTC(), SchemaVersion: models.SchemaVersion,
	}
}

func record(offset int64, key string, value []byte) *sarama.ConsumerMessage {
	return &sarama.ConsumerMessage{Topic: "tickets", Partition: 0, Offset: offset, Key: []byte(key), Value: value, Timestamp: time.Now()}
}

// feed queues n tickets over orders, round robin, from offset 0.
func (h *harness) feed(t *testing.T, orders, n int) {
	t.Helper()
	seq := map[string]uint64{}
	for i := range n {
		order := fmt.Sprintf("ord-%03d", i%orders)
		seq[order]++
		v, err := ticket(order, seq[order]).Encode()
		require.NoError(t, err)
		h.in <- record(int64(i), order, v)
	}
}

// requireOutputInOrder checks each order's processed tickets are 1, 2, 3…
func requireOutputInOrder(t *testing.T, out []*sarama.ProducerMessage) map[string]uint64 {
	t.Helper()
	last := map[string]uint64{}
	for _, m := range out {
		b, err := m.Value.Encode()
		require.NoError(t, err)
		p, err := models.DecodeProcessed(b)
		require.NoError(t, err)
		require.Equal(t, last[p.OrderID]+1, p.Sequence, "order %s", p.OrderID)
		last[p.OrderID] = p.Sequence
	}
	return last
}

func TestOrdersRunInParallelAndInOrder(t *testing.T) {
	var running, peak atomic.Int32
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(time.Duration(tk.Sequence%3) * time.Millisecond) // uneven work, to finish out of order
		return nil
	})
	h := newHarness(t, testOptions(), step)
	h.feed(t, 40, 2000)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)

	require.Eventually(t, func() bool { return h.marks.last() == 2000 }, 30*time.Second, 5*time.Millisecond)
	cancel()
	wait()

	last := requireOutputInOrder(t, h.out.topic("out"))
	assert.Len(t, last, 40)
	assert.Equal(t, 2000.0, testutil.ToFloat64(h.m.Processed))
	assert.Greater(t, peak.Load(), int32(1), "several orders ran at once")
	assert.LessOrEqual(t, peak.Load(), int32(8), "never more than Workers at once")
	assert.IsIncreasing(t, h.marks.got, "commit points only move forward")
}

func TestCommitNeverPassesAnUnfinishedTicket(t *testing.T) {
	release := make(chan struct{})
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		if tk.OrderID == "ord-000" && tk.Sequence == 1 {
			<-release // offset 0 is slow
		}
		return nil
	})
	h := newHarness(t, testOptions(), step)
	h.feed(t, 10, 100)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)

	// Every other order finishes; the commit point must stay at 0.
	require.Eventually(t, func() bool { return testutil.ToFloat64(h.m.Processed) == 90 }, 10*time.Second, time.Millisecond)
	assert.Equal(t, int64(-1), h.marks.last(), "nothing marked while offset 0 runs")

	close(release)
	require.Eventually(t, func() bool { return h.marks.last() == 100 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()
}

func TestInFlightWindowBoundsWhatIsTaken(t *testing.T) {
	release := make(chan struct{})
	opts := testOptions()
	opts.MaxInFlight = 5
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		<-release
		return nil
	})
	h := newHarness(t, opts, step)
	h.feed(t, 50, 200)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)

	consumed := h.m.Consumed.WithLabelValues("tickets", "0")
	require.Eventually(t, func() bool { return testutil.ToFloat64(consumed) == 5 }, 5*time.Second, time.Millisecond)
	assert.Len(t, h.in, 195, "the rest stays in the claim")

	close(release)
	require.Eventually(t, func() bool { return h.marks.last() == 200 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()
}

func TestTransientFailuresAreRetriedInOrder(t *testing.T) {
	var mu sync.Mutex
	attempts := map[string]int{}
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[tk.TicketID+tk.OrderID]++
		if tk.Sequence%10 == 0 && attempts[tk.TicketID+tk.OrderID] <= 2 {
			return errors.New("downstream busy")
		}
		return nil
	})
	h := newHarness(t, testOptions(), step)
	h.feed(t, 5, 500) // 100 tickets per order; sequences 10, 20… fail twice
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)

	require.Eventually(t, func() bool { return h.marks.last() == 500 }, 30*time.Second, time.Millisecond)
	cancel()
	wait()

	requireOutputInOrder(t, h.out.topic("out"))
	assert.Equal(t, 100.0, testutil.ToFloat64(h.m.Retries), "two retries for each of 50 tickets")
	assert.Empty(t, h.out.topic("dlq"))
}

func TestExhaustedTicketIsDeadLetteredAndOrderParked(t *testing.T) {
	opts := testOptions()
	opts.OrderPolicy = OrderPolicyPark
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		if tk.OrderID == "ord-001" && tk.Sequence == 2 {
			return errors.New("always failing")
		}
		return nil
	})
	h := newHarness(t, opts, step)
	h.feed(t, 3, 12) // four tickets per order
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 12 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	dead := h.out.topic("dlq")
	require.Len(t, dead, 3, "the failing ticket and the two after it in its order")
	reasons := make([]failure.Reason, len(dead))
	for i, r := range dead {
		e, err := dlq.Parse(asConsumed(r))
		require.NoError(t, err)
		assert.Equal(t, "ord-001", string(e.Key))
		reasons[i] = e.Failure.Reason
		if i == 0 {
			assert.Equal(t, dlq.ClassTransient, e.Failure.Class)
			assert.Equal(t, 3, e.Failure.Attempts)
			assert.Contains(t, e.Failure.Message, "always failing")
			assert.Equal(t, "g", e.ConsumerGroup)
		}
	}
	assert.Equal(t, []failure.Reason{failure.RetriesExhausted, failure.OrderParked, failure.OrderParked}, reasons)
	assert.Equal(t, 9.0, testutil.ToFloat64(h.m.Processed), "12 tickets less the 3 dead-lettered")
	assert.Equal(t, 1.0, testutil.ToFloat64(h.m.DeadLettered.WithLabelValues("retries_exhausted")))
	assert.Equal(t, 2.0, testutil.ToFloat64(h.m.DeadLettered.WithLabelValues("order_parked")))
}

func TestContinuePolicyCountsTheGap(t *testing.T) {
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		if tk.OrderID == "ord-000" && tk.Sequence == 2 {
			return retry.Permanent(errors.New("rejected by the business rule"))
		}
		return nil
	})
	h := newHarness(t, testOptions(), step)
	h.feed(t, 1, 4)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 4 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	assert.Len(t, h.out.topic("dlq"), 1)
	assert.Len(t, h.out.topic("out"), 3)
	assert.Equal(t, 1.0, testutil.ToFloat64(h.m.OrderGaps), "3 follows 1: one gap")
	assert.Zero(t, testutil.ToFloat64(h.m.Retries), "a permanent error is not retried")
}

func TestBadRecordsGoToTheDeadLetterTopic(t *testing.T) {
	valid, err := ticket("ord-1", 1).Encode()
	require.NoError(t, err)
	tests := []struct {
		name   string
		key    string
		value  []byte
		reason failure.Reason
	}{
		{"invalid JSON", "k", []byte(`{"order_id":`), failure.Malformed},
		{"empty value", "k", nil, failure.Malformed},
		{"missing order_id", "", []byte(`{"ticket_id":"00000000-0000-4000-8000-000000000001","customer_id":"c","sequence":1,"type":"created","amount":1,"currency":"EUR","created_at":"2026-01-01T00:00:00Z","schema_version":1}`), failure.InvalidField},
		{"unknown schema", "k", []byte(`{"schema_version":99}`), failure.UnknownSchema},
		{"invalid UTF-8", "k", []byte{'{', '"', 0xff, '"', ':', '1', '}'}, failure.Malformed},
		{"too large", "k", make([]byte, 2<<20), failure.TooLarge},
		{"key differs from order_id", "other", valid, failure.InvalidField},
	}
	h := newHarness(t, testOptions(), NoopStep)
	for i, tt := range tests {
		h.in <- record(int64(i), tt.key, tt.value)
	}
	h.in <- record(int64(len(tests)), "ord-1", valid)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == int64(len(tests)+1) }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	dead := h.out.topic("dlq")
	require.Len(t, dead, len(tests))
	byOffset := map[int64]dlq.Entry{}
	for _, r := range dead {
		e, err := dlq.Parse(asConsumed(r))
		require.NoError(t, err)
		byOffset[e.OriginalOffset] = e
	}
	for i, tt := range tests {
		e := byOffset[int64(i)]
		assert.Equal(t, tt.reason, e.Failure.Reason, tt.name)
		assert.Equal(t, dlq.ClassPermanent, e.Failure.Class, tt.name)
		assert.Equal(t, tt.value, nilIfEmpty(e.Value), "%s: value kept byte for byte", tt.name)
	}
	assert.Len(t, h.out.topic("out"), 1, "the partition keeps flowing")
}

func TestDeadLetterPublishFailureHoldsTheOffset(t *testing.T) {
	var dlqFailures atomic.Int32
	h := newHarness(t, testOptions(), NoopStep)
	h.out.fail = func(m *sarama.ProducerMessage) error {
		if m.Topic == "dlq" && dlqFailures.Add(1) <= 3 {
			return sarama.ErrNotEnoughReplicas
		}
		return nil
	}
	h.in <- record(0, "k", []byte("not json"))
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 1 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	assert.Len(t, h.out.topic("dlq"), 1)
	assert.Equal(t, 3.0, testutil.ToFloat64(h.m.PublishErrors.WithLabelValues("dlq", "unavailable")))
}

func TestKafkaOutageSpendsNoAttempts(t *testing.T) {
	// The output topic is unreachable for far more sends than a ticket has
	// attempts (3): an outage, not the tickets' fault.
	var unreachable atomic.Int32
	h := newHarness(t, testOptions(), NoopStep)
	h.out.fail = func(m *sarama.ProducerMessage) error {
		if m.Topic == "out" && unreachable.Add(1) <= 20 {
			return sarama.ErrOutOfBrokers
		}
		return nil
	}
	h.feed(t, 4, 40)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 40 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	requireOutputInOrder(t, h.out.topic("out"))
	assert.Len(t, h.out.topic("out"), 40)
	assert.Empty(t, h.out.topic("dlq"), "nothing dead-lettered for an outage")
	assert.Zero(t, testutil.ToFloat64(h.m.Retries), "waiting for Kafka is not a retry")
	assert.Equal(t, 20.0, testutil.ToFloat64(h.m.PublishErrors.WithLabelValues("out", "unavailable")))
}

func TestLostPublishAnswersAreNotRepeated(t *testing.T) {
	// Every fifth output record and the first dead letter are written, but
	// answered with an error.
	var sends, deadLetters atomic.Int32
	h := newHarness(t, testOptions(), NoopStep)
	h.out.lose = func(m *sarama.ProducerMessage) error {
		if m.Topic == "out" && sends.Add(1)%5 == 0 {
			return sarama.ErrRequestTimedOut
		}
		if m.Topic == "dlq" && deadLetters.Add(1) == 1 {
			return sarama.ErrNotEnoughReplicasAfterAppend
		}
		return nil
	}
	h.feed(t, 4, 40)
	h.in <- record(40, "junk", []byte("not json"))
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 41 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	requireOutputInOrder(t, h.out.topic("out")) // a repeat would fail here
	assert.Len(t, h.out.topic("out"), 40)
	assert.Len(t, h.out.topic("dlq"), 1, "the dead letter once")
	assert.Positive(t, testutil.ToFloat64(h.m.Retries), "a lost answer costs an attempt")
}

func TestDrainTimeoutAbandonsUncommitted(t *testing.T) {
	opts := testOptions()
	opts.DrainTimeout = 50 * time.Millisecond
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		if tk.Sequence == 2 {
			<-ctx.Done() // hangs until abandoned
			return ctx.Err()
		}
		return nil
	})
	h := newHarness(t, opts, step)
	h.feed(t, 1, 5)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	wait()

	assert.Equal(t, int64(1), h.marks.last(), "offset 1 never finished, so nothing past it is committed")
	assert.Empty(t, h.out.topic("dlq"), "an abandoned ticket is not dead-lettered")
}

// ticketWithID is ticket(order, seq) under another ticket id and amount:
// a different ticket that claims the same place in its order.
func ticketWithID(order string, seq uint64, id string) []byte {
	tk := ticket(order, seq)
	tk.TicketID, tk.Amount = id, 999
	v, _ := tk.Encode()
	return v
}

func encoded(order string, seq uint64) []byte {
	v, _ := ticket(order, seq).Encode()
	return v
}

// replayOf is a replay of original written at offset, naming origin as the
// record it copies.
func replayOf(offset int64, original *sarama.ConsumerMessage, origin int64) *sarama.ConsumerMessage {
	r := record(offset, string(original.Key), original.Value)
	r.Headers = []*sarama.RecordHeader{
		{Key: []byte(dlq.HeaderOriginalTopic), Value: []byte("tickets")},
		{Key: []byte(dlq.HeaderOriginalPartition), Value: []byte("0")},
		{Key: []byte(dlq.HeaderOriginalOffset), Value: []byte(strconv.FormatInt(origin, 10))},
		{Key: []byte(dlq.HeaderReplayCount), Value: []byte("1")},
	}
	return r
}

func TestEveryTakenTicketIsPublishedDeadLetteredOrSkippedAsACopy(t *testing.T) {
	forged := record(3, "ord-1", ticketWithID("ord-1", 1, "00000000-0000-4000-8000-0000000000cc"))
	forged.Headers = []*sarama.RecordHeader{{Key: []byte(dlq.HeaderReplayCount), Value: []byte("7")}}
	type outcome struct {
		published []uint64                 // sequences in the output, in order
		dead      map[int64]failure.Reason // input offset → reason
		mismatch  map[int64][2]uint64      // input offset → expected, actual
		copies    float64
	}
	tests := []struct {
		name   string
		policy string
		input  []*sarama.ConsumerMessage
		want   outcome
	}{
		{
			name: "a second 2 and a late 3 go to the dead-letter topic", policy: OrderPolicyContinue,
			input: []*sarama.ConsumerMessage{
				record(0, "ord-1", encoded("ord-1", 1)),
				record(1, "ord-1", encoded("ord-1", 2)),
				record(2, "ord-1", ticketWithID("ord-1", 2, "00000000-0000-4000-8000-0000000000aa")),
				record(3, "ord-1", encoded("ord-1", 5)),
				record(4, "ord-1", encoded("ord-1", 3)),
			},
			want: outcome{
				published: []uint64{1, 2, 3},
				dead:      map[int64]failure.Reason{2: failure.OutOfSequence, 3: failure.OutOfSequence},
				mismatch:  map[int64][2]uint64{2: {3, 2}, 3: {3, 5}},
			},
		},
		{
			name: "a copy of a published ticket is skipped", policy: OrderPolicyContinue,
			input: []*sarama.ConsumerMessage{
				record(0, "ord-1", encoded("ord-1", 1)),
				record(1, "ord-1", encoded("ord-1", 2)),
				record(2, "ord-1", encoded("ord-1", 1)),
				record(3, "ord-1", encoded("ord-1", 3)),
			},
			want: outcome{published: []uint64{1, 2, 3}, copies: 1},
		},
		{
			name: "a forged replay count does not pass the sequence check", policy: OrderPolicyContinue,
			input: []*sarama.ConsumerMessage{
				record(0, "ord-1", encoded("ord-1", 2)),
				record(1, "ord-1", encoded("ord-1", 3)),
				record(2, "ord-1", ticketWithID("ord-1", 1, "00000000-0000-4000-8000-0000000000bb")),
				// Names offset 2, whose bytes differ from its own.
				replayOf(3, record(3, "ord-1", encoded("ord-1", 1)), 2),
			},
			want: outcome{
				published: []uint64{2, 3},
				dead:      map[int64]failure.Reason{2: failure.OutOfSequence, 3: failure.OutOfSequence},
				mismatch:  map[int64][2]uint64{2: {4, 1}, 3: {4, 1}},
			},
		},
		{
			name: "a replay-count header alone is not a replay", policy: OrderPolicyContinue,
			input: []*sarama.ConsumerMessage{
				record(0, "ord-1", encoded("ord-1", 2)),
				record(1, "ord-1", encoded("ord-1", 3)),
				record(2, "ord-1", encoded("ord-1", 4)),
				forged,
			},
			want: outcome{
				published: []uint64{2, 3, 4},
				dead:      map[int64]failure.Reason{3: failure.OutOfSequence},
				mismatch:  map[int64][2]uint64{3: {5, 1}},
			},
		},
		{
			name: "a replay whose original is found is processed", policy: OrderPolicyContinue,
			input: []*sarama.ConsumerMessage{
				record(0, "ord-1", encoded("ord-1", 1)),
				record(1, "ord-1", encoded("ord-1", 3)), // out of sequence: dead-lettered
				record(2, "ord-1", encoded("ord-1", 2)),
				replayOf(3, record(1, "ord-1", encoded("ord-1", 3)), 1),
			},
			want: outcome{
				published: []uint64{1, 2, 3},
				dead:      map[int64]failure.Reason{1: failure.OutOfSequence},
				mismatch:  map[int64][2]uint64{1: {2, 3}},
			},
		},
		{
			name: "park: an out-of-sequence ticket parks its order", policy: OrderPolicyPark,
			input: []*sarama.ConsumerMessage{
				record(0, "ord-1", encoded("ord-1", 1)),
				record(1, "ord-1", encoded("ord-1", 3)),
				record(2, "ord-1", encoded("ord-1", 2)),
				record(3, "ord-2", encoded("ord-2", 1)),
			},
			want: outcome{
				published: []uint64{1, 1},
				dead:      map[int64]failure.Reason{1: failure.OutOfSequence, 2: failure.OrderParked},
				mismatch:  map[int64][2]uint64{1: {2, 3}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			opts.OrderPolicy = tt.policy
			opts.Workers = 1 // one ticket at a time, so the outcome follows the offsets
			byOffset := map[int64]*sarama.ConsumerMessage{}
			for _, m := range tt.input {
				byOffset[m.Offset] = m
			}
			opts.ReadRecord = func(_ context.Context, topic string, partition int32, offset int64) (*sarama.ConsumerMessage, error) {
				if m, ok := byOffset[offset]; ok && topic == "tickets" && partition == 0 {
					return m, nil
				}
				return nil, kafka.ErrNoRecord
			}
			h := newHarness(t, opts, NoopStep)
			for _, m := range tt.input {
				h.in <- m
			}
			end := tt.input[len(tt.input)-1].Offset + 1
			ctx, cancel := context.WithCancel(context.Background())
			wait := h.run(ctx)
			require.Eventually(t, func() bool { return h.marks.last() == end }, 5*time.Second, time.Millisecond)
			cancel()
			wait()

			var published []uint64
			for _, m := range h.out.topic("out") {
				b, err := m.Value.Encode()
				require.NoError(t, err)
				p, err := models.DecodeProcessed(b)
				require.NoError(t, err)
				published = append(published, p.Sequence)
			}
			assert.Equal(t, tt.want.published, published)
			dead := map[int64]failure.Reason{}
			mismatch := map[int64][2]uint64{}
			for _, m := range h.out.topic("dlq") {
				e, err := dlq.Parse(asConsumed(m))
				require.NoError(t, err)
				dead[e.OriginalOffset] = e.Failure.Reason
				if e.Failure.Sequence != nil {
					mismatch[e.OriginalOffset] = [2]uint64{e.Failure.Sequence.Expected, e.Failure.Sequence.Actual}
				}
			}
			assert.Equal(t, nilIfEmptyMap(tt.want.dead), nilIfEmptyMap(dead))
			assert.Equal(t, nilIfEmptyMap(tt.want.mismatch), nilIfEmptyMap(mismatch))
			assert.Equal(t, tt.want.copies, testutil.ToFloat64(h.m.OrderRepeats))
			assert.Equal(t, len(tt.input), len(published)+len(dead)+int(tt.want.copies),
				"every record taken is published, dead-lettered or skipped as a copy")
		})
	}
}

// nilIfEmptyMap returns nil for an empty map, so that assert.Equal treats
// "none" alike however it was built.
func nilIfEmptyMap[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

func asConsumed(m *sarama.ProducerMessage) *sarama.ConsumerMessage {
	c := &sarama.ConsumerMessage{Topic: m.Topic}
	if m.Key != nil {
		c.Key, _ = m.Key.Encode()
	}
	if m.Value != nil {
		c.Value, _ = m.Value.Encode()
	}
	for i := range m.Headers {
		c.Headers = append(c.Headers, &m.Headers[i])
	}
	return c
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// recorder is an Observer that keeps what it was told, for tests that
// check what the engine reports rather than how metrics render it.
type recorder struct {
	mu           sync.Mutex
	processed    int
	deadLettered []failure.Reason
	inFlight     int
	consumed     int
	released     bool
}

func (r *recorder) SetMember(bool)                            {}
func (r *recorder) PartitionsAssigned(int)                    {}
func (r *recorder) PartitionsReleased()                       {}
func (r *recorder) TicketHandled(time.Duration)               {}
func (r *recorder) TicketRetried()                            {}
func (r *recorder) OrderGap()                                 {}
func (r *recorder) CopySkipped()                              {}
func (r *recorder) PublishFailed(string, string)              {}
func (r *recorder) Lag(int64, time.Duration)                  {}
func (r *recorder) Stalled(time.Duration)                     {}
func (r *recorder) AheadSkipped()                             {}
func (r *recorder) TransactionCommitted(int, time.Duration)   {}
func (r *recorder) TransactionAborted(string)                 {}
func (r *recorder) ProducerFenced()                           {}
func (r *recorder) MetadataFull()                             {}
func (r *recorder) CommitMetadata(int)                        {}
func (r *recorder) Partition(string, int32) PartitionObserver { return r }

func (r *recorder) TicketProcessed(time.Duration) { r.mu.Lock(); r.processed++; r.mu.Unlock() }
func (r *recorder) TicketDeadLettered(reason failure.Reason) {
	r.mu.Lock()
	r.deadLettered = append(r.deadLettered, reason)
	r.mu.Unlock()
}
func (r *recorder) Consumed()             { r.mu.Lock(); r.consumed++; r.mu.Unlock() }
func (r *recorder) AddInFlight(delta int) { r.mu.Lock(); r.inFlight += delta; r.mu.Unlock() }
func (r *recorder) Released()             { r.mu.Lock(); r.released = true; r.mu.Unlock() }

func TestEngineReportsToItsObserver(t *testing.T) {
	rec := &recorder{}
	h := newHarness(t, testOptions(), NoopStep)
	h.part = newPartition("tickets", 0, claimStart{}, h.opts, &processor{opts: h.part.proc.opts, out: h.out, step: NoopStep, obs: rec, log: zap.NewNop(), now: time.Now}, h.marks, zap.NewNop())
	h.feed(t, 3, 9)
	h.in <- record(9, "bad", []byte("{not json"))
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 10 }, 5*time.Second, time.Millisecond)
	cancel()
	wait()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, 10, rec.consumed)
	assert.Equal(t, 9, rec.processed)
	assert.Equal(t, []failure.Reason{failure.Malformed}, rec.deadLettered)
	assert.Zero(t, rec.inFlight, "every ticket taken was finished")
}
