// Package metrics defines every Prometheus metric of the pipeline. Each
// constructor registers on an injected Registerer, never the global one.
// Names follow ticket_processor_<subsystem>_<name>_<unit>; labels take small
// fixed sets of values (topic, partition, reason, result), never ids.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"ticket-processor/internal/buildinfo"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafka"
)

// Namespace prefixes every metric of the project.
const Namespace = "ticket_processor"

// Names of the daemons' metrics, as /metrics shows them: the one place they
// are spelled, for the definitions below and for every reader (the demo's
// status line; the dashboards' tests check their queries against Names).
const (
	ProducerProducedTotal              = Namespace + "_producer_produced_total"
	ProducerErrorsTotal                = Namespace + "_producer_errors_total"
	ProducerFoundWrittenTotal          = Namespace + "_producer_found_written_total"
	ProducerSendDurationSeconds        = Namespace + "_producer_send_duration_seconds"
	ProducerBatchSizeTickets           = Namespace + "_producer_batch_size_tickets"
	ProducerRateLimitWaitSecondsTotal  = Namespace + "_producer_rate_limit_wait_seconds_total"
	ProducerInFlightTickets            = Namespace + "_producer_in_flight_tickets"
	ProducerTargetRateTicketsPerSecond = Namespace + "_producer_target_rate_tickets_per_second"
	ProducerReady                      = Namespace + "_producer_ready"
	ConsumerConsumedTotal              = Namespace + "_consumer_consumed_total"
	ConsumerProcessedTotal             = Namespace + "_consumer_processed_total"
	ConsumerRetriesTotal               = Namespace + "_consumer_retries_total"
	ConsumerDeadLetteredTotal          = Namespace + "_consumer_dead_lettered_total"
	ConsumerOrderGapsTotal             = Namespace + "_consumer_order_gaps_total"
	ConsumerOrderRepeatsTotal          = Namespace + "_consumer_order_repeats_total"
	ConsumerProcessingDurationSeconds  = Namespace + "_consumer_processing_duration_seconds"
	ConsumerEndToEndLatencySeconds     = Namespace + "_consumer_end_to_end_latency_seconds"
	ConsumerInFlightTickets            = Namespace + "_consumer_in_flight_tickets"
	ConsumerLagMessages                = Namespace + "_consumer_lag_messages"
	ConsumerLagSeconds                 = Namespace + "_consumer_lag_seconds"
	ConsumerStalledSeconds             = Namespace + "_consumer_stalled_seconds"
	ConsumerOffsetsSkippedTotal        = Namespace + "_consumer_offsets_skipped_total"
	ConsumerMetadataFullTotal          = Namespace + "_consumer_commit_metadata_full_total"
	ConsumerCommitMetadataBytes        = Namespace + "_consumer_commit_metadata_bytes"
	ConsumerTransactionsCommittedTotal = Namespace + "_consumer_transactions_committed_total"
	ConsumerTransactionsAbortedTotal   = Namespace + "_consumer_transactions_aborted_total"
	ConsumerTransactionDurationSeconds = Namespace + "_consumer_transaction_duration_seconds"
	ConsumerTransactionRecords         = Namespace + "_consumer_transaction_records"
	ConsumerProducersFencedTotal       = Namespace + "_consumer_producers_fenced_total"
	ConsumerAssignedPartitions         = Namespace + "_consumer_assigned_partitions"
	ConsumerRebalancesTotal            = Namespace + "_consumer_rebalances_total"
	ConsumerPublishErrorsTotal         = Namespace + "_consumer_publish_errors_total"
	ConsumerReady                      = Namespace + "_consumer_ready"
)

// Latency buckets, in seconds: from sub-millisecond sends on a local broker
// up to a minute, the longest a send can block while the client retries
// through a broker outage. Measured on a local broker at RATE=100: half the
// sends and two thirds of the processing took under 0.5ms, hence the two
// buckets below it; unthrottled, sends took 1-5ms.
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Batch buckets, in tickets per send: 1 at low rates; unthrottled on a
// local broker nearly every send took between 100 and 250 tickets, so that
// range is split finer.
var batchBuckets = []float64{1, 2, 5, 10, 25, 50, 100, 150, 200, 250, 300, 400, 500, 1000, 2500}

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

