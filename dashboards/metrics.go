package dashboards

// Metrics is the clients' inside: how sends and Kafka requests behave, how
// the consumer group moves, and the Go runtime and process of each daemon.
func Metrics() Dashboard {
	return Dashboard{
		File:        "kafka-metrics.json",
		UID:         "ticket-processor-metrics",
		Title:       "Ticket processor: client internals",
		Description: "Sends, Kafka requests (sarama's own metrics), the consumer group, and the Go runtime of each daemon.",
		Rows: []Row{
			{Title: "Producing", Panels: []Panel{
				{
					Title:       "Send latency",
					Description: "Producer: from handing tickets to Kafka to their acknowledgement, per send.",
					Unit:        "s",
					Queries: []Query{
						{`histogram_quantile(0.5, sum by (le) (rate(ticket_processor_producer_send_duration_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p50"},
						{`histogram_quantile(0.99, sum by (le) (rate(ticket_processor_producer_send_duration_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p99"},
					},
				},
				{
					Title:       "Kafka request latency",
					Description: "Every Kafka request of the client (produce, fetch, metadata, commits), over sarama's sample of about the last 5 minutes; the worst instance per job.",
					Unit:        "s",
					Queries: []Query{
						{`max by (job, percentile) (ticket_processor_kafka_client_request_latency_seconds{job=~"$job", instance=~"$instance"})`, "{{job}} p{{percentile}}"},
					},
				},
				{
					Title:       "Tickets per send",
					Description: "Producer: tickets handed to Kafka per send; 1 at low rates, up to BATCH_SIZE when Kafka is the bottleneck.",
					Unit:        "short",
					Queries: []Query{
						{`histogram_quantile(0.5, sum by (le) (rate(ticket_processor_producer_batch_size_tickets_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p50"},
						{`histogram_quantile(0.99, sum by (le) (rate(ticket_processor_producer_batch_size_tickets_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p99"},
					},
				},
				{
					Title:       "Produce batch size",
					Description: "Bytes per partition per produce request, by topic (sarama, about the last 5 minutes).",
					Unit:        "bytes",
					Queries: []Query{
						{`max by (topic, percentile) (ticket_processor_kafka_client_batch_size_bytes{job=~"$job", instance=~"$instance", topic=~"$topic"})`, "{{topic}} p{{percentile}}"},
					},
				},
				{
					Title:       "Records sent",
					Description: "Records the Kafka clients sent per second, by topic: the producer's tickets, the consumer's processed and dead-lettered tickets.",
					Unit:        "recps",
					Queries: []Query{
						{`sum by (topic) (rate(ticket_processor_kafka_client_records_sent_total{job=~"$job", instance=~"$instance", topic=~"$topic"}[$__rate_interval]))`, "{{topic}}"},
					},
				},
				{
					Title:       "Compression ratio",
					Description: "Uncompressed over compressed size of record batches, by topic (sarama, median over about the last 5 minutes); 1 means no gain.",
					Unit:        "none",
					Queries: []Query{
						{`min by (topic) (ticket_processor_kafka_client_compression_ratio{job=~"$job", instance=~"$instance", topic=~"$topic", percentile="50"})`, "{{topic}}"},
					},
				},
				{
					Title:       "Retries",
					Description: "Producer sends that failed, by reason, and the failed tickets found written all the same (so not sent again); consumer processing attempts beyond the first. Per second.",
					Unit:        "ops",
					Queries: []Query{
						{`sum by (reason) (rate(ticket_processor_producer_errors_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "producer resend {{reason}}"},
						{`sum(rate(ticket_processor_producer_found_written_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "producer found written"},
						{`sum(rate(ticket_processor_consumer_retries_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "consumer retry"},
					},
				},
				{
					Title:       "Waiting on the rate limiter",
					Description: "Share of time ticket generation waited on the rate limiter; near 100% means the producer keeps up with RATE easily.",
					Unit:        "percentunit",
					Queries: []Query{
						{`sum by (instance) (rate(ticket_processor_producer_rate_limit_wait_seconds_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "{{instance}}"},
					},
				},
				{
					Title:       "In flight",
					Description: "Producer tickets generated and not yet acknowledged, consumer tickets taken and not yet finished, and Kafka requests awaiting a response.",
					Unit:        "short",
					Width:       24,
					Queries: []Query{
						{`sum by (instance) (ticket_processor_producer_in_flight_tickets{job=~"$job", instance=~"$instance"})`, "producer tickets {{instance}}"},
						{`sum by (instance) (ticket_processor_consumer_in_flight_tickets{job=~"$job", instance=~"$instance"})`, "consumer tickets {{instance}}"},
						{`sum by (instance) (ticket_processor_kafka_client_requests_in_flight{job=~"$job", instance=~"$instance"})`, "Kafka requests {{instance}}"},
					},
				},
			}},
			{Title: "Consuming", Panels: []Panel{
				{
					Title:       "Processing time",
					Description: "From a ticket's first attempt to its outcome (published or dead-lettered), retries included. The ProcessingLatencyHigh alert fires above 500ms at p99.",
					Unit:        "s",
					Queries: []Query{
						{`histogram_quantile(0.5, sum by (le) (rate(ticket_processor_consumer_processing_duration_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p50"},
						{`histogram_quantile(0.99, sum by (le) (rate(ticket_processor_consumer_processing_duration_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p99"},
					},
				},
				{
					Title:       "Fetch requests",
					Description: "Fetch requests the consumers sent to the brokers per second.",
					Unit:        "reqps",
					Queries: []Query{
						{`sum by (instance) (rate(ticket_processor_kafka_client_fetch_requests_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "{{instance}}"},
					},
				},
				{
					Title:       "Rebalances",
					Description: "Group sessions started per interval: each is a rebalance, during which the group stops consuming.",
					Unit:        "short",
					Queries: []Query{
						{`sum by (instance) (increase(ticket_processor_consumer_rebalances_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "{{instance}}"},
					},
				},
				{
					Title:       "Assigned partitions",
					Description: "Input partitions owned by each group member.",
					Unit:        "short",
					Queries: []Query{
						{`sum by (instance) (ticket_processor_consumer_assigned_partitions{job=~"$job", instance=~"$instance"})`, "{{instance}}"},
					},
				},
				{
					Title:       "Transactions",
					Description: "Exactly-once transactions committed per second, and aborted per second by the stage that failed (write, offsets, commit). Each abort restarts the member's partitions from what was committed; TransactionsAborting fires above one a minute for 10 minutes.",
					Unit:        "ops",
					Queries: []Query{
						{`sum(rate(ticket_processor_consumer_transactions_committed_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "committed"},
						{`sum by (stage) (rate(ticket_processor_consumer_transactions_aborted_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "aborted at {{stage}}"},
						{`sum(rate(ticket_processor_consumer_producers_fenced_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "producers fenced"},
					},
				},
				{
					Title:       "Transaction duration",
					Description: "From a transaction's begin to its commit: about COMMIT_INTERVAL (100ms) plus the commit itself. A read_committed reader sees a record at the latest this long after it was written.",
					Unit:        "s",
					Queries: []Query{
						{`histogram_quantile(0.5, sum by (le) (rate(ticket_processor_consumer_transaction_duration_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p50"},
						{`histogram_quantile(0.99, sum by (le) (rate(ticket_processor_consumer_transaction_duration_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p99"},
					},
				},
				{
					Title:       "Records per transaction",
					Description: "Output and dead-letter records carried by each committed transaction; at most 5,000, when a transaction commits early.",
					Unit:        "short",
					Queries: []Query{
						{`histogram_quantile(0.5, sum by (le) (rate(ticket_processor_consumer_transaction_records_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p50"},
						{`histogram_quantile(0.99, sum by (le) (rate(ticket_processor_consumer_transaction_records_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p99"},
					},
				},
				{
					Title:       "Commit metadata size",
					Description: "Bytes of commit metadata last marked per partition: the offsets finished above the commit point, for the next owner to skip. A partition stops taking records rather than exceed COMMIT_METADATA_MAX_BYTES (4096 by default).",
					Unit:        "bytes",
					Queries: []Query{
						{`max by (partition) (ticket_processor_consumer_commit_metadata_bytes{job=~"$job", instance=~"$instance"})`, "partition {{partition}}"},
					},
				},
				{
					Title:       "Skipped as finished, and metadata full",
					Description: "Records a new owner skipped per second because the commit metadata named them finished (after a rebalance or restart), and the times per second a partition waited because its metadata was full.",
					Unit:        "short",
					Queries: []Query{
						{`sum(rate(ticket_processor_consumer_offsets_skipped_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "skipped"},
						{`sum(rate(ticket_processor_consumer_commit_metadata_full_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "metadata full"},
					},
				},
			}},
			{Title: "Runtime", Panels: []Panel{
				{
					Title:       "Network",
					Description: "Bytes the Kafka clients wrote to and read from the brokers per second.",
					Unit:        "Bps",
					Queries: []Query{
						{`sum by (instance) (rate(ticket_processor_kafka_client_sent_bytes_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "sent {{instance}}"},
						{`sum by (instance) (rate(ticket_processor_kafka_client_received_bytes_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "received {{instance}}"},
					},
				},
				{
					Title:       "CPU",
					Description: "CPU time per second of wall time: 100% is one core.",
					Unit:        "percentunit",
					Queries: []Query{
						{`sum by (instance) (rate(process_cpu_seconds_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "{{instance}}"},
					},
				},
				{
					Title:       "Resident memory",
					Description: "Resident set size of each process.",
					Unit:        "bytes",
					Queries: []Query{
						{`sum by (instance) (process_resident_memory_bytes{job=~"$job", instance=~"$instance"})`, "{{instance}}"},
					},
				},
				{
					Title:       "Go heap in use",
					Description: "Bytes in in-use heap spans.",
					Unit:        "bytes",
					Queries: []Query{
						{`sum by (instance) (go_memstats_heap_inuse_bytes{job=~"$job", instance=~"$instance"})`, "{{instance}}"},
					},
				},
				{
					Title:       "Goroutines",
					Description: "Goroutines of each process; steady growth is a leak.",
					Unit:        "short",
					Queries: []Query{
						{`sum by (instance) (go_goroutines{job=~"$job", instance=~"$instance"})`, "{{instance}}"},
					},
				},
				{
					Title:       "GC pause",
					Description: "Longest garbage-collection stop-the-world pause among the recent ones.",
					Unit:        "s",
					Queries: []Query{
						{`max by (instance) (go_gc_duration_seconds{job=~"$job", instance=~"$instance", quantile="1"})`, "{{instance}}"},
					},
				},
			}},
		},
	}
}
