package generator_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/generator"
	"ticket-processor/internal/models"
)

// fakeClock returns a Now func that starts at a fixed instant in a non-UTC
// zone and advances one millisecond per call.
func fakeClock() func() time.Time {
	t := time.Date(2025, 6, 1, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	return func() time.Time {
		t = t.Add(time.Millisecond)
		return t
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     generator.Config
		wantMsg string
	}{
		{"zero orders", generator.Config{},
			"invalid generator config: ORDERS=0: must be 1-1000000"},
		{"negative orders", generator.Config{Orders: -3},
			"invalid generator config: ORDERS=-3: must be 1-1000000"},
		{"too many orders", generator.Config{Orders: generator.MaxOrders + 1},
			"invalid generator config: ORDERS=1000001: must be 1-1000000"},
		{"MaxUpdates below NoUpdates", generator.Config{Orders: 1, MaxUpdates: -2},
			"invalid generator config: max updates = -2: must be between -1 (no updates) and 1000, or 0 for the default 3"},
		{"MaxUpdates too large", generator.Config{Orders: 1, MaxUpdates: 1001},
			"invalid generator config: max updates = 1001: must be between -1 (no updates) and 1000, or 0 for the default 3"},
		{"negative Customers", generator.Config{Orders: 1, Customers: -1},
			"invalid generator config: customers = -1: must be between 1 and 1000000, or 0 for the default 10000"},
		{"too many Customers", generator.Config{Orders: 1, Customers: 1_000_001},
			"invalid generator config: customers = 1000001: must be between 1 and 1000000, or 0 for the default 10000"},
		{"every bad field is named", generator.Config{Orders: 0, MaxUpdates: -5, Customers: -1},
			"invalid generator config: ORDERS=0: must be 1-1000000\n" +
				"max updates = -5: must be between -1 (no updates) and 1000, or 0 for the default 3\n" +
				"customers = -1: must be between 1 and 1000000, or 0 for the default 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := generator.New(tt.cfg)

			assert.Nil(t, g)
			require.ErrorIs(t, err, generator.ErrInvalidConfig)
			assert.EqualError(t, err, tt.wantMsg)
		})
	}
}

// orderState tracks one order while checking a stream.
type orderState struct {
	last       models.Ticket
	updates    int
	customer   string
	currency   string
	settledAs  models.EventType
	closed     bool
	firstTotal int64
}

// streamStats summarises a checked stream.
type streamStats struct {
	orders, closed, cancelled int
	maxUpdatesSeen            int
	currencies                map[string]int
}

