package main

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafka"
)

// env returns a lookup over vars.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func ptr[T any](v T) *T { return &v }

// defaultKafka is the connection with no environment and no --brokers.
func defaultKafka(brokers ...string) kafka.Config {
	if len(brokers) == 0 {
		brokers = []string{"localhost:9092"}
	}
	return kafka.Config{Brokers: brokers, ClientID: "ticket-processor-ticketctl", Version: "4.0.0", DialTimeout: 10 * time.Second}
}

func TestParseArgsValid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want options
	}{
		{
			name: "list defaults",
			args: []string{"dlq", "list"},
			want: options{command: commandList, kafka: defaultKafka(), dlqTopic: "tickets.dlq",
				filter: dlq.Filter{MaxReplays: 3}, output: outputTable, idleTimeout: 30 * time.Second},
		},
		{
			name: "replay defaults",
			args: []string{"dlq", "replay"},
			want: options{command: commandReplay, kafka: defaultKafka(), dlqTopic: "tickets.dlq",
				filter: dlq.Filter{MaxReplays: 3}, rate: 50, idleTimeout: 30 * time.Second},
		},
		{
			name: "environment sets the defaults",
			args: []string{"dlq", "list"},
			env: map[string]string{"KAFKA_BROKERS": "k1:9092, k2:9092", "DLQ_TOPIC": "orders.dlq",
				"KAFKA_CLIENT_ID": "ops", "KAFKA_VERSION": "3.9.0", "KAFKA_DIAL_TIMEOUT": "3s"},
			want: options{command: commandList,
				kafka:    kafka.Config{Brokers: []string{"k1:9092", "k2:9092"}, ClientID: "ops", Version: "3.9.0", DialTimeout: 3 * time.Second},
				dlqTopic: "orders.dlq", filter: dlq.Filter{MaxReplays: 3}, output: outputTable, idleTimeout: 30 * time.Second},
		},
		{
			name: "flags override the environment",
			args: []string{"dlq", "list", "--brokers", "k3:9093", "--dlq-topic=other.dlq"},
			env:  map[string]string{"KAFKA_BROKERS": "k1:9092", "DLQ_TOPIC": "orders.dlq"},
			want: options{command: commandList, kafka: defaultKafka("k3:9093"), dlqTopic: "other.dlq",
				filter: dlq.Filter{MaxReplays: 3}, output: outputTable, idleTimeout: 30 * time.Second},
		},
		{
			name: "every list flag",
			args: []string{"dlq", "list", "--reason", "malformed,too_large", "-reason=order_parked", "--order", "order-42",
				"--partition", "0", "--from-offset", "10", "--to-offset", "10", "--max-replays", "0", "--limit", "5",
				"--output", "json", "--idle-timeout", "2s"},
			want: options{command: commandList, kafka: defaultKafka(), dlqTopic: "tickets.dlq",
				filter: dlq.Filter{Reasons: []failure.Reason{"malformed", "too_large", "order_parked"}, OrderID: "order-42",
					Partition: ptr[int32](0), FromOffset: ptr[int64](10), ToOffset: ptr[int64](10), MaxReplays: 0},
				limit: 5, output: outputJSON, idleTimeout: 2 * time.Second},
		},
		{
			name: "every replay flag",
			args: []string{"dlq", "replay", "--dry-run", "--rate", "2.5", "--to-topic", "tickets.retry", "--from-offset", "7"},
			want: options{command: commandReplay, kafka: defaultKafka(), dlqTopic: "tickets.dlq",
				filter: dlq.Filter{FromOffset: ptr[int64](7), MaxReplays: 3}, dryRun: true, rate: 2.5, toTopic: "tickets.retry",
				idleTimeout: 30 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseArgs(tt.args, env(tt.env))

			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseArgsHelp(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		contains []string
	}{
		{"--help", []string{"--help"}, []string{"Usage: ticketctl <command>", "dlq list", "dlq replay", "Exit status"}},
		{"-h", []string{"-h"}, []string{"Usage: ticketctl <command>"}},
		{"help", []string{"help"}, []string{"Usage: ticketctl <command>"}},
		{"dlq --help", []string{"dlq", "--help"}, []string{"Usage: ticketctl dlq <list|replay>", "high watermark"}},
		{"dlq list --help", []string{"dlq", "list", "--help"},
			[]string{"Usage: ticketctl dlq list [flags]", "--output format", "--max-replays n", "KAFKA_SASL_MECHANISM"}},
		{"dlq replay -h", []string{"dlq", "replay", "-h"},
			[]string{"Usage: ticketctl dlq replay [flags]", "--dry-run", "--rate n", "--to-topic topic", "twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseArgs(tt.args, env(nil))

			var help *helpError
			require.ErrorAs(t, err, &help)
			for _, s := range tt.contains {
				assert.Contains(t, help.usage, s)
			}
		})
	}
}

func TestParseArgsBadUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantMsg string
	}{
		{"no command", nil, nil, "ticketctl: no command given"},
		{"unknown command", []string{"topics"}, nil, `ticketctl: unknown command "topics": want dlq`},
		{"no dlq command", []string{"dlq"}, nil, "ticketctl dlq: no command given: want list or replay"},
		{"unknown dlq command", []string{"dlq", "purge"}, nil, `ticketctl dlq: unknown command "purge": want list or replay`},
		{"unknown flag", []string{"dlq", "list", "--dry-run"}, nil, "ticketctl dlq list: flag provided but not defined: -dry-run"},
		{"output on replay", []string{"dlq", "replay", "--output", "json"}, nil, "ticketctl dlq replay: flag provided but not defined: -output"},
		{"not a number", []string{"dlq", "list", "--partition", "one"}, nil, `ticketctl dlq list: invalid value "one" for flag -partition: parse error`},
		{"extra argument", []string{"dlq", "list", "now"}, nil, "ticketctl dlq list: unexpected arguments: now"},
		{"unknown reason", []string{"dlq", "list", "--reason", "malformed,malformd"}, nil,
			"ticketctl dlq list: --reason=malformd: want one of malformed, invalid_field, unknown_schema, too_large, retries_exhausted, order_parked, out_of_sequence, other"},
		{"negative partition", []string{"dlq", "list", "--partition=-1"}, nil, "ticketctl dlq list: --partition=-1: must be 0-2147483647"},
		{"partition too large", []string{"dlq", "list", "--partition=2147483648"}, nil, "ticketctl dlq list: --partition=2147483648: must be 0-2147483647"},
		{"negative offset", []string{"dlq", "list", "--to-offset=-5"}, nil, "ticketctl dlq list: --to-offset=-5: must be >= 0"},
		{"reversed range", []string{"dlq", "list", "--from-offset=9", "--to-offset=3"}, nil, "ticketctl dlq list: --from-offset=9: must be <= --to-offset (3)"},
		{"negative max replays", []string{"dlq", "replay", "--max-replays=-1"}, nil, "ticketctl dlq replay: --max-replays=-1: must be >= 0 (0 means no limit)"},
		{"negative limit", []string{"dlq", "replay", "--limit=-1"}, nil, "ticketctl dlq replay: --limit=-1: must be >= 0 (0 means no limit)"},
		{"zero rate", []string{"dlq", "replay", "--rate=0"}, nil, "ticketctl dlq replay: --rate=0: must be a number > 0"},
		{"infinite rate", []string{"dlq", "replay", "--rate=+Inf"}, nil, "ticketctl dlq replay: --rate=+Inf: must be a number > 0"},
		{"bad output", []string{"dlq", "list", "--output=yaml"}, nil, "ticketctl dlq list: --output=yaml: want table or json"},
		{"zero idle timeout", []string{"dlq", "list", "--idle-timeout=0s"}, nil, "ticketctl dlq list: --idle-timeout=0s: must be > 0"},
		{"bad dlq topic", []string{"dlq", "list", "--dlq-topic=a b"}, nil, `ticketctl dlq list: --dlq-topic="a b": topic names use only letters, digits, '.', '_' and '-'`},
		{"replay into the dlq", []string{"dlq", "replay", "--to-topic=tickets.dlq"}, nil, "ticketctl dlq replay: --to-topic=tickets.dlq: must differ from the dead-letter topic"},
		{"empty brokers", []string{"dlq", "list", "--brokers", " , "}, nil, "ticketctl dlq list: --brokers is empty: want at least one host:port"},
		{"bad broker", []string{"dlq", "list", "--brokers", "k1:9092,k2"}, nil, `ticketctl dlq list: --brokers entry "k2": want host:port`},
		{"space in broker host", []string{"dlq", "list", "--brokers", "a b:1"}, nil,
			`ticketctl dlq list: --brokers entry "a b:1": want a host name (letters, digits, '-', '_' and '.') or an IP address`},
		{"kafka settings the daemons refuse", []string{"dlq", "list"},
			map[string]string{"KAFKA_CLIENT_ID": "ops\x01", "KAFKA_VERSION": "99.0.0", "KAFKA_TLS_ENABLED": "true", "KAFKA_TLS_SERVER_NAME": "x y"},
			"ticketctl dlq list: KAFKA_CLIENT_ID=\"ops\\x01\": must hold only printable characters (no control characters)\n" +
				"KAFKA_VERSION=\"99.0.0\": want at most " + sarama.MaxVersion.String() + ", the newest version the Kafka client knows\n" +
				"KAFKA_TLS_SERVER_NAME=\"x y\": want a host name (letters, digits, '-', '_' and '.') or an IP address"},
		{"bad environment", []string{"dlq", "list"},
			map[string]string{"KAFKA_DIAL_TIMEOUT": "soon", "KAFKA_TLS_ENABLED": "maybe", "KAFKA_VERSION": "zero"},
			"ticketctl dlq list: KAFKA_DIAL_TIMEOUT=\"soon\": want a duration such as 250ms, 10s or 1m\n" +
				"KAFKA_TLS_ENABLED=\"maybe\": want true or false\n" +
				"KAFKA_VERSION=\"zero\": want a Kafka version such as 4.0.0"},
		{"sasl without password", []string{"dlq", "list"}, map[string]string{"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u"},
			"ticketctl dlq list: KAFKA_SASL_PASSWORD is empty: required with KAFKA_SASL_MECHANISM=PLAIN (or set KAFKA_SASL_PASSWORD_FILE)"},
		{"missing password file", []string{"dlq", "list"}, map[string]string{"KAFKA_SASL_PASSWORD_FILE": "/nonexistent/pw"},
			`ticketctl dlq list: KAFKA_SASL_PASSWORD_FILE="/nonexistent/pw": open /nonexistent/pw: no such file or directory`},
		{"every problem at once", []string{"dlq", "replay", "--rate=-1", "--limit=-1", "x"}, nil,
			"ticketctl dlq replay: unexpected arguments: x\n--limit=-1: must be >= 0 (0 means no limit)\n--rate=-1: must be a number > 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseArgs(tt.args, env(tt.env))

			var usage *usageError
			require.ErrorAs(t, err, &usage)
			assert.EqualError(t, err, tt.wantMsg)
			assert.NotEmpty(t, usage.hint)
		})
	}
}

