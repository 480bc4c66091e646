package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Producer configures the producer daemon.
type Producer struct {
	Kafka   Kafka
	Service Service

	// Topic receives the tickets (default tickets).
	Topic string
	// TopicPartitions and TopicReplication are used only when the topic is
	// missing and the producer creates it (defaults 6 and 1).
	TopicPartitions  int
	TopicReplication int
	// Rate is tickets per second (default 100); 0 means unthrottled.
	Rate float64
	// Burst is how many tickets the rate limiter lets through at once (default 10).
	Burst int
	// Orders is how many orders are open at once (default 100).
	Orders int
	// Seed makes the generated stream repeatable; 0 picks a random seed.
	Seed uint64
	// MaxTickets stops the producer after this many tickets (default 0: run
	// until stopped).
	MaxTickets int64
	// BatchSize caps the tickets handed to Kafka in one send (default 500).
	BatchSize int
	// Linger is how long the client may wait to fill a request (default 0: send at once).
	Linger time.Duration
	// Compression is none, gzip, snappy, lz4 or zstd (default lz4).
	Compression string
	// RetryMax is how often the client retries a failed request itself,
	// keeping the idempotent sequence, before reporting an error (default 30).
	RetryMax int
	// RetryBackoff and RetryMaxBackoff shape the exponential backoff between
	// retries (defaults 100ms and 2s).
	RetryBackoff    time.Duration
	RetryMaxBackoff time.Duration
	// RequestTimeout is how long the brokers may take to acknowledge from
	// all in-sync replicas (default 10s).
	RequestTimeout time.Duration
	// MaxMessageBytes is the largest record the producer sends (default 1000000).
	MaxMessageBytes int
}

// HelpError is returned by the loaders for -h and --help; it carries the
// usage text.
type HelpError struct{ Usage string }

func (e *HelpError) Error() string { return e.Usage }

// Compression codecs the producer accepts.
var compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// LoadProducer reads the producer's configuration from the environment
// (lookup, os.LookupEnv when nil) and the command-line args, and validates it.
// Every problem is reported in one joined error.
func LoadProducer(args []string, lookup func(string) (string, bool)) (Producer, error) {
	var c Producer
	s := newSource("producer", lookup)
	c.Kafka.bind(s, "ticket-processor-producer")
	c.Service.bind(s, 2112)
	s.String(&c.Topic, "KAFKA_TOPIC", "tickets", "topic the tickets are written to")
	s.Int(&c.TopicPartitions, "TOPIC_PARTITIONS", 6, "partitions when the topic is created")
	s.Int(&c.TopicReplication, "TOPIC_REPLICATION", 1, "replication factor when the topic is created")
	s.Float(&c.Rate, "RATE", 100, "tickets per second; 0 means unthrottled")
	s.Int(&c.Burst, "BURST", 10, "tickets the rate limiter lets through at once")
	s.Int(&c.Orders, "ORDERS", 100, "orders open at once")
	var seed int64
	s.Int64(&seed, "SEED", 0, "seed for a repeatable stream; 0 picks one at random")
	s.Int64(&c.MaxTickets, "MAX_TICKETS", 0, "stop after this many tickets; 0 runs until stopped")
	s.Int(&c.BatchSize, "BATCH_SIZE", 500, "most tickets handed to Kafka in one send")
	s.Duration(&c.Linger, "LINGER", 0, "time the client may wait to fill a request")
	s.String(&c.Compression, "COMPRESSION", "lz4", "compression: "+strings.Join(compressions, ", "))
	s.Int(&c.RetryMax, "PRODUCER_RETRY_MAX", 30, "client retries of a failed request before an error is reported")
	s.Duration(&c.RetryBackoff, "PRODUCER_RETRY_BACKOFF", 100*time.Millisecond, "first retry backoff, doubled on each retry")
	s.Duration(&c.RetryMaxBackoff, "PRODUCER_RETRY_MAX_BACKOFF", 2*time.Second, "longest retry backoff")
	s.Duration(&c.RequestTimeout, "PRODUCER_TIMEOUT", 10*time.Second, "time the brokers may take to acknowledge a request")
	s.Int(&c.MaxMessageBytes, "MAX_MESSAGE_BYTES", 1000000, "largest record sent, in bytes")
	err := s.parse(args)
	if isHelp(err) {
		return c, &HelpError{Usage: s.usage()}
	}
	var seedErr error
	if seed < 0 {
		seedErr = fmt.Errorf("SEED=%d: must be >= 0", seed)
	}
	c.Seed = uint64(seed)
	return c, errors.Join(err, seedErr, c.Validate())
}

// Validate returns every invalid field, each naming its variable, its value
// and what is allowed.
func (c Producer) Validate() error {
	var errs []error
	if err := c.Kafka.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Service.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := CheckTopic("KAFKA_TOPIC", c.Topic); err != nil {
		errs = append(errs, err)
	}
	// Kafka counts partitions in an int32 and replicas in an int16.
	if c.TopicPartitions < 1 || c.TopicPartitions > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("TOPIC_PARTITIONS=%d: must be 1-%d", c.TopicPartitions, math.MaxInt32))
	}
	if c.TopicReplication < 1 || c.TopicReplication > math.MaxInt16 {
		errs = append(errs, fmt.Errorf("TOPIC_REPLICATION=%d: must be 1-%d", c.TopicReplication, math.MaxInt16))
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, fmt.Errorf("RATE=%g: must be a finite number >= 0 (0 means unthrottled)", c.Rate))
	}
	if c.Burst < 1 {
		errs = append(errs, fmt.Errorf("BURST=%d: must be >= 1", c.Burst))
	}
	if c.Orders < 1 || c.Orders > 1_000_000 {
		errs = append(errs, fmt.Errorf("ORDERS=%d: must be 1-1000000", c.Orders))
	}
	if c.MaxTickets < 0 {
		errs = append(errs, fmt.Errorf("MAX_TICKETS=%d: must be >= 0 (0 runs until stopped)", c.MaxTickets))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("BATCH_SIZE=%d: must be >= 1", c.BatchSize))
	}
	if c.Linger < 0 {
		errs = append(errs, fmt.Errorf("LINGER=%s: must be >= 0", c.Linger))
	}
	if !slices.Contains(compressions, c.Compression) {
		errs = append(errs, fmt.Errorf("COMPRESSION=%q: want one of %s", c.Compression, strings.Join(compressions, ", ")))
	}
	if c.RetryMax < 1 {
		errs = append(errs, fmt.Errorf("PRODUCER_RETRY_MAX=%d: must be >= 1 (the idempotent producer needs retries)", c.RetryMax))
	}
	if c.RetryBackoff <= 0 {
		errs = append(errs, fmt.Errorf("PRODUCER_RETRY_BACKOFF=%s: must be > 0", c.RetryBackoff))
	}
	if c.RetryMaxBackoff < c.RetryBackoff {
		errs = append(errs, fmt.Errorf("PRODUCER_RETRY_MAX_BACKOFF=%s: must be >= PRODUCER_RETRY_BACKOFF (%s)", c.RetryMaxBackoff, c.RetryBackoff))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("PRODUCER_TIMEOUT=%s: must be > 0", c.RequestTimeout))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, fmt.Errorf("MAX_MESSAGE_BYTES=%d: must be >= 1024", c.MaxMessageBytes))
	}
	return errors.Join(errs...)
}
