package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"ticket-processor/internal/config"
	"ticket-processor/internal/consumer"
	"ticket-processor/internal/generator"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/monitoring"
	"ticket-processor/internal/producer"
	"ticket-processor/internal/retry"
)

// statusInterval is how often the status line is refreshed.
const statusInterval = time.Second

// catchUpPoll is how often the consumer's progress is checked while it
// finishes what the producer wrote.
const catchUpPoll = 50 * time.Millisecond

// run starts the broker (unless KAFKA_BROKERS names one), creates the
// topics and runs the producer and the consumer, wired from the same
// packages as the daemons, with the live status on view. Production stops
// when ctx ends or after cfg.Duration; the consumer then finishes what was
// written, and run prints the summary and returns it.
//
// An interruption before the pipeline runs (say, while an unreachable
// KAFKA_BROKERS is retried) is a clean stop, not an error.
func run(ctx context.Context, cfg config.Demo, view *statusView, log *zap.Logger) (report, error) {
	r, err := runPipeline(ctx, cfg, view, log)
	if err != nil && ctx.Err() != nil && errors.Is(err, errSetup) {
		log.Info("interrupted while starting", zap.Error(err))
		return r, nil
	}
	return r, err
}

// errSetup marks failures before the pipeline runs.
var errSetup = errors.New("demo set-up")

