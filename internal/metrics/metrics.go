// Package metrics defines every Prometheus metric of the pipeline. Each
// constructor registers on an injected Registerer, never the global one.
// Names follow ticket_processor_<subsystem>_<name>_<unit>; labels take small
// fixed sets of values (topic, partition, reason, result), never ids.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"ticket-processor/internal/buildinfo"
)

// Namespace prefixes every metric of the project.
const Namespace = "ticket_processor"

// Latency buckets, in seconds: from sub-millisecond sends on a local broker
// up to a minute, the longest a send can block while the client retries
// through a broker outage.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewRegistry returns a registry with the Go runtime, process and build-info
// collectors every daemon exports.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	promauto.With(reg).NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace,
		Name:      "build_info",
		Help:      "Always 1; the labels carry the version, VCS revision and Go version of the running binary.",
	}, []string{"version", "revision", "goversion"}).WithLabelValues(buildinfo.Version, buildinfo.Commit(), buildinfo.GoVersion()).Set(1)
	return reg
}

// Producer holds the producer daemon's metrics.
type Producer struct {
	// Produced counts tickets acknowledged by Kafka, by topic.
	Produced *prometheus.CounterVec
	// Errors counts failed sends of a ticket, by reason.
	Errors *prometheus.CounterVec
	// SendDuration observes each send to Kafka, single or batched.
	SendDuration prometheus.Histogram
	// BatchSize observes the tickets handed to Kafka per send.
	BatchSize prometheus.Histogram
	// RateLimitWait adds up the time generation waited on the rate limiter.
	RateLimitWait prometheus.Counter
	// InFlight is the tickets generated but not yet acknowledged.
	InFlight prometheus.Gauge
	// TargetRate is the configured rate (0: unthrottled).
	TargetRate prometheus.Gauge
	// Ready is 1 while /readyz answers 200.
	Ready prometheus.Gauge
}

// NewProducer registers the producer's metrics on reg.
func NewProducer(reg prometheus.Registerer) *Producer {
	f := promauto.With(reg)
	const sub = "producer"
	return &Producer{
		Produced: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: sub, Name: "produced_total",
			Help: "Tickets acknowledged by Kafka from all in-sync replicas.",
		}, []string{"topic"}),
		Errors: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: sub, Name: "errors_total",
			Help: "Ticket sends that failed after the client's own retries, by reason; the ticket is sent again.",
		}, []string{"reason"}),
		SendDuration: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: sub, Name: "send_duration_seconds",
			Help:    "Time from handing tickets to Kafka to their acknowledgement, per send.",
			Buckets: latencyBuckets,
		}),
		BatchSize: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: sub, Name: "batch_size_tickets",
			Help:    "Tickets handed to Kafka per send: 1 at low rates, up to BATCH_SIZE when unthrottled.",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500},
		}),
		RateLimitWait: f.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: sub, Name: "rate_limit_wait_seconds_total",
			Help: "Time ticket generation spent waiting on the rate limiter.",
		}),
		InFlight: f.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: sub, Name: "in_flight_tickets",
			Help: "Tickets generated and not yet acknowledged by Kafka.",
		}),
		TargetRate: f.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: sub, Name: "target_rate_tickets_per_second",
			Help: "Configured ticket rate; 0 means unthrottled.",
		}),
		Ready: f.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: sub, Name: "ready",
			Help: "1 while the producer is ready: the broker answers and sends succeed.",
		}),
	}
}