func TestParseArgsReadsPasswordFile(t *testing.T) {
	path := t.TempDir() + "/pw"
	require.NoError(t, os.WriteFile(path, []byte("s3cret\n"), 0o600))

	got, err := parseArgs([]string{"dlq", "list"}, env(map[string]string{
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "ops", "KAFKA_SASL_PASSWORD": "ignored",
		"KAFKA_SASL_PASSWORD_FILE": path,
	}))

	require.NoError(t, err)
	assert.Equal(t, "s3cret", got.kafka.SASL.Password.Reveal())
	assert.Equal(t, "ops", got.kafka.SASL.Username)
}

func TestStartExitStatus(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantStdout string
		wantStderr string
	}{
		{"help", []string{"--help"}, 0, "Usage: ticketctl <command>", ""},
		{"dlq help", []string{"dlq", "--help"}, 0, "Usage: ticketctl dlq <list|replay>", ""},
		{"version", []string{"--version"}, 0, "ticketctl ", ""},
		{"no arguments", nil, 2, "", "ticketctl: invalid usage:\n  no command given\n\nUsage: ticketctl <command>"},
		{"bad flags", []string{"dlq", "list", "--limit=-1", "--output=xml"}, 2, "",
			"ticketctl dlq list: invalid usage:\n  --limit=-1: must be >= 0 (0 means no limit)\n  --output=xml: want table or json\n" +
				"Run \"ticketctl dlq list --help\" for usage.\n"},
		// Nothing listens on port 1, so connecting fails at once.
		{"runtime failure", []string{"dlq", "list", "--brokers", "127.0.0.1:1"}, 1, "", "ticketctl: connect to 127.0.0.1:1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer

			status := start(tt.args, env(map[string]string{"KAFKA_DIAL_TIMEOUT": "1s"}), &stdout, &stderr)

			assert.Equal(t, tt.wantStatus, status)
			if tt.wantStdout == "" {
				assert.Empty(t, stdout.String())
			} else {
				assert.Contains(t, stdout.String(), tt.wantStdout)
			}
			if tt.wantStderr == "" {
				assert.Empty(t, stderr.String())
			} else {
				assert.Contains(t, stderr.String(), tt.wantStderr)
			}
		})
	}
}
