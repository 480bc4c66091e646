package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/goleak"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/models"
)

// TestMain checks for leaked goroutines. go-metrics, which sarama uses,
// starts one process-wide meter goroutine that lives by design until the
// process exits; it is not a leak of any one client.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"))
}

// env returns a lookup over vars only, so that the test's own environment
// (KAFKA_BROKERS in `make test`'s integration stage, say) does not leak in.
func env(vars ...string) func(string) (string, bool) {
	m := map[string]string{}
	for _, kv := range vars {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// freePorts are the demo's flags for endpoints on free ports and a log
// file in the test's directory.
func freePorts(t *testing.T) []string {
	return []string{"--producer-port", "0", "--consumer-port", "0", "--log-file", filepath.Join(t.TempDir(), "demo.log")}
}

var metricsURL = regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/metrics \(producer\), http://(127\.0\.0\.1:\d+)/metrics \(consumer\)`)

// summaryCount reads a row of the summary table, such as "order gaps".
func summaryCount(t *testing.T, out, row string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(row) + `\s+(\d+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "summary row %q in:\n%s", row, out)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// TestDemoRunsFiveSecondsWithFaults is the acceptance test: five
// seconds on the embedded broker with faults mixed in, then a clean stop
// (run returns nil, which start turns into exit status 0) with every good
// ticket processed, in order, and the bad records dead-lettered.
func TestDemoRunsFiveSecondsWithFaults(t *testing.T) {
	cfg, err := loadDemo(append(freePorts(t), "--duration", "5s", "--fail-rate", "0.1", "--rate", "300"), env())
	require.NoError(t, err)
	require.True(t, cfg.EmbeddedBroker)
	var stdout, stderr kafkatest.SyncBuffer
	log, closeLog, err := newLogger(cfg, &stderr)
	require.NoError(t, err)
	defer closeLog()

	type result struct {
		r   report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := run(context.Background(), cfg, &statusView{out: &stdout, width: func() int { return 0 }}, log)
		done <- result{r, err}
	}()

	// While it runs, both sides serve their endpoints and become ready.
	var urls []string
	require.Eventually(t, func() bool {
		urls = metricsURL.FindStringSubmatch(stdout.String())
		return urls != nil
	}, 30*time.Second, 20*time.Millisecond, "header with the endpoints; stderr:\n%s", &stderr)
	for _, addr := range urls[1:] {
		kafkatest.WaitStatus(t, "http://"+addr+"/readyz", 200, 5*time.Second)
		assert.Equal(t, 200, kafkatest.Status("http://"+addr+"/healthz"))
		assert.Contains(t, kafkatest.Body(t, "http://"+addr+"/metrics"), "ticket_processor_build_info")
	}

	var res result
	select {
	case res = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the demo did not stop by itself after --duration")
	}
	require.NoError(t, res.err, "a clean stop; stderr:\n%s", &stderr)
	r, out := res.r, stdout.String()
	assert.Empty(t, stderr.String(), "no errors reach the terminal")
	assert.Regexp(t, `(?m)^\s+\d+s  produced \d+/s  processed \d+/s  lag \d+  retries \d+  dead-lettered \d+  gaps 0  p99 `, out,
		"a plain status line per second when not on a terminal")
	assert.NotContains(t, out, "\x1b", "no terminal control sequences in piped output")
	assert.Contains(t, out, "\nSummary: ")

	assert.Positive(t, r.Produced)
	assert.Positive(t, r.Processed)
	assert.Equal(t, r.Produced, r.Processed, "every good ticket processed once")
	assert.Positive(t, r.Retries, "transient failures were retried")
	assert.Positive(t, total(r.DeadLettered))
	assert.Equal(t, r.BadRecords, r.DeadLettered, "the bad records, and only they, are dead-lettered, each for its kind")
	assert.Zero(t, r.OrderGaps, "no order gaps among the good tickets")
	assert.Zero(t, r.OrderRepeats)
	assert.Zero(t, r.Unfinished)
}

// TestDemoOnExistingBrokerKeepsEveryOrderWhole runs the demo against a
// broker it did not start, as with KAFKA_BROKERS, and reads the topics back:
// the output holds every good ticket once, each order's sequence whole and
// in order, and the dead-letter topic holds exactly the bad records.
func TestDemoOnExistingBrokerKeepsEveryOrderWhole(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]

	cfg, err := loadDemo(append(freePorts(t), "--duration", "2s", "--fail-rate", "0.2", "--rate", "500", "--orders", "20", "--partitions", "2"),
		env("KAFKA_BROKERS="+broker))
	require.NoError(t, err)
	require.False(t, cfg.EmbeddedBroker)
	var stdout, stderr kafkatest.SyncBuffer
	log, closeLog, err := newLogger(cfg, &stderr)
	require.NoError(t, err)
	defer closeLog()

	r, err := run(context.Background(), cfg, &statusView{out: &stdout, width: func() int { return 0 }}, log)
	require.NoError(t, err)
	require.Empty(t, stderr.String())
	require.Positive(t, r.Produced)
	require.Zero(t, r.Unfinished, "the consumer caught up before stopping")

	input := kafkatest.ReadAllFrom(t, broker, "tickets", int(r.Produced+total(r.BadRecords)), 30*time.Second)
	good := map[string]bool{}
	for _, m := range input {
		if tk, err := models.Decode(m.Value); err == nil {
			good[tk.TicketID] = true
		}
	}
	require.Len(t, good, int(r.Produced), "good tickets in the input topic")

	output := kafkatest.ReadAllFrom(t, broker, "tickets.processed", int(r.Processed), 30*time.Second)
	require.Len(t, output, int(r.Produced), "every good ticket processed once")
	last := map[string]uint64{}
	for _, m := range output {
		p, err := models.DecodeProcessed(m.Value)
		require.NoError(t, err)
		require.True(t, good[p.TicketID], "ticket %s was produced", p.TicketID)
		delete(good, p.TicketID)
		require.Equal(t, last[p.OrderID]+1, p.Sequence, "order %s: sequence after %d", p.OrderID, last[p.OrderID])
		last[p.OrderID] = p.Sequence
	}

	dead := kafkatest.ReadAllFrom(t, broker, "tickets.dlq", int(total(r.DeadLettered)), 30*time.Second)
	require.Len(t, dead, int(total(r.BadRecords)), "the dead-letter topic holds the bad records")
	reasons := map[string]int64{}
	for _, m := range dead {
		e, err := dlq.Parse(m)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(e.Key), "junk-"), "dead-lettered %q is a bad record", e.Key)
		reasons[string(e.Failure.Reason)]++
	}
	assert.Equal(t, r.BadRecords, reasons, "each bad record got the reason of its kind")
}

// TestBinaryStopsCleanlyOnInterrupt runs the built binary as `make demo`
// does, without --duration, and stops it as Ctrl-C would.
func TestBinaryStopsCleanlyOnInterrupt(t *testing.T) {
	bin := kafkatest.Build(t, "ticket-processor/cmd/demo")
	p := kafkatest.Start(t, bin, []string{"KAFKA_BROKERS=", "LOG_FILE=" + filepath.Join(t.TempDir(), "demo.log")},
		"--producer-port", "0", "--consumer-port", "0", "--fail-rate", "0.1")
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`processed [1-9]\d*/s`).MatchString(p.Stdout())
	}, 30*time.Second, 50*time.Millisecond, "tickets flow")
	require.NoError(t, p.Cmd.Process.Signal(os.Interrupt))
	require.Equal(t, 0, p.Wait(t, 30*time.Second), "exit status after Ctrl-C")
	out := p.Stdout()
	assert.Contains(t, out, "\nSummary: ")
	assert.Positive(t, summaryCount(t, out, "tickets processed"))
	assert.Positive(t, summaryCount(t, out, "dead-lettered"))
	assert.Zero(t, summaryCount(t, out, "order gaps"))
	assert.Empty(t, p.Stderr())
}

func TestInvalidFlagsExitWithStatus2(t *testing.T) {
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{args: []string{"--fail-rate", "1.5"}, want: "FAIL_RATE=1.5 (--fail-rate): must be between 0 and 1"},
		{args: []string{"--fail-rate", "often"}, want: `invalid value "often" for flag -fail-rate: want a number`},
		{args: []string{"--rate", "-1"}, want: "RATE=-1: must be a finite number >= 0"},
		{args: []string{"--orders", "0"}, want: "ORDERS=0: must be 1-1000000"},
		{args: []string{"--partitions", "0"}, want: "PARTITIONS=0 (--partitions): must be 1-1000"},
		{args: []string{"--workers", "0"}, want: "WORKERS=0: must be 1-1024"},
		{args: []string{"--duration", "-5s"}, want: "DURATION=-5s (--duration): must be >= 0"},
		{args: []string{"--duration", "soon"}, want: `invalid value "soon" for flag -duration`},
		{args: []string{"--consumer-port", "2112"}, want: "CONSUMER_PORT=2112 (--consumer-port): must differ from PRODUCER_PORT"},
		{args: []string{"--producer-port", "70000"}, want: "PRODUCER_PORT=70000 (--producer-port): must be 0-65535"},
		{args: []string{"--broker-port", "9092"}, env: []string{"KAFKA_BROKERS=localhost:9092"}, want: "BROKER_PORT=9092: applies only to the embedded broker"},
		{env: []string{"KAFKA_TLS_ENABLED=true"}, want: "need KAFKA_BROKERS: the embedded broker speaks plaintext only"},
		{args: []string{"--log-file", "/no/such/dir/demo.log"}, want: `LOG_FILE="/no/such/dir/demo.log"`},
		{args: []string{"extra"}, want: "unexpected arguments: extra"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, 2, start(tt.args, env(tt.env...), &stdout, &stderr))
			assert.Contains(t, stderr.String(), "demo: invalid configuration:")
			assert.Contains(t, stderr.String(), tt.want)
			assert.Empty(t, stdout.String(), "nothing starts")
		})
	}
}

func TestHelpListsTheFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, start([]string{"-h"}, env(), &stdout, &stderr))
	for _, flag := range []string{"-rate", "-orders", "-partitions", "-workers", "-duration", "-fail-rate",
		"-producer-port", "-consumer-port", "-log-file", "-kafka-brokers"} {
		assert.Contains(t, stdout.String(), flag)
	}
}
