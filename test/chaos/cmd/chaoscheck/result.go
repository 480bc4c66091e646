package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"ticket-processor/test/chaos/checker"
)

// result is what chaoscheck prints, as tables or as JSON.
type result struct {
	Passed    bool              `json:"passed"`
	Guarantee checker.Guarantee `json:"guarantee"`
	Topics    []topicResult     `json:"topics"`
	Input     inputResult       `json:"input"`
	// DeadLetterReasons counts dead letters by reason ("" for none).
	DeadLetterReasons map[string]int `json:"dead_letter_reasons"`
	// Defects has every kind, in report order, found or not.
	Defects []defectResult  `json:"defects"`
	Faults  []checker.Fault `json:"faults"`
}

type topicResult struct {
	Role      string `json:"role"`
	Name      string `json:"name"`
	Records   int    `json:"records"`
	Undecided int64  `json:"undecided"`
}

type inputResult struct {
	Records       int   `json:"records"`
	Tickets       int   `json:"tickets"`
	BadRecords    int   `json:"bad_records"`
	Orders        int   `json:"orders"`
	ProducerAcked int64 `json:"producer_acked,omitempty"`
}

type defectResult struct {
	Kind checker.Kind `json:"kind"`
	// Count is how many the report holds; InFlight of them were forgiven
	// and Failed of them fail the run.
	Count    int      `json:"count"`
	InFlight int      `json:"in_flight"`
	Failed   int      `json:"failed"`
	Rule     string   `json:"rule,omitempty"`
	Examples []string `json:"examples"`
}

// newResult gathers what to print; topics are input, output and dead
// letters, in that order.
func newResult(topics []checker.Topic, r checker.Report, v checker.Verdict, faults []checker.Fault, examples int) result {
	res := result{
		Passed:    v.Passed(),
		Guarantee: v.Guarantee,
		Input: inputResult{Records: r.InputRecords, Tickets: r.InputTickets, BadRecords: r.InputBadRecords,
			Orders: r.InputOrders, ProducerAcked: r.ProducerAcked},
		DeadLetterReasons: r.DeadLetterReasons,
		Faults:            faults,
	}
	for i, role := range []string{"input", "output", "dlq"} {
		t := topics[i]
		res.Topics = append(res.Topics, topicResult{Role: role, Name: t.Name, Records: len(t.Records), Undecided: t.Undecided()})
	}
	failures := make(map[checker.Kind]checker.Failure)
	for _, f := range v.Failures {
		failures[f.Kind] = f
	}
	for _, k := range checker.Kinds() {
		d := defectResult{Kind: k, Count: r.Count(k), InFlight: v.InFlight[k], Failed: failures[k].Count,
			Rule: failures[k].Rule, Examples: v.Examples(r, k, examples)}
		if d.Examples == nil {
			d.Examples = []string{}
		}
		res.Defects = append(res.Defects, d)
	}
	return res
}

// writeTables prints res for a person.
func (res result) writeTables(w io.Writer) error {
	var b strings.Builder
	outcome := "PASSED"
	if !res.Passed {
		outcome = "FAILED"
	}
	fmt.Fprintf(&b, "chaoscheck: %s under %s\n\n", outcome, res.Guarantee)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "role\ttopic\trecords\tundecided")
	for _, t := range res.Topics {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", t.Role, t.Name, t.Records, t.Undecided)
	}
	_ = tw.Flush()

	fmt.Fprintf(&b, "\ninput: %d tickets in %d orders, %d bad records", res.Input.Tickets, res.Input.Orders, res.Input.BadRecords)
	if res.Input.ProducerAcked > 0 {
		fmt.Fprintf(&b, "; producer acknowledged %d", res.Input.ProducerAcked)
	}
	fmt.Fprintf(&b, "\ndead letters by reason: %s\n", formatReasons(res.DeadLetterReasons))
	fmt.Fprintf(&b, "faults: %s\n\n", formatFaults(res.Faults))

	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "defect\tcount\tin flight\tverdict")
	for _, d := range res.Defects {
		verdict := "ok"
		if d.Failed > 0 {
			verdict = fmt.Sprintf("FAIL %d: %s", d.Failed, d.Rule)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", d.Kind, d.Count, d.InFlight, verdict)
	}
	_ = tw.Flush()

	for _, d := range res.Defects {
		if len(d.Examples) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n", d.Kind)
		for _, e := range d.Examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatReasons(reasons map[string]int) string {
	if len(reasons) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if name == "" {
			name = "(no reason)"
		}
		parts[i] = fmt.Sprintf("%s %d", name, reasons[k])
	}
	return strings.Join(parts, ", ")
}

func formatFaults(faults []checker.Fault) string {
	if len(faults) == 0 {
		return "none"
	}
	parts := make([]string, len(faults))
	for i, f := range faults {
		parts[i] = f.Name + " " + f.Start.UTC().Format(time.RFC3339Nano)
		if f.End.After(f.Start) {
			parts[i] += "–" + f.End.UTC().Format(time.RFC3339Nano)
		}
	}
	return strings.Join(parts, ", ")
}
