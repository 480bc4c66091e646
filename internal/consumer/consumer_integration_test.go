//go:build integration

package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/generator"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/models"
	"ticket-processor/internal/producer"
)

// pipeline is one test's topics and group.
type pipeline struct {
	in, out, dead, group string
}

func newPipeline(t testing.TB, partitions int32) pipeline {
	t.Helper()
	big := "4194304" // lets a test write a 2 MB ticket
	return pipeline{
		in:    kafkatest.CreateTopic(t, "it-in", partitions, map[string]*string{"max.message.bytes": &big}),
		out:   kafkatest.CreateTopic(t, "it-out", partitions, nil),
		dead:  kafkatest.CreateTopic(t, "it-dlq", partitions, map[string]*string{"max.message.bytes": ptr("16777216")}),
		group: kafkatest.Name("it-group"),
	}
}

func ptr[T any](v T) *T { return &v }

// consumerConfig loads a consumer configuration through the real loader.
func (p pipeline) config(t testing.TB, env map[string]string) ServiceConfig {
	t.Helper()
	base := map[string]string{
		"KAFKA_BROKERS": strings.Join(kafkatest.Brokers(t), ","),
		"KAFKA_TOPIC":   p.in, "OUTPUT_TOPIC": p.out, "DLQ_TOPIC": p.dead, "GROUP_ID": p.group,
		"RETRY_BASE": "5ms", "RETRY_MAX_DELAY": "50ms", "LAG_INTERVAL": "200ms",
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := LoadServiceConfig(nil, func(k string) (string, bool) { v, ok := base[k]; return v, ok })
	require.NoError(t, err)
	return cfg
}

// running is an in-process consumer started by start.
type running struct {
	c    *Consumer
	m    *metrics.Consumer
	stop func()
}

// start runs a consumer with step until the test ends or stop is called.
func (p pipeline) start(t testing.TB, cfg ServiceConfig, step Step) *running {
	t.Helper()
	sc, err := kafka.NewConsumerConfig(cfg.Kafka, cfg.Consumer.Client())
	require.NoError(t, err)
	client, err := sarama.NewClient(cfg.Kafka.Brokers, sc)
	require.NoError(t, err)
	outClient, err := sarama.NewClient(cfg.Kafka.Brokers, sc) // a client of its own, as in the daemon
	require.NoError(t, err)
	out, err := sarama.NewSyncProducerFromClient(outClient)
	require.NoError(t, err)
	group, err := sarama.NewConsumerGroupFromClient(cfg.Consumer.GroupID, client)
	require.NoError(t, err)
	m := metrics.NewConsumer(prometheus.NewRegistry())
	var newTransactional func() (sarama.SyncProducer, error)
	if cfg.Consumer.ProcessingGuarantee == ExactlyOnce {
		tc, err := kafka.NewTransactionalConfig(sc, kafkatest.Name(cfg.Consumer.TransactionalIDPrefix))
		require.NoError(t, err)
		newTransactional = func() (sarama.SyncProducer, error) { return sarama.NewSyncProducer(cfg.Kafka.Brokers, tc) }
	}
	c, err := New(Options{
		Config: cfg.Consumer, FindWritten: kafka.NewFinder(outClient),
		ReadRecord:               kafka.NewRecordReader(client),
		ReadCommitted:            kafka.NewCommittedReader(outClient, cfg.Consumer.GroupID),
		NewTransactionalProducer: newTransactional,
	}, group, client, out, step, metricsObserver{m}, zap.NewNop())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			assert.NoError(t, <-done)
			assert.NoError(t, group.Close())
			assert.NoError(t, out.Close())
			assert.NoError(t, outClient.Close())
			assert.NoError(t, client.Close())
		})
	}
	t.Cleanup(stop)
	return &running{c: c, m: m, stop: stop}
}

// produceTickets writes n generated tickets over orders to topic through
// the project's own producer configuration (idempotent, murmur2).
func produceTickets(t testing.TB, topic string, orders, n int) []models.Ticket {
	t.Helper()
	cfg, err := producer.LoadServiceConfig(nil, func(k string) (string, bool) {
		if k == "KAFKA_BROKERS" {
			return strings.Join(kafkatest.Brokers(t), ","), true
		}
		return "", false
	})
	require.NoError(t, err)
	sc, err := kafka.NewProducerConfig(cfg.Kafka, cfg.Producer.Client())
	require.NoError(t, err)
	sp, err := sarama.NewSyncProducer(cfg.Kafka.Brokers, sc)
	require.NoError(t, err)
	defer sp.Close()
	gen, err := generator.New(generator.Config{Orders: orders, Seed: 42})
	require.NoError(t, err)
	tickets := make([]models.Ticket, n)
	msgs := make([]*sarama.ProducerMessage, 0, 500)
	for i := range tickets {
		tickets[i] = gen.Next()
		v, err := tickets[i].Encode()
		require.NoError(t, err)
		msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(tickets[i].OrderID), Value: sarama.ByteEncoder(v)})
		if len(msgs) == cap(msgs) || i == n-1 {
			require.NoError(t, sp.SendMessages(msgs))
			msgs = msgs[:0]
		}
	}
	return tickets
}

