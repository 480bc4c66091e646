package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"ticket-processor/internal/metrics"
)

// Names of the metrics the status line reads, as /metrics shows them.
var (
	metricProduced     = metrics.ProducerProducedTotal
	metricProducerUp   = metrics.ProducerReady
	metricBadRecords   = prometheus.BuildFQName(metrics.Namespace, "demo", "bad_records_total")
	metricProcessed    = metrics.ConsumerProcessedTotal
	metricRetries      = metrics.ConsumerRetriesTotal
	metricDeadLettered = metrics.ConsumerDeadLetteredTotal
	metricGaps         = metrics.ConsumerOrderGapsTotal
	metricRepeats      = metrics.ConsumerOrderRepeatsTotal
	metricLag          = metrics.ConsumerLagMessages
	metricLatency      = metrics.ConsumerEndToEndLatencySeconds
	metricConsumerUp   = metrics.ConsumerReady
)

// snapshot is what the producer's and the consumer's registries say at
// one moment. Counters are totals since the start.
type snapshot struct {
	at            time.Time
	produced      float64            // tickets acknowledged by Kafka
	badRecords    map[string]float64 // by kind
	processed     float64
	retries       float64
	deadLettered  map[string]float64 // by reason
	gaps, repeats float64
	lag           float64 // sum over the assigned partitions
	latency       histogram
	producerReady bool
	consumerReady bool
}

// gather reads a snapshot from the two registries, the way Prometheus
// scrapes them. A registry that fails to gather returns what it could,
// with the error.
func gather(producerReg, consumerReg prometheus.Gatherer, now time.Time) (snapshot, error) {
	s := snapshot{at: now, badRecords: map[string]float64{}, deadLettered: map[string]float64{}}
	pf, perr := producerReg.Gather()
	cf, cerr := consumerReg.Gather()
	for _, mf := range append(pf, cf...) {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case metricProduced:
				s.produced += m.GetCounter().GetValue()
			case metricProducerUp:
				s.producerReady = m.GetGauge().GetValue() == 1
			case metricBadRecords:
				s.badRecords[label(m, "kind")] += m.GetCounter().GetValue()
			case metricProcessed:
				s.processed += m.GetCounter().GetValue()
			case metricRetries:
				s.retries += m.GetCounter().GetValue()
			case metricDeadLettered:
				s.deadLettered[label(m, "reason")] += m.GetCounter().GetValue()
			case metricGaps:
				s.gaps += m.GetCounter().GetValue()
			case metricRepeats:
				s.repeats += m.GetCounter().GetValue()
			case metricLag:
				s.lag += m.GetGauge().GetValue()
			case metricLatency:
				s.latency = histogramOf(m.GetHistogram())
			case metricConsumerUp:
				s.consumerReady = m.GetGauge().GetValue() == 1
			}
		}
	}
	if err := errors.Join(perr, cerr); err != nil {
		return s, fmt.Errorf("gather metrics: %w", err)
	}
	return s, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func sum(m map[string]float64) float64 {
	total := 0.0
	for _, v := range m {
		total += v
	}
	return total
}

// finished is how many records of the tickets topic the consumer is done
// with: processed, dead-lettered or skipped as repeats.
func (s snapshot) finished() float64 { return s.processed + sum(s.deadLettered) + s.repeats }

// written is how many records the demo put into the tickets topic.
func (s snapshot) written() float64 { return s.produced + sum(s.badRecords) }

// histogram is a cumulative Prometheus histogram: counts[i] observations
// were <= bounds[i]; the last bound is +Inf.
type histogram struct {
	bounds []float64
	counts []float64
}

func histogramOf(h *dto.Histogram) histogram {
	var out histogram
	for _, b := range h.GetBucket() {
		out.bounds = append(out.bounds, b.GetUpperBound())
		out.counts = append(out.counts, float64(b.GetCumulativeCount()))
	}
	if n := len(out.bounds); n == 0 || !math.IsInf(out.bounds[n-1], 1) {
		out.bounds = append(out.bounds, math.Inf(1))
		out.counts = append(out.counts, float64(h.GetSampleCount()))
	}
	return out
}

