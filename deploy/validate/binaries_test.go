package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadEnv(t *testing.T) {
	tests := []struct {
		name        string
		binary      string
		env         map[string]string
		wantUnknown []string
		wantErr     string
	}{
		{
			name:   "producer settings",
			binary: "producer",
			env:    map[string]string{"KAFKA_BROKERS": "kafka:9092", "RATE": "5", "KAFKA_SASL_PASSWORD_FILE": ""},
		},
		{
			name:        "consumer settings on the producer",
			binary:      "producer",
			env:         map[string]string{"GROUP_ID": "g", "DLQ_TOPIC": "d"},
			wantUnknown: []string{"DLQ_TOPIC", "GROUP_ID"},
		},
		{
			name:   "consumer settings",
			binary: "consumer",
			env:    map[string]string{"GROUP_ID": "g", "DLQ_TOPIC": "d", "METRICS_PORT": "9000"},
		},
		{
			name:        "misspelt",
			binary:      "consumer",
			env:         map[string]string{"KAFKA_BROKER": "kafka:9092"},
			wantUnknown: []string{"KAFKA_BROKER"},
		},
		{
			name:    "bad value",
			binary:  "consumer",
			env:     map[string]string{"SHUTDOWN_TIMEOUT": "10"},
			wantErr: `SHUTDOWN_TIMEOUT="10"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Binaries[tt.binary].LoadEnv(tt.env)
			assert.Equal(t, tt.wantUnknown, res.Unknown)
			if tt.wantErr == "" {
				require.NoError(t, res.Err)
			} else {
				require.ErrorContains(t, res.Err, tt.wantErr)
			}
		})
	}
}

func TestLoadEnvSettings(t *testing.T) {
	res := Binaries["consumer"].LoadEnv(map[string]string{"KAFKA_BROKERS": "a:1,b:2", "SHUTDOWN_TIMEOUT": "15s"})
	require.NoError(t, res.Err)
	assert.Equal(t, []string{"a:1", "b:2"}, res.Settings.Brokers)
	assert.Equal(t, 2113, res.Settings.MetricsPort, "the consumer's default")
	assert.Equal(t, "15s", res.Settings.ShutdownTimeout.String())
}

func TestBinaryFor(t *testing.T) {
	tests := []struct {
		command []string
		want    string
	}{
		{[]string{"/usr/local/bin/producer"}, "producer"},
		{[]string{"consumer", "-workers", "4"}, "consumer"},
		{[]string{"/usr/local/bin/ticketctl"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		b, ok := BinaryFor(tt.command)
		assert.Equal(t, tt.want != "", ok, "%q", tt.command)
		assert.Equal(t, tt.want, b.Name, "%q", tt.command)
	}
}
