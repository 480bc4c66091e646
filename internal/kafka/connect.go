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
	backoff := retry.NewBackoff(time.Second, 15*time.Second)
	for attempt := 1; ; attempt++ {
		client, err := sarama.NewClient(brokers, sc)
		if err == nil {
			if attempt > 1 {
				log.Info("connected to Kafka", zap.Int("attempts", attempt))
			}
			return client, nil
		}
		if IsRejected(err) {
			return nil, fmt.Errorf("connect to %v: rejected, check the KAFKA_SASL_* and KAFKA_TLS_* settings: %w", brokers, err)
		}
		log.Warn("Kafka not reachable; retrying", zap.Strings("brokers", brokers),
			zap.Int("attempt", attempt), zap.Duration("backoff", backoff.Next()), zap.Error(err))
		if backoff.Wait(ctx) != nil {
			return nil, fmt.Errorf("connect to %v: %w", brokers, err)
		}
	}
}
