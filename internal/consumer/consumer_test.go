package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"ticket-processor/internal/metrics"
)

// closedGroup is a consumer group that has been closed under the consumer.
type closedGroup struct {
	sarama.ConsumerGroup // not called; satisfies the rest of the interface
	errs                 chan error
}

func (g closedGroup) Consume(context.Context, []string, sarama.ConsumerGroupHandler) error {
	return sarama.ErrClosedConsumerGroup
}

func (g closedGroup) Errors() <-chan error { return g.errs }

type noOffsets struct{}

func (noOffsets) GetOffset(string, int32, int64) (int64, error) { return 0, nil }

func TestRunEndsWhenTheGroupIsClosed(t *testing.T) {
	m := metrics.NewConsumer(prometheus.NewRegistry())
	c, err := New(testOptions(), closedGroup{errs: make(chan error)}, noOffsets{}, &fakeOut{}, nil, metricsObserver{m}, zap.NewNop())
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept going after the group was closed")
	}
	assert.Error(t, c.Ready(), "not a member any more")
	assert.Zero(t, testutil.ToFloat64(m.Ready))
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"no output topic", func(o *Options) { o.OutputTopic = "" }, "OUTPUT_TOPIC"},
		{"no workers", func(o *Options) { o.Workers = 0 }, "WORKERS"},
		{"bad policy", func(o *Options) { o.OrderPolicy = "drop" }, "ORDER_POLICY"},
		{"bad retry", func(o *Options) { o.Retry.MaxAttempts = 0 }, "RETRY_MAX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			tt.mutate(&opts)
			_, err := New(opts, closedGroup{}, noOffsets{}, &fakeOut{}, nil, metricsObserver{metrics.NewConsumer(prometheus.NewRegistry())}, zap.NewNop())
			require.ErrorContains(t, err, tt.want)
		})
	}
}
