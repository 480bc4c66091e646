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
	"ticket-processor/internal/metrics"
	"ticket-processor/internal/producer"
	"ticket-processor/internal/service"
)

// statusInterval is how often the status line is refreshed.
const statusInterval = time.Second

// catchUpPoll is how often the consumer's progress is checked while it
// finishes what the producer wrote.
const catchUpPoll = 50 * time.Millisecond

// run starts the broker (unless KAFKA_BROKERS names one), creates the
// topics and runs the producer and the consumer services with the same
// code as the daemons (package service), with the live status on view.
// Production, and with it the producer service and its endpoints, stops
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

	if !cfg.EmbeddedBroker {
		view.print(fmt.Sprintf("Connecting to Kafka at %s ...\n", strings.Join(brokers, ",")))
	}
	if err := createTopics(ctx, brokers, producerCfg, consumerCfg, log); err != nil {
		return setupFailed(err)
	}

	// The services run as the daemons do, on registries of the demo's own
	// so that the status view can read them.
	producerReg, consumerReg := metrics.NewRegistry(), metrics.NewRegistry()
	var bad *badRecords // set by the producer service before it starts
	producerUp, consumerUp := make(chan net.Addr, 1), make(chan net.Addr, 1)
	producerOpts := service.ProducerOptions{
		Registry:     producerReg,
		Addr:         loopback(cfg.ProducerPort),
		DrainTimeout: quarter,
		WrapSource: func(gen producer.Source) producer.Source {
			bad = newBadRecords(gen, producerCfg.Topic, cfg.FailRate, producerReg, log.Named("bad-records"))
			return bad
		},
		// The bad records stop with the tickets.
		Beside:  func(ctx context.Context, out sarama.SyncProducer) { bad.run(ctx, out) },
		Started: func(_ *producer.Producer, addr net.Addr) { producerUp <- addr },
	}
	consumerOpts := service.ConsumerOptions{
		Registry: consumerReg,
		Addr:     loopback(cfg.ConsumerPort),
		Step:     newFlakyStep(cfg.FailRate, consumerCfg.RetryMax),
		Started:  func(_ *consumer.Consumer, addr net.Addr) { consumerUp <- addr },
	}

	// Three scopes of stopping: producing ends with ctx or the duration,
	// and with it the producer service; the pipeline (the consumer service
	// and the status) ends once the consumer has caught up; an error
	// anywhere ends both.
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	pipeline, stopPipeline := context.WithCancel(gctx)
	defer stopPipeline()
	producing, stopProducing := context.WithCancel(pipeline)
	defer stopProducing()
	stopOnSignal := context.AfterFunc(ctx, stopProducing)
	defer stopOnSignal()

	var producedUntil atomic.Int64 // UnixNano, once production stopped
	g.Go(func() error {
		err := service.RunProducer(producing, producerCfg, producerOpts, log.Named("producer"))
		producedUntil.Store(time.Now().UnixNano())
		if err != nil {
			return fmt.Errorf("producer: %w", err)
		}
		caughtUp := waitCaughtUp(pipeline, producerReg, consumerReg, quarter)
		log.Info("production stopped", zap.Bool("consumer_caught_up", caughtUp))
		stopPipeline()
		return nil
	})
	g.Go(func() error {
		if err := service.RunConsumer(pipeline, consumerCfg, consumerOpts, log.Named("consumer")); err != nil {
			return fmt.Errorf("consumer: %w", err)
		}
		return nil
	})

	// Set-up ends once both services run.
	var producerAddr, consumerAddr net.Addr
	for producerAddr == nil || consumerAddr == nil {
		select {
		case producerAddr = <-producerUp:
		case consumerAddr = <-consumerUp:
		case <-pipeline.Done():
			if err := g.Wait(); err != nil {
				return setupFailed(err)
			}
			return report{}, nil
		}
	}

	view.print(header(cfg, where, producerAddr, consumerAddr, producerCfg, consumerCfg))
	log.Info("demo starting", zap.Strings("brokers", brokers), zap.Bool("embedded_broker", cfg.EmbeddedBroker),
		zap.Float64("rate", cfg.Rate), zap.Int("orders", cfg.Orders), zap.Int("partitions", cfg.Partitions),
		zap.Int("workers", cfg.Workers), zap.Duration("duration", cfg.Duration), zap.Float64("fail_rate", cfg.FailRate))
	started := time.Now()
	if cfg.Duration > 0 {
		stopAtDuration := time.AfterFunc(cfg.Duration, stopProducing)
		defer stopAtDuration.Stop()
	}
	g.Go(func() error {
		watch(pipeline, view, producerReg, consumerReg, started, func() bool { return producedUntil.Load() == 0 })
		return nil
	})
	err := g.Wait()

	final, gatherErr := gather(producerReg, consumerReg, time.Now())
	if gatherErr != nil {
		log.Warn("summary may be incomplete", zap.Error(gatherErr))
	}
	r := newReport(final, max(time.Unix(0, producedUntil.Load()).Sub(started), 0), time.Since(started))
	view.print(r.table())
	log.Info("demo stopped", zap.Int64("produced", r.Produced), zap.Int64("bad_records", total(r.BadRecords)),
		zap.Int64("processed", r.Processed), zap.Int64("retries", r.Retries), zap.Int64("dead_lettered", total(r.DeadLettered)),
		zap.Int64("order_gaps", r.OrderGaps), zap.Int64("unfinished", r.Unfinished))
	return r, err
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
