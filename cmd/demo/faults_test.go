package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/IBM/sarama/mocks"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"ticket-processor/internal/failure"
	"ticket-processor/internal/models"
	"ticket-processor/internal/retry"
)

func TestFlakyStepAlwaysSucceedsWithinTheRetryBudget(t *testing.T) {
	tests := []struct {
		rate     float64
		attempts int
		maxFails int
	}{
		{rate: 0, attempts: 5, maxFails: 0},
		{rate: 0.1, attempts: 5, maxFails: 2},
		{rate: 1, attempts: 5, maxFails: 2},
		{rate: 1, attempts: 2, maxFails: 1},
		{rate: 1, attempts: 1, maxFails: 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("rate %g, %d attempts", tt.rate, tt.attempts), func(t *testing.T) {
			step := newFlakyStep(tt.rate, tt.attempts)
			policy := retry.Policy{MaxAttempts: tt.attempts, Base: time.Microsecond, MaxDelay: time.Microsecond}
			const tickets = 2000
			flaky := 0
			for i := range tickets {
				tk := models.Ticket{TicketID: fmt.Sprintf("ticket-%d", i)}
				attempts := 0
				err := retry.Do(context.Background(), policy, func(ctx context.Context, _ int) error {
					attempts++
					return step.Process(ctx, tk)
				}, nil)
				require.NoError(t, err, "ticket %d", i)
				require.LessOrEqual(t, attempts-1, tt.maxFails)
				if attempts > 1 {
					flaky++
				}
			}
			if tt.maxFails == 0 {
				assert.Zero(t, flaky)
			} else {
				assert.InDelta(t, tt.rate, float64(flaky)/tickets, 0.03, "share of tickets failing at first")
			}
			assert.Empty(t, step.failed, "nothing is kept once a ticket succeeded")
		})
	}
}

func TestFlakyStepFailsTransiently(t *testing.T) {
	step := newFlakyStep(1, 5)
	err := step.Process(context.Background(), models.Ticket{TicketID: "t-1"})
	require.ErrorIs(t, err, errSimulated)
	assert.False(t, retry.IsPermanent(err), "retried, not dead-lettered")
}

func TestBadRecordsGetTheReasonOfTheirKind(t *testing.T) {
	for _, kind := range badRecordKinds {
		t.Run(string(kind), func(t *testing.T) {
			msg := badRecord("tickets", kind, "junk-000001", time.Now())
			value, err := msg.Value.Encode()
			require.NoError(t, err)
			_, err = models.Decode(value)
			require.Error(t, err)
			assert.Equal(t, kind, failure.Of(err))
		})
	}
}

// TestBadRecordsFollowTheTickets checks that rate bad records are written
// per generated ticket, cycling through the kinds, and counted once
// acknowledged.
func TestBadRecordsFollowTheTickets(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "tickets"))
	require.NoError(t, err)
	defer cluster.Close()
	sc := sarama.NewConfig()
	sc.Producer.Return.Successes = true
	sp, err := sarama.NewSyncProducer(cluster.ListenAddrs(), sc)
	require.NoError(t, err)
	defer sp.Close()

	b := newBadRecords(sequence{}, "tickets", 0.25, prometheus.NewRegistry(), zap.NewNop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.run(ctx, sp)
	}()
	for range 12 {
		b.Next()
	}
	sent := func() float64 {
		n := 0.0
		for _, kind := range badRecordKinds {
			n += testutil.ToFloat64(b.sent.WithLabelValues(string(kind)))
		}
		return n
	}
	require.Eventually(t, func() bool { return sent() == 3 }, 10*time.Second, time.Millisecond)
	cancel()
	<-done
	for _, kind := range badRecordKinds {
		assert.Equal(t, 1.0, testutil.ToFloat64(b.sent.WithLabelValues(string(kind))), kind)
	}
}

// TestBadRecordsNotAcknowledgedAreNotCounted uses sarama's mock producer:
// a failed send is what it is for.
func TestBadRecordsNotAcknowledgedAreNotCounted(t *testing.T) {
	sp := mocks.NewSyncProducer(t, nil)
	defer func() { require.NoError(t, sp.Close()) }()
	sp.ExpectSendMessageAndFail(sarama.ErrOutOfBrokers)
	core, logs := observer.New(zap.WarnLevel)
	b := newBadRecords(sequence{}, "tickets", 1, prometheus.NewRegistry(), zap.New(core))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.run(ctx, sp)
	}()
	b.Next()
	require.Eventually(t, func() bool { return logs.FilterMessage("bad records not written").Len() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	<-done
	assert.Zero(t, testutil.ToFloat64(b.sent.WithLabelValues(string(failure.Malformed))))
}

// sequence is a Source of minimal tickets.
type sequence struct{}

func (sequence) Next() models.Ticket { return models.Ticket{OrderID: "ord-1"} }
