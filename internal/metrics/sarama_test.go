package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	gometrics "github.com/rcrowley/go-metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/metrics"
)

// saramaHistogram registers a histogram the way sarama does and feeds it v.
func saramaHistogram(r gometrics.Registry, name string, v int64) {
	h := gometrics.NewHistogram(gometrics.NewExpDecaySample(1028, 0.015))
	h.Update(v)
	_ = r.Register(name, h)
}

func saramaMeter(t *testing.T, r gometrics.Registry, name string, n int64) {
	m := gometrics.NewMeter()
	t.Cleanup(m.Stop)
	m.Mark(n)
	_ = r.Register(name, m)
}

func TestKafkaClientExportsSaramaMetrics(t *testing.T) {
	r := gometrics.NewRegistry()
	saramaMeter(t, r, "request-rate", 7)
	saramaMeter(t, r, "request-rate-for-broker-1", 7) // per broker: not exported
	saramaMeter(t, r, "outgoing-byte-rate", 2048)
	saramaMeter(t, r, "record-send-rate-for-topic-tickets_processed", 5)
	saramaMeter(t, r, "record-send-rate-for-topic-other_topic", 1)
	gometrics.GetOrRegisterCounter("requests-in-flight", r).Inc(2)
	saramaHistogram(r, "request-latency-in-ms", 12)
	saramaHistogram(r, "batch-size-for-topic-tickets", 900)
	saramaHistogram(r, "compression-ratio-for-topic-tickets", 250)
	saramaHistogram(r, "response-size", 100) // not exported

	reg := prometheus.NewRegistry()
	c := metrics.NewKafkaClient(reg, r, "tickets", "tickets.processed")

	want := `
# HELP ticket_processor_kafka_client_batch_size_bytes Bytes per partition per produce request, by topic, over the client's decaying sample of about the last 5 minutes.
# TYPE ticket_processor_kafka_client_batch_size_bytes gauge
ticket_processor_kafka_client_batch_size_bytes{percentile="50",topic="tickets"} 900
ticket_processor_kafka_client_batch_size_bytes{percentile="95",topic="tickets"} 900
ticket_processor_kafka_client_batch_size_bytes{percentile="99",topic="tickets"} 900
# HELP ticket_processor_kafka_client_compression_ratio Uncompressed over compressed size of record batches (1: not compressed), by topic, over the client's decaying sample of about the last 5 minutes.
# TYPE ticket_processor_kafka_client_compression_ratio gauge
ticket_processor_kafka_client_compression_ratio{percentile="50",topic="tickets"} 2.5
ticket_processor_kafka_client_compression_ratio{percentile="95",topic="tickets"} 2.5
ticket_processor_kafka_client_compression_ratio{percentile="99",topic="tickets"} 2.5
# HELP ticket_processor_kafka_client_records_sent_total Records the Kafka client sent, by topic.
# TYPE ticket_processor_kafka_client_records_sent_total counter
ticket_processor_kafka_client_records_sent_total{topic="other_topic"} 1
ticket_processor_kafka_client_records_sent_total{topic="tickets.processed"} 5
# HELP ticket_processor_kafka_client_request_latency_seconds Kafka request latency, all brokers, over the client's decaying sample of about the last 5 minutes.
# TYPE ticket_processor_kafka_client_request_latency_seconds gauge
ticket_processor_kafka_client_request_latency_seconds{percentile="50"} 0.012
ticket_processor_kafka_client_request_latency_seconds{percentile="95"} 0.012
ticket_processor_kafka_client_request_latency_seconds{percentile="99"} 0.012
# HELP ticket_processor_kafka_client_requests_in_flight Kafka requests sent and awaiting a response, all brokers.
# TYPE ticket_processor_kafka_client_requests_in_flight gauge
ticket_processor_kafka_client_requests_in_flight 2
# HELP ticket_processor_kafka_client_requests_total Requests the Kafka client sent to all brokers.
# TYPE ticket_processor_kafka_client_requests_total counter
ticket_processor_kafka_client_requests_total 7
# HELP ticket_processor_kafka_client_sent_bytes_total Bytes the Kafka client wrote to all brokers.
# TYPE ticket_processor_kafka_client_sent_bytes_total counter
ticket_processor_kafka_client_sent_bytes_total 2048
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want)))
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestKafkaClientSkipsMetricsOfAnUnexpectedType(t *testing.T) {
	tests := []struct {
		name   string
		sarama func(r gometrics.Registry)
	}{
		{"histogram where a meter is expected", func(r gometrics.Registry) { saramaHistogram(r, "request-rate", 1) }},
		{"meter where a histogram is expected", func(r gometrics.Registry) {
			m := gometrics.NewMeter()
			t.Cleanup(m.Stop)
			_ = r.Register("request-latency-in-ms", m)
		}},
		{"counter where a meter is expected", func(r gometrics.Registry) {
			gometrics.GetOrRegisterCounter("record-send-rate-for-topic-tickets", r).Inc(1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gometrics.NewRegistry()
			tt.sarama(r)
			c := metrics.NewKafkaClient(prometheus.NewRegistry(), r)
			assert.Zero(t, testutil.CollectAndCount(c))
		})
	}
}
