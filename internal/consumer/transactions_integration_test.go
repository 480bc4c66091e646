//go:build integration

package consumer

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
)

func TestExactlyOnceCommitsRecordsAndOffsetsTogether(t *testing.T) {
	p := newPipeline(t, 6)
	tickets := produceTickets(t, p.in, 200, 5000)
	r := p.start(t, p.config(t, map[string]string{"PROCESSING_GUARANTEE": "exactly_once", "WORKERS": "8"}), nil)

	out := kafkatest.ReadAll(t, p.out, len(tickets), 2*time.Minute)
	require.Eventually(t, func() bool { return committedAtEndOf(t, p.group, p.in) }, time.Minute, 50*time.Millisecond,
		"the transactions commit the input's offsets to its end")
	r.stop()

	requireProcessedInOrder(t, out, tickets)
	assert.Positive(t, testutil.ToFloat64(r.m.TransactionsCommitted))
	assert.Zero(t, testutil.ToFloat64(r.m.TransactionsAborted.WithLabelValues(stageWrite)))
	assert.Zero(t, testutil.ToFloat64(r.m.TransactionsAborted.WithLabelValues(stageCommit)))
	assert.Empty(t, kafkatest.ReadToEnd(t, p.dead))
	t.Logf("%d transactions for %d tickets", int(testutil.ToFloat64(r.m.TransactionsCommitted)), len(tickets))
}
