package service

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"ticket-processor/internal/config"
	"ticket-processor/internal/consumer"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/monitoring"
	"ticket-processor/internal/retry"
)

// ConsumerOptions are what a caller of RunConsumer may change beyond the
// configuration. The zero value runs the consumer daemon.
type ConsumerOptions struct {
	// Registry holds the service's metrics and is served on /metrics
	// (default: a new metrics.NewRegistry()). Pass one to gather it too.
	Registry *prometheus.Registry
	// Addr is the endpoints' listen address (default ":METRICS_PORT", every
	// interface); port 0 picks a free one.
	Addr string
	// Step is the business step applied to each ticket (default
	// consumer.NoopStep).
	Step consumer.Step
	// Started, when set, is called once the engine is built, just before
	// it runs, with the engine and the endpoints' address.
	Started func(c *consumer.Consumer, addr net.Addr)
}

// RunConsumer runs the consumer service until ctx ends: its endpoints, its
// Kafka clients, the output and dead-letter topics (created once the input
// topic exists), the group and the processing loop. On the way out the
// group is closed, which leaves it after the final commit.
func RunConsumer(ctx context.Context, cfg config.Consumer, opts ConsumerOptions, log *zap.Logger) error {
	reg := registryOrNew(opts.Registry)
	m := metrics.NewConsumer(reg)
	m.InitSeries(cfg.OutputTopic, cfg.DLQTopic)
	sc, err := kafka.NewConsumerConfig(cfg)
	if err != nil {
		return err
	}
	metrics.NewKafkaClient(reg, sc.MetricRegistry, cfg.Topic, cfg.OutputTopic, cfg.DLQTopic)

	var running atomic.Pointer[consumer.Consumer]
	srv, err := monitoring.Listen(addrOr(opts.Addr, cfg.Service.MetricsPort), reg, readiness(&running), log.Named("http"))
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	g.Go(func() error {
		client, err := kafka.Connect(gctx, cfg.Kafka.Brokers, sc, log)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := kafka.WaitForConsumerTopics(gctx, client, cfg.Topic, cfg.OutputTopic, cfg.DLQTopic, log); err != nil {
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
		group, err := sarama.NewConsumerGroupFromClient(cfg.GroupID, client)
		if err != nil {
			return fmt.Errorf("consumer group %s: %w", cfg.GroupID, err)
		}
		// Closing the group leaves it; deferred after the producer's close,
		// so it runs first, once the final commit is done.
		defer group.Close()

		c, err := consumer.New(consumer.Options{
			Topic:           cfg.Topic,
			OutputTopic:     cfg.OutputTopic,
			DLQTopic:        cfg.DLQTopic,
			Group:           cfg.GroupID,
			Workers:         cfg.Workers,
			MaxInFlight:     cfg.MaxInFlight,
			Retry:           retry.Policy{MaxAttempts: cfg.RetryMax, Base: cfg.RetryBase, MaxDelay: cfg.RetryMaxDelay},
			OrderPolicy:     cfg.OrderPolicy,
			DrainTimeout:    cfg.DrainTimeout,
			LagInterval:     cfg.LagInterval,
			MaxMessageBytes: cfg.MaxMessageBytes,
			FindWritten:     kafka.NewFinder(outClient),
			ReadRecord:      kafka.NewRecordReader(client),
		}, group, client, out, opts.Step, m, log.Named("consumer"))
		if err != nil {
			return err
		}
		running.Store(c)
		if opts.Started != nil {
			opts.Started(c, srv.Addr())
		}
		return c.Run(gctx)
	})
	return g.Wait()
}
