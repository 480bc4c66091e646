//go:build integration

package consumer

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// BenchmarkThroughput processes 50,000 tickets of 6 partitions with the
// no-op step under each guarantee, and reports tickets per second from the
// first ticket processed to the last, so that the group join is not timed.
// Run it with `make bench`.
func BenchmarkThroughput(b *testing.B) {
	const n = 50_000
	p := newPipeline(b, 6)
	produceTickets(b, p.in, 1000, n)
	for _, guarantee := range []string{AtLeastOnce, ExactlyOnce} {
		b.Run(guarantee, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p.group = fmt.Sprintf("bench-%s-%d-%d", guarantee, time.Now().UnixNano(), i)
				r := p.start(b, p.config(b, map[string]string{"PROCESSING_GUARANTEE": guarantee}), nil)
				require.Eventually(b, func() bool { return testutil.ToFloat64(r.m.Processed) > 0 }, time.Minute, time.Millisecond)
				first := time.Now()
				require.Eventually(b, func() bool { return testutil.ToFloat64(r.m.Processed) >= n }, 5*time.Minute, time.Millisecond)
				elapsed := time.Since(first)
				r.stop()
				b.ReportMetric(n/elapsed.Seconds(), "tickets/s")
			}
		})
	}
}
