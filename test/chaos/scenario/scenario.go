package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Kind names a fault.
type Kind string

// The fault kinds. A consumer fault hits one of the two members; a broker
// fault one broker (the only one, or one of three); a network fault sits
// in toxiproxy between the clients and the brokers.
const (
	// ConsumerKill sends a member SIGKILL and starts a new one in its place
	// once the fault ends.
	ConsumerKill Kind = "consumer-kill"
	// ConsumerTerm sends a member SIGTERM (a graceful stop) and starts a
	// new one once the fault ends.
	ConsumerTerm Kind = "consumer-term"
	// ConsumerFreeze stops a member with SIGSTOP and resumes it with
	// SIGCONT; longer than the session timeout, the group moves its
	// partitions away and the member wakes up a zombie.
	ConsumerFreeze Kind = "consumer-freeze"
	// Rebalance starts extra members, which take partitions, and stops
	// them with SIGTERM once the fault ends.
	Rebalance Kind = "rebalance"
	// ProducerKill sends the producer SIGKILL and starts a new one.
	ProducerKill Kind = "producer-kill"
	// ProducerTerm sends the producer SIGTERM and starts a new one.
	ProducerTerm Kind = "producer-term"
	// BrokerStop stops a broker (SIGTERM, controlled shutdown) and starts
	// it again.
	BrokerStop Kind = "broker-stop"
	// BrokerKill kills a broker with SIGKILL and starts it again.
	BrokerKill Kind = "broker-kill"
	// BrokerFreeze stops a broker with SIGSTOP and resumes it with
	// SIGCONT: it holds its connections and answers nothing.
	BrokerFreeze Kind = "broker-freeze"
	// NetLatency delays everything the brokers send to the clients.
	NetLatency Kind = "net-latency"
	// NetCut closes the clients' connections and refuses new ones.
	NetCut Kind = "net-cut"
	// NetSlow limits what the brokers send to the clients to a slow link's
	// bandwidth.
	NetSlow Kind = "net-slow"
)

// Kinds returns every fault kind, in the order Plan draws from.
func Kinds() []Kind {
	return []Kind{
		ConsumerKill, ConsumerTerm, ConsumerFreeze, Rebalance,
		ProducerKill, ProducerTerm,
		BrokerStop, BrokerKill, BrokerFreeze,
		NetLatency, NetCut, NetSlow,
	}
}

var brokerKinds = []Kind{BrokerStop, BrokerKill, BrokerFreeze}

// IsBroker reports whether k takes a broker down.
func (k Kind) IsBroker() bool { return slices.Contains(brokerKinds, k) }

// IsNetwork reports whether k is a toxiproxy fault.
func (k Kind) IsNetwork() bool { return k == NetLatency || k == NetCut || k == NetSlow }

// IsConsumer reports whether k hits one of the consumer members.
func (k Kind) IsConsumer() bool { return k == ConsumerKill || k == ConsumerTerm || k == ConsumerFreeze }

// IsProducer reports whether k hits the producer.
func (k Kind) IsProducer() bool { return k == ProducerKill || k == ProducerTerm }

// Members is the number of consumer members a run starts with.
const Members = 2

// MaxFaults is the most faults a schedule holds.
const MaxFaults = 4

// Fault is one fault of a schedule.
type Fault struct {
	Kind Kind
	// Target is the member (1 or 2) of a consumer fault, the broker node
	// (from 1) of a broker fault, and for a network fault the broker whose
	// link it hits, or 0 for every broker's.
	Target int
	// Members is the number of extra members a Rebalance starts.
	Members int
	// Latency is the delay a NetLatency adds (jitter a quarter of it).
	Latency time.Duration
	// KBPerSecond is the bandwidth a NetSlow leaves.
	KBPerSecond int64
	// At is when the fault starts, after the load begins.
	At time.Duration
	// For is how long it lasts before it is healed.
	For time.Duration
}

// End is when the fault is healed, after the load begins.
func (f Fault) End() time.Duration { return f.At + f.For }

// Label names the fault and its target briefly, such as "consumer-kill m2"
// or "net-latency 250ms b3", for the schedule and the report table.
func (f Fault) Label() string {
	switch {
	case f.Kind.IsConsumer():
		return fmt.Sprintf("%s m%d", f.Kind, f.Target)
	case f.Kind == Rebalance:
		return fmt.Sprintf("%s +%d", f.Kind, f.Members)
	case f.Kind.IsBroker():
		return fmt.Sprintf("%s b%d", f.Kind, f.Target)
	case f.Kind.IsNetwork():
		where := "all"
		if f.Target > 0 {
			where = fmt.Sprintf("b%d", f.Target)
		}
		switch f.Kind {
		case NetLatency:
			return fmt.Sprintf("%s %s %s", f.Kind, f.Latency, where)
		case NetSlow:
			return fmt.Sprintf("%s %dKB/s %s", f.Kind, f.KBPerSecond, where)
		}
		return fmt.Sprintf("%s %s", f.Kind, where)
	}
	return string(f.Kind)
}

