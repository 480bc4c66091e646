package service

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"ticket-processor/internal/config"
	"ticket-processor/internal/generator"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/monitoring"
	"ticket-processor/internal/producer"
)

// ProducerOptions are what a caller of RunProducer may change beyond the
// configuration. The zero value runs the producer daemon.
type ProducerOptions struct {
	// Registry holds the service's metrics and is served on /metrics
	// (default: a new metrics.NewRegistry()). Pass one to gather it too.
	Registry *prometheus.Registry
	// Addr is the endpoints' listen address (default ":METRICS_PORT", every
	// interface); port 0 picks a free one.
	Addr string
	// DrainTimeout bounds delivering the pending tickets on the way out
	// (default: nine tenths of SHUTDOWN_TIMEOUT, leaving a tenth for
	// closing the client).
	DrainTimeout time.Duration
	// WrapSource, when set, wraps the ticket generator; the producer reads
	// its tickets from what it returns.
	WrapSource func(gen producer.Source) producer.Source
	// Beside, when set, runs beside the engine, from just before it starts
	// until it stops, with the SyncProducer the engine sends with. It must
	// return once ctx ends: the SyncProducer is closed after it returns.
	Beside func(ctx context.Context, out sarama.SyncProducer)
	// Started, when set, is called once the engine is built, just before
	// it runs, with the engine and the endpoints' address.
	Started func(p *producer.Producer, addr net.Addr)
}

// RunProducer runs the producer service until ctx ends, or until it has
// sent MAX_TICKETS tickets: its endpoints, its Kafka client, the input
// topic (created when missing, with TOPIC_PARTITIONS and
// TOPIC_REPLICATION) and the generate-and-send loop.
func RunProducer(ctx context.Context, cfg config.Producer, opts ProducerOptions, log *zap.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reg := registryOrNew(opts.Registry)
	m := metrics.NewProducer(reg)
	m.InitSeries(cfg.Topic)
	sc, err := kafka.NewProducerConfig(cfg)
	if err != nil {
		return err
	}
	metrics.NewKafkaClient(reg, sc.MetricRegistry, cfg.Topic)

	var running atomic.Pointer[producer.Producer]
	srv, err := monitoring.Listen(addrOr(opts.Addr, cfg.Service.MetricsPort), reg, readiness(&running), log.Named("http"))
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	g.Go(func() error {
		// With MAX_TICKETS the producer ends by itself; the server follows.
		defer cancel()
		client, err := kafka.Connect(gctx, cfg.Kafka.Brokers, sc, log)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := kafka.EnsureProducerTopic(client, cfg.Topic, int32(cfg.TopicPartitions), int16(cfg.TopicReplication), log); err != nil {
			return err
		}
		sp, err := sarama.NewSyncProducerFromClient(client)
		if err != nil {
			return fmt.Errorf("sync producer: %w", err)
		}
		defer sp.Close()

		gen, err := generator.New(generator.Config{Orders: cfg.Orders, Seed: cfg.Seed})
		if err != nil {
			return err
		}
		var src producer.Source = gen
		if opts.WrapSource != nil {
			src = opts.WrapSource(gen)
		}
		drain := opts.DrainTimeout
		if drain == 0 {
			drain = cfg.Service.ShutdownTimeout * 9 / 10
		}
		p, err := producer.New(producer.Options{
			Topic:           cfg.Topic,
			Rate:            cfg.Rate,
			Burst:           cfg.Burst,
			Limit:           cfg.MaxTickets,
			BatchSize:       cfg.BatchSize,
			RetryBackoff:    cfg.RetryBackoff,
			RetryMaxBackoff: cfg.RetryMaxBackoff,
			DrainTimeout:    drain,
			Probe:           func() error { return client.RefreshMetadata(cfg.Topic) },
			ProbeInterval:   2 * time.Second,
			StallAfter:      5 * time.Second,
			FindWritten:     kafka.NewFinder(client),
		}, sp, src, m, log.Named("producer"))
		if err != nil {
			return err
		}
		running.Store(p)
		if opts.Started != nil {
			opts.Started(p, srv.Addr())
		}
		return runBeside(gctx, p.Run, opts.Beside, sp)
	})
	return g.Wait()
}

// runBeside runs engine until it returns, and beside (when not nil) until
// then; it returns once both have.
func runBeside(ctx context.Context, engine func(context.Context) error, beside func(context.Context, sarama.SyncProducer), out sarama.SyncProducer) error {
	if beside == nil {
		return engine(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		beside(ctx, out)
	}()
	err := engine(ctx)
	cancel()
	<-done
	return err
}
