package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Balance strategies the consumer group accepts.
var balanceStrategies = []string{"sticky", "roundrobin", "range"}

// Order policies after a ticket of an order was dead-lettered.
const (
	// OrderPolicyContinue processes the order's later tickets; the lost
	// sequence number shows as a gap.
	OrderPolicyContinue = "continue"
	// OrderPolicyPark sends the order's later tickets to the dead-letter
	// topic too, with the reason "order_parked".
	OrderPolicyPark = "park"
)

// Consumer configures the consumer daemon.
type Consumer struct {
	Kafka   Kafka
	Service Service

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
	// Workers is how many tickets of one partition are processed at once (default 8).
	Workers int
	// MaxInFlight caps the tickets of one partition taken ahead of the oldest
	// unfinished one; at least Workers (default 1000).
	MaxInFlight int
	// RetryMax is how many attempts a ticket gets on transient errors (default 5).
	RetryMax int
	// RetryBase and RetryMaxDelay shape the exponential backoff with full
	// jitter between attempts (defaults 100ms and 5s).
	RetryBase     time.Duration
	RetryMaxDelay time.Duration
	// OrderPolicy is what happens to an order after one of its tickets is
	// dead-lettered: continue or park (default continue).
	OrderPolicy string
	// DrainTimeout bounds finishing in-flight tickets when partitions are
	// revoked; unfinished ones are left uncommitted (default 10s).
	DrainTimeout time.Duration
	// LagInterval is how often consumer lag is measured (default 5s).
	LagInterval time.Duration
	// MaxMessageBytes is the largest ticket accepted; larger ones are
	// dead-lettered (default 1048576).
	MaxMessageBytes int
}

// LoadConsumer reads the consumer's configuration from the environment
// (lookup, os.LookupEnv when nil) and the command-line args, and validates it.
func LoadConsumer(args []string, lookup func(string) (string, bool)) (Consumer, error) {
	var c Consumer
	s := newSource("consumer", lookup)
	c.Kafka.bind(s, "ticket-processor-consumer")
	c.Service.bind(s, 2113)
	s.String(&c.Topic, "KAFKA_TOPIC", "tickets", "topic the tickets are read from")
	s.String(&c.GroupID, "GROUP_ID", "ticket-processor", "consumer group id")
	s.String(&c.OutputTopic, "OUTPUT_TOPIC", "tickets.processed", "topic the processed tickets are written to")
	s.String(&c.DLQTopic, "DLQ_TOPIC", "tickets.dlq", "dead-letter topic")
	s.String(&c.BalanceStrategy, "BALANCE_STRATEGY", "sticky", "partition assignment: "+strings.Join(balanceStrategies, ", "))
	s.Int(&c.Workers, "WORKERS", 8, "tickets of one partition processed at once")
	s.Int(&c.MaxInFlight, "MAX_IN_FLIGHT", 1000, "tickets of one partition taken ahead of the oldest unfinished one")
	s.Int(&c.RetryMax, "RETRY_MAX", 5, "attempts for a ticket failing with a transient error")
	s.Duration(&c.RetryBase, "RETRY_BASE", 100*time.Millisecond, "backoff before the second attempt, doubled on each attempt")
	s.Duration(&c.RetryMaxDelay, "RETRY_MAX_DELAY", 5*time.Second, "longest backoff between attempts")
	s.String(&c.OrderPolicy, "ORDER_POLICY", OrderPolicyContinue, "after a ticket is dead-lettered: continue or park its order")
	s.Duration(&c.DrainTimeout, "DRAIN_TIMEOUT", 10*time.Second, "time to finish in-flight tickets when partitions are revoked")
	s.Duration(&c.LagInterval, "LAG_INTERVAL", 5*time.Second, "how often consumer lag is measured")
	s.Int(&c.MaxMessageBytes, "MAX_MESSAGE_BYTES", 1<<20, "largest ticket accepted, in bytes")
	err := s.parse(args)
	if isHelp(err) {
		return c, &HelpError{Usage: s.usage()}
	}
	return c, errors.Join(err, c.Validate())
}

// Validate returns every invalid field, each naming its variable, its value
// and what is allowed.
func (c Consumer) Validate() error {
	var errs []error
	if err := c.Kafka.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Service.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, t := range []struct{ env, name string }{
		{"KAFKA_TOPIC", c.Topic}, {"OUTPUT_TOPIC", c.OutputTopic}, {"DLQ_TOPIC", c.DLQTopic},
	} {
		if err := CheckTopic(t.env, t.name); err != nil {
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
	} else if err := checkPrintable(c.GroupID); err != nil {
		errs = append(errs, fmt.Errorf("GROUP_ID=%q: %w", c.GroupID, err))
	}
	if !slices.Contains(balanceStrategies, c.BalanceStrategy) {
		errs = append(errs, fmt.Errorf("BALANCE_STRATEGY=%q: want one of %s", c.BalanceStrategy, strings.Join(balanceStrategies, ", ")))
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
	if c.RetryMax < 1 {
		errs = append(errs, fmt.Errorf("RETRY_MAX=%d: must be >= 1 (1 means no retry)", c.RetryMax))
	}
	if c.RetryBase <= 0 {
		errs = append(errs, fmt.Errorf("RETRY_BASE=%s: must be > 0", c.RetryBase))
	}
	if c.RetryMaxDelay < c.RetryBase {
		errs = append(errs, fmt.Errorf("RETRY_MAX_DELAY=%s: must be >= RETRY_BASE (%s)", c.RetryMaxDelay, c.RetryBase))
	}
	if c.OrderPolicy != OrderPolicyContinue && c.OrderPolicy != OrderPolicyPark {
		errs = append(errs, fmt.Errorf("ORDER_POLICY=%q: want continue or park", c.OrderPolicy))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, fmt.Errorf("DRAIN_TIMEOUT=%s: must be > 0", c.DrainTimeout))
	}
	if c.LagInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("LAG_INTERVAL=%s: must be >= 100ms", c.LagInterval))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, fmt.Errorf("MAX_MESSAGE_BYTES=%d: must be >= 1024", c.MaxMessageBytes))
	}
	return errors.Join(errs...)
}