// String is the label with the fault's timing.
func (f Fault) String() string {
	return fmt.Sprintf("%s at %s for %s", f.Label(), seconds(f.At), seconds(f.For))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// resource is what a fault takes for its time: two faults on one resource
// never overlap.
func (f Fault) resource() string {
	switch {
	case f.Kind.IsConsumer():
		return fmt.Sprintf("member %d", f.Target)
	case f.Kind.IsProducer():
		return "producer"
	case f.Kind.IsBroker():
		return "brokers"
	case f.Kind.IsNetwork():
		return "network"
	}
	return "extra members"
}

// Schedule is the plan of one run.
type Schedule struct {
	Seed int64
	// Brokers is the size of the cluster: 1 or 3.
	Brokers int
	// Load is how long the producer runs.
	Load time.Duration
	// Faults are sorted by their start.
	Faults []Fault
}

// Labels returns the faults' labels, comma-separated, or "none".
func (s Schedule) Labels() string {
	if len(s.Faults) == 0 {
		return "none"
	}
	labels := make([]string, len(s.Faults))
	for i, f := range s.Faults {
		labels[i] = f.Label()
	}
	return strings.Join(labels, ", ")
}

// String describes the whole schedule on a few lines: the seed, the
// cluster and the load on the first, then one fault a line.
func (s Schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d broker(s), %s of load, %d fault(s)", s.Seed, s.Brokers, seconds(s.Load), len(s.Faults))
	for _, f := range s.Faults {
		fmt.Fprintf(&b, "\n  %s", f)
	}
	return b.String()
}

// stream is the PCG stream Plan draws from; changing it changes every
// plan, so it never changes.
const stream = 0x636861_6f73 // "chaos"

// settle is the least time between two faults on one resource: a member
// or a broker started again has a moment to come up before it is hit again.
const settle = time.Second

// placeAttempts bounds the draws of a start for a fault that keeps meeting
// another on its resource; after that the fault is left out.
const placeAttempts = 8

// span is the range of a fault kind's length, before it is capped at half
// the load.
type span struct{ lo, hi time.Duration }

var spans = map[Kind]span{
	ConsumerKill:   {time.Second, 8 * time.Second},
	ConsumerTerm:   {time.Second, 8 * time.Second},
	ConsumerFreeze: {2 * time.Second, 15 * time.Second},
	Rebalance:      {4 * time.Second, 15 * time.Second},
	ProducerKill:   {time.Second, 6 * time.Second},
	ProducerTerm:   {time.Second, 6 * time.Second},
	BrokerStop:     {2 * time.Second, 10 * time.Second},
	BrokerKill:     {2 * time.Second, 10 * time.Second},
	BrokerFreeze:   {3 * time.Second, 15 * time.Second},
	NetLatency:     {3 * time.Second, 12 * time.Second},
	NetCut:         {2 * time.Second, 10 * time.Second},
	NetSlow:        {3 * time.Second, 12 * time.Second},
}

var bandwidths = []int64{32, 64, 128, 256}

// Plan returns the schedule of seed for a run whose load lasts load. It is
// deterministic: see the package comment.
func Plan(seed int64, load time.Duration) Schedule {
	rng := rand.New(rand.NewPCG(uint64(seed), stream))
	s := Schedule{Seed: seed, Brokers: 1, Load: load}
	if rng.IntN(4) == 0 {
		s.Brokers = 3
	}
	kinds := Kinds()
	n := 1 + rng.IntN(MaxFaults)
	for i := range n {
		kind := kinds[rng.IntN(len(kinds))]
		if i == 0 && s.Brokers == 3 {
			kind = brokerKinds[rng.IntN(len(brokerKinds))]
		}
		f := draw(rng, kind, s.Brokers, load)
		if place(rng, &f, s.Faults, load) {
			s.Faults = append(s.Faults, f)
		}
	}
	slices.SortStableFunc(s.Faults, func(a, b Fault) int { return int(a.At - b.At) })
	return s
}

// Margin is the time at each end of the load that no fault touches.
func Margin(load time.Duration) time.Duration { return max(load/10, time.Second) }

// draw picks a fault of kind: its target, parameters and length.
func draw(rng *rand.Rand, kind Kind, brokers int, load time.Duration) Fault {
	f := Fault{Kind: kind}
	switch {
	case kind.IsConsumer():
		f.Target = 1 + rng.IntN(Members)
	case kind == Rebalance:
		f.Members = 1 + rng.IntN(2)
	case kind.IsBroker():
		f.Target = 1 + rng.IntN(brokers)
	case kind.IsNetwork():
		if brokers > 1 {
			f.Target = rng.IntN(brokers + 1)
		}
	}
	switch kind {
	case NetLatency:
		f.Latency = time.Duration(1+rng.IntN(10)) * 50 * time.Millisecond
	case NetSlow:
		f.KBPerSecond = bandwidths[rng.IntN(len(bandwidths))]
	}
	sp := spans[kind]
	steps := int((sp.hi - sp.lo) / (100 * time.Millisecond))
	f.For = min(sp.lo+time.Duration(rng.IntN(steps+1))*100*time.Millisecond, load/2)
	return f
}

// place draws f's start so that it lies inside the load's margins and
// keeps settle away from every fault on its resource; it reports false
// when no draw fits.
func place(rng *rand.Rand, f *Fault, placed []Fault, load time.Duration) bool {
	margin := Margin(load)
	room := load - 2*margin - f.For
	if room < 0 {
		return false
	}
	steps := int(room / (100 * time.Millisecond))
	for range placeAttempts {
		f.At = margin + time.Duration(rng.IntN(steps+1))*100*time.Millisecond
		if !slices.ContainsFunc(placed, f.clashes) {
			return true
		}
	}
	return false
}

// clashes reports whether f and g take the same resource at times less
// than settle apart.
func (f Fault) clashes(g Fault) bool {
	return f.resource() == g.resource() && f.At < g.End()+settle && g.At < f.End()+settle
}

// ShortLoad is the length of the load in the short set.
const ShortLoad = 15 * time.Second

// ShortSet is the seeds of the short set that `make test` runs, with
// ShortLoad of load each. Between them they kill consumer members, stop
// and restart the broker and cut the clients' connections in toxiproxy,
// on a single broker, which starts in seconds.
var ShortSet = []int64{13, 41}
