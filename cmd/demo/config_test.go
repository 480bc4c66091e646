package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoDefaults(t *testing.T) {
	c, err := loadDemo(nil, env())
	require.NoError(t, err)
	assert.True(t, c.EmbeddedBroker)
	assert.Empty(t, c.Kafka.Brokers, "the embedded broker's address is known once it listens")
	assert.Equal(t, 200.0, c.Rate)
	assert.Equal(t, 100, c.Orders)
	assert.Equal(t, 6, c.Partitions)
	assert.Equal(t, 8, c.Workers)
	assert.Zero(t, c.Duration, "runs until Ctrl-C")
	assert.Equal(t, 0.02, c.FailRate)
	assert.Equal(t, 2112, c.ProducerPort)
	assert.Equal(t, 2113, c.ConsumerPort)
	assert.Equal(t, "demo.log", c.LogFile)
}

func TestDemoUsesKafkaBrokersWhenSet(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      []string
		embedded bool
		brokers  []string
	}{
		{name: "unset", embedded: true},
		{name: "empty", env: []string{"KAFKA_BROKERS="}, embedded: true},
		{name: "environment", env: []string{"KAFKA_BROKERS=k1:9092,k2:9092"}, brokers: []string{"k1:9092", "k2:9092"}},
		{name: "flag", args: []string{"--kafka-brokers", "k3:9092"}, brokers: []string{"k3:9092"}},
		{name: "flag set to its default", args: []string{"--kafka-brokers", "localhost:9092"}, brokers: []string{"localhost:9092"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadDemo(tt.args, env(tt.env...))
			require.NoError(t, err)
			assert.Equal(t, tt.embedded, c.EmbeddedBroker)
			assert.Equal(t, tt.brokers, c.Kafka.Brokers)
		})
	}
}

func TestDemoDerivesTheDaemonsConfigurations(t *testing.T) {
	c, err := loadDemo([]string{"--rate", "50", "--orders", "7", "--partitions", "3", "--workers", "2", "--log-level", "debug"},
		env("RETRY_MAX=1", "COMPRESSION=none"))
	require.NoError(t, err)
	brokers := []string{"127.0.0.1:40000"}

	p := c.Producer(brokers)
	require.NoError(t, p.Validate())
	assert.Equal(t, brokers, p.Kafka.Brokers)
	assert.Equal(t, "ticket-processor-demo-producer", p.Kafka.ClientID)
	assert.Equal(t, 50.0, p.Producer.Rate)
	assert.Equal(t, 7, p.Generator.Orders)
	assert.Equal(t, 3, p.Producer.TopicPartitions)
	assert.Equal(t, "debug", p.Service.LogLevel)
	assert.Equal(t, "lz4", p.Producer.Compression, "the daemon's default: its environment does not apply")

	k := c.Consumer(brokers)
	require.NoError(t, k.Validate())
	assert.Equal(t, brokers, k.Kafka.Brokers)
	assert.Equal(t, "ticket-processor-demo-consumer", k.Kafka.ClientID)
	assert.Equal(t, "ticket-processor-demo", k.Consumer.GroupID, "a group of its own")
	assert.Equal(t, 2, k.Consumer.Workers)
	assert.Equal(t, time.Second, k.Consumer.LagInterval)
	assert.Equal(t, 5, k.Consumer.Retry.MaxAttempts, "the daemon's default: its environment does not apply")
	assert.Equal(t, "tickets", k.Consumer.Topic)
	assert.Equal(t, p.Producer.Topic, k.Consumer.Topic)
}

func TestDemoReportsEveryProblemAtOnce(t *testing.T) {
	_, err := loadDemo([]string{"--fail-rate", "2", "--workers", "0", "--duration", "-1s"},
		env("RATE=-3", "PARTITIONS=0"))
	require.Error(t, err)
	for _, want := range []string{
		"FAIL_RATE=2 (--fail-rate): must be between 0 and 1",
		"WORKERS=0: must be 1-1024",
		"DURATION=-1s (--duration): must be >= 0",
		"RATE=-3: must be a finite number >= 0",
		"PARTITIONS=0 (--partitions): must be 1-1000",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestDemoConsumerTakesAsManyInFlightAsWorkers(t *testing.T) {
	c, err := loadDemo([]string{"--workers", "1024"}, env())
	require.NoError(t, err)

	k := c.Consumer([]string{"127.0.0.1:40000"})

	require.NoError(t, k.Validate())
	assert.Equal(t, 1024, k.Consumer.MaxInFlight)
}
