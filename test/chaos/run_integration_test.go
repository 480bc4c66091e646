//go:build integration

package chaos

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
	"ticket-processor/test/chaos/checker"
	"ticket-processor/test/chaos/scenario"
)

const (
	partitions = 6
	orders     = 200
	// lead is how long before a fault a duplicate's first copy may have
	// been written and still count as in flight: the consumer commits
	// every second, and a ticket waits for the ones before it in its
	// partition before its offset can be committed.
	lead = 10 * time.Second
	// aftermath is how long after a fault is healed its window stays
	// open for the checker. Healing is a disturbance of its own: a broker
	// thawed or started again finds the members' sessions expired and
	// rebalances the group, and a member learns at its next heartbeat, up
	// to a session timeout (10 s) later, that the tickets it finished
	// meanwhile cannot be committed. Seed 12 showed it: after a 10.6 s
	// broker freeze, tickets published 20 ms after the thaw were published
	// again 2 s later, once the coordinator had evicted their member.
	aftermath = 10 * time.Second
	// drainTimeout bounds the wait for the group to commit the input's
	// end after the load; a pipeline slower than this has stalled.
	drainTimeout = 3 * time.Minute
	// stopTimeout bounds a graceful stop: SHUTDOWN_TIMEOUT plus room.
	stopTimeout     = 60 * time.Second
	shutdownTimeout = "30s"
	readTimeout     = 2 * time.Minute
)

// run carries out one schedule and fills its row.
type run struct {
	t        *testing.T
	env      *environment
	plan     scenario.Schedule
	settings settings
	row      *Row

	in, out, dlq, group string
	producer            *kafkatest.Process
	producers           int   // producer starts so far
	acked               int64 // acknowledged, from the producers that stopped gracefully
	members             [scenario.Members]*kafkatest.Process
	extras              map[int][]*kafkatest.Process // by fault index
	toxics              map[int][]toxic              // by fault index
	windows             []checker.Fault
	opened              map[int]time.Time // start of each fault begun and not yet ended
	stopping            []stopping        // sent SIGTERM by a fault, exit not yet awaited
}

// stopping is a process that a fault sent SIGTERM. Its exit is awaited
// after the load rather than at once, so that a slow graceful stop (a
// member finishing its tickets while the broker is frozen) does not hold
// up the faults after it; seed 24 held a broker frozen 70 s instead of
// 12.5 s that way.
type stopping struct {
	name     string
	p        *kafkatest.Process
	producer bool
}

// toxic is a toxic added to one proxy.
type toxic struct {
	proxy *kafkatest.Proxy
	name  string
}

// fail records why the run failed; the run goes on, so that the checker
// still reports what it can.
func (r *run) fail(format string, args ...any) {
	r.row.Failures = append(r.row.Failures, fmt.Sprintf(format, args...))
}

func (r *run) execute() {
	t, c := r.t, r.env.cluster
	r.extras, r.toxics, r.opened = map[int][]*kafkatest.Process{}, map[int][]toxic{}, map[int]time.Time{}
	r.in = c.CreateTopic(t, "chaos-in", partitions)
	r.out = c.CreateTopic(t, "chaos-out", partitions)
	r.dlq = c.CreateTopic(t, "chaos-dlq", partitions)
	r.group = kafkatest.Name("chaos-group")
	defer r.deleteTopics()
	defer r.healOpened()

	for i := range r.members {
		r.members[i] = r.startConsumer()
	}
	for _, m := range r.members {
		kafkatest.WaitStatus(t, m.URL("/readyz"), http.StatusOK, time.Minute)
	}
	r.startProducer()
	began := time.Now()
	r.runSchedule(began)
	if wait := time.Until(began.Add(r.plan.Load)); wait > 0 {
		<-time.After(wait) // the load's length: timing, not synchronisation
	}
	r.stopProducer()
	r.awaitStopping()
	r.drain()
	for i, m := range r.members {
		r.stopGracefully(fmt.Sprintf("member %d", i+1), m)
	}
	r.judge()
}

