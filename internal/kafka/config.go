package kafka

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"

	"ticket-processor/internal/config"
	"ticket-processor/internal/retry"
)

// NewProducerConfig turns the producer's configuration into a validated
// sarama configuration for an idempotent SyncProducer: acks from all
// in-sync replicas, one request in flight per broker (so retries cannot
// reorder), bounded retries with capped exponential backoff, and the
// Java-compatible murmur2 partitioner.
func NewProducerConfig(c config.Producer) (*sarama.Config, error) {
	sc, err := newBaseConfig(c.Kafka)
	if err != nil {
		return nil, err
	}
	if err := setProducer(sc, producerSettings{
		retryMax:        c.RetryMax,
		retryBackoff:    c.RetryBackoff,
		retryMaxBackoff: c.RetryMaxBackoff,
		timeout:         c.RequestTimeout,
		maxMessageBytes: c.MaxMessageBytes,
		compression:     c.Compression,
	}); err != nil {
		return nil, err
	}
	sc.Producer.Flush.Frequency = c.Linger
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka producer config: %w", err)
	}
	return sc, nil
}

// NewConsumerConfig turns the consumer's configuration into a validated
// sarama configuration for its consumer group and for the producer that
// writes processed and dead-lettered tickets. Offsets are committed
// automatically, but only offsets the consumer has marked, and it marks an
// offset only when every lower one is finished.
func NewConsumerConfig(c config.Consumer) (*sarama.Config, error) {
	sc, err := newBaseConfig(c.Kafka)
	if err != nil {
		return nil, err
	}
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Enable = true
	sc.Consumer.Offsets.AutoCommit.Interval = time.Second
	switch c.BalanceStrategy {
	case "sticky":
		sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategySticky()}
	case "roundrobin":
		sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	case "range":
		sc.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	default:
		return nil, fmt.Errorf("kafka consumer config: unknown balance strategy %q", c.BalanceStrategy)
	}
	// The revoke drain must fit in the rebalance timeout, or the member is
	// dropped from the group while it still finishes tickets.
	sc.Consumer.Group.Rebalance.Timeout = max(60*time.Second, c.DrainTimeout+10*time.Second)
	if err := setProducer(sc, producerSettings{
		retryMax:        10,
		retryBackoff:    100 * time.Millisecond,
		retryMaxBackoff: 2 * time.Second,
		timeout:         10 * time.Second,
		maxMessageBytes: DeadLetterMaxBytes,
		compression:     "lz4",
	}); err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka consumer config: %w", err)
	}
	return sc, nil
}

// DeadLetterMaxBytes is the largest record the consumer writes. It is well
// above the largest ticket accepted, so that an oversized ticket is kept
// whole, with its headers, in the dead-letter topic (which the consumer
// creates with this max.message.bytes).
const DeadLetterMaxBytes = 16 << 20

// newBaseConfig sets what every client shares: identity, protocol version,
// network security and metadata refresh.
func newBaseConfig(k config.Kafka) (*sarama.Config, error) {
	sc := sarama.NewConfig()
	sc.ClientID = k.ClientID
	v, err := k.ParsedVersion()
	if err != nil {
		return nil, fmt.Errorf("KAFKA_VERSION: %w", err)
	}
	sc.Version = v
	sc.Net.DialTimeout = k.DialTimeout
	sc.Metadata.Retry.Max = 5
	sc.Metadata.Retry.Backoff = 500 * time.Millisecond
	sc.Metadata.RefreshFrequency = time.Minute
	if k.TLS.Enabled {
		tc, err := newTLSConfig(k.TLS)
		if err != nil {
			return nil, err
		}
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	if k.SASL.Mechanism != config.SASLNone {
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Handshake = true
		sc.Net.SASL.User = k.SASL.Username
		sc.Net.SASL.Password = k.SASL.Password.Reveal()
		sc.Net.SASL.Mechanism = sarama.SASLMechanism(k.SASL.Mechanism)
		switch k.SASL.Mechanism {
		case config.SASLScramSHA256:
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
		case config.SASLScramSHA512:
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
		}
	}
	return sc, nil
}

type producerSettings struct {
	retryMax        int
	retryBackoff    time.Duration
	retryMaxBackoff time.Duration
	timeout         time.Duration
	maxMessageBytes int
	compression     string
}

func setProducer(sc *sarama.Config, p producerSettings) error {
	sc.Producer.Idempotent = true
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Net.MaxOpenRequests = 1
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Partitioner = NewMurmur2Partitioner
	sc.Producer.Timeout = p.timeout
	sc.Producer.MaxMessageBytes = p.maxMessageBytes
	sc.Producer.Retry.Max = p.retryMax
	sc.Producer.Retry.BackoffFunc = retry.Until(p.retryBackoff, p.retryMaxBackoff).SaramaBackoff()
	codec, err := compressionCodec(p.compression)
	if err != nil {
		return err
	}
	sc.Producer.Compression = codec
	return nil
}

func compressionCodec(name string) (sarama.CompressionCodec, error) {
	switch name {
	case "none":
		return sarama.CompressionNone, nil
	case "gzip":
		return sarama.CompressionGZIP, nil
	case "snappy":
		return sarama.CompressionSnappy, nil
	case "lz4":
		return sarama.CompressionLZ4, nil
	case "zstd":
		return sarama.CompressionZSTD, nil
	default:
		return 0, fmt.Errorf("COMPRESSION=%q: unknown codec", name)
	}
}

func newTLSConfig(t config.TLS) (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // off by default, an explicit operator choice
	}
	pool, err := t.RootCAs()
	if err != nil {
		return nil, err
	}
	tc.RootCAs = pool
	certs, err := t.ClientCertificates()
	if err != nil {
		return nil, err
	}
	tc.Certificates = certs
	return tc, nil
}

// scramClient adapts xdg-go/scram to sarama.SCRAMClient.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (s *scramClient) Begin(user, password, authzID string) error {
	c, err := s.hash.NewClient(user, password, authzID)
	if err != nil {
		return fmt.Errorf("scram: %w", err)
	}
	s.conv = c.NewConversation()
	return nil
}

func (s *scramClient) Step(challenge string) (string, error) {
	if s.conv == nil {
		return "", errors.New("scram: Step before Begin")
	}
	return s.conv.Step(challenge)
}

func (s *scramClient) Done() bool { return s.conv != nil && s.conv.Done() }
