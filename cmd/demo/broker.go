package main

import (
	"context"
	"fmt"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"ticket-processor/internal/consumer"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/producer"
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

// prepareKafka connects to brokers and creates the tickets topic with the
// demo's partitions, then the output and dead-letter topics as the
// consumer service does, before either service starts: the consumer would
// otherwise wait, with backoff, for the producer to create the tickets
// topic. Existing topics are left as they are. It retries until a broker
// answers or ctx ends, and returns the client, with the producer's
// settings, for the demo's own writes.
func prepareKafka(ctx context.Context, brokers []string, p producer.ServiceConfig, c consumer.ServiceConfig, log *zap.Logger) (sarama.Client, error) {
	sc, err := kafka.NewProducerConfig(p.Kafka, p.Producer.Client())
	if err != nil {
		return nil, err
	}
	client, err := kafka.Connect(ctx, brokers, sc, log)
	if err != nil {
		return nil, err
	}
	topic := p.Producer.Topic
	err = kafka.EnsureProducerTopic(client, topic, int32(p.Producer.TopicPartitions), int16(p.Producer.TopicReplication), log)
	if err == nil {
		err = kafka.EnsureConsumerTopics(client, topic, c.Consumer.OutputTopic, c.Consumer.DLQTopic, log)
	}
	if err != nil {
		client.Close()
		return nil, err
	}
	return client, nil
}
