//go:build integration

package chaos

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
	"ticket-processor/test/chaos/checker"
	"ticket-processor/test/chaos/scenario"
)

// settings are the suite's variables; see the package comment.
type settings struct {
	seeds     []int64
	load      time.Duration
	guarantee checker.Guarantee // the consumer's, and the runs' judge
	rate      map[int]int       // tickets per second by cluster size
	report    string
}

func loadSettings(t *testing.T) settings {
	t.Helper()
	s := settings{guarantee: checker.AtLeastOnce, load: 30 * time.Second,
		rate: map[int]int{1: 2000, 3: 1000}, report: os.Getenv("CHAOS_REPORT")}
	runs, seed := os.Getenv("CHAOS_RUNS"), os.Getenv("CHAOS_SEED")
	switch {
	case runs == "" && seed == "":
		s.seeds, s.load = scenario.ShortSet, scenario.ShortLoad
	case runs == "":
		first, err := strconv.ParseInt(seed, 10, 64)
		require.NoError(t, err, "CHAOS_SEED=%q: want a whole number", seed)
		s.seeds = []int64{first}
	default:
		n, err := strconv.Atoi(runs)
		require.NoError(t, err, "CHAOS_RUNS=%q: want a number of runs", runs)
		require.Positive(t, n, "CHAOS_RUNS=%d: want at least one run", n)
		first := rand.Int64N(1 << 31)
		if seed != "" {
			first, err = strconv.ParseInt(seed, 10, 64)
			require.NoError(t, err, "CHAOS_SEED=%q: want a whole number", seed)
		}
		for i := range n {
			s.seeds = append(s.seeds, first+int64(i))
		}
	}
	if v := os.Getenv("CHAOS_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "CHAOS_SECONDS=%q: want whole seconds", v)
		require.GreaterOrEqual(t, n, 5, "CHAOS_SECONDS=%d: want at least 5", n)
		s.load = time.Duration(n) * time.Second
	}
	if v := os.Getenv("CHAOS_GUARANTEE"); v != "" {
		g, err := checker.ParseGuarantee(v)
		require.NoError(t, err, "CHAOS_GUARANTEE")
		s.guarantee = g
	}
	for size, name := range map[int]string{1: "CHAOS_RATE", 3: "CHAOS_RATE_CLUSTER"} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			require.NoError(t, err, "%s=%q: want tickets per second", name, v)
			require.Positive(t, n, "%s=%d: want at least 1", name, n)
			s.rate[size] = n
		}
	}
	return s
}