// requireProcessedInOrder checks that out holds each ticket exactly once,
// with every order's tickets in sequence order.
func requireProcessedInOrder(t testing.TB, out []*sarama.ConsumerMessage, want []models.Ticket) {
	t.Helper()
	seen := map[string]int{}
	last := map[string]uint64{}
	for _, r := range out {
		p, err := models.DecodeProcessed(r.Value)
		require.NoError(t, err)
		require.Equal(t, p.OrderID, string(r.Key))
		require.Greater(t, p.Sequence, last[p.OrderID], "order %s out of order", p.OrderID)
		last[p.OrderID] = p.Sequence
		seen[p.TicketID]++
	}
	for _, tk := range want {
		require.Equal(t, 1, seen[tk.TicketID], "ticket %s of order %s processed once", tk.TicketID, tk.OrderID)
	}
	require.Len(t, out, len(want))
}

// requireCommittedAtEnd checks that the group's committed offsets equal
// the end offsets of every partition of topic.
func requireCommittedAtEnd(t testing.TB, group, topic string) {
	t.Helper()
	require.True(t, committedAtEndOf(t, group, topic), "every partition of %s committed at its end", topic)
}

func TestTenThousandTicketsProcessedOnceInOrder(t *testing.T) {
	p := newPipeline(t, 6)
	tickets := produceTickets(t, p.in, 200, 10_000)
	r := p.start(t, p.config(t, map[string]string{"WORKERS": "8"}), nil)

	out := kafkatest.ReadAll(t, p.out, len(tickets), 2*time.Minute)
	// Lag is measured every 200ms; wait for it to settle at zero.
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(r.m.Processed) == 10_000 && sumGauge(t, r.m.LagMessages) == 0
	}, 30*time.Second, 50*time.Millisecond)
	r.stop()

	requireProcessedInOrder(t, out, tickets)
	requireCommittedAtEnd(t, p.group, p.in)
	assert.Zero(t, testutil.ToFloat64(r.m.OrderGaps))
	assert.Zero(t, testutil.ToFloat64(r.m.OrderRepeats))
	assert.Empty(t, kafkatest.ReadToEnd(t, p.dead))
}

func sumGauge(t testing.TB, g *prometheus.GaugeVec) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 64)
	g.Collect(ch)
	close(ch)
	n := 0
	total := 0.0
	for m := range ch {
		var pb dto.Metric
		require.NoError(t, m.Write(&pb))
		n++
		total += pb.GetGauge().GetValue()
	}
	if n == 0 {
		return -1 // not measured yet
	}
	return total
}

func TestFlakyStepIsRetriedInOrder(t *testing.T) {
	p := newPipeline(t, 3)
	tickets := produceTickets(t, p.in, 50, 1000)
	var mu sync.Mutex
	attempts := map[string]int{}
	flaky := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[tk.TicketID]++
		if tk.Sequence%10 == 0 && attempts[tk.TicketID] <= 2 {
			return errors.New("downstream timeout")
		}
		return nil
	})
	// Every 10th position of the stream fails its first two attempts.
	failing := 0
	for _, tk := range tickets {
		if tk.Sequence%10 == 0 {
			failing++
		}
	}
	r := p.start(t, p.config(t, nil), flaky)

	out := kafkatest.ReadAll(t, p.out, len(tickets), time.Minute)
	r.stop()
	requireProcessedInOrder(t, out, tickets)
	assert.Equal(t, float64(2*failing), testutil.ToFloat64(r.m.Retries), "two retries per failing ticket")
	assert.Empty(t, kafkatest.ReadToEnd(t, p.dead))
}

