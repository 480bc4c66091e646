package producer

import (
	"context"
	"fmt"
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

// The producer's metrics are the engine's observer.
var _ Observer = (*metrics.Producer)(nil)

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

// NewService builds the producer service and binds its endpoints; it
// reaches for Kafka only when run. Run runs it until ctx ends, or until it
// has sent MAX_TICKETS tickets: the endpoints, the Kafka client, the input
// topic (created when missing, with TOPIC_PARTITIONS and
// TOPIC_REPLICATION) and the engine.
func NewService(cfg ServiceConfig, opts ServiceOptions, log *zap.Logger) (*service.Service, error) {
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

	return service.New(endpoints, func(ctx context.Context) error {
		c := cfg.Producer
		client, err := kafka.Connect(ctx, cfg.Kafka.Brokers, sc, log)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := kafka.EnsureProducerTopic(client, c.Topic, int32(c.TopicPartitions), int16(c.TopicReplication), log); err != nil {
			return err
		}
		sp, err := sarama.NewSyncProducerFromClient(client)
		if err != nil {
			return fmt.Errorf("sync producer: %w", err)
		}
		defer sp.Close()
		p, err := New(Options{
			Config:        c,
			DrainTimeout:  opts.DrainTimeout,
			Probe:         func() error { return client.RefreshMetadata(c.Topic) },
			ProbeInterval: 2 * time.Second,
			StallAfter:    5 * time.Second,
			FindWritten:   kafka.NewFinder(client),
		}, sp, opts.Source, m, log.Named("producer"))
		if err != nil {
			return err
		}
		endpoints.SetReady(p.Ready)
		return p.Run(ctx)
	}), nil
}

// Daemon is the producer binary for daemon.Main.
var Daemon = daemon.ForService("producer", LoadServiceConfig, func(c ServiceConfig, log *zap.Logger) (*service.Service, error) {
	return NewService(c, ServiceOptions{}, log)
})

// ServiceSection is the section every daemon has.
func (c ServiceConfig) ServiceSection() service.Config { return c.Service }

// LogFields are logged with the daemon's "starting" line.
func (c ServiceConfig) LogFields() []zap.Field {
	return []zap.Field{zap.Strings("brokers", c.Kafka.Brokers), zap.String("topic", c.Producer.Topic), zap.Float64("rate", c.Producer.Rate)}
}
