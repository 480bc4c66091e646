package consumer

import (
	"context"
	"errors"
	"fmt"

	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"ticket-processor/internal/kafka"
	"ticket-processor/internal/retry"
)

// Options configure a Consumer: its section of the configuration, and
// what the service that runs it provides.
type Options struct {
	Config
	// FindWritten reports which records the output and dead-letter topics
	// already hold. A publish that failed may have been written all the
	// same (its answer was lost); it is looked for before being sent again.
	FindWritten kafka.Finder
	// ReadRecord reads back the input record a replayed ticket names, to
	// check that the replay is what it claims to be.
	ReadRecord kafka.RecordReader
	// ReadCommitted reads a claimed partition's committed offset and
	// metadata, to skip what its previous owner finished.
	ReadCommitted kafka.CommittedReader
	// NewTransactionalProducer returns a producer whose configuration has
	// a transactional id, for the exactly-once output path; required under
	// exactly_once, unused otherwise.
	NewTransactionalProducer func() (sarama.SyncProducer, error)
}

func (o Options) validate() error {
	errs := []error{o.Config.Validate()}
	if o.FindWritten == nil || o.ReadRecord == nil || o.ReadCommitted == nil {
		errs = append(errs, errors.New("consumer: FindWritten, ReadRecord and ReadCommitted are required"))
	}
	if o.ProcessingGuarantee == ExactlyOnce && o.NewTransactionalProducer == nil {
		errs = append(errs, errors.New("consumer: exactly_once needs NewTransactionalProducer"))
	}
	return errors.Join(errs...)
}

// OffsetSource returns a partition's high watermark; sarama.Client's
// GetOffset with sarama.OffsetNewest is one.
type OffsetSource interface {
	GetOffset(topic string, partition int32, time int64) (int64, error)
}

// Consumer runs a consumer group member that processes tickets in order
// per OrderID, many orders at once within a partition.
type Consumer struct {
	opts    Options
	group   sarama.ConsumerGroup
	offsets OffsetSource
	proc    *processor
	obs     Observer
	log     *zap.Logger

	member atomic.Bool // true from Setup until the Consume loop stops

	mu     sync.Mutex
	active map[int32]*partition // claimed partitions, for lag
	// endSession ends the current group session with its cause, so that
	// the member rejoins and its partitions start again from what was
	// committed.
	endSession context.CancelCauseFunc
	// committing stops and awaits the session's transaction loop.
	committing func()
}

// New returns a Consumer reading through group and writing through out
// (an idempotent SyncProducer). It starts nothing until Run.
func New(opts Options, group sarama.ConsumerGroup, offsets OffsetSource, out sarama.SyncProducer, step Step, obs Observer, log *zap.Logger) (*Consumer, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if step == nil {
		step = NoopStep
	}
	proc := &processor{opts: opts, out: out, step: step, obs: obs, log: log, now: time.Now}
	if opts.ProcessingGuarantee == ExactlyOnce {
		proc.txn = newTransactions(opts.GroupID, opts.Topic, opts.NewTransactionalProducer, obs, log)
	}
	return &Consumer{
		opts:    opts,
		group:   group,
		offsets: offsets,
		proc:    proc,
		obs:     obs,
		log:     log,
		active:  make(map[int32]*partition),
	}, nil
}

// Ready reports nil while the consumer is a member of its group and its
// partitions' taken tickets move. A partition that has held tickets for
// longer than NotReadyAfter without finishing one makes the consumer not
// ready; the error names it and, when Kafka refuses the consumer's writes,
// since when and why.
func (c *Consumer) Ready() error {
	if !c.member.Load() {
		return errors.New("not a member of the consumer group")
	}
	now := c.proc.now()
	for _, p := range c.claimed() {
		d, held := p.motion.stalled(now)
		if d <= c.opts.NotReadyAfter {
			continue
		}
		err := fmt.Errorf("partition %d: %d tickets taken and none finished for %s (NOT_READY_AFTER=%s)",
			p.id, held, d.Round(time.Second), c.opts.NotReadyAfter)
		if since, werr := c.proc.writes.failing(); werr != nil {
			err = fmt.Errorf("%w; Kafka has refused the consumer's writes for %s: %w", err, now.Sub(since).Round(time.Second), werr)
		}
		return err
	}
	return nil
}

// claimed returns the partitions the consumer holds now.
func (c *Consumer) claimed() []*partition {
	c.mu.Lock()
	defer c.mu.Unlock()
	parts := make([]*partition, 0, len(c.active))
	for _, p := range c.active {
		parts = append(parts, p)
	}
	return parts
}

