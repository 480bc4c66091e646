package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"ticket-processor/internal/config"
	"ticket-processor/internal/generator"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/monitoring"
	"ticket-processor/internal/producer"
)

// run wires the producer: monitoring endpoints first, so that /healthz
// answers while Kafka is still being reached, then the client, the topic,
// and the generate-and-send loop.
func run(ctx context.Context, cfg config.Producer, log *zap.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	kafka.RouteSaramaLogs(log)
	reg := metrics.NewRegistry()
	m := metrics.NewProducer(reg)
	m.InitSeries(cfg.Topic)
	sc, err := kafka.NewProducerConfig(cfg)
	if err != nil {
		return err
	}
	metrics.NewKafkaClient(reg, sc.MetricRegistry, cfg.Topic)

	var running atomic.Pointer[producer.Producer]
	ready := func() error {
		if p := running.Load(); p != nil {
			return p.Ready()
		}
		return errors.New("connecting to Kafka")
	}
	srv, err := monitoring.Listen(fmt.Sprintf(":%d", cfg.Service.MetricsPort), reg, ready, log.Named("http"))
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
		admin, err := sarama.NewClusterAdminFromClient(client)
		if err != nil {
			_ = client.Close()
			return fmt.Errorf("cluster admin: %w", err)
		}
		defer admin.Close() // closes the client too

		created, err := kafka.EnsureTopic(admin, cfg.Topic, int32(cfg.TopicPartitions), int16(cfg.TopicReplication), nil)
		if err != nil {
			return err
		}
		if created {
			log.Info("created topic", zap.String("topic", cfg.Topic),
				zap.Int("partitions", cfg.TopicPartitions), zap.Int("replication", cfg.TopicReplication))
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
		p, err := producer.New(producer.Options{
			Topic:           cfg.Topic,
			Rate:            cfg.Rate,
			Burst:           cfg.Burst,
			Limit:           cfg.MaxTickets,
			BatchSize:       cfg.BatchSize,
			RetryBackoff:    cfg.RetryBackoff,
			RetryMaxBackoff: cfg.RetryMaxBackoff,
			// Leave a tenth of the shutdown budget for closing the client.
			DrainTimeout:  cfg.Service.ShutdownTimeout * 9 / 10,
			Probe:         func() error { return client.RefreshMetadata(cfg.Topic) },
			ProbeInterval: 2 * time.Second,
			StallAfter:    5 * time.Second,
		}, sp, gen, m, log.Named("producer"))
		if err != nil {
			return err
		}
		running.Store(p)
		return p.Run(gctx)
	})
	return g.Wait()
}
