package producer

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"ticket-processor/internal/config"
	"ticket-processor/internal/daemon"
	"ticket-processor/internal/generator"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/service"
)

// ServiceConfig is the producer daemon's whole configuration: one section
// per package that owns it.
type ServiceConfig struct {
	Kafka     kafka.Config
	Service   service.Config
	Producer  Config
	Generator generator.Config
}

// SetDefaults sets every section to the producer daemon's defaults.
func (c *ServiceConfig) SetDefaults() {
	c.Kafka.SetDefaults("ticket-processor-producer")
	c.Service.SetDefaults(2112)
	c.Producer.SetDefaults()
	c.Generator.SetDefaults()
}

// Validate returns every problem of every section.
func (c ServiceConfig) Validate() error {
	return config.ValidateAll(c.Kafka, c.Service, c.Producer, c.Generator)
}

// LoadServiceConfig reads the producer daemon's configuration from the
// environment (lookup, os.LookupEnv when nil) and args, and validates it,
// reporting every problem at once.
func LoadServiceConfig(args []string, lookup func(string) (string, bool)) (ServiceConfig, error) {
	var c ServiceConfig
	c.SetDefaults()
	err := config.Load("producer", args, lookup, &c.Kafka, &c.Service, &c.Producer, &c.Generator)
	return c, err
}

// ServiceOptions are what a caller of NewService may change beyond the
// configuration. The zero value runs the producer daemon.
type ServiceOptions struct {
	service.Options
	// Source yields the tickets (default: a generator for the Generator
	// section).
	Source Source
	// DrainTimeout bounds delivering the pending tickets on the way out
	// (default: nine tenths of SHUTDOWN_TIMEOUT, leaving a tenth for
	// closing the client).
	DrainTimeout time.Duration
}

// Service is the producer service: its metrics and endpoints, its Kafka
// client, the input topic and the generate-and-send loop.
type Service struct {
	cfg       ServiceConfig
	opts      ServiceOptions
	endpoints *service.Endpoints
	m         *metrics.Producer
	sc        *sarama.Config
	log       *zap.Logger
}

// NewService builds the producer service and binds its endpoints; it
// reaches for Kafka only in Run.
func NewService(cfg ServiceConfig, opts ServiceOptions, log *zap.Logger) (*Service, error) {
	sc, err := kafka.NewProducerConfig(cfg.Kafka, cfg.Producer.Client())
	if err != nil {
		return nil, err
	}
	if opts.Source == nil {
		gen, err := generator.New(cfg.Generator)
		if err != nil {
			return nil, err
		}
		opts.Source = gen
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = cfg.Service.ShutdownTimeout * 9 / 10
	}
	endpoints, err := service.Listen(cfg.Service, opts.Options, log)
	if err != nil {
		return nil, err
	}
	m := metrics.NewProducer(endpoints.Registry)
	m.InitSeries(cfg.Producer.Topic)
	metrics.NewKafkaClient(endpoints.Registry, sc.MetricRegistry, cfg.Producer.Topic)
	return &Service{cfg: cfg, opts: opts, endpoints: endpoints, m: m, sc: sc, log: log}, nil
}

// Addr is the address of the service's endpoints.
func (s *Service) Addr() net.Addr { return s.endpoints.Addr() }

// Run runs the service until ctx ends, or until it has sent MAX_TICKETS
// tickets: the endpoints, the Kafka client, the input topic (created when
// missing, with TOPIC_PARTITIONS and TOPIC_REPLICATION) and the engine.
func (s *Service) Run(ctx context.Context) error {
	return s.endpoints.Run(ctx, func(ctx context.Context) error {
		cfg := s.cfg.Producer
		client, err := kafka.Connect(ctx, s.cfg.Kafka.Brokers, s.sc, s.log)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := kafka.EnsureProducerTopic(client, cfg.Topic, int32(cfg.TopicPartitions), int16(cfg.TopicReplication), s.log); err != nil {
			return err
		}
		sp, err := sarama.NewSyncProducerFromClient(client)
		if err != nil {
			return fmt.Errorf("sync producer: %w", err)
		}
		defer sp.Close()
		p, err := New(Options{
			Config:        cfg,
			DrainTimeout:  s.opts.DrainTimeout,
			Probe:         func() error { return client.RefreshMetadata(cfg.Topic) },
			ProbeInterval: 2 * time.Second,
			StallAfter:    5 * time.Second,
			FindWritten:   kafka.NewFinder(client),
		}, sp, s.opts.Source, s.m, s.log.Named("producer"))
		if err != nil {
			return err
		}
		s.endpoints.SetReady(p.Ready)
		return p.Run(ctx)
	})
}

// Daemon is the producer binary for daemon.Main: its configuration and its
// service, with sarama's own log lines routed to the daemon's logger.
var Daemon = daemon.Daemon[ServiceConfig]{
	Name:    "producer",
	Load:    LoadServiceConfig,
	Service: func(c ServiceConfig) service.Config { return c.Service },
	Fields: func(c ServiceConfig) []zap.Field {
		return []zap.Field{zap.Strings("brokers", c.Kafka.Brokers), zap.String("topic", c.Producer.Topic), zap.Float64("rate", c.Producer.Rate)}
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
