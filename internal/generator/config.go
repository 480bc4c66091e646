package generator

import (
	"errors"
	"fmt"
	"time"

	"ticket-processor/internal/config"
)

// Limits and defaults of [Config].
const (
	// MaxOrders is the largest accepted Config.Orders.
	MaxOrders = 1_000_000
	// DefaultMaxUpdates is used when Config.MaxUpdates is 0.
	DefaultMaxUpdates = 3
	// MaxMaxUpdates is the largest accepted Config.MaxUpdates.
	MaxMaxUpdates = 1000
	// NoUpdates, as Config.MaxUpdates, makes orders go straight from created
	// to paid or cancelled.
	NoUpdates = -1
	// DefaultCustomers is used when Config.Customers is 0.
	DefaultCustomers = 10_000
	// MaxCustomers is the largest accepted Config.Customers; customer IDs
	// have six digits.
	MaxCustomers = 1_000_000
)

// ErrInvalidConfig is matched (with errors.Is) by every error [New] returns
// for a bad [Config].
var ErrInvalidConfig = errors.New("invalid generator config")

// Config configures a [Generator]. The zero value of every field except
// Orders selects its default.
type Config struct {
	// Orders is the number of orders open at any time; 1..MaxOrders.
	Orders int
	// Seed seeds the random stream. 0 draws a seed from crypto/rand.
	Seed uint64
	// Now returns the time stamped on each ticket (default time.Now). It is
	// converted to UTC and must not return the zero time.
	Now func() time.Time
	// MaxUpdates is the largest number of updated events per order; each
	// order draws its count uniformly from 0..MaxUpdates (default 3 when 0;
	// NoUpdates for none; at most MaxMaxUpdates).
	MaxUpdates int
	// Customers is the size of the customer pool, "cust-000000" upwards
	// (default 10000 when 0; at most MaxCustomers).
	Customers int
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxUpdates == 0 {
		c.MaxUpdates = DefaultMaxUpdates
	}
	if c.Customers == 0 {
		c.Customers = DefaultCustomers
	}
	return c
}

// SetDefaults sets Orders to 100 and every other field to its zero value,
// which selects its default.
func (c *Config) SetDefaults() { *c = Config{Orders: 100} }

// Bind declares ORDERS and SEED, the settings a daemon exposes.
func (c *Config) Bind(s *config.Source) {
	s.Int(&c.Orders, "ORDERS", "orders open at once")
	s.Uint64(&c.Seed, "SEED", "seed for a repeatable stream; 0 picks one at random")
}

// Validate reports every invalid field of c, after defaults. Each message
// names the setting (ORDERS for Orders, the field for the others), its
// value and what is allowed. [New] wraps it with [ErrInvalidConfig].
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Orders < 1 || c.Orders > MaxOrders {
		errs = append(errs, fmt.Errorf("ORDERS=%d: must be 1-%d", c.Orders, MaxOrders))
	}
	if c.MaxUpdates < NoUpdates || c.MaxUpdates > MaxMaxUpdates {
		errs = append(errs, fmt.Errorf("max updates = %d: must be between %d (no updates) and %d, or 0 for the default %d",
			c.MaxUpdates, NoUpdates, MaxMaxUpdates, DefaultMaxUpdates))
	}
	if c.Customers < 0 || c.Customers > MaxCustomers {
		errs = append(errs, fmt.Errorf("customers = %d: must be between 1 and %d, or 0 for the default %d",
			c.Customers, MaxCustomers, DefaultCustomers))
	}
	return errors.Join(errs...)
}