// healOpened heals the faults a run that failed half-way left open, so
// that the next run on the cluster finds it whole.
func (r *run) healOpened() {
	for i, f := range r.plan.Faults {
		if _, ok := r.opened[i]; ok {
			r.t.Logf("healing %s after the run stopped", f.Label())
			r.heal(i, f)
			delete(r.opened, i)
		}
	}
}

// event is the start or the end of a fault.
type event struct {
	at    time.Duration
	fault int
	end   bool
}

// runSchedule begins and ends every fault at its time after began, in
// time order, on this goroutine: kafkatest's helpers fail the test, which
// only the test's goroutine may do. An action that takes a while (a
// broker starting) delays the events after it; the windows record the
// real times.
func (r *run) runSchedule(began time.Time) {
	var events []event
	for i, f := range r.plan.Faults {
		events = append(events, event{at: f.At, fault: i}, event{at: f.End(), fault: i, end: true})
	}
	sortEvents(events)
	for _, e := range events {
		if wait := time.Until(began.Add(e.at)); wait > 0 {
			<-time.After(wait) // the schedule's timing
		}
		f := r.plan.Faults[e.fault]
		if !e.end {
			// The window opens as the action starts: a SIGTERM'd member
			// is already finishing its tickets while it stops.
			r.opened[e.fault] = time.Now()
			r.t.Logf("%6.1fs begin %s", time.Since(began).Seconds(), f.Label())
			r.begin(e.fault, f)
			continue
		}
		r.t.Logf("%6.1fs heal %s", time.Since(began).Seconds(), f.Label())
		r.heal(e.fault, f)
		r.windows = append(r.windows, checker.Fault{Name: f.String(), Start: r.opened[e.fault], End: time.Now().Add(aftermath)})
		delete(r.opened, e.fault)
	}
}

// sortEvents sorts by time; at equal times an end comes first, so that a
// resource is free before the next fault takes it.
func sortEvents(events []event) {
	slices.SortStableFunc(events, func(a, b event) int {
		if a.at != b.at {
			return cmp.Compare(a.at, b.at)
		}
		switch {
		case a.end && !b.end:
			return -1
		case b.end && !a.end:
			return 1
		}
		return 0
	})
}

// begin starts fault i.
func (r *run) begin(i int, f scenario.Fault) {
	t, c := r.t, r.env.cluster
	switch f.Kind {
	case scenario.ConsumerKill:
		r.signalAndWait(r.members[f.Target-1], syscall.SIGKILL)
	case scenario.ConsumerTerm:
		r.terminate(fmt.Sprintf("member %d", f.Target), r.members[f.Target-1], false)
	case scenario.ConsumerFreeze:
		r.signal(r.members[f.Target-1], syscall.SIGSTOP)
	case scenario.Rebalance:
		for range f.Members {
			r.extras[i] = append(r.extras[i], r.startConsumer())
		}
	case scenario.ProducerKill:
		r.signalAndWait(r.producer, syscall.SIGKILL)
	case scenario.ProducerTerm:
		r.terminate(fmt.Sprintf("producer %d", r.producers), r.producer, true)
	case scenario.BrokerStop:
		c.StopNode(t, f.Target)
	case scenario.BrokerKill:
		c.KillNode(t, f.Target)
	case scenario.BrokerFreeze:
		c.FreezeNode(t, f.Target)
	case scenario.NetLatency:
		for _, p := range r.proxies(f) {
			r.toxics[i] = append(r.toxics[i], toxic{p, p.AddToxic(t, kafkatest.Latency(f.Latency, f.Latency/4))})
		}
	case scenario.NetSlow:
		for _, p := range r.proxies(f) {
			r.toxics[i] = append(r.toxics[i], toxic{p, p.AddToxic(t, kafkatest.Bandwidth(f.KBPerSecond))})
		}
	case scenario.NetCut:
		for _, p := range r.proxies(f) {
			p.Disable(t)
		}
	default:
		t.Fatalf("fault kind %q has no action", f.Kind)
	}
}