// Run joins the group and processes tickets until ctx ends. On the way out
// every claimed partition finishes its in-flight tickets (within
// DrainTimeout), the finished offsets are committed, and the caller closes
// the group to leave it.
//
// Consume is called again after every rebalance, as sarama requires: a
// session ends whenever the group rebalances, and the loop ends only with
// ctx or a closed group.
func (c *Consumer) Run(ctx context.Context) error {
	// The helpers stop with the consume loop, whichever way it ends.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		c.logGroupErrors(gctx)
		return nil
	})
	g.Go(func() error {
		c.measureLag(gctx)
		return nil
	})
	g.Go(func() error {
		defer cancel()
		defer c.setMember(false)
		if c.proc.txn != nil {
			defer c.proc.txn.close()
		}
		// Each session ends with a rebalance, and Consume is called again;
		// a failed one is retried with backoff, from 1 s again once a
		// session has run.
		for ctx.Err() == nil {
			closed := false
			err := retry.Do(ctx, retry.Until(time.Second, 30*time.Second), func(ctx context.Context, _ int) error {
				session, end := context.WithCancelCause(ctx)
				defer end(nil)
				c.mu.Lock()
				c.endSession = end
				c.mu.Unlock()
				err := c.group.Consume(session, []string{c.opts.Topic}, handler{c})
				if ctx.Err() == nil && session.Err() != nil {
					// Ended by the member itself, after a failed
					// transaction: join again after a backoff, so that a
					// transaction that always fails cannot spin the group.
					return context.Cause(session)
				}
				if errors.Is(err, sarama.ErrClosedConsumerGroup) {
					closed = true
					return nil
				}
				return err
			}, func(_ int, err error, delay time.Duration) {
				c.setMember(false)
				c.log.Warn("group session failed; joining again", zap.Duration("backoff", delay), zap.Error(err))
			})
			if closed || err != nil {
				return nil // closed, or ctx ended
			}
		}
		return nil
	})
	return g.Wait()
}

func (c *Consumer) setMember(in bool) {
	c.member.Store(in)
	if in {
		c.obs.SetMember(true)
	} else {
		c.obs.SetMember(false)
	}
}

// groupErrorLogEvery is the least time between two logged group errors.
// While the broker is away sarama reports one per partition every retry;
// the ones in between are counted and reported with the next line.
const groupErrorLogEvery = 10 * time.Second

// logGroupErrors drains the group's error channel, which sarama requires
// when Consumer.Return.Errors is set.
func (c *Consumer) logGroupErrors(ctx context.Context) {
	var (
		lastLog    time.Time
		suppressed int
	)
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-c.group.Errors():
			if !ok {
				return
			}
			if time.Since(lastLog) < groupErrorLogEvery {
				suppressed++
				continue
			}
			c.log.Warn("consumer group error", zap.Int("suppressed_since_last_log", suppressed), zap.Error(err))
			lastLog, suppressed = time.Now(), 0
		}
	}
}

// measureLag refreshes the lag gauges of the claimed partitions every
// LagInterval.
func (c *Consumer) measureLag(ctx context.Context) {
	every(ctx, c.opts.LagInterval, nil, func() bool {
		for _, p := range c.claimed() {
			c.refreshLag(p)
		}
		return true
	})
}

// every calls fn every interval, and whenever wake is signalled (a nil
// wake never is), until ctx ends or fn returns false.
func every(ctx context.Context, interval time.Duration, wake <-chan struct{}, fn func() (more bool)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		if !fn() {
			return
		}
	}
}

func (c *Consumer) refreshLag(p *partition) {
	stalled, _ := p.motion.stalled(c.proc.now()) // first: it matters most while Kafka does not answer
	p.obs.Stalled(stalled)
	hwm, err := c.offsets.GetOffset(p.topic, p.id, sarama.OffsetNewest)
	if err != nil {
		c.log.Debug("high watermark unavailable", zap.Int32("partition", p.id), zap.Error(err))
		return
	}
	var age time.Duration
	if oldest, ok := p.tracker.oldestUnfinished(); ok && !oldest.IsZero() {
		age = max(time.Since(oldest), 0)
	}
	p.obs.Lag(max(hwm-p.commitPoint(), 0), age)
}

// handler implements sarama.ConsumerGroupHandler for a Consumer.
type handler struct{ c *Consumer }

