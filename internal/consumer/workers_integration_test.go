//go:build integration

package consumer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/models"
)

// The parallel-consumer scenario of the brief: one partition, a business
// step that takes 5 ms, 100 orders.
const (
	slowStepDelay = 5 * time.Millisecond
	slowOrders    = 100
)

var slowStep = StepFunc(func(ctx context.Context, _ models.Ticket) error {
	select {
	case <-time.After(slowStepDelay):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
})

// processAll runs a fresh group with workers over p.in until n tickets are
// processed, and returns how long that took.
func processAll(tb testing.TB, p pipeline, workers, n int) time.Duration {
	tb.Helper()
	p.group = fmt.Sprintf("%s-w%d", p.group, workers)
	start := time.Now()
	r := p.start(tb, p.config(tb, map[string]string{"WORKERS": fmt.Sprint(workers)}), slowStep)
	require.Eventually(tb, func() bool { return testutil.ToFloat64(r.m.Processed) >= float64(n) }, 5*time.Minute, 5*time.Millisecond)
	elapsed := time.Since(start)
	r.stop()
	return elapsed
}

func TestSixteenWorkersOnOnePartitionKeepEveryOrder(t *testing.T) {
	p := newPipeline(t, 1)
	tickets := produceTickets(t, p.in, slowOrders, 1000)
	processAll(t, p, 16, len(tickets))

	requireProcessedInOrder(t, kafkatest.ReadAll(t, p.out, len(tickets), time.Minute), tickets)
}

// BenchmarkWorkerSpeedup processes the same 1,000 tickets of one partition
// with 1 worker and with 16, and reports the speed-up. Run it with
// `make bench`.
func BenchmarkWorkerSpeedup(b *testing.B) {
	p := newPipeline(b, 1)
	tickets := produceTickets(b, p.in, slowOrders, 1000)
	for i := 0; i < b.N; i++ {
		p.group = fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)
		one := processAll(b, p, 1, len(tickets))
		sixteen := processAll(b, p, 16, len(tickets))
		b.ReportMetric(float64(len(tickets))/one.Seconds(), "tickets/s-1worker")
		b.ReportMetric(float64(len(tickets))/sixteen.Seconds(), "tickets/s-16workers")
		b.ReportMetric(one.Seconds()/sixteen.Seconds(), "speedup")
	}
}
