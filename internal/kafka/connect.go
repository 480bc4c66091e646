package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"ticket-processor/internal/retry"
)

// Connect returns a client for brokers, retrying with capped exponential
// backoff (1s to 15s) while no broker answers, so a daemon that starts
// before Kafka waits for it instead of exiting. It gives up when ctx ends,
// and at once when a broker rejects the client (see IsRejected): wrong
// credentials or an untrusted certificate do not fix themselves.
func Connect(ctx context.Context, brokers []string, sc *sarama.Config, log *zap.Logger) (sarama.Client, error) {
	var (
		client   sarama.Client
		rejected error
	)
	err := retry.Do(ctx, retry.Until(time.Second, 15*time.Second), func(_ context.Context, attempt int) error {
		c, err := sarama.NewClient(brokers, sc)
		switch {
		case err == nil:
			if attempt > 1 {
				log.Info("connected to Kafka", zap.Int("attempts", attempt))
			}
			client = c
			return nil
		case IsRejected(err):
			rejected = err
			return retry.Permanent(err)
		}
		return err
	}, func(attempt int, err error, delay time.Duration) {
		log.Warn("Kafka not reachable; retrying", zap.Strings("brokers", brokers),
			zap.Int("attempt", attempt), zap.Duration("backoff", delay), zap.Error(err))
	})
	switch {
	case rejected != nil:
		return nil, fmt.Errorf("connect to %v: rejected, check the KAFKA_SASL_* and KAFKA_TLS_* settings: %w", brokers, rejected)
	case err != nil:
		return nil, fmt.Errorf("connect to %v: %w", brokers, err)
	}
	return client, nil
}
