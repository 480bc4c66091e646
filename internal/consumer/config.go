package consumer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"ticket-processor/internal/config"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/retry"
)

// Order policies after a ticket of an order was dead-lettered.
const (
	// OrderPolicyContinue processes the order's later tickets; the lost
	// sequence number shows as a gap.
	OrderPolicyContinue = "continue"
	// OrderPolicyPark sends the order's later tickets to the dead-letter
	// topic too, with the reason "order_parked".
	OrderPolicyPark = "park"
)

// Processing guarantees.
const (
	// AtLeastOnce publishes each ticket's record as soon as it is
	// processed and commits offsets apart: after a crash, the tickets
	// finished since the last commit are processed, and published, again.
	AtLeastOnce = "at_least_once"
	// ExactlyOnce writes records and offsets in Kafka transactions: a
	// read_committed reader sees each ticket's record once.
	ExactlyOnce = "exactly_once"
)

// Config is the consumer's section of its daemon's configuration.
type Config struct {
	// Topic is read (default tickets).
	Topic string
	// GroupID is the consumer group (default ticket-processor).
	GroupID string
	// OutputTopic receives the processed tickets (default tickets.processed).
	OutputTopic string
	// DLQTopic receives the tickets that cannot be processed (default
	// tickets.dlq). Topic, OutputTopic and DLQTopic must all differ.
	DLQTopic string
	// BalanceStrategy is sticky, roundrobin or range (default sticky).
	BalanceStrategy string
	// Workers is how many tickets of one partition are processed at once
	// (default 8).
	Workers int
	// MaxInFlight caps the tickets of one partition taken ahead of the
	// oldest unfinished one; at least Workers (default 1000).
	MaxInFlight int
	// Retry paces the attempts on transient errors: RETRY_MAX attempts
	// (default 5), with exponential backoff and full jitter from
	// RETRY_BASE (default 100ms) up to RETRY_MAX_DELAY (default 5s).
	Retry retry.Policy
	// OrderPolicy is what happens to an order after one of its tickets is
	// dead-lettered: continue or park (default continue).
	OrderPolicy string
	// DrainTimeout bounds finishing in-flight tickets when partitions are
	// revoked; unfinished ones are left uncommitted (default 10s).
	DrainTimeout time.Duration
	// LagInterval is how often consumer lag is measured (default 5s).
	LagInterval time.Duration
	// NotReadyAfter is how long a partition may hold taken tickets without
	// finishing one before /readyz reports the consumer stalled (default
	// 30s). It must exceed the longest a healthy ticket takes, retries
	// included.
	NotReadyAfter time.Duration
	// MaxMessageBytes is the largest ticket accepted; larger ones are
	// dead-lettered (default 1048576).
	MaxMessageBytes int
	// CommitInterval is how often each partition's commit point and commit
	// metadata are committed in a transaction under exactly_once, and
	// marked under at_least_once, where the group commits what is marked
	// every second (default 100ms).
	CommitInterval time.Duration
	// MetadataMaxBytes bounds the commit metadata, which names the offsets
	// finished above the commit point; it must not exceed the brokers'
	// offset.metadata.max.bytes (default 4096, the brokers' default). A
	// partition takes no records it could not name within the bound.
	MetadataMaxBytes int
	// ProcessingGuarantee is at_least_once or exactly_once (default
	// at_least_once, until exactly_once holds under every fault).
	ProcessingGuarantee string
	// TransactionalIDPrefix starts the transactional id of each member's
	// producer under exactly_once; the host name and process id follow
	// (default ticket-processor-consumer).
	TransactionalIDPrefix string
}

