package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"ticket-processor/internal/retry"
)

// EnsureTopic creates topic with the given partitions, replication factor
// and topic configuration entries when it does not exist. An existing
// topic is left as it is, even when its layout differs; created reports
// whether this call created it.
func EnsureTopic(admin sarama.ClusterAdmin, topic string, partitions int32, replication int16, entries map[string]*string) (created bool, err error) {
	meta, err := admin.DescribeTopics([]string{topic})
	if err != nil {
		return false, fmt.Errorf("describe topic %s: %w", topic, err)
	}
	if len(meta) == 1 && !errors.Is(meta[0].Err, sarama.ErrUnknownTopicOrPartition) {
		if meta[0].Err != sarama.ErrNoError {
			return false, fmt.Errorf("describe topic %s: %w", topic, meta[0].Err)
		}
		return false, nil
	}
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: replication, ConfigEntries: entries}, false)
	if errors.Is(err, sarama.ErrTopicAlreadyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create topic %s: %w", topic, err)
	}
	return true, nil
}

// WaitForConsumerTopics retries EnsureConsumerTopics with capped
// exponential backoff (1s to 15s) until it succeeds or ctx ends: the
// consumer may start before anything has created its input topic.
func WaitForConsumerTopics(ctx context.Context, client sarama.Client, input, output, deadLetter string, log *zap.Logger) error {
	return retry.Do(ctx, retry.Until(time.Second, 15*time.Second), func(context.Context, int) error {
		return EnsureConsumerTopics(client, input, output, deadLetter, log)
	}, func(_ int, err error, delay time.Duration) {
		log.Warn("topics not ready; retrying", zap.Duration("backoff", delay), zap.Error(err))
	})
}

// EnsureProducerTopic creates the producer's topic with partitions and
// replication when it is missing, and logs when it did.
func EnsureProducerTopic(client sarama.Client, topic string, partitions int32, replication int16, log *zap.Logger) error {
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("cluster admin: %w", err)
	}
	// Not closed: closing the admin would close the shared client.
	created, err := EnsureTopic(admin, topic, partitions, replication, nil)
	if err != nil {
		return err
	}
	if created {
		log.Info("created topic", zap.String("topic", topic), zap.Int32("partitions", partitions), zap.Int16("replication", replication))
	}
	return nil
}

// EnsureConsumerTopics creates the consumer's output and dead-letter
// topics when they are missing, with the input topic's partition count and
// replication factor; the dead-letter topic gets a max.message.bytes of
// DeadLetterMaxBytes. It fails while the input topic does not exist. Each
// topic it creates is logged.
func EnsureConsumerTopics(client sarama.Client, input, output, deadLetter string, log *zap.Logger) error {
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("cluster admin: %w", err)
	}
	// Not closed: closing the admin would close the caller's client.
	partitions, err := client.Partitions(input)
	if err != nil {
		return fmt.Errorf("input topic %s: %w", input, err)
	}
	replicas, err := client.Replicas(input, partitions[0])
	if err != nil {
		return fmt.Errorf("input topic %s: %w", input, err)
	}
	deadLetterBytes := fmt.Sprint(DeadLetterMaxBytes)
	for _, topic := range []struct {
		name    string
		entries map[string]*string
	}{
		{output, nil},
		{deadLetter, map[string]*string{"max.message.bytes": &deadLetterBytes}},
	} {
		created, err := EnsureTopic(admin, topic.name, int32(len(partitions)), int16(len(replicas)), topic.entries)
		if err != nil {
			return err
		}
		if created {
			log.Info("created topic", zap.String("topic", topic.name), zap.Int("partitions", len(partitions)))
		}
	}
	return nil
}