// heal ends fault i: whatever it stopped runs again.
func (r *run) heal(i int, f scenario.Fault) {
	t, c := r.t, r.env.cluster
	switch f.Kind {
	case scenario.ConsumerKill, scenario.ConsumerTerm:
		r.members[f.Target-1] = r.startConsumer()
	case scenario.ConsumerFreeze:
		r.signal(r.members[f.Target-1], syscall.SIGCONT)
	case scenario.Rebalance:
		for n, m := range r.extras[i] {
			r.terminate(fmt.Sprintf("extra member %d", n+1), m, false)
		}
	case scenario.ProducerKill, scenario.ProducerTerm:
		r.startProducer()
	case scenario.BrokerStop, scenario.BrokerKill:
		c.StartNode(t, f.Target)
	case scenario.BrokerFreeze:
		c.ThawNode(t, f.Target)
	case scenario.NetLatency, scenario.NetSlow:
		for _, x := range r.toxics[i] {
			x.proxy.RemoveToxic(t, x.name)
		}
	case scenario.NetCut:
		for _, p := range r.proxies(f) {
			p.Enable(t)
		}
	}
}

// proxies returns the proxies a network fault hits: its target broker's,
// or every broker's.
func (r *run) proxies(f scenario.Fault) []*kafkatest.Proxy {
	c := r.env.cluster
	if f.Target > 0 {
		return []*kafkatest.Proxy{c.Proxy(f.Target)}
	}
	var all []*kafkatest.Proxy
	for n := 1; n <= c.Nodes(); n++ {
		all = append(all, c.Proxy(n))
	}
	return all
}

func (r *run) consumerEnv() []string {
	env := []string{
		"KAFKA_BROKERS=" + brokersOf(r.env.cluster), "KAFKA_TOPIC=" + r.in, "OUTPUT_TOPIC=" + r.out,
		"DLQ_TOPIC=" + r.dlq, "GROUP_ID=" + r.group, "WORKERS=8",
		"SHUTDOWN_TIMEOUT=" + shutdownTimeout, "LOG_LEVEL=warn",
		"PROCESSING_GUARANTEE=" + string(r.settings.guarantee),
	}
	return env
}

func (r *run) startConsumer() *kafkatest.Process {
	return kafkatest.Start(r.t, r.env.bins.consumer, r.consumerEnv())
}

// startProducer starts the run's next producer, with a seed of its own.
func (r *run) startProducer() {
	r.producers++
	r.producer = kafkatest.Start(r.t, r.env.bins.producer, []string{
		"KAFKA_BROKERS=" + brokersOf(r.env.cluster), "KAFKA_TOPIC=" + r.in,
		fmt.Sprintf("RATE=%d", r.settings.rate[r.plan.Brokers]), fmt.Sprintf("ORDERS=%d", orders),
		fmt.Sprintf("SEED=%d", seedOf(r.plan.Seed, r.producers)),
		fmt.Sprintf("TOPIC_PARTITIONS=%d", partitions), fmt.Sprintf("TOPIC_REPLICATION=%d", min(r.plan.Brokers, 3)),
		"SHUTDOWN_TIMEOUT=" + shutdownTimeout, "LOG_LEVEL=info",
	})
}

// stopProducer stops the producer with SIGTERM at the end of the load
// and adds the count its final line reports to the acknowledged tickets.
func (r *run) stopProducer() {
	name := fmt.Sprintf("producer %d", r.producers)
	if r.stopGracefully(name, r.producer) {
		r.countProduced(name, r.producer, true)
	}
}

// countProduced adds the count of a stopped producer's final line to the
// acknowledged tickets. Without the line, the count stays a lower bound;
// that fails the run only when required, after a stop that nothing
// disturbed.
func (r *run) countProduced(name string, p *kafkatest.Process, required bool) {
	n, ok := producedCount(p.Stdout())
	switch {
	case ok:
		r.acked += n
	case required:
		r.fail("%s: no %q line after SIGTERM", name, "producer stopped")
	default:
		r.t.Logf("%s: no %q line after SIGTERM; its tickets are not counted as acknowledged", name, "producer stopped")
	}
}

