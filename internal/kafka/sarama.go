package kafka

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"

	"ticket-processor/internal/retry"
)

// ProducerSettings are what a producing client needs beyond the
// connection: its retries, its request timeout, its largest record, its
// compression and how long it may wait to fill a request.
type ProducerSettings struct {
	RetryMax                      int
	RetryBackoff, RetryMaxBackoff time.Duration
	Timeout                       time.Duration
	MaxMessageBytes               int
	Compression                   string
	Linger                        time.Duration
}

// Compressions are the codecs ProducerSettings.Compression accepts.
var Compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// BalanceStrategies are the group assignment strategies
// ConsumerSettings.BalanceStrategy accepts.
var BalanceStrategies = []string{"sticky", "roundrobin", "range"}

// NewProducerConfig returns a validated sarama configuration for an
// idempotent SyncProducer on k: acks from all in-sync replicas, one
// request in flight per broker (so retries cannot reorder), bounded
// retries with capped exponential backoff, and the Java-compatible
// murmur2 partitioner.
func NewProducerConfig(k Config, p ProducerSettings) (*sarama.Config, error) {
	sc, err := newBaseConfig(k)
	if err != nil {
		return nil, err
	}
	if err := setProducer(sc, p); err != nil {
		return nil, err
	}
	sc.Producer.Flush.Frequency = p.Linger
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka producer config: %w", err)
	}
	return sc, nil
}

// ConsumerSettings are what a group member needs beyond the connection.
type ConsumerSettings struct {
	// BalanceStrategy is one of BalanceStrategies.
	BalanceStrategy string
	// DrainTimeout is how long a revoked partition may take to finish; the
	// rebalance timeout leaves room for it.
	DrainTimeout time.Duration
	// Transactional is set under exactly-once: offsets are committed in
	// the output's transactions, never by the group itself.
	Transactional bool
}

// ToolSettings are the producer settings of the clients that write what
// they have read, rather than generate: the consumer's output and
// dead-letter records, and ticketctl's replays. maxMessageBytes is the
// largest record they write.
func ToolSettings(maxMessageBytes int) ProducerSettings {
	return ProducerSettings{
		RetryMax:        10,
		RetryBackoff:    100 * time.Millisecond,
		RetryMaxBackoff: 2 * time.Second,
		Timeout:         10 * time.Second,
		MaxMessageBytes: maxMessageBytes,
		Compression:     "lz4",
	}
}

// NewConsumerConfig returns a validated sarama configuration for a
// consumer group member on k and for the producer that writes processed
// and dead-lettered tickets. Offsets are committed automatically, but only
// offsets the consumer has marked, and it marks an offset only when every
// lower one is finished.
func NewConsumerConfig(k Config, c ConsumerSettings) (*sarama.Config, error) {
	sc, err := newBaseConfig(k)
	if err != nil {
		return nil, err
	}
	sc.Consumer.Return.Errors = true
	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Enable = !c.Transactional
	// What is marked is committed every second. Commits every 100 ms (the
	// marks' interval) held back the group's recovery after a broker
	// restart: one restart in three left a partition unmoved for 10 to
	// 14 s after the broker answered, against 1 to 3 s with commits every
	// second (TestConsumerResumesSoonAfterBrokerRestarts).
	sc.Consumer.Offsets.AutoCommit.Interval = time.Second
	// Records of aborted transactions are never read, and the committed
	// offset a claim starts from is a stable one (KIP-447).
	sc.Consumer.IsolationLevel = sarama.ReadCommitted
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
	if err := setProducer(sc, ToolSettings(DeadLetterMaxBytes)); err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka consumer config: %w", err)
	}
	return sc, nil
}

// TransactionTimeout is how long a transaction may stay open before the
// brokers abort it. A member's transactions commit every COMMIT_INTERVAL;
// one left open by a member that died holds back read_committed readers
// of the output until it times out, so the bound is short.
const TransactionTimeout = 10 * time.Second

// NewTransactionalConfig returns a copy of the consumer configuration sc
// for a transactional producer with id: idempotent, one request in flight
// per broker, transactions timed out after TransactionTimeout.
func NewTransactionalConfig(sc *sarama.Config, id string) (*sarama.Config, error) {
	tc := *sc
	tc.Producer.Transaction.ID = id
	tc.Producer.Transaction.Timeout = TransactionTimeout
	tc.Producer.Idempotent = true
	tc.Net.MaxOpenRequests = 1
	// Fail fast while Kafka is away. A failed transaction is aborted and
	// done again from what was committed, so a long retry buys nothing;
	// and sarama holds its transaction's partition lock while it retries
	// adding a partition (each try looking for the coordinator through a
	// metadata refresh with retries of its own), so every send of the
	// member would wait for minutes on sarama's defaults.
	tc.Producer.Transaction.Retry.Max = 5
	tc.Producer.Transaction.Retry.Backoff = 200 * time.Millisecond
	tc.Producer.Retry.Max = 5
	tc.Metadata.Retry.Max = 2
	tc.Metadata.Retry.Backoff = 250 * time.Millisecond
	if err := tc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka transactional config: %w", err)
	}
	return &tc, nil
}

// DeadLetterMaxBytes is the largest record the consumer writes. It is well
// above the largest ticket accepted, so that an oversized ticket is kept
// whole, with its headers, in the dead-letter topic (which the consumer
// creates with this max.message.bytes).
const DeadLetterMaxBytes = 16 << 20

// newBaseConfig sets what every client shares: identity, protocol version,
// network security and metadata refresh.
func newBaseConfig(k Config) (*sarama.Config, error) {
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
	if k.SASL.Mechanism != SASLNone {
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Handshake = true
		sc.Net.SASL.User = k.SASL.Username
		sc.Net.SASL.Password = k.SASL.Password.Reveal()
		sc.Net.SASL.Mechanism = sarama.SASLMechanism(k.SASL.Mechanism)
		switch k.SASL.Mechanism {
		case SASLScramSHA256:
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
		case SASLScramSHA512:
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
		}
	}
	return sc, nil
}

func setProducer(sc *sarama.Config, p ProducerSettings) error {
	sc.Producer.Idempotent = true
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Net.MaxOpenRequests = 1
	sc.Producer.Return.Successes = true
	sc.Producer.Return.Errors = true
	sc.Producer.Partitioner = NewMurmur2Partitioner
	sc.Producer.Timeout = p.Timeout
	sc.Producer.MaxMessageBytes = p.MaxMessageBytes
	sc.Producer.Retry.Max = p.RetryMax
	sc.Producer.Retry.BackoffFunc = retry.Until(p.RetryBackoff, p.RetryMaxBackoff).SaramaBackoff()
	codec, err := compressionCodec(p.Compression)
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

func newTLSConfig(t TLS) (*tls.Config, error) {
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
