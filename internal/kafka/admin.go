package kafka

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"
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
