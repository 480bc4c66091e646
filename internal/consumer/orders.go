package consumer

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"ticket-processor/internal/models"
)

// maxTrackedOrders bounds the order states a partition remembers. Orders
// that are never closed (a producer stopped mid-order) would otherwise grow
// memory without end; the least recently seen order is forgotten first, and
// a forgotten order simply starts a new baseline when it is seen again.
const maxTrackedOrders = 50_000

// rememberedTickets bounds the published tickets an order remembers for
// recognising a copy. An order has a handful of tickets; a copy of one
// older than this is no longer provably a copy, and goes to the dead-letter
// topic as out of sequence instead of being skipped.
const rememberedTickets = 32

// orderState is what the consumer knows of one order. Only the worker that
// holds the order touches it, so it needs no lock of its own.
type orderState struct {
	// lastSeq is the sequence of the order's last ticket that was published
	// or, under the continue policy, dead-lettered in its turn; 0 before
	// the first ticket seen.
	lastSeq uint64
	status  models.OrderStatus
	parked  bool
	// published holds the order's most recent published tickets, oldest
	// first, at most rememberedTickets.
	published []publishedTicket
}

// publishedTicket identifies a ticket this member published.
type publishedTicket struct {
	id       string
	sequence uint64
}

// wasPublished reports whether a ticket with this id and sequence was
// published for the order: a record carrying it again is a copy.
func (s *orderState) wasPublished(id string, sequence uint64) bool {
	for _, p := range s.published {
		if p.id == id && p.sequence == sequence {
			return true
		}
	}
	return false
}

// remember records a published ticket, forgetting the oldest beyond
// rememberedTickets.
func (s *orderState) remember(id string, sequence uint64) {
	if len(s.published) == rememberedTickets {
		copy(s.published, s.published[1:])
		s.published = s.published[:len(s.published)-1]
	}
	s.published = append(s.published, publishedTicket{id: id, sequence: sequence})
}

// orderBook holds the order states of one partition for as long as this
// member owns it. State is dropped with the partition on revoke, so a
// partition that comes back later starts fresh rather than from stale
// numbers another member has moved past.
type orderBook struct {
	cache *lru.Cache[string, *orderState]
}

func newOrderBook() *orderBook {
	c, _ := lru.New[string, *orderState](maxTrackedOrders) // errors only for a size <= 0
	return &orderBook{cache: c}
}

// get returns the state of order, creating an empty one on first sight.
func (b *orderBook) get(order string) *orderState {
	if s, ok := b.cache.Get(order); ok {
		return s
	}
	s := &orderState{}
	b.cache.Add(order, s)
	return s
}

// forget drops what is known of order: its next ticket is a baseline.
func (b *orderBook) forget(order string) { b.cache.Remove(order) }

// statusAfter is an order's status once a ticket of type t is applied.
func statusAfter(t models.EventType, current models.OrderStatus) models.OrderStatus {
	switch t {
	case models.EventCreated, models.EventUpdated:
		return models.OrderOpen
	case models.EventPaid:
		return models.OrderPaid
	case models.EventCancelled:
		return models.OrderCancelled
	case models.EventClosed:
		return models.OrderClosed
	}
	return current
}
