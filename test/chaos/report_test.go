package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteTable(t *testing.T) {
	rows := []Row{
		{Run: 1, Seed: 13, Brokers: 1, Faults: "net-cut all, consumer-kill m1", Tickets: 15000, Duplicated: 120, Took: 31 * time.Second},
		{Run: 2, Seed: 7, Brokers: 3, Faults: "broker-kill b2", Tickets: 7000, Lost: 2, DeadLettered: 1,
			Failures: []string{"lost 2"}, Took: 45 * time.Second},
	}
	var b strings.Builder
	require.NoError(t, WriteTable(&b, rows, 80*time.Second))
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	require.Len(t, lines, 4)
	assert.Regexp(t, `^\s*run\s+seed\s+brokers\s+faults\s+tickets\s+lost\s+duplicated\s+reordered\s+dead-lettered\s+time\s+verdict`, lines[0])
	assert.Regexp(t, `^\s*1\s+13\s+1\s+net-cut all, consumer-kill m1\s+15000\s+0\s+120\s+0\s+0\s+31s\s+pass`, lines[1])
	assert.Regexp(t, `^\s*2\s+7\s+3\s+broker-kill b2\s+7000\s+2\s+0\s+0\s+1\s+45s\s+FAIL: lost 2`, lines[2])
	assert.Regexp(t, `^\s*total\s+22000\s+2\s+120\s+0\s+1\s+1m20s\s+1 of 2 passed`, lines[3])
}
