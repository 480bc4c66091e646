package consumer

import (
	"sync"
	"time"
)

// motion tells whether a partition's taken tickets move: how long it has
// held unfinished tickets without finishing one. A partition that holds
// nothing is not stalled, however long it has been idle.
type motion struct {
	mu    sync.Mutex
	held  int
	since time.Time // the last finish, or the take that ended an idle spell
}

// took counts a ticket taken at now.
func (m *motion) took(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held == 0 {
		m.since = now
	}
	m.held++
}

// finished counts a ticket finished at now.
func (m *motion) finished(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held--
	m.since = now
}

// stalled returns how long, at now, the partition has held tickets
// without finishing one, and how many it holds; zero when it holds none.
func (m *motion) stalled(now time.Time) (time.Duration, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held <= 0 {
		return 0, 0
	}
	return max(now.Sub(m.since), 0), m.held
}

// writeHealth remembers since when Kafka has refused the consumer's writes
// (to the output and dead-letter topics), to explain a stall.
type writeHealth struct {
	mu    sync.Mutex
	since time.Time // the first failure since the last write that succeeded
	err   error     // the last failure
}

// wrote records the outcome of one write at now.
func (w *writeHealth) wrote(now time.Time, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil:
		w.since, w.err = time.Time{}, nil
	case w.err == nil:
		w.since, w.err = now, err
	default:
		w.err = err
	}
}

// failing returns since when writes have failed, and the last error; a nil
// error when the last write succeeded.
func (w *writeHealth) failing() (time.Time, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.since, w.err
}
