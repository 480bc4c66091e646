package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/test/chaos/checker"
)

func TestProducerAcked(t *testing.T) {
	tests := []struct {
		name    string
		log     string
		want    int64
		wantErr error
	}{
		{
			name: "final line",
			log: `{"level":"info","ts":"2026-03-01T12:00:00Z","logger":"producer","msg":"producer started"}
{"level":"info","ts":"2026-03-01T12:01:00Z","logger":"producer","msg":"producer stopped","produced":1234,"reason":"context canceled"}
`,
			want: 1234,
		},
		{
			name: "the last final line wins, other lines are skipped",
			log: `{"msg":"producer stopped","produced":10}
panic: something went wrong
{"msg":"producer stopped","produced":"many"}
{"msg":"producer stopped","produced":20}
{"msg":"broker reachable again"}
`,
			want: 20,
		},
		{
			name:    "no final line",
			log:     `{"msg":"producer started"}` + "\n" + `{"msg":"producer stopped"}` + "\n",
			wantErr: errNoFinalLine,
		},
		{name: "empty", log: "", wantErr: errNoFinalLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := producerAcked(strings.NewReader(tt.log))
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLoadFaults(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`[
		{"name":"broker down","start":"2026-03-01T12:00:10Z","end":"2026-03-01T12:00:12.5Z"},
		{"name":"consumer killed","start":"2026-03-01T12:00:20Z"}
	]`), 0o600))
	noStart := filepath.Join(dir, "nostart.json")
	require.NoError(t, os.WriteFile(noStart, []byte(`[{"name":"x","end":"2026-03-01T12:00:12Z"}]`), 0o600))
	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"name":`), 0o600))

	faults, err := loadFaults(good)
	require.NoError(t, err)
	require.Len(t, faults, 2)
	assert.Equal(t, "broker down", faults[0].Name)
	assert.True(t, time.Date(2026, 3, 1, 12, 0, 12, 500e6, time.UTC).Equal(faults[0].End))
	assert.True(t, faults[1].End.IsZero())

	none, err := loadFaults("")
	assert.NoError(t, err)
	assert.Empty(t, none)

	_, err = loadFaults(noStart)
	assert.ErrorContains(t, err, `fault 0 ("x") has no start`)
	_, err = loadFaults(broken)
	assert.Error(t, err)
	_, err = loadFaults(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// sampleResult is a run with one lost ticket and one duplicate that a
// fault explains.
func sampleResult(t *testing.T) result {
	t.Helper()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ticket := func(order string, seq int) []byte {
		return fmt.Appendf(nil, `{"ticket_id":"%s-%d","order_id":%q,"sequence":%d}`, order, seq, order, seq)
	}
	rec := func(topic string, offset int64, value []byte, seconds int) checker.Record {
		return checker.Record{Topic: topic, Offset: offset, Key: []byte("ord-a"), Value: value, Timestamp: base.Add(time.Duration(seconds) * time.Second)}
	}
	input := []checker.Record{rec("in", 0, ticket("ord-a", 1), 0), rec("in", 1, ticket("ord-a", 2), 1)}
	output := []checker.Record{rec("out", 0, ticket("ord-a", 1), 9), rec("out", 1, ticket("ord-a", 1), 13)}
	faults := []checker.Fault{{Name: "broker down", Start: base.Add(10 * time.Second), End: base.Add(12 * time.Second)}}

	r := checker.Check(input, output, nil, checker.Options{ProducerAcked: 2})
	v := checker.Judge(r, checker.AtLeastOnce, checker.Faults{Windows: faults, Lead: 5 * time.Second})
	topics := []checker.Topic{{Name: "in", Records: input}, {Name: "out", Records: output}, {Name: "dlq"}}
	return newResult(topics, r, v, faults, 5)
}

func TestResultTables(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, sampleResult(t).writeTables(&out))
	text := out.String()

	assert.Contains(t, text, "chaoscheck: FAILED under at_least_once")
	assert.Contains(t, text, "input: 2 tickets in 1 orders, 0 bad records; producer acknowledged 2")
	assert.Regexp(t, `lost\s+1\s+0\s+FAIL 1: loss fails under every guarantee`, text)
	assert.Regexp(t, `duplicated\s+1\s+1\s+ok`, text)
	assert.Regexp(t, `phantom\s+0\s+0\s+ok`, text)
	assert.Contains(t, text, "order ord-a seq 2 ticket ord-a-2 at in/0@1: in neither output nor dead-letter topic")
	assert.Contains(t, text, "faults: broker down 2026-03-01T12:00:10Z–2026-03-01T12:00:12Z")
}

func TestResultJSON(t *testing.T) {
	data, err := json.Marshal(sampleResult(t))
	require.NoError(t, err)

	var got struct {
		Passed  bool
		Topics  []topicResult
		Defects []defectResult
	}
	require.NoError(t, json.Unmarshal(data, &got))
	assert.False(t, got.Passed)
	require.Len(t, got.Topics, 3)
	assert.Equal(t, topicResult{Role: "output", Name: "out", Records: 2}, got.Topics[1])
	require.Len(t, got.Defects, len(checker.Kinds()), "every kind is reported, found or not")
	byKind := make(map[checker.Kind]defectResult)
	for _, d := range got.Defects {
		byKind[d.Kind] = d
	}
	assert.Equal(t, 1, byKind[checker.KindLost].Failed)
	assert.Equal(t, 1, byKind[checker.KindDuplicated].InFlight)
	assert.Equal(t, 0, byKind[checker.KindDuplicated].Failed)
	assert.Equal(t, []string{}, byKind[checker.KindPhantom].Examples)
}
