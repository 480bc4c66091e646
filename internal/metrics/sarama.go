package metrics

import (
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	gometrics "github.com/rcrowley/go-metrics"
)

// clientPercentiles are the percentiles exported for each of sarama's
// histograms.
var clientPercentiles = []float64{50, 95, 99}

// clientKind is the go-metrics type of one of sarama's metrics.
type clientKind int

const (
	// meter: exported as a counter of its total count.
	meter clientKind = iota
	// counter: sarama's up-and-down counters, exported as a gauge.
	counter
	// histogram: exported as a gauge per percentile.
	histogram
)

// clientMetric maps one of sarama's go-metrics to a Prometheus metric.
type clientMetric struct {
	// sarama is the name in sarama's registry. A per-topic metric is
	// registered as sarama+"-for-topic-"+topic, with the topic's dots
	// turned into underscores.
	sarama   string
	perTopic bool
	kind     clientKind
	// scale converts a histogram's values to the exported unit.
	scale float64
	desc  *prometheus.Desc
}

// KafkaClient is a prometheus.Collector that exports the sarama client's
// own metrics, read from its go-metrics registry (sarama.Config's
// MetricRegistry) on each scrape: request latency and rate, requests in
// flight, bytes on the wire, and per topic the records sent, the batch size
// and the compression ratio.
//
// sarama keeps its histograms as exponentially decaying samples biased to
// the last five minutes, with no running sum, so they can be neither
// Prometheus histograms nor summaries. They are exported as gauges with a
// percentile label ("50", "95", "99"); percentiles cannot be averaged or
// summed across instances, take the max. Meters become counters of their
// total count, for rate().
type KafkaClient struct {
	registry gometrics.Registry
	metrics  []clientMetric
	// topics maps the underscored form sarama uses in metric names back to
	// the topic names the client was given.
	topics map[string]string
}

// NewKafkaClient registers on reg a collector reading r, sarama's metric
// registry. topics are the topics the client writes to or reads from; they
// restore the dots that sarama turns into underscores in its metric names.
// Other topics are labelled in sarama's underscored form.
func NewKafkaClient(reg prometheus.Registerer, r gometrics.Registry, topics ...string) *KafkaClient {
	const sub = "kafka_client"
	name := func(n string) string { return prometheus.BuildFQName(Namespace, sub, n) }
	percentile := []string{"percentile"}
	topicPercentile := []string{"topic", "percentile"}
	c := &KafkaClient{
		registry: r,
		topics:   make(map[string]string, len(topics)),
		metrics: []clientMetric{
			{sarama: "request-rate", kind: meter, desc: prometheus.NewDesc(name("requests_total"),
				"Requests the Kafka client sent to all brokers.", nil, nil)},
			{sarama: "request-latency-in-ms", kind: histogram, scale: 1e-3, desc: prometheus.NewDesc(name("request_latency_seconds"),
				"Kafka request latency, all brokers, over the client's decaying sample of about the last 5 minutes.", percentile, nil)},
			{sarama: "requests-in-flight", kind: counter, desc: prometheus.NewDesc(name("requests_in_flight"),
				"Kafka requests sent and awaiting a response, all brokers.", nil, nil)},
			{sarama: "outgoing-byte-rate", kind: meter, desc: prometheus.NewDesc(name("sent_bytes_total"),
				"Bytes the Kafka client wrote to all brokers.", nil, nil)},
			{sarama: "incoming-byte-rate", kind: meter, desc: prometheus.NewDesc(name("received_bytes_total"),
				"Bytes the Kafka client read from all brokers.", nil, nil)},
			{sarama: "consumer-fetch-rate", kind: meter, desc: prometheus.NewDesc(name("fetch_requests_total"),
				"Fetch requests the Kafka client sent to all brokers.", nil, nil)},
			{sarama: "record-send-rate", perTopic: true, kind: meter, desc: prometheus.NewDesc(name("records_sent_total"),
				"Records the Kafka client sent, by topic.", []string{"topic"}, nil)},
			{sarama: "batch-size", perTopic: true, kind: histogram, scale: 1, desc: prometheus.NewDesc(name("batch_size_bytes"),
				"Bytes per partition per produce request, by topic, over the client's decaying sample of about the last 5 minutes.", topicPercentile, nil)},
			{sarama: "records-per-request", perTopic: true, kind: histogram, scale: 1, desc: prometheus.NewDesc(name("request_records"),
				"Records per produce request, by topic, over the client's decaying sample of about the last 5 minutes.", topicPercentile, nil)},
			{sarama: "compression-ratio", perTopic: true, kind: histogram, scale: 1e-2, desc: prometheus.NewDesc(name("compression_ratio"),
				"Uncompressed over compressed size of record batches (1: not compressed), by topic, over the client's decaying sample of about the last 5 minutes.", topicPercentile, nil)},
		},
	}
	for _, t := range topics {
		c.topics[saramaTopic(t)] = t
	}
	reg.MustRegister(c)
	return c
}

// saramaTopic is topic as sarama writes it into metric names.
func saramaTopic(topic string) string { return strings.ReplaceAll(topic, ".", "_") }

// Describe sends the descriptors of every metric the collector may export.
func (c *KafkaClient) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

// Collect reads sarama's registry and sends the metrics it holds so far:
// sarama registers most of them on first use.
func (c *KafkaClient) Collect(ch chan<- prometheus.Metric) {
	c.registry.Each(func(name string, value any) {
		for _, m := range c.metrics {
			var labels []string
			switch {
			case m.perTopic:
				topic, ok := strings.CutPrefix(name, m.sarama+"-for-topic-")
				if !ok {
					continue
				}
				if t, known := c.topics[topic]; known {
					topic = t
				}
				labels = []string{topic}
			case name != m.sarama:
				continue
			}
			collectOne(ch, m, value, labels)
			return
		}
	})
}

// collectOne sends value, one of sarama's go-metrics, as m. A value of
// another type than m expects is skipped rather than exported wrongly.
func collectOne(ch chan<- prometheus.Metric, m clientMetric, value any, labels []string) {
	switch v := value.(type) {
	case gometrics.Meter:
		if m.kind == meter {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.CounterValue, float64(v.Count()), labels...)
		}
	case gometrics.Counter:
		if m.kind == counter {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, float64(v.Count()), labels...)
		}
	case gometrics.Histogram:
		if m.kind != histogram {
			return
		}
		fractions := make([]float64, len(clientPercentiles))
		for i, p := range clientPercentiles {
			fractions[i] = p / 100
		}
		values := v.Snapshot().Percentiles(fractions)
		for i, p := range clientPercentiles {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, values[i]*m.scale,
				slices.Concat(labels, []string{strconv.FormatFloat(p, 'g', -1, 64)})...)
		}
	}
}
