package consumer

import (
	"context"
	"sync"

	"github.com/IBM/sarama"

	"ticket-processor/internal/kafka"
)

// searches coalesces the searches that come before resending a failed
// record: while one search of the topics runs, the records whose sends
// fail meanwhile wait, and the next search takes them all at once. After
// an outage every ticket on its way to Kafka has a failed send, and each
// searching alone means one scan of its partition per ticket, queued on
// one connection: with every order's ticket in flight at once (a
// thousand per partition, tried on this branch's way to an output path
// that never waits on one ticket) the consumer took 8 to 12 s to resume.
//
// The zero value is ready; the caller that finds no search running runs
// them, for itself and for whoever queued meanwhile, until none is left.
type searches struct {
	mu      sync.Mutex
	queue   []*searchRequest
	running bool
}

type searchRequest struct {
	msg  *sarama.ProducerMessage
	done chan searchResult // buffered: the searcher never waits for the asker
}

type searchResult struct {
	written bool
	err     error
}

// written reports whether msg's topic already holds it, asking find along
// with every other record queued by then.
func (s *searches) written(ctx context.Context, find kafka.Finder, msg *sarama.ProducerMessage) (bool, error) {
	req := &searchRequest{msg: msg, done: make(chan searchResult, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, req)
	lead := !s.running
	s.running = true
	s.mu.Unlock()
	if lead {
		// Others wait on these searches too, so the asker's own end must
		// not cut them short; each search is bounded by the Finder.
		s.run(context.WithoutCancel(ctx), find)
	}
	select {
	case r := <-req.done:
		return r.written, r.err
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

// run searches for everything queued, batch after batch, until the queue
// is empty.
func (s *searches) run(ctx context.Context, find kafka.Finder) {
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue = nil
		if len(batch) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		msgs := make([]*sarama.ProducerMessage, len(batch))
		for i, r := range batch {
			msgs[i] = r.msg
		}
		found, err := find(ctx, msgs)
		for _, r := range batch {
			r.done <- searchResult{written: found[r.msg], err: err}
		}
	}
}