func runPipeline(ctx context.Context, cfg config.Demo, view *statusView, log *zap.Logger) (report, error) {
	setupFailed := func(err error) (report, error) { return report{}, fmt.Errorf("%w: %w", errSetup, err) }

	// The endpoints come first, as in the daemons, so that a port in use
	// fails at once.
	producerReg, consumerReg := metrics.NewRegistry(), metrics.NewRegistry()
	producerMetrics, consumerMetrics := metrics.NewProducer(producerReg), metrics.NewConsumer(consumerReg)
	var runningProducer atomic.Pointer[producer.Producer]
	var runningConsumer atomic.Pointer[consumer.Consumer]
	producerSrv, err := monitoring.Listen(loopback(cfg.ProducerPort), producerReg, func() error {
		if p := runningProducer.Load(); p != nil {
			return p.Ready()
		}
		return errors.New("connecting to Kafka")
	}, log.Named("http"))
	if err != nil {
		return report{}, fmt.Errorf("producer endpoints (--producer-port): %w", err)
	}
	consumerSrv, err := monitoring.Listen(loopback(cfg.ConsumerPort), consumerReg, func() error {
		if c := runningConsumer.Load(); c != nil {
			return c.Ready()
		}
		return errors.New("connecting to Kafka")
	}, log.Named("http"))
	if err != nil {
		return report{}, fmt.Errorf("consumer endpoints (--consumer-port): %w", err)
	}

	brokers, where := cfg.Kafka.Brokers, "Kafka at "+strings.Join(cfg.Kafka.Brokers, ",")
	if cfg.EmbeddedBroker {
		cluster, err := startBroker(cfg.BrokerPort, log.Named("kfake"))
		if err != nil {
			return report{}, err
		}
		defer cluster.Close()
		brokers = cluster.ListenAddrs()
		where = "embedded Kafka broker (kfake) at " + strings.Join(brokers, ",")
	}

	// The shutdown budget is split in four: the producer delivers what is
	// pending, the consumer catches up, the consumer drains its in-flight
	// tickets and leaves the group, and the clients close.
	quarter := cfg.ShutdownTimeout / 4
	producerCfg, consumerCfg := cfg.Producer(brokers), cfg.Consumer(brokers)
	consumerCfg.DrainTimeout = quarter
	producerSarama, err := kafka.NewProducerConfig(producerCfg)
	if err != nil {
		return report{}, err
	}
	consumerSarama, err := kafka.NewConsumerConfig(consumerCfg)
	if err != nil {
		return report{}, err
	}

	if !cfg.EmbeddedBroker {
		view.print(fmt.Sprintf("Connecting to Kafka at %s ...\n", strings.Join(brokers, ",")))
	}
	// The producer's side: its client also creates the topics.
	producerClient, err := kafka.Connect(ctx, brokers, producerSarama, log.Named("producer"))
	if err != nil {
		return setupFailed(err)
	}
	defer producerClient.Close()
	if err := createTopics(producerClient, producerCfg, consumerCfg, log); err != nil {
		return setupFailed(err)
	}
	tickets, err := sarama.NewSyncProducerFromClient(producerClient)
	if err != nil {
		return setupFailed(fmt.Errorf("sync producer: %w", err))
	}
	defer tickets.Close()
	gen, err := generator.New(generator.Config{Orders: producerCfg.Orders, Seed: producerCfg.Seed})
	if err != nil {
		return report{}, err
	}
	bad := newBadRecords(gen, producerCfg.Topic, cfg.FailRate, tickets, producerReg, log.Named("bad-records"))
	prod, err := producer.New(producer.Options{
		Topic:           producerCfg.Topic,
		Rate:            producerCfg.Rate,
		Burst:           producerCfg.Burst,
		BatchSize:       producerCfg.BatchSize,
		RetryBackoff:    producerCfg.RetryBackoff,
		RetryMaxBackoff: producerCfg.RetryMaxBackoff,
		DrainTimeout:    quarter,
		Probe:           func() error { return producerClient.RefreshMetadata(producerCfg.Topic) },
		ProbeInterval:   2 * time.Second,
		StallAfter:      5 * time.Second,
	}, tickets, bad, producerMetrics, log.Named("producer"))
	if err != nil {
		return report{}, err
	}

	// The consumer's side, as the consumer daemon builds it: a client for
	// the group and one of its own for the output producer.
	consumerClient, err := kafka.Connect(ctx, brokers, consumerSarama, log.Named("consumer"))
	if err != nil {
		return setupFailed(err)
	}
	defer consumerClient.Close()
	out, err := sarama.NewSyncProducer(brokers, consumerSarama)
	if err != nil {
		return setupFailed(fmt.Errorf("output producer: %w", err))
	}
	defer out.Close()
	group, err := sarama.NewConsumerGroupFromClient(consumerCfg.GroupID, consumerClient)
	if err != nil {
		return setupFailed(fmt.Errorf("consumer group %s: %w", consumerCfg.GroupID, err))
	}
	// Deferred last, so it runs first: leaving the group after the final
	// commit, before the output producer closes.
	defer group.Close()
	cons, err := consumer.New(consumer.Options{
		Topic:           consumerCfg.Topic,
		OutputTopic:     consumerCfg.OutputTopic,
		DLQTopic:        consumerCfg.DLQTopic,
		Group:           consumerCfg.GroupID,
		Workers:         consumerCfg.Workers,
		MaxInFlight:     consumerCfg.MaxInFlight,
		Retry:           retry.Policy{MaxAttempts: consumerCfg.RetryMax, Base: consumerCfg.RetryBase, MaxDelay: consumerCfg.RetryMaxDelay},
		OrderPolicy:     consumerCfg.OrderPolicy,
		DrainTimeout:    consumerCfg.DrainTimeout,
		LagInterval:     consumerCfg.LagInterval,
		MaxMessageBytes: consumerCfg.MaxMessageBytes,
	}, group, consumerClient, out, newFlakyStep(cfg.FailRate, consumerCfg.RetryMax), consumerMetrics, log.Named("consumer"))
	if err != nil {
		return report{}, err
	}

	view.print(header(cfg, where, producerSrv.Addr(), consumerSrv.Addr(), producerCfg, consumerCfg))
	log.Info("demo starting", zap.Strings("brokers", brokers), zap.Bool("embedded_broker", cfg.EmbeddedBroker),
		zap.Float64("rate", cfg.Rate), zap.Int("orders", cfg.Orders), zap.Int("partitions", cfg.Partitions),
		zap.Int("workers", cfg.Workers), zap.Duration("duration", cfg.Duration), zap.Float64("fail_rate", cfg.FailRate))

	// Three scopes of stopping: producing ends with ctx or the duration;
	// the pipeline (consumer, endpoints, status) ends once the consumer has
	// caught up; an error anywhere ends both.
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	pipeline, stopPipeline := context.WithCancel(gctx)
	defer stopPipeline()
	producing, stopProducing := context.WithCancel(pipeline)
	defer stopProducing()
	stopOnSignal := context.AfterFunc(ctx, stopProducing)
	defer stopOnSignal()
	if cfg.Duration > 0 {
		var stopAtDuration context.CancelFunc
		producing, stopAtDuration = context.WithTimeout(producing, cfg.Duration)
		defer stopAtDuration()
	}

	started := time.Now()
	var producedFor atomic.Int64 // nanoseconds, once production stopped
	g.Go(func() error { return producerSrv.Run(pipeline) })
	g.Go(func() error { return consumerSrv.Run(pipeline) })
	g.Go(func() error {
		runningConsumer.Store(cons)
		return cons.Run(pipeline)
	})
	g.Go(func() error {
		err := produce(producing, prod, bad, &runningProducer)
		producedFor.Store(int64(time.Since(started)))
		if err != nil {
			return err
		}
		caughtUp := waitCaughtUp(pipeline, producerReg, consumerReg, quarter)
		log.Info("production stopped", zap.Bool("consumer_caught_up", caughtUp))
		stopPipeline()
		return nil
	})
	g.Go(func() error {
		watch(pipeline, view, producerReg, consumerReg, started, func() bool { return producedFor.Load() == 0 })
		return nil
	})
	err = g.Wait()

	final, gatherErr := gather(producerReg, consumerReg, time.Now())
	if gatherErr != nil {
		log.Warn("summary may be incomplete", zap.Error(gatherErr))
	}
	r := newReport(final, time.Duration(producedFor.Load()), time.Since(started))
	view.print(r.table())
	log.Info("demo stopped", zap.Int64("produced", r.Produced), zap.Int64("bad_records", total(r.BadRecords)),
		zap.Int64("processed", r.Processed), zap.Int64("retries", r.Retries), zap.Int64("dead_lettered", total(r.DeadLettered)),
		zap.Int64("order_gaps", r.OrderGaps), zap.Int64("unfinished", r.Unfinished))
	return r, err
}

