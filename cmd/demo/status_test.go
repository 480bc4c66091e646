package main

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"ticket-processor/internal/metrics"
)

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name   string
		h      histogram
		q      float64
		want   float64
		wantOK bool
	}{
		{"empty", histogram{}, 0.99, 0, false},
		{"no observations", histogram{bounds: []float64{1, inf}, counts: []float64{0, 0}}, 0.99, 0, false},
		{"first bucket interpolates from 0", histogram{bounds: []float64{1, 2, inf}, counts: []float64{10, 10, 10}}, 0.5, 0.5, true},
		{"middle bucket", histogram{bounds: []float64{1, 2, inf}, counts: []float64{50, 100, 100}}, 0.75, 1.5, true},
		{"+Inf bucket gives the highest finite bound", histogram{bounds: []float64{1, 2, inf}, counts: []float64{0, 0, 4}}, 0.99, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.h.quantile(tt.q)
			assert.Equal(t, tt.wantOK, ok)
			assert.InDelta(t, tt.want, got, 1e-9)
		})
	}
}

// TestStatusReadsTheRegistries feeds the daemons' metrics as the producer
// and the consumer would, and checks what the status line and the summary
// make of them.
func TestStatusReadsTheRegistries(t *testing.T) {
	producerReg, consumerReg := prometheus.NewRegistry(), prometheus.NewRegistry()
	pm, cm := metrics.NewProducer(producerReg), metrics.NewConsumer(consumerReg)
	bad := newBadRecords(nil, "tickets", 0.1, producerReg, zap.NewNop())
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev, err := gather(producerReg, consumerReg, started)
	require.NoError(t, err)

	pm.Produced.WithLabelValues("tickets").Add(200)
	pm.Ready.Set(1)
	bad.sent.WithLabelValues("malformed").Add(3)
	cm.Processed.Add(150)
	cm.Retries.Add(7)
	cm.DeadLettered.WithLabelValues("malformed").Add(2)
	cm.OrderGaps.Add(1)
	cm.LagMessages.WithLabelValues("0").Set(30)
	cm.LagMessages.WithLabelValues("1").Set(20)
	for range 99 {
		cm.EndToEndLatency.Observe(0.002)
	}
	cm.EndToEndLatency.Observe(0.2)
	cm.Ready.Set(1)
	cur, err := gather(producerReg, consumerReg, started.Add(2*time.Second))
	require.NoError(t, err)

	assert.Equal(t, "   2s  produced 100/s  processed 75/s  lag 50  retries 7  dead-lettered 2  gaps 1  p99 2.5ms",
		statusLine(prev, cur, started, true))
	assert.Contains(t, statusLine(prev, cur, started, false), "(stopping: consumer catching up)")
	assert.Equal(t, 203.0, cur.written())
	assert.Equal(t, 152.0, cur.finished())

	r := newReport(cur, 2*time.Second, 3*time.Second)
	assert.Equal(t, int64(200), r.Produced)
	assert.Equal(t, map[string]int64{"malformed": 3}, r.BadRecords)
	assert.Equal(t, int64(51), r.Unfinished)
	table := r.table()
	assert.Contains(t, table, "  tickets produced             200  100.0/s\n")
	assert.Contains(t, table, "  dead-lettered                  2  malformed 2\n")
	assert.Contains(t, table, "  order gaps                     1\n")
}

func TestStatusViewPipedWritesOneLinePerInterval(t *testing.T) {
	var out bytes.Buffer
	v := &statusView{out: &out, width: func() int { return 0 }}
	v.show("1s first")
	v.show("2s second")
	v.print("summary\n")
	assert.Equal(t, "1s first\n2s second\nsummary\n", out.String())
}

func TestStatusViewOnTerminalRewritesTheLine(t *testing.T) {
	var out, errs bytes.Buffer
	v := &statusView{out: &out, terminal: true, width: func() int { return 12 }}
	v.show("1s first")
	v.show("2s a line longer than the terminal")
	_, err := v.Writer(&errs).Write([]byte("ERROR boom\n"))
	require.NoError(t, err)
	v.print("summary\n")
	assert.Equal(t, eraseLine+"1s first"+eraseLine+"2s a line l"+eraseLine+"2s a line l"+"\nsummary\n", out.String(),
		"lines are cut to the width; a log line erases the status line, which is drawn again after it")
	assert.Equal(t, "ERROR boom\n", errs.String())
}
