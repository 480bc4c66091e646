package generator

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/models"
)

func TestCurrencyTableMatchesISO4217(t *testing.T) {
	for _, c := range currencies {
		t.Run(c.code, func(t *testing.T) {
			digits, ok := models.CurrencyMinorUnits(c.code)

			require.True(t, ok, "%s is not an accepted currency", c.code)
			assert.Equal(t, digits, c.digits)
			assert.Positive(t, c.weight)
			assert.Positive(t, c.minMajor)
			assert.Less(t, c.minMajor, c.maxMajor)
		})
	}
}

func TestTotalsStayWithinCurrencyBounds(t *testing.T) {
	tests := []struct {
		code string
	}{
		{"EUR"}, {"USD"}, {"GBP"}, {"JPY"}, {"CHF"}, {"SEK"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			c := currencyByCode(t, tt.code)
			g := &Generator{rng: rand.New(rand.NewPCG(1, 2))}

			// Plain comparisons: testify's reflection over 200,000 draws
			// costs seconds under -race.
			lo, hi := c.minTotal(), c.maxMajor*pow10(c.digits)+pow10(c.digits)-1
			for range 10_000 {
				total := g.initialTotal(c)
				if total < lo || total > hi {
					t.Fatalf("initial total %d outside [%d, %d]", total, lo, hi)
				}
				for range 20 {
					next := g.changeTotal(c, total)
					if next == total || next < c.minTotal() || next > c.maxTotal() {
						t.Fatalf("change from %d gave %d: want a different total in [%d, %d]", total, next, c.minTotal(), c.maxTotal())
					}
					total = next
				}
			}
		})
	}
}

func TestZeroDecimalTotalsAreRoundedToTens(t *testing.T) {
	c := currencyByCode(t, "JPY")
	g := &Generator{rng: rand.New(rand.NewPCG(3, 4))}

	for range 10_000 {
		total := g.initialTotal(c)
		require.Zero(t, total%10, "JPY total %d", total)
		require.Zero(t, g.changeTotal(c, total)%10, "JPY total after change")
	}
}

func TestRNGReaderFillsEveryByteFromTheStream(t *testing.T) {
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"less than a word", 5},
		{"one uuid", 16},
		{"odd size", 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rngReader{rng: rand.New(rand.NewPCG(5, 6))}
			reference := rand.New(rand.NewPCG(5, 6))
			want := make([]byte, (tt.size+7)/8*8)
			for i := 0; i < len(want); i += 8 {
				binary.LittleEndian.PutUint64(want[i:], reference.Uint64())
			}
			buf := make([]byte, tt.size)

			n, err := r.Read(buf)

			require.NoError(t, err)
			assert.Equal(t, tt.size, n)
			assert.Equal(t, want[:tt.size], buf)
		})
	}
}

func currencyByCode(t *testing.T, code string) *currency {
	t.Helper()
	for i := range currencies {
		if currencies[i].code == code {
			return &currencies[i]
		}
	}
	require.Failf(t, "unknown currency", "%s is not in the generator's table", code)
	return nil
}
