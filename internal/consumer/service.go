package consumer

import (
	"context"
	"fmt"
	"net"

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

// ServiceOptions are what a caller of NewService may change beyond the
// configuration. The zero value runs the consumer daemon.
type ServiceOptions struct {
	service.Options
	// Step is the business step applied to each ticket (default NoopStep).
	Step Step
}

// Service is the consumer service: its metrics and endpoints, its Kafka
// clients, the output and dead-letter topics, the group and the
// processing loop.
type Service struct {
	cfg       ServiceConfig
	opts      ServiceOptions
	endpoints *service.Endpoints
	m         *metrics.Consumer
	sc        *sarama.Config
	log       *zap.Logger
}

// NewService builds the consumer service and binds its endpoints; it
// reaches for Kafka only in Run.
func NewService(cfg ServiceConfig, opts ServiceOptions, log *zap.Logger) (*Service, error) {
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
	m.InitSeries(c.OutputTopic, c.DLQTopic)
	metrics.NewKafkaClient(endpoints.Registry, sc.MetricRegistry, c.Topic, c.OutputTopic, c.DLQTopic)
	return &Service{cfg: cfg, opts: opts, endpoints: endpoints, m: m, sc: sc, log: log}, nil
}

// Addr is the address of the service's endpoints.
func (s *Service) Addr() net.Addr { return s.endpoints.Addr() }

// Run runs the service until ctx ends: its endpoints, its Kafka clients,
// the output and dead-letter topics (created once the input topic exists),
// the group and the processing loop. On the way out the group is closed,
// which leaves it after the final commit.
func (s *Service) Run(ctx context.Context) error {
	return s.endpoints.Run(ctx, func(ctx context.Context) error {
		cfg := s.cfg.Consumer
		client, err := kafka.Connect(ctx, s.cfg.Kafka.Brokers, s.sc, s.log)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := kafka.WaitForConsumerTopics(ctx, client, cfg.Topic, cfg.OutputTopic, cfg.DLQTopic, s.log); err != nil {
			return err
		}
		// The producer gets a client of its own: on a shared client its
		// produce requests would queue on the broker connections behind the
		// group's long-polling fetches.
		outClient, err := sarama.NewClient(s.cfg.Kafka.Brokers, s.sc)
		if err != nil {
			return fmt.Errorf("output client: %w", err)
		}
		defer outClient.Close()
		out, err := sarama.NewSyncProducerFromClient(outClient)
		if err != nil {
			return fmt.Errorf("output producer: %w", err)
		}
		defer out.Close()
		group, err := sarama.NewConsumerGroupFromClient(cfg.GroupID, client)
		if err != nil {
			return fmt.Errorf("consumer group %s: %w", cfg.GroupID, err)
		}
		// Closing the group leaves it; deferred after the producer's close,
		// so it runs first, once the final commit is done.
		defer group.Close()

		c, err := New(Options{
			Config:      cfg,
			FindWritten: kafka.NewFinder(outClient),
			ReadRecord:  kafka.NewRecordReader(client),
		}, group, client, out, s.opts.Step, s.m, s.log.Named("consumer"))
		if err != nil {
			return err
		}
		s.endpoints.SetReady(c.Ready)
		return c.Run(ctx)
	})
}

// Daemon is the consumer binary for daemon.Main: its configuration and its
// service, with sarama's own log lines routed to the daemon's logger.
var Daemon = daemon.Daemon[ServiceConfig]{
	Name:    "consumer",
	Load:    LoadServiceConfig,
	Service: func(c ServiceConfig) service.Config { return c.Service },
	Fields: func(c ServiceConfig) []zap.Field {
		return []zap.Field{zap.Strings("brokers", c.Kafka.Brokers), zap.String("topic", c.Consumer.Topic),
			zap.String("group", c.Consumer.GroupID), zap.Int("workers", c.Consumer.Workers)}
	},
	Run: func(ctx context.Context, cfg ServiceConfig, log *zap.Logger) error {
		kafka.RouteSaramaLogs(log)
		s, err := NewService(cfg, ServiceOptions{}, log)
		if err != nil {
			return err
		}
		return s.Run(ctx)
	},
}