// awaitAnswer waits up to 30 s for p to answer /healthz: a SIGTERM that
// arrives before the process has installed its handler kills it.
func (r *run) awaitAnswer(name string, p *kafkatest.Process) {
	deadline := time.Now().Add(30 * time.Second)
	for kafkatest.Status(p.URL("/healthz")) != http.StatusOK {
		if time.Now().After(deadline) {
			r.fail("%s does not answer /healthz before its SIGTERM", name)
			return
		}
		<-time.After(100 * time.Millisecond) // polling interval
	}
}

// stopGracefully stops a process once nothing disturbs it any more (after
// the load or the drain): SIGTERM, then its exit. A process that is gone
// already, or exits with a status other than 0, fails the run. It reports
// whether the process stopped cleanly.
func (r *run) stopGracefully(name string, p *kafkatest.Process) bool {
	r.awaitAnswer(name, p)
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		r.fail("%s: SIGTERM: %v (it exited by itself)", name, err)
		return false
	}
	if status := p.Wait(r.t, stopTimeout); status != 0 {
		r.fail("%s exited with status %d after SIGTERM", name, status)
		return false
	}
	return true
}

// terminate sends a fault's SIGTERM and leaves the exit to awaitStopping.
func (r *run) terminate(name string, p *kafkatest.Process, producer bool) {
	r.awaitAnswer(name, p)
	r.signal(p, syscall.SIGTERM)
	r.stopping = append(r.stopping, stopping{name: name, p: p, producer: producer})
}

// awaitStopping waits for the processes faults sent SIGTERM. Their exit
// status is logged, not judged: a graceful stop during a broker outage
// may run out of SHUTDOWN_TIMEOUT and exit 1 by design; what it left
// undone shows in the topics.
func (r *run) awaitStopping() {
	for _, s := range r.stopping {
		if status := s.p.Wait(r.t, stopTimeout); status != 0 {
			r.t.Logf("%s exited with status %d after its SIGTERM during the faults", s.name, status)
		}
		if s.producer {
			r.countProduced(s.name, s.p, false)
		}
	}
	r.stopping = nil
}

// signal sends sig to p; a process already gone fails the run.
func (r *run) signal(p *kafkatest.Process, sig syscall.Signal) {
	if err := p.Cmd.Process.Signal(sig); err != nil {
		r.fail("%s to pid %d: %v (it exited by itself)", sig, p.Cmd.Process.Pid, err)
	}
}

// signalAndWait sends sig and waits for the process to exit, whatever its
// status: a fault does not ask for a clean exit.
func (r *run) signalAndWait(p *kafkatest.Process, sig syscall.Signal) {
	r.signal(p, sig)
	p.Wait(r.t, stopTimeout)
}