// Setup runs at the start of each session, after the rebalance. Under
// exactly-once it opens the session's first transaction and starts the
// loop that commits one every CommitInterval.
func (h handler) Setup(sess sarama.ConsumerGroupSession) error {
	if x := h.c.proc.txn; x != nil {
		if err := x.begin(); err != nil {
			return err
		}
		ctx, stop := context.WithCancel(sess.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			x.run(ctx, sess, h.c.opts.CommitInterval, h.c.resetSession)
		}()
		h.c.mu.Lock()
		h.c.committing = func() { stop(); <-done }
		h.c.mu.Unlock()
	}
	claims := sess.Claims()[h.c.opts.Topic]
	h.c.obs.PartitionsAssigned(len(claims))
	h.c.setMember(true)
	h.c.log.Info("partitions assigned", zap.Int32s("partitions", claims),
		zap.String("member_id", sess.MemberID()), zap.Int32("generation", sess.GenerationID()))
	return nil
}

// Cleanup runs once every ConsumeClaim has returned: it commits what was
// marked, synchronously, before the partitions go to their next owner.
// Under exactly-once the session's last transaction carries it instead:
// committed if it can be, otherwise aborted, so that the next owner starts
// from a consistent committed state either way.
func (h handler) Cleanup(sess sarama.ConsumerGroupSession) error {
	defer h.c.obs.PartitionsReleased()
	x := h.c.proc.txn
	if x == nil {
		sess.Commit()
		return nil
	}
	h.c.mu.Lock()
	stop := h.c.committing
	h.c.committing = nil
	h.c.mu.Unlock()
	if stop == nil {
		return nil // Setup failed: no transaction was opened
	}
	stop()
	if err := x.commit(sess, true); err != nil {
		h.c.log.Warn("the session's last transaction failed; its partitions resume from what was committed before", zap.Error(err))
	}
	return nil
}

// resetSession ends the current session after a failed transaction.
func (c *Consumer) resetSession(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endSession != nil {
		c.endSession(cause)
	}
}

// ConsumeClaim processes one partition until the session ends.
func (h handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	c := h.c
	start := c.claimStart(sess.Context(), claim)
	var mark marker = sess
	if c.proc.txn != nil {
		mark = nil // the session's transactions commit the offsets
	}
	p := newPartition(claim.Topic(), claim.Partition(), start, c.opts, c.proc, mark, c.log)
	if c.proc.txn != nil {
		c.proc.txn.claim(p, kafka.Committed{Offset: start.offset, Metadata: start.metadata})
	}
	c.mu.Lock()
	c.active[p.id] = p
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.active, p.id)
		c.mu.Unlock()
		p.obs.Released()
	}()
	c.refreshLag(p)
	p.run(sess.Context(), claim.Messages(), c.opts.DrainTimeout)
	return nil
}

// claimStart reads what the partition's previous owner committed with the
// offset the claim starts from, and the offsets its metadata names as
// finished above it. Metadata that cannot be read, or that belongs to
// another offset, names nothing: every record above the offset is then
// processed again, as before commit metadata existed.
func (c *Consumer) claimStart(ctx context.Context, claim sarama.ConsumerGroupClaim) claimStart {
	start := claimStart{offset: claim.InitialOffset()}
	if start.offset < 0 {
		return start // nothing committed: the claim starts at the oldest record
	}
	fields := []zap.Field{zap.Int32("partition", claim.Partition()), zap.Int64("offset", start.offset)}
	var committed kafka.Committed
	err := retry.Do(ctx, retry.Until(c.opts.Retry.Base, c.opts.Retry.MaxDelay), func(ctx context.Context, _ int) error {
		var err error
		committed, err = c.opts.ReadCommitted(ctx, claim.Topic(), claim.Partition())
		return err
	}, func(_ int, err error, delay time.Duration) {
		c.log.Warn("cannot read the partition's commit metadata; retrying",
			append(fields, zap.Duration("backoff", delay), zap.Error(err))...)
	})
	switch {
	case err != nil:
		return start // the session ended; nothing will be taken
	case committed.Offset != start.offset:
		c.log.Warn("committed offset moved since the claim began; its metadata is not used",
			append(fields, zap.Int64("committed", committed.Offset))...)
		return start
	}
	start.metadata = committed.Metadata
	ahead, err := decodeAhead(start.offset, committed.Metadata)
	if err != nil {
		c.log.Warn("commit metadata unreadable; records above the commit point are processed again",
			append(fields, zap.Error(err))...)
		return start
	}
	start.ahead = ahead
	if len(ahead) > 0 {
		c.log.Info("claim resumes past offsets its previous owner finished",
			append(fields, zap.Int("spans", len(ahead)), zap.Int64("through", ahead[len(ahead)-1].to-1))...)
	}
	return start
}
