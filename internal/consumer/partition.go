package consumer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"
)

// marker records the commit point of a partition. sarama's session does it
// in the daemon; tests may record it.
type marker interface {
	MarkOffset(topic string, partition int32, offset int64, metadata string)
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

	// The partition's series, resolved once rather than per ticket.
	obs PartitionObserver
}

func newPartition(topic string, id int32, initial int64, opts Options, proc *processor, mark marker, log *zap.Logger) *partition {
	return &partition{
		topic:   topic,
		id:      id,
		initial: initial,
		workers: opts.Workers,
		proc:    proc,
		log:     log,
		mark:    mark,
		orders:  newOrderBook(),
		window:  make(chan struct{}, opts.MaxInFlight),
		ready:   make(chan *sarama.ConsumerMessage),
		queues:  make(map[string][]*sarama.ConsumerMessage),

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
		p.tracker.track(msg.Offset, msg.Timestamp)
		p.obs.Consumed()
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
			if err := p.proc.handle(ctx, msg, p.orders); err != nil {
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

// finish marks msg finished and moves the commit point when it can.
func (p *partition) finish(msg *sarama.ConsumerMessage) {
	if next, advanced := p.tracker.finish(msg.Offset); advanced {
		p.mark.MarkOffset(p.topic, p.id, next, "")
	}
	p.obs.AddInFlight(-1)
	p.motion.finished(p.proc.now())
	<-p.window
}

// commitPoint is the offset the group will resume from.
func (p *partition) commitPoint() int64 {
	if next, ok := p.tracker.commitPoint(); ok {
		return next
	}
	return p.initial
}