// producedCount returns the count of the producer's final log line,
// "producer stopped" with the acknowledged tickets in "produced".
func producedCount(log string) (int64, bool) {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var (
		n     int64
		found bool
	)
	for sc.Scan() {
		var line struct {
			Msg      string `json:"msg"`
			Produced *int64 `json:"produced"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "producer stopped" && line.Produced != nil {
			n, found = *line.Produced, true
		}
	}
	return n, found
}

// drain waits until the group has committed the input's end on every
// partition; past drainTimeout it fails the run with the offsets seen.
func (r *run) drain() {
	start := time.Now()
	deadline := start.Add(drainTimeout)
	for {
		done, state := r.drained()
		if done {
			r.t.Logf("drained %s after the load", time.Since(start).Round(100*time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			r.fail("not drained after %s: %s", drainTimeout, state)
			return
		}
		<-time.After(500 * time.Millisecond) // polling interval
	}
}

// drained reports whether the group's committed offsets are at the
// input's end, and describes them.
func (r *run) drained() (bool, string) {
	// A new client each time: one made before a broker fault may still
	// hold a connection to a broker that is gone.
	client, err := sarama.NewClient(r.env.cluster.Brokers(), kafkatest.Config())
	if err != nil {
		return false, err.Error()
	}
	defer client.Close()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return false, err.Error()
	}
	ids := make([]int32, partitions)
	for i := range ids {
		ids[i] = int32(i)
	}
	resp, err := admin.ListConsumerGroupOffsets(r.group, map[string][]int32{r.in: ids})
	if err != nil {
		return false, err.Error()
	}
	done := true
	var state []string
	for _, p := range ids {
		end, err := client.GetOffset(r.in, p, sarama.OffsetNewest)
		if err != nil {
			return false, fmt.Sprintf("p%d end: %v", p, err)
		}
		committed := int64(-1)
		if b := resp.GetBlock(r.in, p); b != nil {
			committed = b.Offset
		}
		done = done && committed == end
		state = append(state, fmt.Sprintf("p%d committed %d of %d", p, committed, end))
	}
	for i, m := range r.members {
		state = append(state, fmt.Sprintf("member %d /readyz %d", i+1, kafkatest.Status(m.URL("/readyz"))))
	}
	return done, strings.Join(state, ", ")
}

// judge reads the three topics with the checker and fills the row.
func (r *run) judge() {
	t := r.t
	conf, err := checker.NewConfig("chaos-suite")
	require.NoError(t, err)
	client, err := sarama.NewClient(r.env.cluster.Brokers(), conf)
	require.NoError(t, err)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	// Output and dead letters first: see the checker's package comment.
	topics, err := checker.ReadTopics(ctx, client, r.out, r.dlq, r.in)
	require.NoError(t, err, "read the topics")
	output, deadLetters, input := topics[0], topics[1], topics[2]

	report := checker.Check(input.Records, output.Records, deadLetters.Records, checker.Options{ProducerAcked: r.acked})
	verdict := checker.Judge(report, r.settings.guarantee, checker.Faults{Windows: sortedWindows(r.windows), Lead: lead})
	r.row.Tickets = report.InputTickets
	r.row.Lost = report.Count(checker.KindLost)
	r.row.Duplicated = report.Count(checker.KindDuplicated)
	r.row.Reordered = report.Count(checker.KindReordered)
	r.row.DeadLettered = report.DeadLetters
	t.Logf("input %d tickets (%d acknowledged to %d producer(s)), output %d records, %d dead-lettered %v; in flight when a fault hit: %v",
		report.InputTickets, r.acked, r.producers, report.OutputRecords, report.DeadLetters, report.DeadLetterReasons, verdict.InFlight)
	for _, f := range verdict.Failures {
		r.fail("%s %d", f.Kind, f.Count)
		t.Logf("%s: %d (%s); examples:\n  %s", f.Kind, f.Count, f.Rule,
			strings.Join(verdict.Examples(report, f.Kind, 5), "\n  "))
	}
	if report.DeadLetters > 0 {
		// The producer writes only good tickets and a fault is not a
		// ticket's fault: the checker counts a dead letter as delivered,
		// but the table shows it and the log says why.
		t.Logf("dead letters by reason: %v", report.DeadLetterReasons)
	}
}

// deleteTopics deletes the run's topics, so that a long set does not pile
// up partitions that slow every broker restart. Best effort: a leftover
// topic costs only space.
func (r *run) deleteTopics() {
	if len(r.opened) > 0 {
		return // a fault still holds a broker or the network; the cluster goes with the test
	}
	admin, err := sarama.NewClusterAdmin(r.env.cluster.Brokers(), kafkatest.Config())
	if err != nil {
		r.t.Logf("delete topics: %v", err)
		return
	}
	defer admin.Close()
	for _, topic := range []string{r.in, r.out, r.dlq} {
		if err := admin.DeleteTopic(topic); err != nil {
			r.t.Logf("delete topic %s: %v", topic, err)
		}
	}
}
