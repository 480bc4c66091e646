package consumer

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommitterAdvancesOnlyOverFinishedOffsets(t *testing.T) {
	tests := []struct {
		name    string
		tracked []int64
		finish  []int64
		want    []int64 // commit point after each finish; -1: not advanced
	}{
		{"in order", []int64{5, 6, 7}, []int64{5, 6, 7}, []int64{6, 7, 8}},
		{"out of order waits for the gap", []int64{5, 6, 7}, []int64{7, 6, 5}, []int64{-1, -1, 8}},
		{"holes in the offsets", []int64{10, 12, 15}, []int64{12, 10, 15}, []int64{-1, 13, 16}},
		{"finished twice", []int64{1, 2}, []int64{1, 1, 2}, []int64{2, -1, 3}},
		{"unknown offset", []int64{1}, []int64{9, 1}, []int64{-1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c committer
			for _, o := range tt.tracked {
				c.track(o, time.Time{})
			}
			for i, o := range tt.finish {
				next, ok := c.finish(o)
				if tt.want[i] < 0 {
					assert.False(t, ok, "finish(%d)", o)
					continue
				}
				require.True(t, ok, "finish(%d)", o)
				assert.Equal(t, tt.want[i], next, "finish(%d)", o)
			}
			assert.Zero(t, c.pending())
		})
	}
}

func TestCommitterNeverPassesUnfinished(t *testing.T) {
	const n = 2000
	var c committer
	for o := int64(0); o < n; o++ {
		c.track(o, time.Time{})
	}
	finished := make([]bool, n)
	for _, o := range rand.New(rand.NewPCG(1, 2)).Perm(n) {
		finished[o] = true
		next, _ := c.finish(int64(o))
		for below := int64(0); below < next; below++ {
			require.True(t, finished[below], "commit point %d passed unfinished offset %d", next, below)
		}
	}
	next, ok := c.commitPoint()
	require.True(t, ok)
	assert.Equal(t, int64(n), next)
}
