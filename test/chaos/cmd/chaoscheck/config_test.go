package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/test/chaos/checker"
)

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

func TestParseConfig(t *testing.T) {
	defaults := Config{
		Brokers:     []string{"localhost:9092"},
		InputTopic:  "tickets",
		OutputTopic: "tickets.processed",
		DLQTopic:    "tickets.dlq",
		Guarantee:   checker.AtLeastOnce,
		Lead:        10 * time.Second,
		Timeout:     2 * time.Minute,
		Examples:    5,
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(c *Config)
	}{
		{name: "defaults", want: func(*Config) {}},
		{
			name: "the daemons' environment",
			env:  map[string]string{"KAFKA_BROKERS": "a:1, b:2", "KAFKA_TOPIC": "in", "OUTPUT_TOPIC": "out", "DLQ_TOPIC": "dead"},
			want: func(c *Config) {
				c.Brokers = []string{"a:1", "b:2"}
				c.InputTopic, c.OutputTopic, c.DLQTopic = "in", "out", "dead"
			},
		},
		{
			name: "flags override the environment",
			env:  map[string]string{"KAFKA_BROKERS": "a:1", "KAFKA_TOPIC": "in"},
			args: []string{"--brokers", "c:3", "--input-topic", "other", "--guarantee", "exactly_once", "--producer-acked", "42",
				"--faults", "f.json", "--lead", "3s", "--timeout", "1m", "--json", "--examples", "0"},
			want: func(c *Config) {
				c.Brokers = []string{"c:3"}
				c.InputTopic = "other"
				c.Guarantee = checker.ExactlyOnce
				c.ProducerAcked = 42
				c.Faults = "f.json"
				c.Lead = 3 * time.Second
				c.Timeout = time.Minute
				c.JSON = true
				c.Examples = 0
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, lookupIn(tt.env), &bytes.Buffer{})
			require.NoError(t, err)
			want := defaults
			tt.want(&want)
			assert.Equal(t, want, got)
		})
	}
}

func TestParseConfigNamesEveryProblem(t *testing.T) {
	_, err := parseConfig([]string{
		"--brokers", "nohost", "--output-topic", "tickets", "--dlq-topic", "",
		"--guarantee", "at_most_once", "--producer-acked", "5", "--producer-log", "p.log",
		"--lead", "-1s", "--timeout", "0s", "--examples", "-2",
	}, lookupIn(nil), &bytes.Buffer{})

	require.Error(t, err)
	for _, want := range []string{
		`--brokers: "nohost" is not host:port`,
		`--dlq-topic is empty`,
		`want three different topics`,
		`--guarantee: "at_most_once"`,
		`--producer-acked=5 and --producer-log="p.log": want one of them`,
		`--lead=-1s: want >= 0`,
		`--timeout=0s: want > 0`,
		`--examples=-2: want >= 0`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Len(t, strings.Split(err.Error(), "\n"), 8, "one line per problem")
}

func TestStartExitStatusForUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    string
		wantErr    string
	}{
		{"help", []string{"--help"}, exitPassed, "Exit status: 0 passed, 1 failed, 2 bad usage, 3 could not check", ""},
		{"bad value", []string{"--guarantee", "maybe"}, exitBadConfig, "", "--guarantee"},
		{"unknown flag", []string{"--nope"}, exitBadConfig, "", "flag provided but not defined"},
		{"stray argument", []string{"extra"}, exitBadConfig, "", `unexpected arguments ["extra"]`},
		{"unreadable faults file", []string{"--faults", "/nonexistent/faults.json", "--timeout", "1s"}, exitNoCheck, "", "faults:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := start(tt.args, lookupIn(nil), &stdout, &stderr)
			assert.Equal(t, tt.wantStatus, status)
			assert.Contains(t, stdout.String()+stderr.String(), tt.wantOut)
			assert.Contains(t, stderr.String(), tt.wantErr)
		})
	}
}
