package checker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault of most verdict cases: broker down from 10 s to 12 s into the run.
var outage = Fault{Name: "broker down", Start: at(10), End: at(12)}

// lead is the in-flight lead of the verdict cases.
const lead = 2 * time.Second

func TestJudge(t *testing.T) {
	tests := []struct {
		name      string
		build     func(f *fixture)
		opts      Options
		guarantee Guarantee
		faults    []Fault
		wantFail  []Kind
		inFlight  map[Kind]int
	}{
		{
			name:      "clean run passes exactly_once",
			build:     func(f *fixture) { f.processAll(f.produceAll(2, "ord-a")) },
			guarantee: ExactlyOnce,
		},
		{
			name:      "clean run passes at_least_once",
			build:     func(f *fixture) { f.processAll(f.produceAll(2, "ord-a")) },
			guarantee: AtLeastOnce,
		},
		{
			name: "loss fails at_least_once",
			build: func(f *fixture) {
				f.produceAll(1, "ord-a")
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindLost},
		},
		{
			name: "lost bad record fails exactly_once",
			build: func(f *fixture) {
				f.bad("garbage")
			},
			guarantee: ExactlyOnce,
			wantFail:  []Kind{KindLost},
		},
		{
			name: "reordering fails at_least_once",
			build: func(f *fixture) {
				in := f.produceAll(2, "ord-a")
				f.process(in[1])
				f.process(in[0])
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindReordered},
		},
		{
			name: "gap, input reordering and phantoms fail at_least_once",
			build: func(f *fixture) {
				three := f.produce("ord-a", 3)
				f.process(f.produce("ord-a", 1))
				f.process(three)
				f.write(outputTopic, 0, "", []byte("{}"), f.tick())
				f.write(deadTopic, 0, "", []byte("{}"), f.tick())
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindInputGap, KindInputReordered, KindPhantom, KindPhantomDeadLetter},
		},
		{
			name:      "acknowledged tickets missing from the input fail at_least_once",
			build:     func(f *fixture) {},
			opts:      Options{ProducerAcked: 3},
			guarantee: AtLeastOnce,
			wantFail:  []Kind{KindAckedMissing},
		},
		{
			name: "duplicate across a fault fails exactly_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(9.5))
				f.processAt(in, at(12.5))
			},
			guarantee: ExactlyOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindDuplicated},
		},
		{
			name: "duplicate across a fault passes at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(9.5))
				f.processAt(in, at(12.5))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			inFlight:  map[Kind]int{KindDuplicated: 1},
		},
		{
			name: "duplicate written during a fault and again after passes at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(11))
				f.processAt(in, at(30))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			inFlight:  map[Kind]int{KindDuplicated: 1},
		},
		{
			name: "resend keeping its timestamp, sent just before a fault, passes at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(9))
				f.processAt(in, at(9))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			inFlight:  map[Kind]int{KindDuplicated: 1},
		},
		{
			name: "duplicate long before the fault fails at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(1))
				f.processAt(in, at(12.5))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindDuplicated},
		},
		{
			name: "duplicate written twice before the fault fails at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(9))
				f.processAt(in, at(9.5))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindDuplicated},
		},
		{
			name: "duplicate after the fault healed fails at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(13))
				f.processAt(in, at(14))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindDuplicated},
		},
		{
			name: "duplicate without any fault fails at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(9.5))
				f.processAt(in, at(12.5))
			},
			guarantee: AtLeastOnce,
			wantFail:  []Kind{KindDuplicated},
		},
		{
			name: "three copies need a fault for each repeat",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(9.5))
				f.processAt(in, at(12.5))
				f.processAt(in, at(20.5))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage, {Name: "consumer killed", Start: at(13)}},
			inFlight:  map[Kind]int{KindDuplicated: 1},
		},
		{
			name: "three copies with one fault fail at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(9.5))
				f.processAt(in, at(12.5))
				f.processAt(in, at(20.5))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindDuplicated},
		},
		{
			name: "instantaneous fault explains a duplicate across it",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(19))
				f.processAt(in, at(25))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{{Name: "consumer killed", Start: at(20)}},
			inFlight:  map[Kind]int{KindDuplicated: 1},
		},
		{
			name: "published and dead-lettered across a fault passes at_least_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(10.5))
				f.deadLetterAt(in, "retries_exhausted", at(40))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			inFlight:  map[Kind]int{KindOutputAndDeadLetter: 1},
		},
		{
			name: "published and dead-lettered fails exactly_once",
			build: func(f *fixture) {
				in := f.produce("ord-a", 1)
				f.processAt(in, at(10.5))
				f.deadLetterAt(in, "retries_exhausted", at(40))
			},
			guarantee: ExactlyOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindOutputAndDeadLetter},
		},
		{
			name: "dead letter duplicated without a fault fails at_least_once",
			build: func(f *fixture) {
				bad := f.bad("garbage")
				f.deadLetterAt(bad, "malformed", at(1))
				f.deadLetterAt(bad, "malformed", at(2))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			wantFail:  []Kind{KindDuplicatedDeadLetter},
		},
		{
			name: "input duplicate resent across a fault passes at_least_once",
			build: func(f *fixture) {
				one := f.write(inputTopic, partitionOf("ord-a"), "ord-a", ticketValue("ord-a", 1), at(9.9))
				f.write(inputTopic, partitionOf("ord-a"), "ord-a", ticketValue("ord-a", 1), at(9.9))
				f.processAt(one, at(13))
			},
			guarantee: AtLeastOnce,
			faults:    []Fault{outage},
			inFlight:  map[Kind]int{KindInputDuplicate: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			tt.build(f)
			v := Judge(f.check(tt.opts), tt.guarantee, Faults{Windows: tt.faults, Lead: lead})

			var failed []Kind
			for _, failure := range v.Failures {
				failed = append(failed, failure.Kind)
				assert.Positive(t, failure.Count, failure.Kind)
				assert.NotEmpty(t, failure.Rule, failure.Kind)
			}
			assert.ElementsMatch(t, tt.wantFail, failed, "failures: %+v", v.Failures)
			assert.Equal(t, len(tt.wantFail) == 0, v.Passed())
			assert.Equal(t, tt.inFlight, v.InFlight)
		})
	}
}

