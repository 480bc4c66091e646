package consumer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
)

// marker records the commit point of a partition and its commit metadata.
// sarama's session does it in the daemon; tests may record it. Under
// exactly-once there is none: transactions carry the offsets. MarkOffset
// moves the point forward; ResetOffset, called only with the point already
// marked, replaces the metadata.
type marker interface {
	MarkOffset(topic string, partition int32, offset int64, metadata string)
	ResetOffset(topic string, partition int32, offset int64, metadata string)
}

// partition runs the tickets of one claimed partition: a dispatcher takes
// records in offset order and hands each order's tickets, one at a time,
// to a bounded pool of workers, so that many orders progress at once while
// each order stays strictly sequential.
type partition struct {
	topic    string
	id       int32
	initial  int64 // offset the claim started at, the commit point until a ticket is taken
	workers  int
	proc     *processor
	log      *zap.Logger
	mark     marker
	tracker  committer
	orders   *orderBook
	window   chan struct{} // bound: MaxInFlight tickets taken ahead of the oldest unfinished
	ready    chan *sarama.ConsumerMessage
	queuesMu sync.Mutex
	queues   map[string][]*sarama.ConsumerMessage // busy orders and their waiting tickets
	motion   motion                               // whether taken tickets finish, for readiness

	// ahead are the offsets the previous owner finished beyond the commit
	// point it left, read from its commit metadata: they are skipped.
	ahead skipList
	// aheadSpan is how far above the commit point records may be taken,
	// so that the commit metadata always fits its bound.
	aheadSpan int64
	// advanced is signalled when the commit point moves, for a dispatcher
	// waiting for room in the metadata.
	advanced chan struct{}
	// What was last marked; markMu keeps marks in order.
	markMu         sync.Mutex
	marked         int64
	markedMetadata string
	commitInterval time.Duration

	// The partition's series, resolved once rather than per ticket.
	obs PartitionObserver
}

// claimStart is where a claim starts: the offset the group resumes from,
// the metadata committed with it, and the spans of offsets that metadata
// names as finished.
type claimStart struct {
	offset   int64
	metadata string
	ahead    []span
}

func newPartition(topic string, id int32, start claimStart, opts Options, proc *processor, mark marker, log *zap.Logger) *partition {
	return &partition{
		topic:          topic,
		id:             id,
		initial:        start.offset,
		ahead:          skipList{spans: start.ahead},
		aheadSpan:      maxAheadSpan(opts.MetadataMaxBytes),
		advanced:       make(chan struct{}, 1),
		marked:         start.offset,
		markedMetadata: start.metadata,
		commitInterval: opts.CommitInterval,
		workers:        opts.Workers,
		proc:           proc,
		log:            log,
		mark:           mark,
		orders:         newOrderBook(),
		window:         make(chan struct{}, opts.MaxInFlight),
		ready:          make(chan *sarama.ConsumerMessage),
		queues:         make(map[string][]*sarama.ConsumerMessage),

		obs: proc.obs.Partition(topic, id),
	}
}

// run consumes messages until the channel closes or stop ends, then lets
// the tickets already taken finish for up to drain. Tickets still running
// after that are abandoned: their offsets are not marked, so the next
// owner of the partition processes them again.
func (p *partition) run(stop context.Context, messages <-chan *sarama.ConsumerMessage, drain time.Duration) {
	work, abandon := context.WithCancel(context.WithoutCancel(stop))
	defer abandon()
	if p.mark != nil {
		// The last mark comes after every ticket has finished or been
		// abandoned, so the final commit carries all that finished.
		defer p.markCommit()
		marking, stopMarking := context.WithCancel(context.Background())
		marked := make(chan struct{})
		go func() {
			defer close(marked)
			p.markEvery(marking)
		}()
		defer func() {
			stopMarking()
			<-marked
		}()
	}

	var wg sync.WaitGroup
	for range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(work)
		}()
	}
	p.dispatch(stop, work, messages)
	close(p.ready)

	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	timer := time.NewTimer(drain)
	defer timer.Stop()
	select {
	case <-finished:
	case <-timer.C:
		pending := p.tracker.pending()
		p.log.Warn("drain timed out; unfinished tickets left uncommitted",
			zap.Int32("partition", p.id), zap.Int("unfinished", pending), zap.Duration("drain_timeout", drain))
		abandon()
		<-finished
	}
}

// dispatch takes messages in offset order while the in-flight window has
// room, and hands each to a worker unless its order is busy, in which case
// the ticket waits behind the order's earlier ones.
func (p *partition) dispatch(stop, work context.Context, messages <-chan *sarama.ConsumerMessage) {
	for {
		select {
		case p.window <- struct{}{}:
		case <-stop.Done():
			return
		}
		var msg *sarama.ConsumerMessage
		select {
		case m, ok := <-messages:
			if !ok {
				<-p.window
				return
			}
			msg = m
		case <-stop.Done():
			<-p.window
			return
		}
		p.obs.Consumed()
		if p.ahead.finished(msg.Offset) && p.skipFinished(msg) {
			<-p.window
			continue
		}
		if !p.awaitMetadataRoom(stop, msg.Offset) {
			<-p.window
			return // not tracked: the next owner takes it again
		}
		p.tracker.track(msg.Offset, msg.Timestamp)
		p.obs.AddInFlight(1)
		p.motion.took(p.proc.now())
		if !p.enqueue(msg) {
			continue
		}
		// Hand over even while stopping: the ticket is taken, and a
		// worker finishes it unless the drain runs out.
		select {
		case p.ready <- msg:
		case <-work.Done():
			return
		}
	}
}

