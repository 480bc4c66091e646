package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const load = 30 * time.Second

// TestPlanIsDeterministic checks that a seed always gives the same plan,
// which is what makes a run replayable.
func TestPlanIsDeterministic(t *testing.T) {
	for seed := int64(-5); seed < 200; seed++ {
		require.Equal(t, Plan(seed, load), Plan(seed, load), "seed %d", seed)
	}
	assert.NotEqual(t, Plan(1, load), Plan(2, load), "different seeds give different plans")
}

// TestPlanKeepsItsRules checks every rule of the package comment over many
// seeds: shape, fault count, margins, targets and no overlap on one
// resource.
func TestPlanKeepsItsRules(t *testing.T) {
	for _, l := range []time.Duration{ShortLoad, load} {
		margin := Margin(l)
		for seed := int64(0); seed < 2000; seed++ {
			s := Plan(seed, l)
			require.Contains(t, []int{1, 3}, s.Brokers, "seed %d", seed)
			require.NotEmpty(t, s.Faults, "seed %d", seed)
			require.LessOrEqual(t, len(s.Faults), MaxFaults, "seed %d", seed)
			if s.Brokers == 3 {
				assert.True(t, hasBrokerFault(s), "seed %d: a three-broker run has a broker fault", seed)
			}
			for i, f := range s.Faults {
				assert.GreaterOrEqual(t, f.At, margin, "seed %d: %s", seed, f)
				assert.LessOrEqual(t, f.End(), l-margin, "seed %d: %s", seed, f)
				assert.Positive(t, f.For, "seed %d: %s", seed, f)
				if i > 0 {
					assert.LessOrEqual(t, s.Faults[i-1].At, f.At, "seed %d: sorted by start", seed)
				}
				switch {
				case f.Kind.IsConsumer():
					assert.True(t, f.Target >= 1 && f.Target <= Members, "seed %d: %s", seed, f)
				case f.Kind.IsBroker():
					assert.True(t, f.Target >= 1 && f.Target <= s.Brokers, "seed %d: %s", seed, f)
				case f.Kind.IsNetwork():
					assert.True(t, f.Target >= 0 && f.Target <= s.Brokers, "seed %d: %s", seed, f)
				case f.Kind == Rebalance:
					assert.True(t, f.Members >= 1 && f.Members <= 2, "seed %d: %s", seed, f)
				}
				for _, g := range s.Faults[i+1:] {
					assert.False(t, f.clashes(g), "seed %d: %s and %s overlap on %s", seed, f, g, f.resource())
				}
			}
		}
	}
}

func hasBrokerFault(s Schedule) bool {
	for _, f := range s.Faults {
		if f.Kind.IsBroker() {
			return true
		}
	}
	return false
}

// TestPlanDrawsEveryKind checks that a hundred seeds, the full set, meet
// every fault kind and both shapes.
func TestPlanDrawsEveryKind(t *testing.T) {
	seen := map[Kind]int{}
	shapes := map[int]int{}
	for seed := int64(1); seed <= 100; seed++ {
		s := Plan(seed, load)
		shapes[s.Brokers]++
		for _, f := range s.Faults {
			seen[f.Kind]++
		}
	}
	for _, k := range Kinds() {
		assert.Positive(t, seen[k], "kind %s", k)
	}
	assert.Positive(t, shapes[1])
	assert.Positive(t, shapes[3])
}

// TestShortSetCovers checks what the short set promises: single-broker
// runs that between them kill a consumer member, stop or kill the broker
// and put a network fault in its path.
func TestShortSetCovers(t *testing.T) {
	var consumerKill, brokerDown, network bool
	for _, seed := range ShortSet {
		s := Plan(seed, ShortLoad)
		assert.Equal(t, 1, s.Brokers, "seed %d", seed)
		for _, f := range s.Faults {
			consumerKill = consumerKill || f.Kind == ConsumerKill
			brokerDown = brokerDown || f.Kind == BrokerStop || f.Kind == BrokerKill
			network = network || f.Kind.IsNetwork()
		}
	}
	assert.True(t, consumerKill, "a consumer SIGKILL")
	assert.True(t, brokerDown, "a broker stopped and started")
	assert.True(t, network, "a network fault")
}

func TestScheduleString(t *testing.T) {
	s := Schedule{Seed: 7, Brokers: 3, Load: load, Faults: []Fault{
		{Kind: BrokerKill, Target: 2, At: 3 * time.Second, For: 4500 * time.Millisecond},
		{Kind: NetLatency, Latency: 250 * time.Millisecond, At: 5 * time.Second, For: 2 * time.Second},
		{Kind: Rebalance, Members: 2, At: 6 * time.Second, For: 9 * time.Second},
	}}
	assert.Equal(t, "seed 7: 3 broker(s), 30.0s of load, 3 fault(s)\n"+
		"  broker-kill b2 at 3.0s for 4.5s\n"+
		"  net-latency 250ms all at 5.0s for 2.0s\n"+
		"  rebalance +2 at 6.0s for 9.0s", s.String())
	assert.Equal(t, "broker-kill b2, net-latency 250ms all, rebalance +2", s.Labels())
	assert.Equal(t, "none", Schedule{}.Labels())
}