// SetDefaults sets every field to its default.
func (c *Config) SetDefaults() {
	*c = Config{
		Topic:            "tickets",
		GroupID:          "ticket-processor",
		OutputTopic:      "tickets.processed",
		DLQTopic:         "tickets.dlq",
		BalanceStrategy:  "sticky",
		Workers:          8,
		MaxInFlight:      1000,
		Retry:            retry.Policy{MaxAttempts: 5, Base: 100 * time.Millisecond, MaxDelay: 5 * time.Second},
		OrderPolicy:      OrderPolicyContinue,
		DrainTimeout:     10 * time.Second,
		LagInterval:      5 * time.Second,
		NotReadyAfter:    30 * time.Second,
		MaxMessageBytes:  1 << 20,
		CommitInterval:   100 * time.Millisecond,
		MetadataMaxBytes: DefaultMetadataMaxBytes,

		ProcessingGuarantee:   AtLeastOnce,
		TransactionalIDPrefix: "ticket-processor-consumer",
	}
}

// Bind declares the section's variables.
func (c *Config) Bind(s *config.Source) {
	s.String(&c.Topic, "KAFKA_TOPIC", "topic the tickets are read from")
	s.String(&c.GroupID, "GROUP_ID", "consumer group id")
	s.String(&c.OutputTopic, "OUTPUT_TOPIC", "topic the processed tickets are written to")
	s.String(&c.DLQTopic, "DLQ_TOPIC", "dead-letter topic")
	s.String(&c.BalanceStrategy, "BALANCE_STRATEGY", "partition assignment: "+strings.Join(kafka.BalanceStrategies, ", "))
	s.Int(&c.Workers, "WORKERS", "tickets of one partition processed at once")
	s.Int(&c.MaxInFlight, "MAX_IN_FLIGHT", "tickets of one partition taken ahead of the oldest unfinished one")
	s.Int(&c.Retry.MaxAttempts, "RETRY_MAX", "attempts for a ticket failing with a transient error")
	s.Duration(&c.Retry.Base, "RETRY_BASE", "backoff before the second attempt, doubled on each attempt")
	s.Duration(&c.Retry.MaxDelay, "RETRY_MAX_DELAY", "longest backoff between attempts")
	s.String(&c.OrderPolicy, "ORDER_POLICY", "after a ticket is dead-lettered: continue or park its order")
	s.Duration(&c.DrainTimeout, "DRAIN_TIMEOUT", "time to finish in-flight tickets when partitions are revoked")
	s.Duration(&c.LagInterval, "LAG_INTERVAL", "how often consumer lag is measured")
	s.Duration(&c.NotReadyAfter, "NOT_READY_AFTER", "how long a partition may hold tickets without finishing one before /readyz turns 503")
	s.Int(&c.MaxMessageBytes, "MAX_MESSAGE_BYTES", "largest ticket accepted, in bytes")
	s.Duration(&c.CommitInterval, "COMMIT_INTERVAL", "how often offsets and their commit metadata are committed (exactly_once) or marked (at_least_once)")
	s.Int(&c.MetadataMaxBytes, "COMMIT_METADATA_MAX_BYTES", "largest commit metadata; at most the brokers' offset.metadata.max.bytes")
	s.String(&c.ProcessingGuarantee, "PROCESSING_GUARANTEE", "exactly_once with Kafka transactions, or at_least_once")
	s.String(&c.TransactionalIDPrefix, "TRANSACTIONAL_ID_PREFIX", "start of each member's transactional id under exactly_once")
}

