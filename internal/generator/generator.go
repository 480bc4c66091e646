package generator

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/google/uuid"

	"ticket-processor/internal/models"
)

// cancelPercent is the share of orders, in percent, that end cancelled
// rather than paid.
const cancelPercent = 15

// Generator produces ticket events for a fixed number of concurrently open
// orders; see the package documentation for the lifecycle and amounts.
//
// A Generator is not safe for concurrent use: call Next from one goroutine,
// or guard it with a mutex.
type Generator struct {
	rng        *rand.Rand
	uuidSource io.Reader
	seed       uint64
	now        func() time.Time
	maxUpdates int
	customers  int
	orders     []order
}

// phase is how far an order has got in its lifecycle.
type phase uint8

const (
	phaseNew     phase = iota // nothing emitted yet
	phaseOpen                 // created, maybe updated
	phaseSettled              // paid or cancelled
)

// order is the state of one open order.
type order struct {
	id          string
	customer    string
	currency    *currency
	phase       phase
	next        uint64 // sequence of the next event
	updatesLeft int
	cancel      bool
	total       int64 // minor units
}

// New returns a Generator for cfg, or an error matching [ErrInvalidConfig]
// that names every bad field.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	cfg = cfg.withDefaults()

	seed := cfg.Seed
	for seed == 0 {
		var b [8]byte
		// crypto/rand.Read never returns an error (it crashes the program
		// if the system has no randomness to offer).
		_, _ = cryptorand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	// The second PCG word only has to differ between seeds; the golden
	// ratio constant spreads nearby seeds apart.
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	g := &Generator{
		rng:        rng,
		uuidSource: rngReader{rng: rng},
		seed:       seed,
		now:        cfg.Now,
		maxUpdates: max(cfg.MaxUpdates, 0),
		customers:  cfg.Customers,
		orders:     make([]order, cfg.Orders),
	}
	for i := range g.orders {
		g.orders[i] = g.newOrder()
	}
	return g, nil
}

// Seed returns the seed the stream is derived from: Config.Seed, or the
// random seed drawn when Config.Seed was 0. A Generator built with the same
// Seed and Now reproduces the same stream.
func (g *Generator) Seed() uint64 {
	return g.seed
}

// OpenOrders returns the number of orders currently open, which is always
// Config.Orders: a closed order is replaced at once.
func (g *Generator) OpenOrders() int {
	return len(g.orders)
}

// Next returns the next event of a randomly chosen open order. The ticket
// passes [models.Ticket.Validate] provided Config.Now returns a valid time.
func (g *Generator) Next() models.Ticket {
	i := g.rng.IntN(len(g.orders))
	o := &g.orders[i]

	var typ models.EventType
	switch {
	case o.phase == phaseNew:
		typ = models.EventCreated
		o.phase = phaseOpen
	case o.phase == phaseOpen && o.updatesLeft > 0:
		typ = models.EventUpdated
		o.updatesLeft--
		o.total = g.changeTotal(o.currency, o.total)
	case o.phase == phaseOpen && o.cancel:
		typ = models.EventCancelled
		o.phase = phaseSettled
	case o.phase == phaseOpen:
		typ = models.EventPaid
		o.phase = phaseSettled
	default:
		typ = models.EventClosed
	}

	t := models.Ticket{
		TicketID:      g.ticketID(),
		OrderID:       o.id,
		CustomerID:    o.customer,
		Sequence:      o.next,
		Type:          typ,
		Amount:        o.total,
		Currency:      o.currency.code,
		CreatedAt:     g.now().UTC(),
		SchemaVersion: models.SchemaVersion,
	}
	o.next++
	if typ == models.EventClosed {
		g.orders[i] = g.newOrder()
	}
	return t
}

// newOrder draws a fresh order that has emitted nothing yet.
func (g *Generator) newOrder() order {
	c := g.pickCurrency()
	return order{
		id:          fmt.Sprintf("ord-%016x", g.rng.Uint64()),
		customer:    customerID(g.rng.IntN(g.customers)),
		currency:    c,
		phase:       phaseNew,
		next:        1,
		updatesLeft: g.rng.IntN(g.maxUpdates + 1),
		cancel:      g.rng.IntN(100) < cancelPercent,
		total:       g.initialTotal(c),
	}
}

// customerID formats n as "cust-" and six digits.
func customerID(n int) string {
	var b [len("cust-") + 6]byte
	copy(b[:], "cust-")
	digits := strconv.AppendInt(nil, int64(n), 10)
	i := len(b) - len(digits)
	for j := len("cust-"); j < i; j++ {
		b[j] = '0'
	}
	copy(b[i:], digits)
	return string(b[:])
}

// ticketID draws a version 4 UUID from the generator's own random stream.
func (g *Generator) ticketID() string {
	// rngReader never fails, so neither does NewRandomFromReader.
	id, _ := uuid.NewRandomFromReader(g.uuidSource)
	return id.String()
}

// rngReader reads bytes from a math/rand/v2 generator. It never fails.
type rngReader struct {
	rng *rand.Rand
}

// Read fills p with random bytes and returns len(p), nil.
func (r rngReader) Read(p []byte) (int, error) {
	for i := 0; i < len(p); i += 8 {
		v := r.rng.Uint64()
		for j := i; j < i+8 && j < len(p); j++ {
			p[j] = byte(v)
			v >>= 8
		}
	}
	return len(p), nil
}
