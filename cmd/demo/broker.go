package main

import (
	"fmt"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"ticket-processor/internal/config"
	"ticket-processor/internal/kafka"
)

// startBroker starts a single in-process Kafka-protocol broker on loopback,
// at port (0 picks a free one). It keeps everything in memory; Close stops
// it and forgets the data.
func startBroker(port int, log *zap.Logger) (*kfake.Cluster, error) {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.ClusterID("ticket-processor-demo"), kfake.WithLogger(kfakeLogger{log})}
	if port != 0 {
		opts = append(opts, kfake.Ports(port))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return cluster, nil
}

// kfakeLogger sends the broker's log lines to zap. Its info and debug
// lines describe single requests, so they go to debug.
type kfakeLogger struct{ log *zap.Logger }

func (l kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	zl := zapcore.DebugLevel
	switch level {
	case kfake.LogLevelError:
		zl = zapcore.ErrorLevel
	case kfake.LogLevelWarn:
		zl = zapcore.WarnLevel
	}
	if ce := l.log.Check(zl, fmt.Sprintf(format, args...)); ce != nil {
		ce.Write()
	}
}

// createTopics creates the tickets topic with the demo's partitions, and
// the output and dead-letter topics with as many partitions as the tickets
// topic has, as the consumer daemon does. Existing topics are left as they
// are.
func createTopics(client sarama.Client, p config.Producer, c config.Consumer, log *zap.Logger) error {
	// Not closed: closing the admin would close the shared client.
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("cluster admin: %w", err)
	}
	created, err := kafka.EnsureTopic(admin, p.Topic, int32(p.TopicPartitions), int16(p.TopicReplication), nil)
	if err != nil {
		return err
	}
	if created {
		log.Info("created topic", zap.String("topic", p.Topic), zap.Int("partitions", p.TopicPartitions))
	}
	partitions, err := client.Partitions(p.Topic)
	if err != nil {
		return fmt.Errorf("topic %s: %w", p.Topic, err)
	}
	dlqBytes := fmt.Sprint(kafka.DeadLetterMaxBytes)
	for _, topic := range []struct {
		name    string
		entries map[string]*string
	}{
		{c.OutputTopic, nil},
		{c.DLQTopic, map[string]*string{"max.message.bytes": &dlqBytes}},
	} {
		created, err := kafka.EnsureTopic(admin, topic.name, int32(len(partitions)), int16(p.TopicReplication), topic.entries)
		if err != nil {
			return err
		}
		if created {
			log.Info("created topic", zap.String("topic", topic.name), zap.Int("partitions", len(partitions)))
		}
	}
	return nil
}