// checkStream asserts every invariant of a generated stream and returns
// statistics about it.
func checkStream(t *testing.T, tickets []models.Ticket, maxUpdates, openOrders, customers int) streamStats {
	t.Helper()
	orderIDPattern := regexp.MustCompile(`^ord-[0-9a-f]{16}$`)
	customerPattern := regexp.MustCompile(`^cust-[0-9]{6}$`)
	orders := make(map[string]*orderState)
	ticketIDs := make(map[string]bool, len(tickets))
	stats := streamStats{currencies: make(map[string]int)}
	open := 0

	for i, tk := range tickets {
		require.NoError(t, tk.Validate(), "ticket %d", i)
		require.Equal(t, time.UTC, tk.CreatedAt.Location(), "ticket %d", i)
		id, err := uuid.Parse(tk.TicketID)
		require.NoError(t, err)
		require.Equal(t, uuid.Version(4), id.Version(), "ticket %d", i)
		require.Equal(t, uuid.RFC4122, id.Variant(), "ticket %d", i)
		require.False(t, ticketIDs[tk.TicketID], "duplicate ticket_id %s", tk.TicketID)
		ticketIDs[tk.TicketID] = true

		st, seen := orders[tk.OrderID]
		if !seen {
			require.Equal(t, models.EventCreated, tk.Type, "order %s must start with created", tk.OrderID)
			require.Equal(t, uint64(1), tk.Sequence, "order %s must start at sequence 1", tk.OrderID)
			require.Regexp(t, orderIDPattern, tk.OrderID)
			require.Regexp(t, customerPattern, tk.CustomerID)
			var n int
			_, err := fmt.Sscanf(tk.CustomerID, "cust-%d", &n)
			require.NoError(t, err)
			require.Less(t, n, customers)
			require.Positive(t, tk.Amount)
			st = &orderState{customer: tk.CustomerID, currency: tk.Currency, firstTotal: tk.Amount}
			orders[tk.OrderID] = st
			stats.orders++
			stats.currencies[tk.Currency]++
			open++
			require.LessOrEqual(t, open, openOrders, "more orders open than configured")
			st.last = tk
			continue
		}

		require.False(t, st.closed, "order %s has an event after closed", tk.OrderID)
		require.Equal(t, st.last.Sequence+1, tk.Sequence, "order %s sequence gap", tk.OrderID)
		require.Equal(t, st.customer, tk.CustomerID, "order %s changed customer", tk.OrderID)
		require.Equal(t, st.currency, tk.Currency, "order %s changed currency", tk.OrderID)

		switch tk.Type {
		case models.EventUpdated:
			require.Empty(t, st.settledAs, "order %s updated after %s", tk.OrderID, st.settledAs)
			require.NotEqual(t, st.last.Amount, tk.Amount, "order %s update must change the amount", tk.OrderID)
			require.Positive(t, tk.Amount)
			st.updates++
			stats.maxUpdatesSeen = max(stats.maxUpdatesSeen, st.updates)
			require.LessOrEqual(t, st.updates, maxUpdates, "order %s has too many updates", tk.OrderID)
		case models.EventPaid, models.EventCancelled:
			require.Empty(t, st.settledAs, "order %s settled twice", tk.OrderID)
			require.Equal(t, st.last.Amount, tk.Amount, "order %s %s must carry the order total", tk.OrderID, tk.Type)
			st.settledAs = tk.Type
		case models.EventClosed:
			require.NotEmpty(t, st.settledAs, "order %s closed before paid or cancelled", tk.OrderID)
			require.Equal(t, st.last.Amount, tk.Amount, "order %s closed must carry the order total", tk.OrderID)
			st.closed = true
			stats.closed++
			if st.settledAs == models.EventCancelled {
				stats.cancelled++
			}
			open--
		default:
			require.Failf(t, "unexpected event", "order %s: %s at sequence %d", tk.OrderID, tk.Type, tk.Sequence)
		}
		st.last = tk
	}
	return stats
}

func TestStreamKeepsLifecycleSequenceAndValidity(t *testing.T) {
	tests := []struct {
		name           string
		cfg            generator.Config
		tickets        int
		wantMaxUpdates int
	}{
		{"one order at a time", generator.Config{Orders: 1, Seed: 1}, 20_000, 3},
		{"fifty orders, default updates", generator.Config{Orders: 50, Seed: 2}, 100_000, 3},
		{"many orders, many updates", generator.Config{Orders: 1000, Seed: 3, MaxUpdates: 10}, 100_000, 10},
		{"no updates", generator.Config{Orders: 7, Seed: 4, MaxUpdates: generator.NoUpdates}, 20_000, 0},
		{"small customer pool", generator.Config{Orders: 20, Seed: 5, Customers: 3}, 20_000, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Now = fakeClock()
			g, err := generator.New(cfg)
			require.NoError(t, err)

			tickets := make([]models.Ticket, tt.tickets)
			for i := range tickets {
				tickets[i] = g.Next()
				if g.OpenOrders() != cfg.Orders {
					t.Fatalf("after ticket %d: %d open orders, want %d", i, g.OpenOrders(), cfg.Orders)
				}
			}

			customers := cfg.Customers
			if customers == 0 {
				customers = generator.DefaultCustomers
			}
			stats := checkStream(t, tickets, tt.wantMaxUpdates, cfg.Orders, customers)
			assert.Equal(t, tt.wantMaxUpdates, stats.maxUpdatesSeen, "updates per order should reach the maximum")
			require.Positive(t, stats.closed, "no order completed its lifecycle")
		})
	}
}

