package metrics_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
)

func TestMetricsPassTheLinter(t *testing.T) {
	reg := metrics.NewRegistry()
	p := metrics.NewProducer(reg)
	c := metrics.NewConsumer(reg)
	p.InitSeries("tickets")
	c.InitSeries("tickets.processed", "tickets.dlq", []string{"write", "offsets", "commit"})
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestInitSeriesCreatesEveryReasonAtZero(t *testing.T) {
	reg := metrics.NewRegistry()
	p := metrics.NewProducer(reg)
	c := metrics.NewConsumer(reg)
	p.InitSeries("tickets")
	c.InitSeries("tickets.processed", "tickets.dlq", []string{"write", "offsets", "commit"})

	const kafkaReasons = 6 // kafka.Reason* constants
	tests := []struct {
		name   string
		series int
		got    func() int
		family string
		want   []prometheus.Labels
	}{
		{"producer produced", 1, func() int { return testutil.CollectAndCount(p.Produced) },
			"ticket_processor_producer_produced_total", []prometheus.Labels{{"topic": "tickets"}}},
		{"producer errors", kafkaReasons, func() int { return testutil.CollectAndCount(p.Errors) },
			"ticket_processor_producer_errors_total", eachReason(nil)},
		{"dead-lettered", len(failure.Strings()), func() int { return testutil.CollectAndCount(c.DeadLettered) },
			"ticket_processor_consumer_dead_lettered_total", deadLetterReasons()},
		{"publish errors", 2 * kafkaReasons, func() int { return testutil.CollectAndCount(c.PublishErrors) },
			"ticket_processor_consumer_publish_errors_total",
			append(eachReason(prometheus.Labels{"topic": "tickets.processed"}), eachReason(prometheus.Labels{"topic": "tickets.dlq"})...)},
		{"transactions aborted", 3, func() int { return testutil.CollectAndCount(c.TransactionsAborted) },
			"ticket_processor_consumer_transactions_aborted_total",
			[]prometheus.Labels{{"stage": "write"}, {"stage": "offsets"}, {"stage": "commit"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.series, tt.got())
			want := make(map[string]float64, len(tt.want))
			for _, labels := range tt.want {
				want[seriesKey(labels)] = 0
			}
			assert.Equal(t, want, gatheredSeries(t, reg, tt.family))
		})
	}
}

// TestSeriesAppearOnlyThroughInitSeries guards the test above: without
// InitSeries, the labelled series do not exist until their first increment,
// so finding them at zero proves InitSeries created them.
func TestSeriesAppearOnlyThroughInitSeries(t *testing.T) {
	reg := metrics.NewRegistry()
	metrics.NewProducer(reg)
	metrics.NewConsumer(reg)
	tests := []string{
		"ticket_processor_producer_produced_total",
		"ticket_processor_producer_errors_total",
		"ticket_processor_consumer_dead_lettered_total",
		"ticket_processor_consumer_publish_errors_total",
	}
	for _, family := range tests {
		t.Run(family, func(t *testing.T) {
			assert.Empty(t, gatheredSeries(t, reg, family))
		})
	}
}

// eachReason returns labels with a reason label added for every
// kafka.Reason* constant.
func eachReason(labels prometheus.Labels) []prometheus.Labels {
	reasons := []string{
		kafka.ReasonUnavailable, kafka.ReasonTimeout, kafka.ReasonTooLarge,
		kafka.ReasonAuth, kafka.ReasonUnknownTopic, kafka.ReasonOther,
	}
	series := make([]prometheus.Labels, 0, len(reasons))
	for _, reason := range reasons {
		l := prometheus.Labels{"reason": reason}
		maps.Copy(l, labels)
		series = append(series, l)
	}
	return series
}

// deadLetterReasons returns one reason label per dlq reason.
func deadLetterReasons() []prometheus.Labels {
	var series []prometheus.Labels
	for _, reason := range failure.Strings() {
		series = append(series, prometheus.Labels{"reason": reason})
	}
	return series
}

// gatheredSeries gathers reg and returns the series of the counter family,
// keyed by seriesKey and mapped to their values. Gathering reads the
// registry without creating series, unlike WithLabelValues.
func gatheredSeries(t *testing.T, reg prometheus.Gatherer, family string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	series := map[string]float64{}
	for _, f := range families {
		if f.GetName() != family {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := prometheus.Labels{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			series[seriesKey(labels)] = m.GetCounter().GetValue()
		}
	}
	return series
}

// seriesKey spells labels in name order, as in {reason="timeout",topic="tickets"}.
func seriesKey(labels prometheus.Labels) string {
	pairs := make([]string, 0, len(labels))
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		pairs = append(pairs, fmt.Sprintf("%s=%q", name, labels[name]))
	}
	return "{" + strings.Join(pairs, ",") + "}"
}
