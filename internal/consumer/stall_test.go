package consumer

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a time the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// highWatermark answers every partition's high watermark with one value.
type highWatermark int64

func (h highWatermark) GetOffset(string, int32, int64) (int64, error) { return int64(h), nil }

func TestAStalledPartitionMakesTheConsumerNotReady(t *testing.T) {
	const tickets = 8
	opts := testOptions()
	opts.NotReadyAfter = 30 * time.Second
	h := newHarness(t, opts, NoopStep)
	clk := &clock{t: time.Now()} // the tickets are created now, and judged by this clock
	h.part.proc.now = clk.now
	var unreachable atomic.Bool
	unreachable.Store(true)
	h.out.fail = func(*sarama.ProducerMessage) error {
		if unreachable.Load() {
			return sarama.ErrOutOfBrokers
		}
		return nil
	}
	c := &Consumer{opts: h.opts, proc: h.part.proc, offsets: highWatermark(tickets), obs: h.part.proc.obs,
		active: map[int32]*partition{0: h.part}}
	c.member.Store(true)
	stalled := func() float64 { return testutil.ToFloat64(h.m.StalledSeconds.WithLabelValues("0")) }

	h.feed(t, 4, tickets)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	defer func() { cancel(); wait() }()
	require.Eventually(t, func() bool { return testutil.ToFloat64(h.m.PublishErrors.WithLabelValues("out", "unavailable")) >= 4 },
		10*time.Second, time.Millisecond, "every order's first ticket waits for Kafka")

	clk.add(29 * time.Second)
	require.NoError(t, c.Ready(), "within NOT_READY_AFTER")
	clk.add(2 * time.Second)
	err := c.Ready()
	require.Error(t, err, "held tickets, none finished for 31s")
	assert.Contains(t, err.Error(), "partition 0: 8 tickets taken and none finished for 31s (NOT_READY_AFTER=30s)")
	assert.Contains(t, err.Error(), "Kafka has refused the consumer's writes for 31s")
	assert.Contains(t, err.Error(), sarama.ErrOutOfBrokers.Error())
	c.refreshLag(h.part)
	assert.Equal(t, 31.0, stalled(), "the stall is a metric too")

	unreachable.Store(false)
	require.Eventually(t, func() bool { return h.marks.last() == tickets }, 10*time.Second, time.Millisecond)
	require.NoError(t, c.Ready(), "ready again once tickets finish")
	clk.add(time.Hour)
	require.NoError(t, c.Ready(), "a partition that holds nothing is idle, not stalled")
	c.refreshLag(h.part)
	assert.Zero(t, stalled())
}

func TestMotionCountsFromTheLastFinishOrTheFirstTake(t *testing.T) {
	var m motion
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	m.took(t0)
	m.took(t0.Add(10 * time.Second)) // a second take does not restart the clock
	d, held := m.stalled(t0.Add(20 * time.Second))
	assert.Equal(t, 20*time.Second, d)
	assert.Equal(t, 2, held)
	m.finished(t0.Add(25 * time.Second))
	d, held = m.stalled(t0.Add(40 * time.Second))
	assert.Equal(t, 15*time.Second, d, "from the last finish")
	assert.Equal(t, 1, held)
	m.finished(t0.Add(41 * time.Second))
	d, _ = m.stalled(t0.Add(time.Hour))
	assert.Zero(t, d, "idle")
	m.took(t0.Add(2 * time.Hour))
	d, _ = m.stalled(t0.Add(2*time.Hour + time.Second))
	assert.Equal(t, time.Second, d, "a take after an idle spell starts afresh")
}