// since returns the observations made after earlier, a snapshot of the
// same histogram.
func (h histogram) since(earlier histogram) histogram {
	if len(earlier.counts) != len(h.counts) {
		return h
	}
	out := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts))}
	for i := range h.counts {
		out.counts[i] = h.counts[i] - earlier.counts[i]
	}
	return out
}

// quantile estimates the q-quantile as Prometheus' histogram_quantile does:
// linear interpolation within the bucket holding it, the bucket's lower
// bound taken as 0 for the first one, and the highest finite bound when
// it falls in the +Inf bucket. ok is false without observations.
func (h histogram) quantile(q float64) (seconds float64, ok bool) {
	n := len(h.counts)
	if n == 0 || h.counts[n-1] <= 0 {
		return 0, false
	}
	rank := q * h.counts[n-1]
	i := sort.Search(n, func(i int) bool { return h.counts[i] >= rank })
	if i == n-1 && math.IsInf(h.bounds[i], 1) {
		if n == 1 {
			return 0, false
		}
		return h.bounds[n-2], true
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = h.bounds[i-1], h.counts[i-1]
	}
	inBucket := h.counts[i] - below
	if inBucket <= 0 {
		return h.bounds[i], true
	}
	return lower + (h.bounds[i]-lower)*(rank-below)/inBucket, true
}

// statusLine renders one interval, from prev to cur, for the live view.
// producing is false once the producer has stopped and the consumer
// finishes what is left.
func statusLine(prev, cur snapshot, started time.Time, producing bool) string {
	secs := cur.at.Sub(prev.at).Seconds()
	rate := func(now, before float64) string {
		if secs <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f/s", (now-before)/secs)
	}
	p99 := "-"
	if q, ok := cur.latency.since(prev.latency).quantile(0.99); ok {
		p99 = formatSeconds(q)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%5s  produced %s  processed %s  lag %.0f  retries %.0f  dead-lettered %.0f  gaps %.0f  p99 %s",
		cur.at.Sub(started).Round(time.Second), rate(cur.produced, prev.produced), rate(cur.processed, prev.processed),
		cur.lag, cur.retries, sum(cur.deadLettered), cur.gaps, p99)
	switch {
	case !producing:
		b.WriteString("  (stopping: consumer catching up)")
	case !cur.producerReady && !cur.consumerReady:
		b.WriteString("  (producer and consumer not ready)")
	case !cur.producerReady:
		b.WriteString("  (producer not ready)")
	case !cur.consumerReady:
		b.WriteString("  (consumer joining its group)")
	}
	return b.String()
}

// formatSeconds renders a latency with a precision fit for the status line.
func formatSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d < 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

// statusView writes the live status: on a terminal one line rewritten in
// place, otherwise one plain line per interval. Log lines meant for the
// terminal go through Writer, which keeps them from mixing with the
// status line.
type statusView struct {
	out      io.Writer
	terminal bool
	width    func() int // terminal columns; 0 when unknown

	mu      sync.Mutex
	current string // the status line on screen, on a terminal
}

const (
	eraseLine = "\r\x1b[2K" // carriage return, then erase the whole line
)

// show replaces the status line with line.
func (v *statusView) show(line string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.terminal {
		fmt.Fprintln(v.out, line)
		return
	}
	if w := v.width(); w > 1 && len(line) >= w {
		line = line[:w-1] // a wrapped line could not be rewritten in place
	}
	v.current = line
	fmt.Fprint(v.out, eraseLine+line)
}

// print ends the status line, if any, and writes text below it.
func (v *statusView) print(text string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.current != "" {
		fmt.Fprintln(v.out)
		v.current = ""
	}
	fmt.Fprint(v.out, text)
}

// Writer returns a writer for lines that must not mix with the status
// line, such as errors on stderr: on a terminal the status line is erased
// before them and drawn again after.
func (v *statusView) Writer(w io.Writer) io.Writer { return guardedWriter{v: v, w: w} }

type guardedWriter struct {
	v *statusView
	w io.Writer
}