// kafkaErrorReasons are the values of the reason label on Kafka errors:
// every reason kafka.ErrorReason returns.
var kafkaErrorReasons = []string{
	kafka.ReasonUnavailable, kafka.ReasonTimeout, kafka.ReasonTooLarge,
	kafka.ReasonAuth, kafka.ReasonUnknownTopic, kafka.ReasonOther,
}

// Producer holds the producer daemon's metrics.
type Producer struct {
	// Produced counts tickets acknowledged by Kafka, by topic.
	Produced *prometheus.CounterVec
	// Errors counts failed sends of a ticket, by reason.
	Errors *prometheus.CounterVec
	// FoundWritten counts tickets whose send was reported failed but which
	// were found in the topic, so were not sent again.
	FoundWritten prometheus.Counter
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
	return &Producer{
		Produced: f.NewCounterVec(prometheus.CounterOpts{
			Name: ProducerProducedTotal,
			Help: "Tickets acknowledged by Kafka from all in-sync replicas.",
		}, []string{"topic"}),
		Errors: f.NewCounterVec(prometheus.CounterOpts{
			Name: ProducerErrorsTotal,
			Help: "Ticket sends that failed after the client's own retries, by reason; the ticket is sent again.",
		}, []string{"reason"}),
		FoundWritten: f.NewCounter(prometheus.CounterOpts{
			Name: ProducerFoundWrittenTotal,
			Help: "Tickets whose send failed but which Kafka had written all the same (the answer was lost); they were not sent again, which would have duplicated them.",
		}),
		SendDuration: f.NewHistogram(prometheus.HistogramOpts{
			Name:    ProducerSendDurationSeconds,
			Help:    "Time from handing tickets to Kafka to their acknowledgement, per send.",
			Buckets: latencyBuckets,
		}),
		BatchSize: f.NewHistogram(prometheus.HistogramOpts{
			Name:    ProducerBatchSizeTickets,
			Help:    "Tickets handed to Kafka per send: 1 at low rates, up to BATCH_SIZE when unthrottled.",
			Buckets: batchBuckets,
		}),
		RateLimitWait: f.NewCounter(prometheus.CounterOpts{
			Name: ProducerRateLimitWaitSecondsTotal,
			Help: "Time ticket generation spent waiting on the rate limiter.",
		}),
		InFlight: f.NewGauge(prometheus.GaugeOpts{
			Name: ProducerInFlightTickets,
			Help: "Tickets generated and not yet acknowledged by Kafka.",
		}),
		TargetRate: f.NewGauge(prometheus.GaugeOpts{
			Name: ProducerTargetRateTicketsPerSecond,
			Help: "Configured ticket rate; 0 means unthrottled.",
		}),
		Ready: f.NewGauge(prometheus.GaugeOpts{
			Name: ProducerReady,
			Help: "1 while the producer is ready: the broker answers and sends succeed.",
		}),
	}
}

// InitSeries creates, at zero, the series of topic and of every error
// reason. A labelled series otherwise appears only at its first increment:
// until then dashboards show "No data" instead of a zero rate, and rate()
// misses that first increment, so an alert on it fires late or not at all.
func (m *Producer) InitSeries(topic string) {
	m.Produced.WithLabelValues(topic)
	for _, reason := range kafkaErrorReasons {
		m.Errors.WithLabelValues(reason)
	}
}

// The Producer's methods implement producer.Observer.

// SetTargetRate sets TargetRate.
func (m *Producer) SetTargetRate(perSecond float64) { m.TargetRate.Set(perSecond) }

// WaitedForRate adds d to RateLimitWait.
func (m *Producer) WaitedForRate(d time.Duration) { m.RateLimitWait.Add(d.Seconds()) }

