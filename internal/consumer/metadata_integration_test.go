//go:build integration

package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafka"
	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/models"
)

// One slow order holds a partition's commit point at its first ticket
// while every other order finishes. The commit metadata must carry what
// finished, so that the partition's next owner processes only the slow
// order's tickets, and nothing twice.
func TestNextOwnerSkipsWhatTheCommitMetadataNames(t *testing.T) {
	p := newPipeline(t, 1)
	tickets := produceTickets(t, p.in, 20, 2000)
	slow := tickets[0] // offset 0: one partition, in order
	slowOrder := 0
	for _, tk := range tickets {
		if tk.OrderID == slow.OrderID {
			slowOrder++
		}
	}
	finishedAhead := len(tickets) - slowOrder

	step := StepFunc(func(ctx context.Context, tk models.Ticket) error {
		if tk.TicketID == slow.TicketID {
			<-ctx.Done() // until the drain gives up on it
			return ctx.Err()
		}
		return nil
	})
	cfg := p.config(t, map[string]string{"DRAIN_TIMEOUT": "1s"})
	first := p.start(t, cfg, step)

	// Read back what the group committed, as the next owner will.
	readCommitted := kafka.NewCommittedReader(kafkatest.Client(t), p.group)
	var committed kafka.Committed
	require.Eventually(t, func() bool {
		var err error
		committed, err = readCommitted(context.Background(), p.in, 0)
		if err != nil || committed.Offset != 0 {
			return false
		}
		ahead, err := decodeAhead(0, committed.Metadata)
		return err == nil && covered(ahead) >= int64(finishedAhead)
	}, time.Minute, 50*time.Millisecond, "metadata naming %d finished offsets above 0", finishedAhead)
	first.stop()
	assert.Equal(t, float64(finishedAhead), testutil.ToFloat64(first.m.Processed))
	t.Logf("commit metadata for %d offsets finished above the point: %d bytes", finishedAhead, len(committed.Metadata))
	assert.LessOrEqual(t, len(committed.Metadata), DefaultMetadataMaxBytes)

	second := p.start(t, cfg, nil)
	out := kafkatest.ReadAll(t, p.out, len(tickets), 2*time.Minute)
	require.Eventually(t, func() bool { return committedAtEndOf(t, p.group, p.in) }, time.Minute, 50*time.Millisecond)
	second.stop()

	requireProcessedInOrder(t, out, tickets)
	assert.Equal(t, float64(finishedAhead), testutil.ToFloat64(second.m.OffsetsSkipped), "the next owner skips what the first finished")
	assert.Equal(t, float64(slowOrder), testutil.ToFloat64(second.m.Processed), "and processes only the slow order")
	assert.Empty(t, kafkatest.ReadToEnd(t, p.dead))
}