func (g guardedWriter) Write(p []byte) (int, error) {
	g.v.mu.Lock()
	defer g.v.mu.Unlock()
	if g.v.current == "" {
		return g.w.Write(p)
	}
	fmt.Fprint(g.v.out, eraseLine)
	n, err := g.w.Write(p)
	fmt.Fprint(g.v.out, g.v.current)
	return n, err
}

// report is the outcome of a run, printed as the summary table.
type report struct {
	// Producing is how long tickets were produced; Elapsed adds the time
	// the consumer then took to catch up and stop.
	Producing, Elapsed time.Duration
	// Produced counts tickets acknowledged by Kafka; BadRecords the bad
	// records mixed in, by kind.
	Produced   int64
	BadRecords map[string]int64
	// Processed counts tickets published to the output topic.
	Processed int64
	// Retries counts attempts beyond the first.
	Retries int64
	// DeadLettered counts records written to the dead-letter topic, by reason.
	DeadLettered map[string]int64
	// OrderGaps and OrderRepeats count sequence numbers that skipped ahead
	// or came again within an order.
	OrderGaps, OrderRepeats int64
	// Unfinished counts records written that the consumer had not finished
	// when it stopped.
	Unfinished int64
	// LatencyP50 and LatencyP99 are end-to-end latencies over the run; zero
	// when nothing was processed.
	LatencyP50, LatencyP99 time.Duration
}

func newReport(s snapshot, producing, elapsed time.Duration) report {
	r := report{
		Producing:    producing,
		Elapsed:      elapsed,
		Produced:     int64(s.produced),
		BadRecords:   map[string]int64{},
		Processed:    int64(s.processed),
		Retries:      int64(s.retries),
		DeadLettered: map[string]int64{},
		OrderGaps:    int64(s.gaps),
		OrderRepeats: int64(s.repeats),
		Unfinished:   int64(max(s.written()-s.finished(), 0)),
	}
	// The services create every reason's series at zero; only the kinds
	// and reasons that occurred are reported.
	for k, v := range s.badRecords {
		if v > 0 {
			r.BadRecords[k] = int64(v)
		}
	}
	for k, v := range s.deadLettered {
		if v > 0 {
			r.DeadLettered[k] = int64(v)
		}
	}
	if q, ok := s.latency.quantile(0.5); ok {
		r.LatencyP50 = time.Duration(q * float64(time.Second))
	}
	if q, ok := s.latency.quantile(0.99); ok {
		r.LatencyP99 = time.Duration(q * float64(time.Second))
	}
	return r
}

// total adds up a by-kind or by-reason count.
func total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// table renders the summary.
func (r report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nSummary: %s of producing, %s in all\n", r.Producing.Round(100*time.Millisecond), r.Elapsed.Round(100*time.Millisecond))
	row := func(name string, n int64, detail string) {
		fmt.Fprintln(&b, strings.TrimRight(fmt.Sprintf("  %-22s %9d  %s", name, n, detail), " "))
	}
	perSecond := func(n int64, d time.Duration) string {
		if d <= 0 {
			return ""
		}
		return fmt.Sprintf("%.1f/s", float64(n)/d.Seconds())
	}
	row("tickets produced", r.Produced, perSecond(r.Produced, r.Producing))
	row("bad records mixed in", total(r.BadRecords), breakdown(r.BadRecords))
	row("tickets processed", r.Processed, perSecond(r.Processed, r.Elapsed))
	row("retries", r.Retries, "")
	row("dead-lettered", total(r.DeadLettered), breakdown(r.DeadLettered))
	row("order gaps", r.OrderGaps, "")
	row("order repeats", r.OrderRepeats, "")
	row("left unfinished", r.Unfinished, "")
	latency := "-"
	if r.Processed > 0 {
		latency = "p50 " + formatSeconds(r.LatencyP50.Seconds()) + ", p99 " + formatSeconds(r.LatencyP99.Seconds())
	}
	fmt.Fprintf(&b, "  %-22s %9s  %s\n", "end-to-end latency", "", latency)
	return b.String()
}

// breakdown renders counts by kind, in a stable order: "malformed 3, ...".
func breakdown(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
