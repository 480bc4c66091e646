package main

import (
	"errors"
	"fmt"
	"time"

	"ticket-processor/internal/config"
	"ticket-processor/internal/consumer"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/producer"
	"ticket-processor/internal/service"
)

// demoConfig configures the demo command, which runs the producer and the
// consumer in one process: on an embedded broker unless KAFKA_BROKERS names
// a cluster. Everything the demo does not expose keeps the daemons'
// defaults; see [demoConfig.Producer] and [demoConfig.Consumer].
type demoConfig struct {
	// Kafka is the connection to an existing cluster. It is used only when
	// EmbeddedBroker is false.
	Kafka kafka.Config
	// EmbeddedBroker is true when neither KAFKA_BROKERS nor --kafka-brokers
	// names a broker (an empty value counts as unset): the demo then starts
	// a Kafka-protocol broker on loopback, and Kafka.Brokers is empty.
	EmbeddedBroker bool
	// BrokerPort is the embedded broker's port (default 0: any free port).
	BrokerPort int

	// Rate is tickets per second (default 200); 0 means unthrottled.
	Rate float64
	// Orders is how many orders are open at once (default 100).
	Orders int
	// Partitions is the partition count of the tickets topic, and of the
	// output topics, when the demo creates them (default 6).
	Partitions int
	// Workers is how many tickets of one partition are processed at once (default 8).
	Workers int
	// Duration is how long tickets are produced before the demo stops by
	// itself (default 0: until interrupted).
	Duration time.Duration
	// FailRate, from 0 to 1, is the share of tickets whose first attempts
	// fail transiently, and the number of bad records mixed into the
	// tickets topic per ticket (default 0.02).
	FailRate float64

	// ProducerPort and ConsumerPort serve each side's /metrics, /healthz and
	// /readyz (defaults 2112 and 2113; 0 picks a free port).
	ProducerPort int
	ConsumerPort int
	// LogFile receives the logs as JSON lines (default demo.log); empty
	// writes none. Errors also reach stderr.
	LogFile string
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string
	// ShutdownTimeout bounds a graceful stop: delivering the pending
	// tickets, letting the consumer catch up and leaving the group (default 20s).
	ShutdownTimeout time.Duration
}

// loadDemo reads the demo's configuration from the environment (lookup,
// os.LookupEnv when nil) and the command-line args, and validates it.
// Every problem is reported in one joined error.
func loadDemo(args []string, lookup func(string) (string, bool)) (demoConfig, error) {
	c := demoConfig{
		Rate: 200, Orders: 100, Partitions: 6, Workers: 8, FailRate: 0.02,
		ProducerPort: 2112, ConsumerPort: 2113, LogFile: "demo.log", LogLevel: "info",
		ShutdownTimeout: 20 * time.Second,
	}
	c.Kafka.SetDefaults("ticket-processor-demo")
	s := config.NewSource("demo", lookup)
	c.Kafka.Bind(s)
	s.Int(&c.BrokerPort, "BROKER_PORT", "port of the embedded broker, used when KAFKA_BROKERS is unset; 0 picks a free port")
	s.Float(&c.Rate, "RATE", "tickets per second; 0 means unthrottled")
	s.Int(&c.Orders, "ORDERS", "orders open at once")
	s.Int(&c.Partitions, "PARTITIONS", "partitions of the tickets topic when the demo creates it")
	s.Int(&c.Workers, "WORKERS", "tickets of one partition processed at once")
	s.Duration(&c.Duration, "DURATION", "produce for this long, then stop; 0 runs until Ctrl-C")
	s.Float(&c.FailRate, "FAIL_RATE", "0 to 1: share of tickets failing transiently at first, and bad records mixed in per ticket")
	s.Int(&c.ProducerPort, "PRODUCER_PORT", "port for the producer's /metrics, /healthz and /readyz; 0 picks a free port")
	s.Int(&c.ConsumerPort, "CONSUMER_PORT", "port for the consumer's /metrics, /healthz and /readyz; 0 picks a free port")
	s.String(&c.LogFile, "LOG_FILE", "file the logs are written to; empty for none (errors also go to stderr)")
	s.String(&c.LogLevel, "LOG_LEVEL", "log level: debug, info, warn or error")
	s.Duration(&c.ShutdownTimeout, "SHUTDOWN_TIMEOUT", "time allowed for a graceful stop")
	err := s.Finish(args)
	var help *config.HelpError
	if errors.As(err, &help) {
		return c, err
	}
	if c.EmbeddedBroker = len(c.Kafka.Brokers) == 0 || !s.IsSet("KAFKA_BROKERS"); c.EmbeddedBroker {
		c.Kafka.Brokers = nil // the embedded broker's address is known once it listens
	}
	return c, errors.Join(err, c.Validate())
}