// enqueue reports whether msg's order was idle; if it was busy, msg waits
// in the order's queue.
func (p *partition) enqueue(msg *sarama.ConsumerMessage) (idle bool) {
	key := string(msg.Key)
	p.queuesMu.Lock()
	defer p.queuesMu.Unlock()
	if waiting, busy := p.queues[key]; busy {
		p.queues[key] = append(waiting, msg)
		return false
	}
	p.queues[key] = nil
	return true
}

// next returns the order's next waiting ticket, or nil after marking the
// order idle.
func (p *partition) next(key string) *sarama.ConsumerMessage {
	p.queuesMu.Lock()
	defer p.queuesMu.Unlock()
	waiting := p.queues[key]
	if len(waiting) == 0 {
		delete(p.queues, key)
		return nil
	}
	msg := waiting[0]
	waiting[0] = nil
	p.queues[key] = waiting[1:]
	return msg
}

// work processes the orders handed to it, each to the end of its queued
// tickets, until the ready channel closes or ctx ends.
func (p *partition) work(ctx context.Context) {
	for msg := range p.ready {
		for msg != nil {
			offset := msg.Offset
			if err := p.proc.handle(ctx, msg, p.orders, func() { p.markFinished(offset) }); err != nil {
				if !errors.Is(err, errAbandoned) {
					p.log.Error("ticket processing stopped", zap.Int32("partition", p.id), zap.Int64("offset", msg.Offset), zap.Error(err))
				}
				return // abandoned: the order's later tickets stay unfinished too
			}
			p.finish(msg)
			msg = p.next(string(msg.Key))
		}
	}
}

// skipFinished skips msg, which the partition's previous owner finished,
// and forgets its order: the tickets skipped moved the order on, so its
// next ticket is a baseline. A ticket of a busy order is not skipped: an
// earlier ticket of its order is unfinished, so the metadata that names
// it cannot be right, and processing it again is the safe way.
func (p *partition) skipFinished(msg *sarama.ConsumerMessage) bool {
	key := string(msg.Key)
	p.queuesMu.Lock()
	_, busy := p.queues[key]
	p.queuesMu.Unlock()
	if busy {
		p.log.Warn("commit metadata names a ticket whose order has an earlier one unfinished; processed again",
			zap.String("order_id", key), zap.Int32("partition", p.id), zap.Int64("offset", msg.Offset))
		return false
	}
	p.orders.forget(key)
	p.tracker.skip(msg.Offset)
	p.obs.AheadSkipped()
	return true
}

// awaitMetadataRoom holds the dispatcher while offset lies too far above
// the commit point for the commit metadata to name whatever finishes up
// to it, until the point moves or stop ends (false).
func (p *partition) awaitMetadataRoom(stop context.Context, offset int64) bool {
	if p.tracker.fits(offset, p.aheadSpan) {
		return true
	}
	p.obs.MetadataFull()
	point, _ := p.tracker.commitPoint()
	p.log.Warn("commit metadata is full; taking no records until the commit point moves",
		zap.Int32("partition", p.id), zap.Int64("offset", offset), zap.Int64("commit_point", point),
		zap.Int64("max_ahead", p.aheadSpan))
	for !p.tracker.fits(offset, p.aheadSpan) {
		select {
		case <-p.advanced:
		case <-stop.Done():
			return false
		}
	}
	return true
}

// markFinished records offset finished, so that the next commit takes
// it; the commit point moves when it can. Exactly once, it is called as
// the ticket's record enters the open transaction, and again by finish.
func (p *partition) markFinished(offset int64) {
	if _, advanced := p.tracker.finish(offset); advanced {
		select {
		case p.advanced <- struct{}{}:
		default: // a signal is pending already
		}
	}
}

// finish records msg finished and frees its place in the window.
func (p *partition) finish(msg *sarama.ConsumerMessage) {
	p.markFinished(msg.Offset)
	p.obs.AddInFlight(-1)
	p.motion.finished(p.proc.now())
	<-p.window
}

// markEvery hands the commit point and metadata to the group every
// commit interval until ctx ends.
func (p *partition) markEvery(ctx context.Context) {
	every(ctx, p.commitInterval, nil, func() bool {
		p.markCommit()
		return true
	})
}

// markCommit marks the commit point with the metadata naming what is
// finished above it, when either changed since the last mark.
func (p *partition) markCommit() {
	p.markMu.Lock()
	defer p.markMu.Unlock()
	point, metadata, ok := p.tracker.state()
	switch {
	case !ok:
		return
	case point > p.marked:
		p.mark.MarkOffset(p.topic, p.id, point, metadata)
	case point == p.marked && metadata != p.markedMetadata:
		p.mark.ResetOffset(p.topic, p.id, point, metadata)
	default:
		return
	}
	p.marked, p.markedMetadata = point, metadata
	p.obs.CommitMetadata(len(metadata))
}

// commitPoint is the offset the group will resume from.
func (p *partition) commitPoint() int64 {
	if next, ok := p.tracker.commitPoint(); ok {
		return next
	}
	return p.initial
}