// AddInFlight moves InFlight by delta.
func (m *Producer) AddInFlight(delta int) { m.InFlight.Add(float64(delta)) }

// Sent observes one send of n tickets that took d.
func (m *Producer) Sent(n int, d time.Duration) {
	m.BatchSize.Observe(float64(n))
	m.SendDuration.Observe(d.Seconds())
}

// SendFailed counts one failed ticket send by reason.
func (m *Producer) SendFailed(reason string) { m.Errors.WithLabelValues(reason).Inc() }

// Acknowledged counts n tickets acknowledged on topic.
func (m *Producer) Acknowledged(topic string, n int) {
	m.Produced.WithLabelValues(topic).Add(float64(n))
}

// WrittenAllTheSame counts n failed tickets found written.
func (m *Producer) WrittenAllTheSame(n int) { m.FoundWritten.Add(float64(n)) }

// SetReady sets Ready to 1 or 0.
func (m *Producer) SetReady(ready bool) { m.Ready.Set(boolGauge(ready)) }

// boolGauge is 1 for true and 0 for false.
func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Consumer holds the consumer daemon's metrics.
type Consumer struct {
	// Consumed counts tickets taken from the input topic, by partition.
	Consumed *prometheus.CounterVec
	// Processed counts tickets processed and published to the output topic.
	Processed prometheus.Counter
	// Retries counts attempts beyond the first, after transient errors.
	Retries prometheus.Counter
	// DeadLettered counts tickets written to the dead-letter topic, by reason.
	DeadLettered *prometheus.CounterVec
	// OrderGaps counts tickets whose sequence skipped ahead of their order's
	// next, and tickets dead-lettered in their turn under the continue
	// policy. OrderRepeats counts copies of published tickets, skipped.
	OrderGaps    prometheus.Counter
	OrderRepeats prometheus.Counter
	// ProcessingDuration observes one ticket from the start of its first
	// attempt to its outcome (published or dead-lettered).
	ProcessingDuration prometheus.Histogram
	// EndToEndLatency observes created_at to processed, per ticket.
	EndToEndLatency prometheus.Histogram
	// InFlight is the tickets taken and not yet finished, by partition.
	InFlight *prometheus.GaugeVec
	// LagMessages is high watermark minus committed offset, by partition.
	LagMessages *prometheus.GaugeVec
	// LagSeconds is the age of the oldest unfinished ticket, by partition.
	LagSeconds *prometheus.GaugeVec
	// StalledSeconds is how long a partition has held tickets without
	// finishing one, by partition.
	StalledSeconds *prometheus.GaugeVec
	// OffsetsSkipped counts records skipped at claim time, finished
	// already by the partition's previous owner (its commit metadata).
	OffsetsSkipped prometheus.Counter
	// MetadataFull counts the times a partition stopped taking records
	// because its commit metadata could not have named them.
	MetadataFull prometheus.Counter
	// CommitMetadataBytes is the size of each partition's last commit
	// metadata.
	CommitMetadataBytes *prometheus.GaugeVec
	// TransactionsCommitted and TransactionsAborted (by the stage that
	// failed) count the exactly-once transactions; TransactionDuration and
	// TransactionRecords observe the committed ones, from begin to commit.
	TransactionsCommitted prometheus.Counter
	TransactionsAborted   *prometheus.CounterVec
	TransactionDuration   prometheus.Histogram
	TransactionRecords    prometheus.Histogram
	// ProducersFenced counts transactional producers fenced and made again.
	ProducersFenced prometheus.Counter
	// AssignedPartitions is the partitions this member owns.
	AssignedPartitions prometheus.Gauge
	// Rebalances counts group sessions started.
	Rebalances prometheus.Counter
	// PublishErrors counts failed writes to the output and dead-letter topics.
	PublishErrors *prometheus.CounterVec
	// Ready is 1 while the consumer is a member of its group.
	Ready prometheus.Gauge
}

