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

	"ticket-processor/internal/consumer"
	"ticket-processor/internal/generator"
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
func run(ctx context.Context, cfg demoConfig, view *statusView, log *zap.Logger) (report, error) {
	r, err := runPipeline(ctx, cfg, view, log)
	if err != nil && ctx.Err() != nil && errors.Is(err, errSetup) {
		log.Info("interrupted while starting", zap.Error(err))
		return r, nil
	}
	return r, err
}

// errSetup marks failures before the pipeline runs.
var errSetup = errors.New("demo set-up")

func runPipeline(ctx context.Context, cfg demoConfig, view *statusView, log *zap.Logger) (report, error) {
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
	consumerCfg.Consumer.DrainTimeout = quarter

	if !cfg.EmbeddedBroker {
		view.print(fmt.Sprintf("Connecting to Kafka at %s ...\n", strings.Join(brokers, ",")))
	}
	client, err := prepareKafka(ctx, brokers, producerCfg, consumerCfg, log)
	if err != nil {
		return setupFailed(err)
	}
	defer client.Close()
	out, err := sarama.NewSyncProducerFromClient(client)
	if err != nil {
		return setupFailed(fmt.Errorf("bad-record producer: %w", err))
	}
	defer out.Close()

	// The services run as the daemons do, on registries of the demo's own
	// and on loopback. The demo's faults go in from outside: bad records
	// mixed into the tickets the generator yields, written beside the
	// producer, and a flaky business step in the consumer.
	producerReg, consumerReg := metrics.NewRegistry(), metrics.NewRegistry()
	gen, err := generator.New(producerCfg.Generator)
	if err != nil {
		return setupFailed(err)
	}
	bad := newBadRecords(gen, producerCfg.Producer.Topic, cfg.FailRate, producerReg, log.Named("bad-records"))
	producerSvc, err := producer.NewService(producerCfg, producer.ServiceOptions{
		Options:      service.Options{Registry: producerReg, Addr: loopback(cfg.ProducerPort)},
		Source:       bad,
		DrainTimeout: quarter,
	}, log.Named("producer"))
	if err != nil {
		return setupFailed(err)
	}
	consumerSvc, err := consumer.NewService(consumerCfg, consumer.ServiceOptions{
		Options: service.Options{Registry: consumerReg, Addr: loopback(cfg.ConsumerPort)},
		Step:    newFlakyStep(cfg.FailRate, consumerCfg.Consumer.Retry.MaxAttempts),
	}, log.Named("consumer"))
	if err != nil {
		return setupFailed(err)
	}

	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	pipeline, stopPipeline := context.WithCancel(gctx)
	defer stopPipeline()
	producing, stopProducing := context.WithCancel(pipeline)
	defer stopProducing()
	stopOnSignal := context.AfterFunc(ctx, stopProducing)
	defer stopOnSignal()

	var producedUntil atomic.Int64 // UnixNano, once production stopped
	g.Go(func() error {
		err := runBeside(producing, producerSvc.Run, func(ctx context.Context) { bad.run(ctx, out) })
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
		if err := consumerSvc.Run(pipeline); err != nil {
			return fmt.Errorf("consumer: %w", err)
		}
		return nil
	})

	// Set-up ends once both services run.
	view.print(header(cfg, where, producerSvc.Addr(), consumerSvc.Addr(), producerCfg, consumerCfg))
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
	err = g.Wait()

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
func header(cfg demoConfig, where string, producerAddr, consumerAddr net.Addr, ps producer.ServiceConfig, cs consumer.ServiceConfig) string {
	p, c := ps.Producer, cs.Consumer
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
	fmt.Fprintf(&b, "  producer  %s, %d open orders -> %s (%d partitions)\n", rate, ps.Generator.Orders, p.Topic, p.TopicPartitions)
	fmt.Fprintf(&b, "  consumer  group %s, %d workers per partition -> %s, %s\n", c.GroupID, c.Workers, c.OutputTopic, c.DLQTopic)
	fmt.Fprintf(&b, "  faults    %s\n", faults)
	fmt.Fprintf(&b, "  metrics   http://%s/metrics (producer), http://%s/metrics (consumer); also /healthz, /readyz\n", producerAddr, consumerAddr)
	fmt.Fprintf(&b, "  logs      %s\n%s\n\n", logs, stop)
	return b.String()
}

// runBeside runs engine until it returns, and beside until then; it
// returns once both have.
func runBeside(ctx context.Context, engine func(context.Context) error, beside func(context.Context)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		beside(ctx)
	}()
	err := engine(ctx)
	cancel()
	<-done
	return err
}
