package generator

// currency describes how orders in one currency look. Amounts are drawn with
// integer arithmetic only, so a seeded stream is the same on every platform.
type currency struct {
	code   string
	weight int // relative share of orders
	digits int // minor-unit digits, as in models.CurrencyMinorUnits
	// minMajor and maxMajor bound a typical first order total in major
	// units; updates may move the total down to minMajor and up to
	// 10*maxMajor.
	minMajor, maxMajor int64
}

// currencies is the weighted set orders draw their currency from: mostly
// European and US shops, some UK, Japan, Switzerland and Scandinavia.
var currencies = []currency{
	{code: "EUR", weight: 35, digits: 2, minMajor: 5, maxMajor: 500},
	{code: "USD", weight: 30, digits: 2, minMajor: 5, maxMajor: 600},
	{code: "GBP", weight: 12, digits: 2, minMajor: 4, maxMajor: 450},
	{code: "JPY", weight: 6, digits: 0, minMajor: 500, maxMajor: 80_000},
	{code: "CHF", weight: 5, digits: 2, minMajor: 5, maxMajor: 550},
	{code: "SEK", weight: 4, digits: 2, minMajor: 50, maxMajor: 5_000},
	{code: "NOK", weight: 2, digits: 2, minMajor: 50, maxMajor: 5_000},
	{code: "DKK", weight: 2, digits: 2, minMajor: 40, maxMajor: 3_500},
	{code: "PLN", weight: 2, digits: 2, minMajor: 20, maxMajor: 2_000},
	{code: "CAD", weight: 2, digits: 2, minMajor: 7, maxMajor: 800},
}

// totalWeight is the sum of the currencies' weights.
var totalWeight = func() int {
	sum := 0
	for _, c := range currencies {
		sum += c.weight
	}
	return sum
}()

// pow10 returns 10^n for small n.
func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// minTotal and maxTotal bound every total of an order in c, in minor units.
func (c *currency) minTotal() int64 { return c.minMajor * pow10(c.digits) }
func (c *currency) maxTotal() int64 { return 10 * c.maxMajor * pow10(c.digits) }

// pickCurrency draws a currency by weight.
func (g *Generator) pickCurrency() *currency {
	n := g.rng.IntN(totalWeight)
	for i := range currencies {
		if n < currencies[i].weight {
			return &currencies[i]
		}
		n -= currencies[i].weight
	}
	return &currencies[len(currencies)-1] // unreachable: n < totalWeight
}

// initialTotal draws a first order total in minor units. Small baskets are
// more common than large ones (the minimum of three uniform draws), and
// prices end the way shops price them: .00, .50, .95, .99 or anything.
func (g *Generator) initialTotal(c *currency) int64 {
	span := c.maxMajor - c.minMajor + 1
	major := c.minMajor + min(g.rng.Int64N(span), g.rng.Int64N(span), g.rng.Int64N(span))
	return g.priceEnding(c, major*pow10(c.digits))
}

// changeTotal returns a new total for an order whose total is old: items are
// added or removed, moving it by -40%..+60%, always to a different value
// within the currency's bounds.
func (g *Generator) changeTotal(c *currency, old int64) int64 {
	percent := 60 + g.rng.Int64N(101) // 60..160
	total := g.priceEnding(c, old/100*percent)
	total = max(c.minTotal(), min(total, c.maxTotal()))
	if total == old {
		// Unchanged after rounding or clamping: move by one step instead.
		step := pow10(c.digits)
		if c.digits == 0 {
			step = 10
		}
		if old+step <= c.maxTotal() {
			total = old + step
		} else {
			total = old - step
		}
	}
	return total
}

// priceEnding replaces the minor part of a total in minor units with a
// realistic price ending; zero-decimal currencies round to tens.
func (g *Generator) priceEnding(c *currency, total int64) int64 {
	unit := pow10(c.digits)
	if c.digits == 0 {
		return max(10, total/10*10)
	}
	major := max(1, total/unit)
	var cents int64
	switch g.rng.IntN(5) {
	case 0:
		cents = 0
	case 1:
		cents = unit / 2
	case 2:
		cents = unit - unit/20 // .95
	case 3:
		cents = unit - 1 // .99
	default:
		cents = g.rng.Int64N(unit)
	}
	return major*unit + cents
}
