package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/metrics"
)

func TestMetricsPassTheLinter(t *testing.T) {
	reg := metrics.NewRegistry()
	p := metrics.NewProducer(reg)
	c := metrics.NewConsumer(reg)
	p.InitSeries("tickets")
	c.InitSeries("tickets.processed", "tickets.dlq")
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestInitSeriesCreatesEveryReasonAtZero(t *testing.T) {
	reg := metrics.NewRegistry()
	p := metrics.NewProducer(reg)
	c := metrics.NewConsumer(reg)
	p.InitSeries("tickets")
	c.InitSeries("tickets.processed", "tickets.dlq")

	const kafkaReasons = 6 // kafka.Reason* constants
	tests := []struct {
		name   string
		series int
		got    func() int
		zero   func() float64
	}{
		{"producer produced", 1, func() int { return testutil.CollectAndCount(p.Produced) },
			func() float64 { return testutil.ToFloat64(p.Produced.WithLabelValues("tickets")) }},
		{"producer errors", kafkaReasons, func() int { return testutil.CollectAndCount(p.Errors) },
			func() float64 { return testutil.ToFloat64(p.Errors.WithLabelValues("timeout")) }},
		{"dead-lettered", len(dlq.Reasons()), func() int { return testutil.CollectAndCount(c.DeadLettered) },
			func() float64 { return testutil.ToFloat64(c.DeadLettered.WithLabelValues(dlq.ReasonMalformed)) }},
		{"publish errors", 2 * kafkaReasons, func() int { return testutil.CollectAndCount(c.PublishErrors) },
			func() float64 {
				return testutil.ToFloat64(c.PublishErrors.WithLabelValues("tickets.dlq", "unavailable"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.series, tt.got())
			assert.Zero(t, tt.zero())
		})
	}
}
