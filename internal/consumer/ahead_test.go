package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/models"
)

// blockFirst returns a step that holds order ord-000's first ticket (offset
// 0 under feed) until release is closed.
func blockFirst(release <-chan struct{}) Step {
	return StepFunc(func(ctx context.Context, tk models.Ticket) error {
		if tk.OrderID == "ord-000" && tk.Sequence == 1 {
			<-release
		}
		return nil
	})
}

func TestMetadataNamesWhatFinishedAboveTheCommitPoint(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, testOptions(), blockFirst(release))
	h.feed(t, 10, 100) // ord-000 holds offsets 0, 10, 20, ...
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)

	// The commit point stays at 0; the metadata names the 90 others.
	var ahead []span
	require.Eventually(t, func() bool {
		var err error
		ahead, err = decodeAhead(0, h.marks.lastMetadata())
		return err == nil && covered(ahead) == 90
	}, 10*time.Second, time.Millisecond)
	for o := int64(10); o < 100; o += 10 {
		assert.False(t, (&skipList{spans: ahead}).finished(o), "offset %d waits behind offset 0 in its order", o)
	}
	assert.Equal(t, int64(-1), h.marks.last(), "the point itself never moved")
	assert.LessOrEqual(t, testutil.ToFloat64(h.m.CommitMetadataBytes.WithLabelValues("0")), float64(DefaultMetadataMaxBytes))
	assert.Positive(t, testutil.ToFloat64(h.m.CommitMetadataBytes.WithLabelValues("0")))

	close(release)
	require.Eventually(t, func() bool { return h.marks.last() == 100 }, 10*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return h.marks.lastMetadata() == "" }, 10*time.Second, time.Millisecond,
		"nothing is ahead of a point past every offset")
	cancel()
	wait()
}

// covered counts the offsets in spans.
func covered(spans []span) int64 {
	var n int64
	for _, s := range spans {
		n += s.to - s.from
	}
	return n
}

func TestClaimSkipsWhatItsPreviousOwnerFinished(t *testing.T) {
	h := newHarness(t, testOptions(), NoopStep)
	// Two orders: ord-000 at the even offsets, ord-001 at the odd ones.
	// The previous owner left the point at 0 (ord-000's first ticket) with
	// ord-001's first four tickets finished.
	ahead := []span{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	h.part = newPartition("tickets", 0, claimStart{offset: 0, metadata: encodeAhead(0, ahead), ahead: ahead},
		h.opts, h.part.proc, h.marks, h.part.log)
	h.feed(t, 2, 20)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)
	require.Eventually(t, func() bool { return h.marks.last() == 20 }, 10*time.Second, time.Millisecond)
	cancel()
	wait()

	got := map[string][]uint64{}
	for _, m := range h.out.topic("out") {
		b, err := m.Value.Encode()
		require.NoError(t, err)
		p, err := models.DecodeProcessed(b)
		require.NoError(t, err)
		got[p.OrderID] = append(got[p.OrderID], p.Sequence)
	}
	// ord-001's fifth ticket is a baseline, as after any handover.
	assert.Equal(t, map[string][]uint64{
		"ord-000": {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
		"ord-001": {5, 6, 7, 8, 9, 10},
	}, got)
	assert.Empty(t, h.out.topic("dlq"))
	assert.Equal(t, 4.0, testutil.ToFloat64(h.m.OffsetsSkipped))
	assert.Equal(t, 20.0, testutil.ToFloat64(h.m.Consumed.WithLabelValues("tickets", "0")), "skipped records are consumed too")
}

func TestFullMetadataHoldsTheDispatcherUntilThePointMoves(t *testing.T) {
	release := make(chan struct{})
	opts := testOptions()
	opts.MaxInFlight = 5000
	opts.MetadataMaxBytes = 256
	span := maxAheadSpan(opts.MetadataMaxBytes)
	h := newHarness(t, opts, blockFirst(release))
	total := int(span) + 500
	h.feed(t, 10, total)
	ctx, cancel := context.WithCancel(context.Background())
	wait := h.run(ctx)

	consumed := h.m.Consumed.WithLabelValues("tickets", "0")
	require.Eventually(t, func() bool { return testutil.ToFloat64(h.m.MetadataFull) == 1 }, 10*time.Second, time.Millisecond)
	// Offsets 0 to span are taken; the next one waits in the claim.
	require.Eventually(t, func() bool { return testutil.ToFloat64(consumed) == float64(span+2) }, 10*time.Second, time.Millisecond)
	assert.Len(t, h.in, total-int(span)-2, "the rest stays in the claim")
	assert.LessOrEqual(t, len(h.marks.lastMetadata()), opts.MetadataMaxBytes)

	close(release)
	require.Eventually(t, func() bool { return h.marks.last() == int64(total) }, 20*time.Second, time.Millisecond)
	cancel()
	wait()
	requireOutputInOrder(t, h.out.topic("out"))
}
