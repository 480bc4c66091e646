package main

import (
	"context"
	"fmt"

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

// createTopics connects to brokers and creates the tickets topic with the
// demo's partitions, then the output and dead-letter topics as the
// consumer service does, before either service starts: the consumer would
// otherwise wait, with backoff, for the producer to create the tickets
// topic. Existing topics are left as they are. It retries until a broker
// answers or ctx ends.
func createTopics(ctx context.Context, brokers []string, p config.Producer, c config.Consumer, log *zap.Logger) error {
	sc, err := kafka.NewProducerConfig(p)
	if err != nil {
		return err
	}
	client, err := kafka.Connect(ctx, brokers, sc, log)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := kafka.EnsureProducerTopic(client, p.Topic, int32(p.TopicPartitions), int16(p.TopicReplication), log); err != nil {
		return err
	}
	return kafka.EnsureConsumerTopics(client, p.Topic, c.OutputTopic, c.DLQTopic, log)
}