// Validate returns every invalid field, each naming its variable, its
// value and what is allowed. The settings the demo hands to the daemons'
// sections (RATE, ORDERS, WORKERS, LOG_LEVEL, SHUTDOWN_TIMEOUT, KAFKA_*) are
// checked by those sections.
func (c demoConfig) Validate() error {
	var errs []error
	if c.EmbeddedBroker {
		if c.Kafka.TLS.Enabled || c.Kafka.SASL.Mechanism != kafka.SASLNone {
			errs = append(errs, errors.New("KAFKA_TLS_ENABLED and KAFKA_SASL_MECHANISM need KAFKA_BROKERS: the embedded broker speaks plaintext only"))
		}
	} else if c.BrokerPort != 0 {
		errs = append(errs, fmt.Errorf("BROKER_PORT=%d: applies only to the embedded broker, which does not start when KAFKA_BROKERS is set", c.BrokerPort))
	}
	brokers := c.Kafka.Brokers
	if c.EmbeddedBroker {
		// Check the rest of the sections against a stand-in address.
		brokers = []string{"127.0.0.1:9092"}
	}
	p, k := c.Producer(brokers), c.Consumer(brokers)
	k.Kafka.ClientID = c.Kafka.ClientID
	errs = append(errs, k.Kafka.Validate(), p.Service.Validate(), p.Producer.Validate(), p.Generator.Validate(), k.Consumer.Validate())
	if c.BrokerPort < 0 || c.BrokerPort > 65535 {
		errs = append(errs, fmt.Errorf("BROKER_PORT=%d: must be 0-65535 (0 picks a free port)", c.BrokerPort))
	}
	if c.Partitions < 1 || c.Partitions > 1000 {
		errs = append(errs, fmt.Errorf("PARTITIONS=%d (--partitions): must be 1-1000", c.Partitions))
	}
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("DURATION=%s (--duration): must be >= 0 (0 runs until Ctrl-C)", c.Duration))
	}
	if !(c.FailRate >= 0 && c.FailRate <= 1) { // also rejects NaN
		errs = append(errs, fmt.Errorf("FAIL_RATE=%g (--fail-rate): must be between 0 and 1", c.FailRate))
	}
	for _, port := range []struct {
		env  string
		port int
	}{{"PRODUCER_PORT", c.ProducerPort}, {"CONSUMER_PORT", c.ConsumerPort}} {
		if port.port < 0 || port.port > 65535 {
			errs = append(errs, fmt.Errorf("%s=%d (%s): must be 0-65535 (0 picks a free port)", port.env, port.port, config.FlagName(port.env)))
		}
	}
	if c.ProducerPort != 0 && c.ProducerPort == c.ConsumerPort {
		errs = append(errs, fmt.Errorf("CONSUMER_PORT=%d (--consumer-port): must differ from PRODUCER_PORT", c.ConsumerPort))
	}
	return errors.Join(errs...)
}

// Producer returns the producer service's configuration as the demo runs
// it: the daemon's defaults, with the demo's brokers, rate, orders and
// partitions. Environment variables of the daemon other than the demo's
// own do not apply.
func (c demoConfig) Producer(brokers []string) producer.ServiceConfig {
	var p producer.ServiceConfig
	p.SetDefaults()
	c.common(brokers, "producer", &p.Kafka, &p.Service)
	p.Producer.Rate = c.Rate
	p.Producer.TopicPartitions = c.Partitions
	p.Generator.Orders = c.Orders
	return p
}

// Consumer returns the consumer service's configuration as the demo runs
// it: the daemon's defaults, with the demo's brokers and workers, its own
// consumer group, and lag measured every second for the status line.
func (c demoConfig) Consumer(brokers []string) consumer.ServiceConfig {
	var k consumer.ServiceConfig
	k.SetDefaults()
	c.common(brokers, "consumer", &k.Kafka, &k.Service)
	k.Consumer.GroupID = "ticket-processor-demo"
	k.Consumer.Workers = c.Workers
	k.Consumer.MaxInFlight = max(k.Consumer.MaxInFlight, c.Workers) // the daemon needs MAX_IN_FLIGHT >= WORKERS
	k.Consumer.LagInterval = time.Second
	return k
}

// common sets the sections both sides share: the demo's connection, with
// brokers and a client id of the side's own, its log level and its
// shutdown budget.
func (c demoConfig) common(brokers []string, side string, k *kafka.Config, svc *service.Config) {
	*k = c.Kafka
	k.Brokers = brokers
	k.ClientID = c.Kafka.ClientID + "-" + side
	svc.LogLevel = c.LogLevel
	svc.ShutdownTimeout = c.ShutdownTimeout
}