// The bad records of the brief, written with kcat as an outside producer
// would.
func TestBadInputFromKcatIsDeadLettered(t *testing.T) {
	p := newPipeline(t, 1)
	valid := ticket("ord-valid", 1)
	validJSON, err := valid.Encode()
	require.NoError(t, err)
	good := strings.Replace(string(validJSON), `"amount":100`, `"amount":%s`, 1)
	tests := []struct {
		name   string
		key    string
		value  []byte
		reason failure.Reason
	}{
		{"invalid JSON", "k1", []byte(`{"order_id": "o1", `), failure.Malformed},
		{"empty value", "k2", []byte{}, failure.Malformed},
		{"missing order_id", "k3", []byte(strings.Replace(string(validJSON), `"order_id":"ord-valid",`, "", 1)), failure.InvalidField},
		{"negative amount", "ord-valid", []byte(fmt.Sprintf(good, "-5")), failure.InvalidField},
		{"unknown schema version", "ord-valid", []byte(strings.Replace(string(validJSON), `"schema_version":1`, `"schema_version":7`, 1)), failure.UnknownSchema},
		{"wrong field types", "ord-valid", []byte(fmt.Sprintf(good, `"100"`)), failure.InvalidField},
		{"invalid UTF-8", "k7", append([]byte(`{"order_id":"`), 0xff, 0xfe, '"', '}'), failure.Malformed},
		{"2 MB value", "k8", []byte(`{"pad":"` + strings.Repeat("x", 2<<20) + `"}`), failure.TooLarge},
	}
	for _, tt := range tests {
		kafkatest.Kcat(t, p.in, tt.key, tt.value)
	}
	kafkatest.Kcat(t, p.in, valid.OrderID, validJSON)
	r := p.start(t, p.config(t, nil), nil)

	dead := kafkatest.ReadAll(t, p.dead, len(tests), time.Minute)
	out := kafkatest.ReadAll(t, p.out, 1, time.Minute)
	r.stop()
	require.Len(t, dead, len(tests))
	require.Len(t, out, 1, "the partition keeps flowing past bad records")

	for _, d := range dead {
		e, err := dlq.Parse(d)
		require.NoError(t, err)
		tt := tests[e.OriginalOffset]
		assert.Equal(t, tt.reason, e.Failure.Reason, tt.name)
		assert.Equal(t, dlq.ClassPermanent, e.Failure.Class, tt.name)
		assert.Equal(t, tt.key, string(d.Key), tt.name)
		assert.Equal(t, len(tt.value), len(d.Value), "%s: value kept whole", tt.name)
		assert.Equal(t, p.in, e.OriginalTopic, tt.name)
		assert.Equal(t, p.group, e.ConsumerGroup, tt.name)
		assert.Equal(t, 1, e.Failure.Attempts, tt.name)
		assert.NotEmpty(t, e.Failure.Message, tt.name)
		assert.False(t, e.DeadLetteredAt.IsZero(), tt.name)
	}
	requireCommittedAtEnd(t, p.group, p.in)
}

func TestExhaustedTicketIsReplayedAfterTheFix(t *testing.T) {
	p := newPipeline(t, 2)
	tickets := produceTickets(t, p.in, 10, 200)
	victim := tickets[57]
	var broken atomic.Bool
	broken.Store(true)
	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		if broken.Load() && tk.TicketID == victim.TicketID {
			return errors.New("payment service unavailable")
		}
		return nil
	})
	r := p.start(t, p.config(t, map[string]string{"RETRY_MAX": "3"}), step)

	dead := kafkatest.ReadAll(t, p.dead, 1, time.Minute)
	e, err := dlq.Parse(dead[0])
	require.NoError(t, err)
	assert.Equal(t, failure.RetriesExhausted, e.Failure.Reason)
	assert.Equal(t, dlq.ClassTransient, e.Failure.Class)
	assert.Equal(t, 3, e.Failure.Attempts)
	assert.Equal(t, victim.OrderID, string(e.Key))
	assert.False(t, e.Failure.LastFailure.Before(e.Failure.FirstFailure))
	kafkatest.ReadAll(t, p.out, len(tickets)-1, time.Minute)

	broken.Store(false) // the fix is deployed; replay the dead letters
	ctl := kafkatest.Start(t, kafkatest.Build(t, "ticket-processor/cmd/ticketctl"), nil,
		"dlq", "replay", "--brokers", strings.Join(kafkatest.Brokers(t), ","), "--dlq-topic", p.dead,
		"--reason", string(failure.RetriesExhausted))
	require.Equal(t, 0, ctl.Wait(t, time.Minute), "ticketctl: %s", ctl.Stderr())

	out := kafkatest.ReadAll(t, p.out, len(tickets), time.Minute)
	r.stop()
	found := false
	for _, rec := range out {
		pt, err := models.DecodeProcessed(rec.Value)
		require.NoError(t, err)
		found = found || pt.TicketID == victim.TicketID
	}
	assert.True(t, found, "the replayed ticket is processed")
	assert.Len(t, kafkatest.ReadToEnd(t, p.dead), 1, "it does not fail again")
	assert.Equal(t, 1.0, testutil.ToFloat64(r.m.OrderGaps), "its order saw a gap while it was away")
}