func TestStreamMixOfCurrenciesAndOutcomes(t *testing.T) {
	g, err := generator.New(generator.Config{Orders: 100, Seed: 42, Now: fakeClock()})
	require.NoError(t, err)
	tickets := make([]models.Ticket, 100_000)
	for i := range tickets {
		tickets[i] = g.Next()
	}

	stats := checkStream(t, tickets, generator.DefaultMaxUpdates, 100, generator.DefaultCustomers)

	require.Greater(t, stats.orders, 10_000)
	for _, code := range []string{"EUR", "USD", "GBP", "JPY", "CHF", "SEK"} {
		assert.Positive(t, stats.currencies[code], "no order in %s", code)
	}
	assert.Greater(t, stats.currencies["EUR"], stats.currencies["GBP"])
	assert.Greater(t, stats.currencies["USD"], stats.currencies["GBP"])
	assert.Greater(t, stats.currencies["GBP"], stats.currencies["JPY"])
	// About 15% of orders are cancelled; over thousands of closed orders a
	// seeded stream lands well within three points of it.
	require.Greater(t, stats.closed, 10_000)
	assert.InDelta(t, 0.15, float64(stats.cancelled)/float64(stats.closed), 0.03)
}

func TestSameSeedGivesSameStream(t *testing.T) {
	stream := func(seed uint64) []models.Ticket {
		g, err := generator.New(generator.Config{Orders: 10, Seed: seed, Now: fakeClock()})
		require.NoError(t, err)
		tickets := make([]models.Ticket, 2000)
		for i := range tickets {
			tickets[i] = g.Next()
		}
		return tickets
	}

	first, second, other := stream(7), stream(7), stream(8)

	assert.Equal(t, first, second)
	assert.NotEqual(t, first[0].OrderID, other[0].OrderID)
	assert.NotEqual(t, first[0].TicketID, other[0].TicketID)
}

func TestSeedZeroDrawsARandomSeedThatReplays(t *testing.T) {
	first, err := generator.New(generator.Config{Orders: 3, Now: fakeClock()})
	require.NoError(t, err)
	second, err := generator.New(generator.Config{Orders: 3, Now: fakeClock()})
	require.NoError(t, err)
	replay, err := generator.New(generator.Config{Orders: 3, Seed: first.Seed(), Now: fakeClock()})
	require.NoError(t, err)

	a, b, c := first.Next(), second.Next(), replay.Next()

	assert.NotZero(t, first.Seed())
	assert.NotEqual(t, first.Seed(), second.Seed())
	assert.NotEqual(t, a.OrderID, b.OrderID)
	assert.Equal(t, a, c)
}

func TestCreatedAtComesFromNowInUTC(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
	}{
		{"UTC", time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)},
		{"east of UTC", time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("", 9*3600))},
		{"west of UTC", time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("", -5*3600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := generator.New(generator.Config{Orders: 1, Seed: 1, Now: func() time.Time { return tt.now }})
			require.NoError(t, err)

			got := g.Next().CreatedAt

			assert.True(t, tt.now.Equal(got))
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestNilNowUsesWallClock(t *testing.T) {
	g, err := generator.New(generator.Config{Orders: 1, Seed: 1})
	require.NoError(t, err)

	before := time.Now()
	got := g.Next().CreatedAt
	after := time.Now()

	assert.False(t, got.Before(before.Truncate(0)), "CreatedAt %v before %v", got, before)
	assert.False(t, got.After(after), "CreatedAt %v after %v", got, after)
}

func BenchmarkNext(b *testing.B) {
	g, err := generator.New(generator.Config{Orders: 1000, Seed: 1})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Next()
	}
}

func BenchmarkNextAndEncode(b *testing.B) {
	g, err := generator.New(generator.Config{Orders: 1000, Seed: 1})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Next().Encode(); err != nil {
			b.Fatal(err)
		}
	}
}
