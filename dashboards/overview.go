package dashboards

// Overview is the pipeline at a glance: what goes in, what comes out, what
// is dead-lettered, how far behind the consumers are, how long a ticket
// takes end to end, and whether every target is up.
func Overview() Dashboard {
	return Dashboard{
		File:        "kafka-overview.json",
		UID:         "ticket-processor-overview",
		Title:       "Ticket processor: overview",
		Description: "The pipeline at a glance. Alerts: prometheus/alerts.yml; runbook: README.",
		Rows: []Row{{Panels: []Panel{
			{
				Title:       "Tickets produced vs target",
				Description: "Tickets acknowledged by Kafka per second, by topic, against the configured RATE (0: unthrottled).",
				Unit:        "mps",
				Queries: []Query{
					{`sum by (topic) (rate(ticket_processor_producer_produced_total{job=~"$job", instance=~"$instance", topic=~"$topic"}[$__rate_interval]))`, "produced {{topic}}"},
					{`sum(ticket_processor_producer_target_rate_tickets_per_second{job=~"$job", instance=~"$instance"})`, "target"},
				},
			},
			{
				Title:       "Tickets consumed and processed",
				Description: "Tickets taken from the input topic and tickets published to the output topic, per second.",
				Unit:        "mps",
				Queries: []Query{
					{`sum by (topic) (rate(ticket_processor_consumer_consumed_total{job=~"$job", instance=~"$instance", topic=~"$topic"}[$__rate_interval]))`, "consumed {{topic}}"},
					{`sum(rate(ticket_processor_consumer_processed_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "processed"},
				},
			},
			{
				Title:       "Dead-lettered by reason",
				Description: "Tickets written to the dead-letter topic per second, by reason. Every reason is shown, at zero until it happens.",
				Unit:        "mps",
				Queries: []Query{
					{`sum by (reason) (rate(ticket_processor_consumer_dead_lettered_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "{{reason}}"},
				},
			},
			{
				Title:       "Send and publish errors",
				Description: "Producer sends that failed after the client's retries (they are sent again) and failed consumer writes to the output and dead-letter topics, per second, by reason.",
				Unit:        "ops",
				Queries: []Query{
					{`sum by (reason) (rate(ticket_processor_producer_errors_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "producer {{reason}}"},
					{`sum by (topic, reason) (rate(ticket_processor_consumer_publish_errors_total{job=~"$job", instance=~"$instance", topic=~"$topic"}[$__rate_interval]))`, "consumer {{topic}} {{reason}}"},
				},
			},
			{
				Title:       "Consumer lag per partition",
				Description: "Input tickets not yet committed by the group: high watermark minus committed offset, per partition.",
				Unit:        "short",
				Queries: []Query{
					{`max by (partition) (ticket_processor_consumer_lag_messages{job=~"$job", instance=~"$instance"})`, "partition {{partition}}"},
				},
			},
			{
				Title:       "Oldest unfinished ticket per partition",
				Description: "Age of the oldest ticket taken and not yet finished, per partition; 0 when none waits.",
				Unit:        "s",
				Queries: []Query{
					{`max by (partition) (ticket_processor_consumer_lag_seconds{job=~"$job", instance=~"$instance"})`, "partition {{partition}}"},
				},
			},
			{
				Title:       "End-to-end latency",
				Description: "From a ticket's created_at to its processing: 50th, 95th and 99th percentile over all consumers.",
				Unit:        "s",
				Queries: []Query{
					{`histogram_quantile(0.5, sum by (le) (rate(ticket_processor_consumer_end_to_end_latency_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p50"},
					{`histogram_quantile(0.95, sum by (le) (rate(ticket_processor_consumer_end_to_end_latency_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p95"},
					{`histogram_quantile(0.99, sum by (le) (rate(ticket_processor_consumer_end_to_end_latency_seconds_bucket{job=~"$job", instance=~"$instance"}[$__rate_interval])))`, "p99"},
				},
			},
			{
				Title:       "Order gaps and repeats",
				Description: "Tickets whose sequence skipped ahead of (gap) or did not pass (repeat, skipped) the last one seen for their order, per interval.",
				Unit:        "short",
				Queries: []Query{
					{`sum(increase(ticket_processor_consumer_order_gaps_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "gaps"},
					{`sum(increase(ticket_processor_consumer_order_repeats_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`, "repeats"},
				},
			},
			{
				Title:       "Stalled partitions",
				Description: "How long each partition has held taken tickets without finishing one; 0 while tickets finish or none is held. /readyz turns 503 after NOT_READY_AFTER, and ProcessingStalled fires while the partition also lags.",
				Unit:        "s",
				Queries: []Query{
					{`max by (partition) (ticket_processor_consumer_stalled_seconds{job=~"$job", instance=~"$instance"})`, "partition {{partition}}"},
				},
			},
			{
				Title:       "Targets up",
				Description: "Scrape targets answering, per job; every consumer replica is a target of its own.",
				Unit:        "short",
				Stat:        true,
				Width:       12,
				Queries: []Query{
					{`sum by (job) (up{job=~"$job", instance=~"$instance"})`, "{{job}}"},
				},
			},
		}}},
	}
}
