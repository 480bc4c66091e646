package producer

import "github.com/IBM/sarama"

// batcher groups queued tickets into sends of at most max tickets, with at
// most one ticket per order in a send. A ticket whose order is already in
// the batch waits in the backlog, in arrival order, for a later batch; so
// a partly failed send can be retried without overtaking anything.
//
// When tickets arrive slowly, each batch is the single ticket that woke the
// sender: low latency. When they arrive faster than Kafka acknowledges
// them, the queue fills while a send is in flight and the next batch takes
// all it can: high throughput.
type batcher struct {
	queue   <-chan *sarama.ProducerMessage
	max     int
	backlog []*sarama.ProducerMessage
	closed  bool
}

// next returns the next batch, blocking until at least one ticket is
// available; nil means the queue is closed and everything was handed out.
func (b *batcher) next() []*sarama.ProducerMessage {
	if len(b.backlog) == 0 {
		if b.closed {
			return nil
		}
		m, ok := <-b.queue
		if !ok {
			b.closed = true
			return nil
		}
		b.backlog = append(b.backlog, m)
	}
	batch := make([]*sarama.ProducerMessage, 0, min(b.max, len(b.backlog)+len(b.queue)))
	inBatch := make(map[string]bool, cap(batch))
	rest := b.backlog[:0]
	for _, m := range b.backlog {
		if key := orderKey(m); len(batch) < b.max && !inBatch[key] {
			inBatch[key] = true
			batch = append(batch, m)
		} else {
			rest = append(rest, m)
		}
	}
	clear(b.backlog[len(rest):])
	b.backlog = rest
	// Take what is queued right now, without waiting, while the batch and
	// the backlog together stay within max.
	for !b.closed && len(batch)+len(b.backlog) < b.max {
		m, ok := b.poll()
		if !ok {
			break
		}
		if key := orderKey(m); !inBatch[key] {
			inBatch[key] = true
			batch = append(batch, m)
		} else {
			b.backlog = append(b.backlog, m)
		}
	}
	return batch
}

// poll takes a queued ticket without waiting; ok is false when none is
// queued or the queue is closed.
func (b *batcher) poll() (m *sarama.ProducerMessage, ok bool) {
	select {
	case m, ok = <-b.queue:
		b.closed = !ok
		return m, ok
	default:
		return nil, false
	}
}

// orderKey is the order a queued ticket belongs to, kept in its Metadata.
func orderKey(m *sarama.ProducerMessage) string {
	key, _ := m.Metadata.(string)
	return key
}
