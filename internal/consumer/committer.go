package consumer

import (
	"sort"
	"sync"
	"time"
)

// committer tracks the offsets of one partition from the moment they are
// taken from the claim until they are finished, and yields the commit
// point: the lowest offset not yet finished. It is the one place that
// decides what may be committed.
//
// Offsets are tracked in the order they are taken, which is ascending but
// may have holes (compacted records, transaction markers), so the window
// is a slice searched by binary search rather than indexed by offset.
type committer struct {
	mu      sync.Mutex
	window  []tracked // ascending by offset; window[0] is the oldest unfinished
	next    int64     // commit point: every offset below it is finished
	started bool
}

type tracked struct {
	offset   int64
	taken    time.Time // when the ticket was taken, for lag in seconds
	produced time.Time // the record's own timestamp
	done     bool
}

// track records that offset was taken. Offsets must be tracked in
// ascending order.
func (c *committer) track(offset int64, produced time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		c.next, c.started = offset, true
	}
	c.window = append(c.window, tracked{offset: offset, taken: time.Now(), produced: produced})
}

// skip records that offset was taken finished: the partition's previous
// owner finished it, as its commit metadata says. It stays in the window
// while a lower offset is unfinished, so that the metadata this member
// commits still names it.
func (c *committer) skip(offset int64) {
	c.track(offset, time.Time{})
	c.finish(offset)
}

// fits reports whether offset may be taken without the commit metadata
// outgrowing its bound: no more than span offsets above the commit point.
func (c *committer) fits(offset, span int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.started || offset-c.next <= span
}

// state returns the commit point and the commit metadata naming the
// offsets finished above it, and false before any offset was tracked.
func (c *committer) state() (point int64, metadata string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		return 0, "", false
	}
	return c.next, encodeAhead(c.next, aheadSpans(c.window)), true
}

// finish marks offset as finished and returns the new commit point when
// it advanced. The point advances past offset only once every lower
// tracked offset is finished too.
func (c *committer) finish(offset int64) (next int64, advanced bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := sort.Search(len(c.window), func(i int) bool { return c.window[i].offset >= offset })
	if i == len(c.window) || c.window[i].offset != offset {
		return c.next, false // not tracked: finished twice, or never taken
	}
	c.window[i].done = true
	n := 0
	for n < len(c.window) && c.window[n].done {
		n++
	}
	if n == 0 {
		return c.next, false
	}
	c.next = c.window[n-1].offset + 1
	clear(c.window[:n])
	c.window = c.window[n:]
	return c.next, true
}

// pending is how many tracked offsets are not yet behind the commit point.
func (c *committer) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.window)
}

// commitPoint returns the lowest unfinished offset, and false before any
// offset was tracked.
func (c *committer) commitPoint() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next, c.started
}

// oldestUnfinished returns the record timestamp of the oldest unfinished
// ticket, and false when none is pending.
func (c *committer) oldestUnfinished() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.window) == 0 {
		return time.Time{}, false
	}
	return c.window[0].produced, true
}