// TestChaos runs the chaos suite: the short set by default, or the runs
// CHAOS_RUNS and CHAOS_SEED ask for. Runs are grouped by cluster size so
// that each cluster is started once: the single-broker runs first, then
// the three-broker ones, each cluster stopped before the next starts.
func TestChaos(t *testing.T) {
	// Said here, before any run, rather than by each cluster's start: a
	// suite that cannot start brokers or toxiproxy runs nothing at all.
	for _, v := range []string{"KAFKA_SCRIPT", "TOXIPROXY_BIN"} {
		if os.Getenv(v) == "" {
			t.Skipf("%s is not set, so the chaos suite cannot start its brokers behind toxiproxy; `make test` and `make chaos` set it", v)
		}
	}
	s := loadSettings(t)
	plans := make([]scenario.Schedule, len(s.seeds))
	for i, seed := range s.seeds {
		plans[i] = scenario.Plan(seed, s.load)
	}
	t.Logf("chaos: %d run(s), %s of load each, judged %s; seeds %d to %d",
		len(plans), s.load, s.guarantee, s.seeds[0], s.seeds[len(s.seeds)-1])
	bins := buildBinaries(t)

	began := time.Now()
	var rows []Row
	executed := map[scenario.Kind]int{}
	for _, size := range []int{1, 3} {
		var shape []scenario.Schedule
		for _, p := range plans {
			if p.Brokers == size {
				shape = append(shape, p)
			}
		}
		if len(shape) == 0 {
			continue
		}
		t.Run(fmt.Sprintf("brokers=%d", size), func(t *testing.T) {
			env := startEnvironment(t, size, bins)
			for _, plan := range shape {
				k := len(rows) + 1
				t.Logf("run %d of %d: %s\n  replay: make chaos SEED=%d SECONDS=%d",
					k, len(plans), plan, plan.Seed, int(s.load.Seconds()))
				row := Row{Run: k, Seed: plan.Seed, Brokers: plan.Brokers, Faults: plan.Labels()}
				t.Run(fmt.Sprintf("seed=%d", plan.Seed), func(t *testing.T) {
					start := time.Now()
					defer func() {
						// A run that a helper stopped with t.Fatal still gets its row.
						row.Took = time.Since(start)
						if t.Failed() && row.Passed() {
							row.Failures = append(row.Failures, "aborted: see the log")
						}
					}()
					r := &run{t: t, env: env, plan: plan, settings: s, row: &row}
					r.execute()
					if !row.Passed() {
						t.Errorf("seed %d failed: %s", plan.Seed, strings.Join(row.Failures, "; "))
					}
				})
				rows = append(rows, row)
				for _, f := range plan.Faults {
					executed[f.Kind]++
				}
				t.Logf("run %d of %d: seed %d %s in %s; faults so far: %s", k, len(plans), plan.Seed,
					row.Verdict(), row.Took.Round(time.Second), tally(executed))
			}
		})
	}

	var table strings.Builder
	require.NoError(t, WriteTable(&table, rows, time.Since(began)))
	t.Logf("chaos report (%s, %s of load per run):\n%s", s.guarantee, s.load, table.String())
	if s.report != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(s.report), 0o755))
		header := fmt.Sprintf("chaos report: %d run(s), %s of load each, judged %s, finished %s\n\n",
			len(rows), s.load, s.guarantee, time.Now().UTC().Format(time.RFC3339))
		require.NoError(t, os.WriteFile(s.report, []byte(header+table.String()), 0o644))
	}
}

// tally counts the faults run so far by kind, in the kinds' order.
func tally(executed map[scenario.Kind]int) string {
	var parts []string
	for _, k := range scenario.Kinds() {
		if n := executed[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}

// binaries are the daemons, built without the race detector whatever the
// test binary is built with: the chaos runs need their speed, and the
// race detector has its own tests.
type binaries struct{ producer, consumer string }

func buildBinaries(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	build := func(pkg string) string {
		path := filepath.Join(dir, filepath.Base(pkg))
		out, err := exec.Command("go", "build", "-o", path, pkg).CombinedOutput()
		require.NoError(t, err, "go build %s: %s", pkg, out)
		return path
	}
	return binaries{producer: build("ticket-processor/cmd/producer"), consumer: build("ticket-processor/cmd/consumer")}
}

// environment is what the runs of one cluster size share: the cluster,
// behind toxiproxy, and the binaries.
type environment struct {
	cluster *kafkatest.Cluster
	bins    binaries
}

func startEnvironment(t *testing.T, size int, bins binaries) *environment {
	t.Helper()
	tp := kafkatest.StartToxiproxy(t)
	cluster := kafkatest.StartCluster(t, size, kafkatest.ThroughProxy(tp))
	return &environment{cluster: cluster, bins: bins}
}

// seedOf derives the producer's SEED for its instance-th start in a run:
// never 0 (which would pick one at random), and different for each
// start, so that a restarted producer opens new orders instead of
// writing the first one's tickets again.
func seedOf(runSeed int64, instance int) uint64 {
	return rand.New(rand.NewPCG(uint64(runSeed), uint64(instance))).Uint64N(1<<63) + 1
}

func brokersOf(c *kafkatest.Cluster) string { return strings.Join(c.Brokers(), ",") }

// sortedWindows returns the fault windows in start order.
func sortedWindows(w []checker.Fault) []checker.Fault {
	w = slices.Clone(w)
	slices.SortFunc(w, func(a, b checker.Fault) int { return a.Start.Compare(b.Start) })
	return w
}