// NewConsumer registers the consumer's metrics on reg.
func NewConsumer(reg prometheus.Registerer) *Consumer {
	f := promauto.With(reg)
	return &Consumer{
		Consumed: f.NewCounterVec(prometheus.CounterOpts{
			Name: ConsumerConsumedTotal,
			Help: "Tickets taken from the input topic.",
		}, []string{"topic", "partition"}),
		Processed: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerProcessedTotal,
			Help: "Tickets processed and published to the output topic.",
		}),
		Retries: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerRetriesTotal,
			Help: "Processing attempts beyond the first, after transient errors.",
		}),
		DeadLettered: f.NewCounterVec(prometheus.CounterOpts{
			Name: ConsumerDeadLetteredTotal,
			Help: "Tickets written to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		OrderGaps: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerOrderGapsTotal,
			Help: "Tickets whose sequence skipped ahead of their order's next one (dead-lettered as out_of_sequence), and tickets dead-lettered in their turn, which leave a gap in their order's output.",
		}),
		OrderRepeats: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerOrderRepeatsTotal,
			Help: "Copies of a ticket already published for its order (same ticket_id and sequence); they are skipped.",
		}),
		ProcessingDuration: f.NewHistogram(prometheus.HistogramOpts{
			Name:    ConsumerProcessingDurationSeconds,
			Help:    "Time from a ticket's first attempt to its outcome, retries included.",
			Buckets: latencyBuckets,
		}),
		EndToEndLatency: f.NewHistogram(prometheus.HistogramOpts{
			Name:    ConsumerEndToEndLatencySeconds,
			Help:    "Time from a ticket's created_at to its processing.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
		InFlight: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: ConsumerInFlightTickets,
			Help: "Tickets taken from a partition and not yet finished.",
		}, []string{"partition"}),
		LagMessages: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: ConsumerLagMessages,
			Help: "High watermark minus the committed offset, per assigned partition.",
		}, []string{"partition"}),
		LagSeconds: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: ConsumerLagSeconds,
			Help: "Age of the oldest unfinished ticket, per assigned partition; 0 when none waits.",
		}, []string{"partition"}),
		StalledSeconds: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: ConsumerStalledSeconds,
			Help: "How long an assigned partition has held taken tickets without finishing one; 0 while tickets finish or none is held.",
		}, []string{"partition"}),
		OffsetsSkipped: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerOffsetsSkippedTotal,
			Help: "Records skipped when a partition was claimed, because its previous owner had finished them (they are named in the commit metadata).",
		}),
		MetadataFull: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerMetadataFullTotal,
			Help: "Times a partition stopped taking records until its commit point moved, because the commit metadata could not have named them within COMMIT_METADATA_MAX_BYTES.",
		}),
		CommitMetadataBytes: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: ConsumerCommitMetadataBytes,
			Help: "Size of the commit metadata last marked for an assigned partition: the offsets finished above its commit point.",
		}, []string{"partition"}),
		TransactionsCommitted: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerTransactionsCommittedTotal,
			Help: "Transactions committed under exactly-once: records and offsets made visible together.",
		}),
		TransactionsAborted: f.NewCounterVec(prometheus.CounterOpts{
			Name: ConsumerTransactionsAbortedTotal,
			Help: "Transactions aborted under exactly-once, by the stage that failed (write, offsets, commit); the member then starts its partitions again from what was committed.",
		}, []string{"stage"}),
		TransactionDuration: f.NewHistogram(prometheus.HistogramOpts{
			Name:    ConsumerTransactionDurationSeconds,
			Help:    "Time from a transaction's begin to its commit.",
			Buckets: latencyBuckets,
		}),
		TransactionRecords: f.NewHistogram(prometheus.HistogramOpts{
			Name:    ConsumerTransactionRecords,
			Help:    "Output and dead-letter records per committed transaction.",
			Buckets: []float64{1, 10, 50, 100, 250, 500, 1000, 2500, 5000},
		}),
		ProducersFenced: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerProducersFencedTotal,
			Help: "Transactional producers fenced by the brokers (a newer producer or group generation took over) and made again.",
		}),
		AssignedPartitions: f.NewGauge(prometheus.GaugeOpts{
			Name: ConsumerAssignedPartitions,
			Help: "Partitions assigned to this group member.",
		}),
		Rebalances: f.NewCounter(prometheus.CounterOpts{
			Name: ConsumerRebalancesTotal,
			Help: "Group sessions started, one per rebalance.",
		}),
		PublishErrors: f.NewCounterVec(prometheus.CounterOpts{
			Name: ConsumerPublishErrorsTotal,
			Help: "Failed writes to the output or dead-letter topic, by topic and reason.",
		}, []string{"topic", "reason"}),
		Ready: f.NewGauge(prometheus.GaugeOpts{
			Name: ConsumerReady,
			Help: "1 while the consumer is a member of its group.",
		}),
	}
}

