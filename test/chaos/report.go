package chaos

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Row is one run's line in the report table.
type Row struct {
	Run     int
	Seed    int64
	Brokers int
	// Faults are the schedule's fault labels, comma-separated.
	Faults string
	// Tickets is the number of tickets in the input topic.
	Tickets int
	// Lost, Duplicated and Reordered are the checker's counts; Duplicated
	// counts output tickets held more than once.
	Lost, Duplicated, Reordered int
	// DeadLettered is the number of records in the dead-letter topic.
	DeadLettered int
	// Failures says why the run failed; empty when it passed.
	Failures []string
	Took     time.Duration
}

// Passed reports whether the run failed nothing.
func (r Row) Passed() bool { return len(r.Failures) == 0 }

// Verdict is "pass", or "FAIL: " and the failures.
func (r Row) Verdict() string {
	if r.Passed() {
		return "pass"
	}
	return "FAIL: " + strings.Join(r.Failures, "; ")
}

// WriteTable writes one line per run and a line of totals, then the
// number of runs that passed and the total time.
func WriteTable(w io.Writer, rows []Row, total time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tseed\tbrokers\tfaults\ttickets\tlost\tduplicated\treordered\tdead-lettered\ttime\tverdict\t")
	var sum Row
	passed := 0
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", r.Run, r.Seed, r.Brokers, r.Faults,
			r.Tickets, r.Lost, r.Duplicated, r.Reordered, r.DeadLettered, r.Took.Round(time.Second), r.Verdict())
		sum.Tickets += r.Tickets
		sum.Lost += r.Lost
		sum.Duplicated += r.Duplicated
		sum.Reordered += r.Reordered
		sum.DeadLettered += r.DeadLettered
		if r.Passed() {
			passed++
		}
	}
	fmt.Fprintf(tw, "total\t\t\t\t%d\t%d\t%d\t%d\t%d\t%s\t%d of %d passed\t\n", sum.Tickets, sum.Lost,
		sum.Duplicated, sum.Reordered, sum.DeadLettered, total.Round(time.Second), passed, len(rows))
	return tw.Flush()
}
