package producer

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"ticket-processor/internal/kafka"
	"ticket-processor/internal/models"
	"ticket-processor/internal/retry"
)

// Source yields the next ticket to send. The generator implements it.
type Source interface {
	Next() models.Ticket
}

// Options configure a Producer: its section of the configuration, and
// what the service that runs it provides.
type Options struct {
	Config
	// DrainTimeout is how long pending tickets may still be delivered once
	// the run context ends.
	DrainTimeout time.Duration
	// Probe checks that the broker answers; it runs every ProbeInterval.
	Probe         func() error
	ProbeInterval time.Duration
	// StallAfter marks the producer unready while one send has been blocked
	// longer than this.
	StallAfter time.Duration
	// FindWritten reports which of msgs the topic already holds. A failed
	// send may have been written all the same (its answer was lost), and
	// only the tickets it does not find are sent again. kafka.FindWritten
	// implements it.
	FindWritten kafka.Finder
}

func (o Options) validate() error {
	errs := []error{o.Config.Validate()}
	if o.DrainTimeout <= 0 || o.ProbeInterval <= 0 || o.StallAfter <= 0 {
		errs = append(errs, errors.New("producer: DrainTimeout, ProbeInterval and StallAfter must be > 0"))
	}
	if o.Probe == nil || o.FindWritten == nil {
		errs = append(errs, errors.New("producer: Probe and FindWritten are required"))
	}
	return errors.Join(errs...)
}

// Observer is told what the producer does, for its metrics. The engine
// defines what it reports; internal/metrics implements it on Prometheus,
// and tests may record it.
type Observer interface {
	// SetTargetRate is told the configured rate once (0: unthrottled).
	SetTargetRate(perSecond float64)
	// WaitedForRate is how long one ticket waited on the rate limiter.
	WaitedForRate(d time.Duration)
	// AddInFlight moves the count of tickets generated and not yet
	// acknowledged.
	AddInFlight(delta int)
	// Sent is one send of n tickets to Kafka, which took d, whatever its
	// outcome.
	Sent(n int, d time.Duration)
	// SendFailed is one ticket whose send failed after the client's own
	// retries, with the reason kafka.ErrorReason gives.
	SendFailed(reason string)
	// Acknowledged is n tickets Kafka acknowledged on topic.
	Acknowledged(topic string, n int)
	// WrittenAllTheSame is n tickets whose send failed but which the topic held
	// all the same, so were not sent again.
	WrittenAllTheSame(n int)
	// SetReady is told whenever readiness is checked.
	SetReady(ready bool)
}

// ErrUndelivered is returned by Run when the drain deadline passed with
// tickets still unacknowledged.
var ErrUndelivered = errors.New("tickets left undelivered")

// Producer generates tickets at a steady rate and delivers each one, in
// order per OrderID, through a sarama SyncProducer.
type Producer struct {
	opts    Options
	sp      sarama.SyncProducer
	src     Source
	obs     Observer
	log     *zap.Logger
	health  *health
	limiter *rate.Limiter
	acked   atomic.Int64 // tickets acknowledged by Kafka
}

// New returns a Producer; it starts nothing until Run.
func New(opts Options, sp sarama.SyncProducer, src Source, obs Observer, log *zap.Logger) (*Producer, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	limit := rate.Inf
	if opts.Rate > 0 {
		limit = rate.Limit(opts.Rate)
	}
	obs.SetTargetRate(opts.Rate)
	return &Producer{
		opts:    opts,
		sp:      sp,
		src:     src,
		obs:     obs,
		log:     log,
		health:  newHealth(opts.StallAfter),
		limiter: rate.NewLimiter(limit, opts.Burst),
	}, nil
}

// Ready reports nil while the broker answers and sends succeed.
func (p *Producer) Ready() error { return p.health.ready() }