// Validate returns every invalid field, each naming its variable, its
// value and what is allowed.
func (c Config) Validate() error {
	var errs []error
	for _, t := range []struct{ env, name string }{
		{"KAFKA_TOPIC", c.Topic}, {"OUTPUT_TOPIC", c.OutputTopic}, {"DLQ_TOPIC", c.DLQTopic},
	} {
		if err := config.CheckTopic(t.env, t.name); err != nil {
			errs = append(errs, err)
		}
	}
	// Reading a topic the consumer writes would feed its output back to
	// itself, and a shared output and dead-letter topic would mix processed
	// tickets with dead letters.
	if c.Topic != "" && (c.Topic == c.OutputTopic || c.Topic == c.DLQTopic) {
		errs = append(errs, fmt.Errorf("KAFKA_TOPIC=%q: must differ from OUTPUT_TOPIC and DLQ_TOPIC", c.Topic))
	}
	if c.DLQTopic != "" && c.DLQTopic == c.OutputTopic {
		errs = append(errs, fmt.Errorf("DLQ_TOPIC=%q: must differ from OUTPUT_TOPIC", c.DLQTopic))
	}
	if c.GroupID == "" {
		errs = append(errs, errors.New("GROUP_ID is empty: want a consumer group id"))
	} else if err := config.CheckPrintable(c.GroupID); err != nil {
		errs = append(errs, fmt.Errorf("GROUP_ID=%q: %w", c.GroupID, err))
	}
	if !slices.Contains(kafka.BalanceStrategies, c.BalanceStrategy) {
		errs = append(errs, fmt.Errorf("BALANCE_STRATEGY=%q: want one of %s", c.BalanceStrategy, strings.Join(kafka.BalanceStrategies, ", ")))
	}
	if c.Workers < 1 || c.Workers > 1024 {
		errs = append(errs, fmt.Errorf("WORKERS=%d: must be 1-1024", c.Workers))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, fmt.Errorf("MAX_IN_FLIGHT=%d: must be >= 1", c.MaxInFlight))
	} else if c.MaxInFlight < c.Workers {
		// Fewer tickets taken ahead than workers leaves workers idle for good.
		errs = append(errs, fmt.Errorf("MAX_IN_FLIGHT=%d: must be >= WORKERS (%d)", c.MaxInFlight, c.Workers))
	}
	errs = append(errs, c.Retry.ValidateAs(retry.Names{MaxAttempts: "RETRY_MAX", Base: "RETRY_BASE", MaxDelay: "RETRY_MAX_DELAY"}))
	if c.OrderPolicy != OrderPolicyContinue && c.OrderPolicy != OrderPolicyPark {
		errs = append(errs, fmt.Errorf("ORDER_POLICY=%q: want continue or park", c.OrderPolicy))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, fmt.Errorf("DRAIN_TIMEOUT=%s: must be > 0", c.DrainTimeout))
	}
	if c.LagInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("LAG_INTERVAL=%s: must be >= 100ms", c.LagInterval))
	}
	if c.NotReadyAfter < time.Second {
		errs = append(errs, fmt.Errorf("NOT_READY_AFTER=%s: must be >= 1s", c.NotReadyAfter))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, fmt.Errorf("MAX_MESSAGE_BYTES=%d: must be >= 1024", c.MaxMessageBytes))
	}
	if c.CommitInterval < 10*time.Millisecond || c.CommitInterval > time.Minute {
		errs = append(errs, fmt.Errorf("COMMIT_INTERVAL=%s: must be 10ms-1m", c.CommitInterval))
	}
	// Below a few hundred bytes the metadata would hold back the partition
	// whenever one ticket is slow.
	if c.MetadataMaxBytes < 256 {
		errs = append(errs, fmt.Errorf("COMMIT_METADATA_MAX_BYTES=%d: must be >= 256", c.MetadataMaxBytes))
	}
	if c.ProcessingGuarantee != AtLeastOnce && c.ProcessingGuarantee != ExactlyOnce {
		errs = append(errs, fmt.Errorf("PROCESSING_GUARANTEE=%q: want %s or %s", c.ProcessingGuarantee, AtLeastOnce, ExactlyOnce))
	}
	if c.ProcessingGuarantee == ExactlyOnce {
		if c.TransactionalIDPrefix == "" {
			errs = append(errs, errors.New("TRANSACTIONAL_ID_PREFIX is empty: exactly_once needs a transactional id prefix"))
		} else if err := config.CheckPrintable(c.TransactionalIDPrefix); err != nil {
			errs = append(errs, fmt.Errorf("TRANSACTIONAL_ID_PREFIX=%q: %w", c.TransactionalIDPrefix, err))
		}
	}
	return errors.Join(errs...)
}

// Client returns the settings of the consumer's Kafka group member.
func (c Config) Client() kafka.ConsumerSettings {
	return kafka.ConsumerSettings{BalanceStrategy: c.BalanceStrategy, DrainTimeout: c.DrainTimeout,
		Transactional: c.ProcessingGuarantee == ExactlyOnce}
}