func TestJudgeListsUnexplainedDuplicates(t *testing.T) {
	f := newFixture()
	in := f.produceAll(2, "ord-a")
	f.processAt(in[0], at(9.5))
	f.processAt(in[0], at(12.5))
	f.processAt(in[1], at(1))
	f.processAt(in[1], at(2))

	r := f.check(Options{})
	v := Judge(r, AtLeastOnce, Faults{Windows: []Fault{outage}, Lead: lead})

	assert.Equal(t, map[Kind]int{KindDuplicated: 1}, v.InFlight)
	assert.Len(t, r.Examples(KindDuplicated, -1), 2)
	examples := v.Examples(r, KindDuplicated, 5)
	require.Len(t, examples, 1, "only the duplicate that fails")
	assert.Contains(t, examples[0], "order ord-a seq 2 ticket "+ticketID("ord-a", 2))
	require.Len(t, v.Unexplained[KindDuplicated], 1)
	assert.Equal(t, ticketID("ord-a", 2), v.Unexplained[KindDuplicated][0].TicketID)
	require.Len(t, v.Failures, 1)
	assert.Equal(t, Failure{Kind: KindDuplicated, Count: 1, Rule: "at_least_once allows a duplicate only of a ticket in flight when a fault hit"}, v.Failures[0])
}

func TestJudgeRejectsUnknownGuarantee(t *testing.T) {
	f := newFixture()
	in := f.produce("ord-a", 1)
	f.processAt(in, at(9.5))
	f.processAt(in, at(12.5))

	v := Judge(f.check(Options{}), Guarantee("at_most_once"), Faults{Windows: []Fault{outage}, Lead: lead})

	assert.False(t, v.Passed())
	var failed []Kind
	for _, failure := range v.Failures {
		failed = append(failed, failure.Kind)
	}
	assert.ElementsMatch(t, []Kind{KindGuarantee, KindDuplicated}, failed, "an unknown guarantee is judged as exactly_once")
}

func TestParseGuarantee(t *testing.T) {
	tests := []struct {
		in      string
		want    Guarantee
		wantErr bool
	}{
		{"at_least_once", AtLeastOnce, false},
		{"exactly_once", ExactlyOnce, false},
		{"", "", true},
		{"exactly-once", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseGuarantee(tt.in)
			assert.Equal(t, tt.want, got)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrUnknownGuarantee)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}