// Run generates and sends tickets until ctx ends or Limit tickets are
// delivered. Once ctx ends it stops generating and keeps delivering what is
// pending for up to DrainTimeout; tickets still unacknowledged after that
// are reported as ErrUndelivered.
//
// Run owns three goroutines: the generator, the sender and the broker
// probe. The generator hands tickets to the sender over a channel of
// BatchSize; when Kafka is slow, the channel fills and generation waits, so
// memory stays bounded and nothing spins.
func (p *Producer) Run(ctx context.Context) error {
	// The probe and the drain timer also stop once the sender is done,
	// which happens on its own when Limit is reached.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan *sarama.ProducerMessage, p.opts.BatchSize) // bound: the in-flight window
	// drainCtx outlives ctx by DrainTimeout, so that pending tickets are
	// still delivered after the stop signal.
	drainCtx, cancelDrain := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelDrain(nil)
	sent := make(chan struct{})

	var g errgroup.Group
	g.Go(func() error {
		defer close(queue)
		p.generate(ctx, queue)
		return nil
	})
	g.Go(func() error {
		p.probe(ctx)
		return nil
	})
	g.Go(func() error {
		defer close(sent)
		defer cancel()
		return p.send(drainCtx, queue)
	})
	g.Go(func() error {
		select {
		case <-sent:
			return nil
		case <-ctx.Done():
		}
		t := time.NewTimer(p.opts.DrainTimeout)
		defer t.Stop()
		select {
		case <-sent:
		case <-t.C:
			cancelDrain(errDrainDeadline)
		}
		return nil
	})
	err := g.Wait()
	p.log.Info("producer stopped", zap.Int64("produced", p.acked.Load()), zap.NamedError("reason", err))
	return err
}

var errDrainDeadline = errors.New("drain deadline passed")

// generate waits on the rate limiter, then hands the next ticket to queue,
// until ctx ends or Limit tickets were generated.
func (p *Producer) generate(ctx context.Context, queue chan<- *sarama.ProducerMessage) {
	for n := int64(0); p.opts.MaxTickets == 0 || n < p.opts.MaxTickets; n++ {
		start := time.Now()
		if err := p.limiter.Wait(ctx); err != nil {
			return // ctx ended, or cannot end before the next token
		}
		p.obs.WaitedForRate(time.Since(start))
		t := p.src.Next()
		msg, err := newMessage(p.opts.Topic, t)
		if err != nil {
			// The generator only yields valid tickets: this is a bug, not
			// an input problem, so stop rather than skip a sequence number.
			p.log.Error("generated ticket does not encode; generation stops", zap.String("order_id", t.OrderID), zap.Error(err))
			return
		}
		p.obs.AddInFlight(1)
		select {
		case queue <- msg:
		case <-ctx.Done():
			p.obs.AddInFlight(-1)
			return
		}
	}
}

// newMessage turns a ticket into a record keyed by its OrderID.
func newMessage(topic string, t models.Ticket) (*sarama.ProducerMessage, error) {
	value, err := t.Encode()
	if err != nil {
		return nil, err
	}
	return &sarama.ProducerMessage{
		Topic:    topic,
		Key:      sarama.StringEncoder(t.OrderID),
		Value:    sarama.ByteEncoder(value),
		Headers:  []sarama.RecordHeader{{Key: []byte("content-type"), Value: []byte("application/json")}},
		Metadata: t.OrderID,
	}, nil
}

// send delivers batches from queue until it is closed and drained, or
// until ctx (the drain context) ends.
func (p *Producer) send(ctx context.Context, queue <-chan *sarama.ProducerMessage) error {
	b := batcher{queue: queue, max: p.opts.BatchSize}
	for {
		batch := b.next()
		if batch == nil {
			return nil
		}
		if err := p.deliver(ctx, batch); err != nil {
			left := len(b.backlog) + len(queue)
			return fmt.Errorf("%w: %d, and %d more waiting: %w", ErrUndelivered, len(batch), left, err)
		}
	}
}

// deliver sends batch until every ticket in it is acknowledged or ctx
// ends, resending the failed ones with capped exponential backoff. A batch holds at most
// one ticket per order, so resending a failed ticket can never put it
// behind a later ticket of its own order.
//
// A failed ticket is sent again only once FindWritten has shown that the
// topic does not hold it: the broker may have written it and lost only the
// answer, and sarama, having given up on it, has bumped its producer epoch,
// so the broker would not recognise the resend as a duplicate.
func (p *Producer) deliver(ctx context.Context, batch []*sarama.ProducerMessage) error {
	// Every ticket keeps the timestamp of its first send; FindWritten
	// searches the topic from there.
	now := time.Now()
	for _, m := range batch {
		m.Timestamp = now
	}
	pending := batch
	return retry.Do(ctx, p.opts.resend(), func(ctx context.Context, attempt int) error {
		if attempt > 1 {
			left, err := p.unwritten(ctx, pending)
			if err != nil {
				return err
			}
			if pending = left; len(pending) == 0 {
				return nil
			}
		}
		err := p.sendOnce(pending)
		if err != nil {
			pending = failed(pending, err)
		}
		return err
	}, nil)
}

