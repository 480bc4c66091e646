package consumer

import (
	"context"
	"fmt"
	"os"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"ticket-processor/internal/config"
	"ticket-processor/internal/daemon"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/service"
)

// ServiceConfig is the consumer daemon's whole configuration: one section
// per package that owns it.
type ServiceConfig struct {
	Kafka    kafka.Config
	Service  service.Config
	Consumer Config
}

// SetDefaults sets every section to the consumer daemon's defaults.
func (c *ServiceConfig) SetDefaults() {
	c.Kafka.SetDefaults("ticket-processor-consumer")
	c.Service.SetDefaults(2113)
	c.Consumer.SetDefaults()
}

// Validate returns every problem of every section.
func (c ServiceConfig) Validate() error {
	return config.ValidateAll(c.Kafka, c.Service, c.Consumer)
}

// LoadServiceConfig reads the consumer daemon's configuration from the
// environment (lookup, os.LookupEnv when nil) and args, and validates it,
// reporting every problem at once.
func LoadServiceConfig(args []string, lookup func(string) (string, bool)) (ServiceConfig, error) {
	var c ServiceConfig
	c.SetDefaults()
	err := config.Load("consumer", args, lookup, &c.Kafka, &c.Service, &c.Consumer)
	return c, err
}

// metricsObserver reports to the consumer's Prometheus metrics.
type metricsObserver struct{ *metrics.Consumer }

// Partition returns the partition's series.
func (o metricsObserver) Partition(topic string, partition int32) PartitionObserver {
	return o.Consumer.Partition(topic, partition)
}

// ServiceOptions are what a caller of NewService may change beyond the
// configuration. The zero value runs the consumer daemon.
type ServiceOptions struct {
	service.Options
	// Step is the business step applied to each ticket (default NoopStep).
	Step Step
}

// NewService builds the consumer service and binds its endpoints; it
// reaches for Kafka only when run. Run runs it until ctx ends: its
// endpoints, its Kafka clients, the output and dead-letter topics (created
// once the input topic exists), the group and the processing loop. On the
// way out the group is closed, which leaves it after the final commit.
func NewService(cfg ServiceConfig, opts ServiceOptions, log *zap.Logger) (*service.Service, error) {
	c := cfg.Consumer
	sc, err := kafka.NewConsumerConfig(cfg.Kafka, c.Client())
	if err != nil {
		return nil, err
	}
	endpoints, err := service.Listen(cfg.Service, opts.Options, log)
	if err != nil {
		return nil, err
	}
	m := metrics.NewConsumer(endpoints.Registry)
	m.InitSeries(c.OutputTopic, c.DLQTopic, TransactionStages)
	metrics.NewKafkaClient(endpoints.Registry, sc.MetricRegistry, c.Topic, c.OutputTopic, c.DLQTopic)

	return service.New(endpoints, func(ctx context.Context) error {
		client, err := kafka.Connect(ctx, cfg.Kafka.Brokers, sc, log)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := kafka.WaitForConsumerTopics(ctx, client, c.Topic, c.OutputTopic, c.DLQTopic, log); err != nil {
			return err
		}
		// The producer gets a client of its own: on a shared client its
		// produce requests would queue on the broker connections behind the
		// group's long-polling fetches.
		outClient, err := sarama.NewClient(cfg.Kafka.Brokers, sc)
		if err != nil {
			return fmt.Errorf("output client: %w", err)
		}
		defer outClient.Close()
		out, err := sarama.NewSyncProducerFromClient(outClient)
		if err != nil {
			return fmt.Errorf("output producer: %w", err)
		}
		defer out.Close()
		group, err := sarama.NewConsumerGroupFromClient(c.GroupID, client)
		if err != nil {
			return fmt.Errorf("consumer group %s: %w", c.GroupID, err)
		}
		// Closing the group leaves it; deferred after the producer's close,
		// so it runs first, once the final commit is done.
		defer group.Close()

		var newTransactional func() (sarama.SyncProducer, error)
		if c.ProcessingGuarantee == ExactlyOnce {
			tc, err := kafka.NewTransactionalConfig(sc, transactionalID(c.TransactionalIDPrefix))
			if err != nil {
				return err
			}
			newTransactional = func() (sarama.SyncProducer, error) { return sarama.NewSyncProducer(cfg.Kafka.Brokers, tc) }
		}
		engine, err := New(Options{
			Config:      c,
			FindWritten: kafka.NewFinder(outClient),
			ReadRecord:  kafka.NewRecordReader(client),
			// On the output client: the group's client queues requests
			// behind its long-polling fetches.
			ReadCommitted:            kafka.NewCommittedReader(outClient, c.GroupID),
			NewTransactionalProducer: newTransactional,
		}, group, client, out, opts.Step, metricsObserver{m}, log.Named("consumer"))
		if err != nil {
			return err
		}
		endpoints.SetReady(engine.Ready)
		return engine.Run(ctx)
	}), nil
}

// transactionalID is this process's transactional id: prefix, host name
// and process id. Ids differ between the members of a group, which fence
// each other through the group's generation (KIP-447), not through the id;
// a member restarted in the same pod (process id 1 again) takes over, and
// so aborts, the transaction its previous run left open.
func transactionalID(prefix string) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s-%s-%d", prefix, host, os.Getpid())
}

// Daemon is the consumer binary for daemon.Main.
var Daemon = daemon.ForService("consumer", LoadServiceConfig, func(c ServiceConfig, log *zap.Logger) (*service.Service, error) {
	return NewService(c, ServiceOptions{}, log)
})

// ServiceSection is the section every daemon has.
func (c ServiceConfig) ServiceSection() service.Config { return c.Service }

// LogFields are logged with the daemon's "starting" line.
func (c ServiceConfig) LogFields() []zap.Field {
	return []zap.Field{zap.Strings("brokers", c.Kafka.Brokers), zap.String("topic", c.Consumer.Topic),
		zap.String("group", c.Consumer.GroupID), zap.Int("workers", c.Consumer.Workers)}
}