// produce runs the producer and the bad-record writer until ctx ends or
// the producer stops by itself.
func produce(ctx context.Context, prod *producer.Producer, bad *badRecords, running *atomic.Pointer[producer.Producer]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var g errgroup.Group
	g.Go(func() error {
		defer cancel() // the bad records stop with the tickets
		running.Store(prod)
		return prod.Run(ctx)
	})
	g.Go(func() error {
		bad.run(ctx)
		return nil
	})
	return g.Wait()
}

// waitCaughtUp waits until the consumer has finished every record the demo
// wrote, or limit has passed, or ctx ended; it reports whether the
// consumer caught up.
func waitCaughtUp(ctx context.Context, producerReg, consumerReg prometheus.Gatherer, limit time.Duration) bool {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	poll := time.NewTicker(catchUpPoll)
	defer poll.Stop()
	for {
		if s, err := gather(producerReg, consumerReg, time.Now()); err == nil && s.finished() >= s.written() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-poll.C:
		}
	}
}

// watch refreshes the status line every statusInterval until ctx ends.
func watch(ctx context.Context, view *statusView, producerReg, consumerReg prometheus.Gatherer, started time.Time, producing func() bool) {
	t := time.NewTicker(statusInterval)
	defer t.Stop()
	prev, _ := gather(producerReg, consumerReg, started)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cur, _ := gather(producerReg, consumerReg, now) // what was gathered is still worth showing
			view.show(statusLine(prev, cur, started, producing()))
			prev = cur
		}
	}
}

// loopback returns the listen address for port on the loopback interface:
// the demo is a local tool.
func loopback(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// header describes what runs and where to look.
func header(cfg config.Demo, where string, producerAddr, consumerAddr net.Addr, p config.Producer, c config.Consumer) string {
	rate := fmt.Sprintf("%g tickets/s", p.Rate)
	if p.Rate == 0 {
		rate = "unthrottled"
	}
	faults := "none (--fail-rate 0)"
	if cfg.FailRate > 0 {
		faults = fmt.Sprintf("%g%% of tickets fail at first and are retried; %g bad records per 100 tickets go to %s",
			cfg.FailRate*100, cfg.FailRate*100, c.DLQTopic)
	}
	logs := cfg.LogFile
	if logs == "" {
		logs = "none; errors on stderr"
	}
	stop := "Ctrl-C stops the demo."
	if cfg.Duration > 0 {
		stop = fmt.Sprintf("The demo stops after %s of producing, or on Ctrl-C.", cfg.Duration)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ticket-processor demo on %s\n", where)
	fmt.Fprintf(&b, "  producer  %s, %d open orders -> %s (%d partitions)\n", rate, p.Orders, p.Topic, p.TopicPartitions)
	fmt.Fprintf(&b, "  consumer  group %s, %d workers per partition -> %s, %s\n", c.GroupID, c.Workers, c.OutputTopic, c.DLQTopic)
	fmt.Fprintf(&b, "  faults    %s\n", faults)
	fmt.Fprintf(&b, "  metrics   http://%s/metrics (producer), http://%s/metrics (consumer); also /healthz, /readyz\n", producerAddr, consumerAddr)
	fmt.Fprintf(&b, "  logs      %s\n%s\n\n", logs, stop)
	return b.String()
}