// unwritten returns the tickets of pending that the topic does not hold,
// in their order, or an error when the broker cannot tell yet.
func (p *Producer) unwritten(ctx context.Context, pending []*sarama.ProducerMessage) ([]*sarama.ProducerMessage, error) {
	written, err := p.opts.FindWritten(ctx, pending)
	if err != nil {
		if suppressed, ok := p.health.shouldLog(); ok {
			p.log.Warn("cannot tell yet whether failed tickets were written; asking again",
				zap.Int("tickets", len(pending)), zap.Int("suppressed_since_last_log", suppressed), zap.Error(err))
		}
		return nil, err
	}
	left := make([]*sarama.ProducerMessage, 0, len(pending))
	for _, m := range pending {
		if !written[m] {
			left = append(left, m)
		}
	}
	if n := len(pending) - len(left); n > 0 {
		p.acknowledged(n)
		p.obs.WrittenAllTheSame(n)
		p.log.Info("failed tickets were written all the same; they are not sent again",
			zap.Int("found", n), zap.Int("resent", len(left)))
	}
	return left, nil
}

// sendOnce hands msgs to Kafka once and accounts for the outcome.
func (p *Producer) sendOnce(msgs []*sarama.ProducerMessage) error {
	stop := p.health.sending()
	start := time.Now()
	var err error
	if len(msgs) == 1 {
		_, _, err = p.sp.SendMessage(msgs[0])
	} else {
		err = p.sp.SendMessages(msgs)
	}
	stop()
	p.obs.Sent(len(msgs), time.Since(start))

	if err == nil {
		p.health.sendSucceeded()
		p.acknowledged(len(msgs))
		return nil
	}
	errs := causes(msgs, err)
	for _, cause := range errs {
		p.obs.SendFailed(kafka.ErrorReason(cause))
	}
	p.health.sendFailed(err)
	if suppressed, ok := p.health.shouldLog(); ok {
		p.log.Warn("send failed; tickets will be sent again unless Kafka wrote them",
			zap.String("topic", p.opts.Topic), zap.String("reason", kafka.ErrorReason(errs[0])),
			zap.Int("failed", len(errs)), zap.Int("batch", len(msgs)),
			zap.Int("suppressed_since_last_log", suppressed), zap.NamedError("cause", errs[0]), zap.Error(err))
	}
	p.acknowledged(len(msgs) - len(errs))
	return err
}

// acknowledged accounts for n tickets that Kafka holds.
func (p *Producer) acknowledged(n int) {
	p.acked.Add(int64(n))
	p.obs.Acknowledged(p.opts.Topic, n)
	p.obs.AddInFlight(-n)
}

// failed returns the messages of msgs that err reports as failed, in their
// original order; an error that is not per message fails them all.
func failed(msgs []*sarama.ProducerMessage, err error) []*sarama.ProducerMessage {
	perMsg := perMessage(err)
	if perMsg == nil {
		return msgs
	}
	bad := make(map[*sarama.ProducerMessage]bool, len(perMsg))
	for _, pe := range perMsg {
		bad[pe.Msg] = true
	}
	out := make([]*sarama.ProducerMessage, 0, len(perMsg))
	for _, m := range msgs {
		if bad[m] {
			out = append(out, m)
		}
	}
	return out
}

// perMessage returns the per-message errors in err, or nil when err is
// about the send as a whole.
func perMessage(err error) sarama.ProducerErrors {
	var perMsg sarama.ProducerErrors
	if errors.As(err, &perMsg) && len(perMsg) > 0 {
		return perMsg
	}
	return nil
}

// causes returns one error per failed message: its own when err is per
// message, otherwise err for each of msgs.
func causes(msgs []*sarama.ProducerMessage, err error) []error {
	perMsg := perMessage(err)
	if perMsg == nil {
		out := make([]error, len(msgs))
		for i := range out {
			out[i] = err
		}
		return out
	}
	out := make([]error, len(perMsg))
	for i, pe := range perMsg {
		out[i] = pe.Err
	}
	return out
}

// probe checks the broker every ProbeInterval until ctx ends, and keeps
// the ready gauge current.
func (p *Producer) probe(ctx context.Context) {
	t := time.NewTicker(p.opts.ProbeInterval)
	defer t.Stop()
	for {
		err := p.opts.Probe()
		previous := p.health.probed(err)
		switch {
		case err != nil && (previous == nil || previous == errNotChecked):
			p.log.Warn("broker unreachable; producer not ready", zap.Error(err))
		case err == nil && previous != nil && previous != errNotChecked:
			p.log.Info("broker reachable again")
		}
		p.obs.SetReady(p.health.ready() == nil)
		select {
		case <-ctx.Done():
			p.obs.SetReady(false)
			return
		case <-t.C:
		}
	}
}
