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
	"ticket-processor/internal/consumer"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/monitoring"
	"ticket-processor/internal/retry"
)

// run wires the consumer: monitoring endpoints first, then the client, the
// output topics, the group and the processing loop. On the way out the
// group is closed, which leaves it after the final commit.
func run(ctx context.Context, cfg config.Consumer, log *zap.Logger) error {
	kafka.RouteSaramaLogs(log)
	reg := metrics.NewRegistry()
	m := metrics.NewConsumer(reg)
	m.InitSeries(cfg.OutputTopic, cfg.DLQTopic)
	sc, err := kafka.NewConsumerConfig(cfg)
	if err != nil {
		return err
	}
	metrics.NewKafkaClient(reg, sc.MetricRegistry, cfg.Topic, cfg.OutputTopic, cfg.DLQTopic)

	var running atomic.Pointer[consumer.Consumer]
	ready := func() error {
		if c := running.Load(); c != nil {
			return c.Ready()
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
		client, err := kafka.Connect(gctx, cfg.Kafka.Brokers, sc, log)
		if err != nil {
			return err
		}
		defer client.Close()
		if err := waitForTopics(gctx, client, cfg, log); err != nil {
			return err
		}
		// The producer gets a client of its own: on a shared client its
		// produce requests would queue on the broker connections behind the
		// group's long-polling fetches.
		out, err := sarama.NewSyncProducer(cfg.Kafka.Brokers, sc)
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
		}, group, client, out, consumer.NoopStep, m, log.Named("consumer"))
		if err != nil {
			return err
		}
		running.Store(c)
		return c.Run(gctx)
	})
	return g.Wait()
}

// waitForTopics retries ensureTopics until it succeeds or ctx ends: the
// consumer may start before anything has created the input topic.
func waitForTopics(ctx context.Context, client sarama.Client, cfg config.Consumer, log *zap.Logger) error {
	backoff := time.Second
	for {
		err := ensureTopics(client, cfg, log)
		if err == nil {
			return nil
		}
		log.Warn("topics not ready; retrying", zap.Duration("backoff", backoff), zap.Error(err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 15*time.Second)
	}
}

// ensureTopics creates the output and dead-letter topics when they are
// missing, with the input topic's partition count and replication factor.
func ensureTopics(client sarama.Client, cfg config.Consumer, log *zap.Logger) error {
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("cluster admin: %w", err)
	}
	// Not closed: closing the admin would close the shared client.
	partitions, err := client.Partitions(cfg.Topic)
	if err != nil {
		return fmt.Errorf("input topic %s: %w", cfg.Topic, err)
	}
	replicas, err := client.Replicas(cfg.Topic, partitions[0])
	if err != nil {
		return fmt.Errorf("input topic %s: %w", cfg.Topic, err)
	}
	for _, topic := range []struct {
		name    string
		entries map[string]*string
	}{
		{cfg.OutputTopic, nil},
		{cfg.DLQTopic, map[string]*string{"max.message.bytes": ptr(fmt.Sprint(kafka.DeadLetterMaxBytes))}},
	} {
		created, err := kafka.EnsureTopic(admin, topic.name, int32(len(partitions)), int16(len(replicas)), topic.entries)
		if err != nil {
			return err
		}
		if created {
			log.Info("created topic", zap.String("topic", topic.name), zap.Int("partitions", len(partitions)))
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