// InitSeries creates, at zero, the series of every dead-letter reason and
// of every publish-error reason for the output and dead-letter topics; see
// [Producer.InitSeries] for why.
func (m *Consumer) InitSeries(outputTopic, dlqTopic string, transactionStages []string) {
	for _, reason := range failure.Strings() {
		m.DeadLettered.WithLabelValues(reason)
	}
	for _, topic := range []string{outputTopic, dlqTopic} {
		for _, reason := range kafkaErrorReasons {
			m.PublishErrors.WithLabelValues(topic, reason)
		}
	}
	for _, stage := range transactionStages {
		m.TransactionsAborted.WithLabelValues(stage)
	}
}

// The Consumer's methods implement consumer.Observer.

// SetMember sets Ready to 1 while the consumer is a group member.
func (m *Consumer) SetMember(member bool) { m.Ready.Set(boolGauge(member)) }

// PartitionsAssigned counts a rebalance and sets AssignedPartitions.
func (m *Consumer) PartitionsAssigned(n int) {
	m.Rebalances.Inc()
	m.AssignedPartitions.Set(float64(n))
}

// PartitionsReleased sets AssignedPartitions to 0.
func (m *Consumer) PartitionsReleased() { m.AssignedPartitions.Set(0) }

// TicketHandled observes ProcessingDuration.
func (m *Consumer) TicketHandled(d time.Duration) { m.ProcessingDuration.Observe(d.Seconds()) }

// TicketProcessed counts Processed and observes EndToEndLatency.
func (m *Consumer) TicketProcessed(endToEnd time.Duration) {
	m.Processed.Inc()
	m.EndToEndLatency.Observe(endToEnd.Seconds())
}

// TicketRetried counts Retries.
func (m *Consumer) TicketRetried() { m.Retries.Inc() }

// TicketDeadLettered counts DeadLettered by reason.
func (m *Consumer) TicketDeadLettered(reason failure.Reason) {
	m.DeadLettered.WithLabelValues(string(reason)).Inc()
}

// OrderGap counts OrderGaps.
func (m *Consumer) OrderGap() { m.OrderGaps.Inc() }

// CopySkipped counts OrderRepeats.
func (m *Consumer) CopySkipped() { m.OrderRepeats.Inc() }

// PublishFailed counts PublishErrors by topic and reason.
func (m *Consumer) PublishFailed(topic, reason string) {
	m.PublishErrors.WithLabelValues(topic, reason).Inc()
}

// TransactionCommitted counts TransactionsCommitted and observes its
// duration and size.
func (m *Consumer) TransactionCommitted(records int, d time.Duration) {
	m.TransactionsCommitted.Inc()
	m.TransactionDuration.Observe(d.Seconds())
	m.TransactionRecords.Observe(float64(records))
}

// TransactionAborted counts TransactionsAborted by stage.
func (m *Consumer) TransactionAborted(stage string) {
	m.TransactionsAborted.WithLabelValues(stage).Inc()
}

// ProducerFenced counts ProducersFenced.
func (m *Consumer) ProducerFenced() { m.ProducersFenced.Inc() }

