package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/config"
	"ticket-processor/internal/consumer"
	"ticket-processor/internal/producer"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestProducerDefaults(t *testing.T) {
	c, err := producer.LoadServiceConfig(nil, env(nil))
	require.NoError(t, err)
	assert.Equal(t, []string{"localhost:9092"}, c.Kafka.Brokers)
	assert.Equal(t, "tickets", c.Producer.Topic)
	assert.Equal(t, 100.0, c.Producer.Rate)
	assert.Equal(t, 2112, c.Service.MetricsPort)
	assert.Equal(t, 10*time.Second, c.Service.ShutdownTimeout)
	assert.Equal(t, 6, c.Producer.TopicPartitions)
	assert.Equal(t, "lz4", c.Producer.Compression)
}

func TestConsumerDefaults(t *testing.T) {
	c, err := consumer.LoadServiceConfig(nil, env(nil))
	require.NoError(t, err)
	assert.Equal(t, "ticket-processor", c.Consumer.GroupID)
	assert.Equal(t, "tickets.processed", c.Consumer.OutputTopic)
	assert.Equal(t, "tickets.dlq", c.Consumer.DLQTopic)
	assert.Equal(t, 8, c.Consumer.Workers)
	assert.Equal(t, 2113, c.Service.MetricsPort)
	assert.Equal(t, "sticky", c.Consumer.BalanceStrategy)
	assert.Equal(t, consumer.OrderPolicyContinue, c.Consumer.OrderPolicy)
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, err := producer.LoadServiceConfig([]string{"--rate=250", "--kafka-brokers", "a:1,b:2"},
		env(map[string]string{"RATE": "50", "KAFKA_BROKERS": "env:9092", "ORDERS": "7"}))
	require.NoError(t, err)
	assert.Equal(t, 250.0, c.Producer.Rate, "flag wins")
	assert.Equal(t, []string{"a:1", "b:2"}, c.Kafka.Brokers)
	assert.Equal(t, 7, c.Generator.Orders, "environment wins over the default")
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	_, err := consumer.LoadServiceConfig(nil, env(map[string]string{
		"WORKERS":          "0",
		"RETRY_BASE":       "soon",
		"ORDER_POLICY":     "drop",
		"BALANCE_STRATEGY": "random",
		"KAFKA_BROKERS":    "nohost",
		"OUTPUT_TOPIC":     "bad topic",
	}))
	require.Error(t, err)
	for _, want := range []string{
		"WORKERS=0: must be 1-1024",
		`RETRY_BASE="soon": want a duration`,
		`ORDER_POLICY="drop": want continue or park`,
		`BALANCE_STRATEGY="random": want one of sticky, roundrobin, range`,
		`KAFKA_BROKERS entry "nohost": want host:port`,
		`OUTPUT_TOPIC="bad topic": topic names use only`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Len(t, strings.Split(err.Error(), "\n"), 6, "one line per problem")
}

func TestProducerValidation(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"RATE": "-1"}, "RATE=-1: must be a finite number >= 0"},
		{map[string]string{"RATE": "NaN"}, "RATE=NaN"},
		{map[string]string{"BURST": "0"}, "BURST=0: must be >= 1"},
		{map[string]string{"SEED": "-3"}, `SEED="-3": must be a whole number >= 0`},
		{map[string]string{"MAX_TICKETS": "-1"}, "MAX_TICKETS=-1"},
		{map[string]string{"COMPRESSION": "brotli"}, `COMPRESSION="brotli"`},
		{map[string]string{"PRODUCER_RETRY_MAX": "0"}, "PRODUCER_RETRY_MAX=0"},
		{map[string]string{"PRODUCER_RETRY_BACKOFF": "1s", "PRODUCER_RETRY_MAX_BACKOFF": "10ms"}, "PRODUCER_RETRY_MAX_BACKOFF=10ms: must be >= PRODUCER_RETRY_BACKOFF (1s)"},
		{map[string]string{"KAFKA_VERSION": "2.0.0"}, `KAFKA_VERSION="2.0.0": want 2.1.0 or later`},
		{map[string]string{"KAFKA_VERSION": "four"}, `KAFKA_VERSION="four"`},
		{map[string]string{"KAFKA_TOPIC": ""}, "KAFKA_TOPIC is empty"},
		{map[string]string{"LOG_LEVEL": "trace"}, `LOG_LEVEL="trace"`},
		{map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN"}, "KAFKA_SASL_USERNAME is empty"},
		{map[string]string{"KAFKA_SASL_USERNAME": "u"}, "KAFKA_SASL_MECHANISM is empty"},
		{map[string]string{"KAFKA_TLS_CERT_FILE": "/etc/hostname", "KAFKA_TLS_ENABLED": "true"}, "set both or neither"},
		{map[string]string{"KAFKA_TLS_CA_FILE": "/etc/hostname"}, "set KAFKA_TLS_ENABLED=true"},
		{map[string]string{"KAFKA_TLS_ENABLED": "yes please"}, `KAFKA_TLS_ENABLED="yes please": want true or false`},
		{map[string]string{"TOPIC_PARTITIONS": "4294967297"}, "TOPIC_PARTITIONS=4294967297: must be 1-2147483647"},
		{map[string]string{"TOPIC_REPLICATION": "40000"}, "TOPIC_REPLICATION=40000: must be 1-32767"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := producer.LoadServiceConfig(nil, env(tt.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSecretFromFileIsNeverShown(t *testing.T) {
	file := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(file, []byte("s3cret\n"), 0o600))
	c, err := consumer.LoadServiceConfig(nil, env(map[string]string{
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD_FILE": file,
	}))
	require.NoError(t, err)
	assert.Equal(t, "s3cret", c.Kafka.SASL.Password.Reveal(), "trailing newline trimmed")
	assert.NotContains(t, fmt.Sprintf("%v %+v", c, c), "s3cret")
	text, err := c.Kafka.SASL.Password.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[redacted]", string(text))

	_, err = consumer.LoadServiceConfig(nil, env(map[string]string{"KAFKA_SASL_PASSWORD_FILE": "/no/such/file"}))
	assert.ErrorContains(t, err, `KAFKA_SASL_PASSWORD_FILE="/no/such/file"`)
}

func TestHelpReturnsUsage(t *testing.T) {
	_, err := producer.LoadServiceConfig([]string{"-h"}, env(nil))
	var help *config.HelpError
	require.ErrorAs(t, err, &help)
	assert.Contains(t, help.Usage, "-rate")
	assert.Contains(t, help.Usage, "(env RATE)")
}

func TestUnknownFlagAndStrayArguments(t *testing.T) {
	_, err := producer.LoadServiceConfig([]string{"--no-such-flag"}, env(nil))
	assert.ErrorContains(t, err, "no-such-flag")
	_, err = producer.LoadServiceConfig([]string{"extra"}, env(nil))
	assert.ErrorContains(t, err, "unexpected arguments: extra")
}
