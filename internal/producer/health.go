package producer

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// logEvery is the least time between two logged send failures; the ones in
// between are counted and reported with the next line.
const logEvery = 5 * time.Second

// health tracks what readiness depends on: the broker probe, the outcome of
// the last send, and a send blocked for too long.
type health struct {
	stallAfter time.Duration
	now        func() time.Time

	mu           sync.Mutex
	probeErr     error
	sendErr      error
	sendingSince time.Time
	lastLog      time.Time
	suppressed   int
}

func newHealth(stallAfter time.Duration) *health {
	return &health{
		stallAfter: stallAfter,
		now:        time.Now,
		probeErr:   errNotChecked,
	}
}

// ready returns nil when the last probe and the last send succeeded and no
// send has been blocked for longer than stallAfter.
func (h *health) ready() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.probeErr != nil:
		return fmt.Errorf("broker: %w", h.probeErr)
	case h.sendErr != nil:
		return fmt.Errorf("last send: %w", h.sendErr)
	case !h.sendingSince.IsZero() && h.now().Sub(h.sendingSince) > h.stallAfter:
		return fmt.Errorf("a send has been blocked for %s", h.now().Sub(h.sendingSince).Round(time.Second))
	}
	return nil
}

var errNotChecked = errors.New("broker not checked yet")

// probed records a probe result and returns the one before it.
func (h *health) probed(err error) (previous error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	previous, h.probeErr = h.probeErr, err
	return previous
}

// sending marks a send as started; the returned func marks it finished.
func (h *health) sending() (done func()) {
	h.mu.Lock()
	h.sendingSince = h.now()
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		h.sendingSince = time.Time{}
		h.mu.Unlock()
	}
}

func (h *health) sendFailed(err error) {
	h.mu.Lock()
	h.sendErr = err
	h.mu.Unlock()
}

func (h *health) sendSucceeded() {
	h.mu.Lock()
	h.sendErr = nil
	h.mu.Unlock()
}

// shouldLog rate-limits failure logs: ok is true at most once per logEvery,
// and suppressed counts the failures not logged since the last line.
func (h *health) shouldLog() (suppressed int, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.now(); now.Sub(h.lastLog) >= logEvery {
		suppressed, h.suppressed, h.lastLog = h.suppressed, 0, now
		return suppressed, true
	}
	h.suppressed++
	return 0, false
}