// Partition returns the series of one claimed partition, resolved once
// rather than per ticket.
func (m *Consumer) Partition(topic string, partition int32) *ConsumerPartition {
	label := strconv.FormatInt(int64(partition), 10)
	return &ConsumerPartition{
		m: m, label: label,
		consumed: m.Consumed.WithLabelValues(topic, label),
		inFlight: m.InFlight.WithLabelValues(label),
	}
}

// ConsumerPartition holds the series of one claimed partition; it
// implements consumer.PartitionObserver.
type ConsumerPartition struct {
	m        *Consumer
	label    string
	consumed prometheus.Counter
	inFlight prometheus.Gauge
}

// Consumed counts one record taken.
func (p *ConsumerPartition) Consumed() { p.consumed.Inc() }

// AddInFlight moves the partition's InFlight by delta.
func (p *ConsumerPartition) AddInFlight(delta int) { p.inFlight.Add(float64(delta)) }

// Lag sets LagMessages and LagSeconds.
func (p *ConsumerPartition) Lag(messages int64, oldest time.Duration) {
	p.m.LagMessages.WithLabelValues(p.label).Set(float64(messages))
	p.m.LagSeconds.WithLabelValues(p.label).Set(oldest.Seconds())
}

// Stalled sets StalledSeconds.
func (p *ConsumerPartition) Stalled(d time.Duration) {
	p.m.StalledSeconds.WithLabelValues(p.label).Set(d.Seconds())
}

// AheadSkipped counts OffsetsSkipped.
func (p *ConsumerPartition) AheadSkipped() { p.m.OffsetsSkipped.Inc() }

// MetadataFull counts MetadataFull.
func (p *ConsumerPartition) MetadataFull() { p.m.MetadataFull.Inc() }

// CommitMetadata sets CommitMetadataBytes.
func (p *ConsumerPartition) CommitMetadata(bytes int) {
	p.m.CommitMetadataBytes.WithLabelValues(p.label).Set(float64(bytes))
}

// Released deletes the partition's lag, stall, in-flight and metadata
// series: another member reports them now.
func (p *ConsumerPartition) Released() {
	p.m.CommitMetadataBytes.DeleteLabelValues(p.label)
	p.m.LagMessages.DeleteLabelValues(p.label)
	p.m.LagSeconds.DeleteLabelValues(p.label)
	p.m.StalledSeconds.DeleteLabelValues(p.label)
	p.m.InFlight.DeleteLabelValues(p.label)
}

// Names returns every name above.
func Names() []string {
	return []string{
		ProducerProducedTotal,
		ProducerErrorsTotal,
		ProducerFoundWrittenTotal,
		ProducerSendDurationSeconds,
		ProducerBatchSizeTickets,
		ProducerRateLimitWaitSecondsTotal,
		ProducerInFlightTickets,
		ProducerTargetRateTicketsPerSecond,
		ProducerReady,
		ConsumerConsumedTotal,
		ConsumerProcessedTotal,
		ConsumerRetriesTotal,
		ConsumerDeadLetteredTotal,
		ConsumerOrderGapsTotal,
		ConsumerOrderRepeatsTotal,
		ConsumerProcessingDurationSeconds,
		ConsumerEndToEndLatencySeconds,
		ConsumerInFlightTickets,
		ConsumerLagMessages,
		ConsumerLagSeconds,
		ConsumerStalledSeconds,
		ConsumerOffsetsSkippedTotal,
		ConsumerMetadataFullTotal,
		ConsumerCommitMetadataBytes,
		ConsumerTransactionsCommittedTotal,
		ConsumerTransactionsAbortedTotal,
		ConsumerTransactionDurationSeconds,
		ConsumerTransactionRecords,
		ConsumerProducersFencedTotal,
		ConsumerAssignedPartitions,
		ConsumerRebalancesTotal,
		ConsumerPublishErrorsTotal,
		ConsumerReady,
	}
}
