package producer

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"ticket-processor/internal/config"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/retry"
)

// Config is the producer's section of its daemon's configuration.
type Config struct {
	// Topic receives the tickets (default tickets).
	Topic string
	// TopicPartitions and TopicReplication are used only when the topic is
	// missing and the producer creates it (defaults 6 and 1).
	TopicPartitions  int
	TopicReplication int
	// Rate is tickets per second (default 100); 0 means unthrottled.
	Rate float64
	// Burst is how many tickets the rate limiter lets through at once
	// (default 10).
	Burst int
	// MaxTickets stops the producer after this many tickets (default 0:
	// run until stopped).
	MaxTickets int64
	// BatchSize caps the tickets handed to Kafka in one send (default 500).
	// It also bounds memory: at most 2*BatchSize+1 tickets are generated
	// and unacknowledged (the send with its backlog, the queue, and one
	// being queued).
	BatchSize int
	// Linger is how long the client may wait to fill a request (default 0:
	// send at once).
	Linger time.Duration
	// Compression is none, gzip, snappy, lz4 or zstd (default lz4).
	Compression string
	// RetryMax is how often the client retries a failed request itself,
	// keeping the idempotent sequence, before reporting an error (default 30).
	RetryMax int
	// RetryBackoff and RetryMaxBackoff shape the exponential backoff
	// between the client's retries, and between resends of tickets whose
	// send failed after them (defaults 100ms and 2s).
	RetryBackoff    time.Duration
	RetryMaxBackoff time.Duration
	// RequestTimeout is how long the brokers may take to acknowledge from
	// all in-sync replicas (default 10s).
	RequestTimeout time.Duration
	// MaxMessageBytes is the largest record the producer sends (default
	// 1000000).
	MaxMessageBytes int
}

// SetDefaults sets every field to its default.
func (c *Config) SetDefaults() {
	*c = Config{
		Topic:            "tickets",
		TopicPartitions:  6,
		TopicReplication: 1,
		Rate:             100,
		Burst:            10,
		BatchSize:        500,
		Compression:      "lz4",
		RetryMax:         30,
		RetryBackoff:     100 * time.Millisecond,
		RetryMaxBackoff:  2 * time.Second,
		RequestTimeout:   10 * time.Second,
		MaxMessageBytes:  1000000,
	}
}

// Bind declares the section's variables.
func (c *Config) Bind(s *config.Source) {
	s.String(&c.Topic, "KAFKA_TOPIC", "topic the tickets are written to")
	s.Int(&c.TopicPartitions, "TOPIC_PARTITIONS", "partitions when the topic is created")
	s.Int(&c.TopicReplication, "TOPIC_REPLICATION", "replication factor when the topic is created")
	s.Float(&c.Rate, "RATE", "tickets per second; 0 means unthrottled")
	s.Int(&c.Burst, "BURST", "tickets the rate limiter lets through at once")
	s.Int64(&c.MaxTickets, "MAX_TICKETS", "stop after this many tickets; 0 runs until stopped")
	s.Int(&c.BatchSize, "BATCH_SIZE", "most tickets handed to Kafka in one send")
	s.Duration(&c.Linger, "LINGER", "time the client may wait to fill a request")
	s.String(&c.Compression, "COMPRESSION", "compression: "+strings.Join(kafka.Compressions, ", "))
	s.Int(&c.RetryMax, "PRODUCER_RETRY_MAX", "client retries of a failed request before an error is reported")
	s.Duration(&c.RetryBackoff, "PRODUCER_RETRY_BACKOFF", "first retry backoff, doubled on each retry")
	s.Duration(&c.RetryMaxBackoff, "PRODUCER_RETRY_MAX_BACKOFF", "longest retry backoff")
	s.Duration(&c.RequestTimeout, "PRODUCER_TIMEOUT", "time the brokers may take to acknowledge a request")
	s.Int(&c.MaxMessageBytes, "MAX_MESSAGE_BYTES", "largest record sent, in bytes")
}

// Validate returns every invalid field, each naming its variable, its
// value and what is allowed.
func (c Config) Validate() error {
	var errs []error
	if err := config.CheckTopic("KAFKA_TOPIC", c.Topic); err != nil {
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
	if c.MaxTickets < 0 {
		errs = append(errs, fmt.Errorf("MAX_TICKETS=%d: must be >= 0 (0 runs until stopped)", c.MaxTickets))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("BATCH_SIZE=%d: must be >= 1", c.BatchSize))
	}
	if c.Linger < 0 {
		errs = append(errs, fmt.Errorf("LINGER=%s: must be >= 0", c.Linger))
	}
	if !slices.Contains(kafka.Compressions, c.Compression) {
		errs = append(errs, fmt.Errorf("COMPRESSION=%q: want one of %s", c.Compression, strings.Join(kafka.Compressions, ", ")))
	}
	if c.RetryMax < 1 {
		errs = append(errs, fmt.Errorf("PRODUCER_RETRY_MAX=%d: must be >= 1 (the idempotent producer needs retries)", c.RetryMax))
	}
	errs = append(errs, c.resend().ValidateAs(retry.Names{Base: "PRODUCER_RETRY_BACKOFF", MaxDelay: "PRODUCER_RETRY_MAX_BACKOFF"}))
	if c.RequestTimeout <= 0 {
		errs = append(errs, fmt.Errorf("PRODUCER_TIMEOUT=%s: must be > 0", c.RequestTimeout))
	}
	if c.MaxMessageBytes < 1024 {
		errs = append(errs, fmt.Errorf("MAX_MESSAGE_BYTES=%d: must be >= 1024", c.MaxMessageBytes))
	}
	return errors.Join(errs...)
}

// resend paces the resending of tickets whose send failed after the
// client's own retries: the client's backoff, until they are written.
func (c Config) resend() retry.Policy {
	return retry.Until(c.RetryBackoff, c.RetryMaxBackoff)
}

// Client returns the settings of the producer's Kafka client.
func (c Config) Client() kafka.ProducerSettings {
	return kafka.ProducerSettings{
		RetryMax:        c.RetryMax,
		RetryBackoff:    c.RetryBackoff,
		RetryMaxBackoff: c.RetryMaxBackoff,
		Timeout:         c.RequestTimeout,
		MaxMessageBytes: c.MaxMessageBytes,
		Compression:     c.Compression,
		Linger:          c.Linger,
	}
}