// A late or repeated ticket must end up somewhere: issue 9's example of an
// order written as 1, 2, another 2, 5, 3, plus a copy of 1, a ticket behind
// its order with a forged replay count, and a ticketctl replay of the 5.
func TestNoTicketVanishes(t *testing.T) {
	p := newPipeline(t, 1)
	const order = "ord-late"
	write := func(tk models.Ticket, headers ...sarama.RecordHeader) {
		v, err := tk.Encode()
		require.NoError(t, err)
		kafkatest.Produce(t, &sarama.ProducerMessage{Topic: p.in, Key: sarama.StringEncoder(order),
			Value: sarama.ByteEncoder(v), Headers: headers})
	}
	other2 := ticket(order, 2)
	other2.TicketID, other2.Amount = "00000000-0000-4000-8000-0000000000aa", 999
	forged := ticket(order, 1)
	forged.TicketID = "00000000-0000-4000-8000-0000000000bb"

	write(ticket(order, 1))                                                                    // 0: published
	write(ticket(order, 2))                                                                    // 1: published
	write(other2)                                                                              // 2: out of sequence
	write(ticket(order, 5))                                                                    // 3: out of sequence
	write(ticket(order, 3))                                                                    // 4: published
	write(ticket(order, 1))                                                                    // 5: a copy, skipped
	write(forged, sarama.RecordHeader{Key: []byte(dlq.HeaderReplayCount), Value: []byte("1")}) // 6: out of sequence
	r := p.start(t, p.config(t, map[string]string{"WORKERS": "4"}), nil)

	dead := kafkatest.ReadAll(t, p.dead, 3, time.Minute)
	require.Eventually(t, func() bool { return committedAtEndOf(t, p.group, p.in) }, time.Minute, 50*time.Millisecond)
	type deadLetter struct {
		reason           failure.Reason
		expected, actual uint64
	}
	got := map[int64]deadLetter{}
	for _, d := range dead {
		e, err := dlq.Parse(d)
		require.NoError(t, err)
		require.NotNil(t, e.Failure.Sequence, "offset %d carries the expected and actual sequence", e.OriginalOffset)
		got[e.OriginalOffset] = deadLetter{e.Failure.Reason, e.Failure.Sequence.Expected, e.Failure.Sequence.Actual}
	}
	assert.Equal(t, map[int64]deadLetter{
		2: {failure.OutOfSequence, 3, 2},
		3: {failure.OutOfSequence, 3, 5},
		6: {failure.OutOfSequence, 4, 1},
	}, got)
	assert.Equal(t, 1.0, testutil.ToFloat64(r.m.OrderRepeats), "only the true copy is skipped")

	// The operator replays the 5; its original record is found, so it is
	// processed although its order has moved on.
	ctl := kafkatest.Start(t, kafkatest.Build(t, "ticket-processor/cmd/ticketctl"), nil,
		"dlq", "replay", "--brokers", strings.Join(kafkatest.Brokers(t), ","), "--dlq-topic", p.dead,
		"--from-offset", "3", "--to-offset", "3")
	require.Equal(t, 0, ctl.Wait(t, time.Minute), "ticketctl: %s", ctl.Stderr())

	out := kafkatest.ReadAll(t, p.out, 4, time.Minute)
	r.stop()
	var sequences []uint64
	for _, rec := range out {
		pt, err := models.DecodeProcessed(rec.Value)
		require.NoError(t, err)
		sequences = append(sequences, pt.Sequence)
	}
	assert.Equal(t, []uint64{1, 2, 3, 5}, sequences)
	assert.Len(t, kafkatest.ReadToEnd(t, p.dead), 3, "the replay is not dead-lettered again")
}

// committedAtEndOf reports whether group has committed the end offset of
// every partition of topic.
func committedAtEndOf(t testing.TB, group, topic string) bool {
	t.Helper()
	client := kafkatest.Client(t)
	admin, err := sarama.NewClusterAdminFromClient(client)
	require.NoError(t, err)
	partitions, err := client.Partitions(topic)
	require.NoError(t, err)
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: partitions})
	if err != nil {
		return false
	}
	for _, p := range partitions {
		end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return false
		}
		if b := resp.GetBlock(topic, p); b == nil || b.Offset != end {
			return false
		}
	}
	return true
}
