package daemon

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"

	"ticket-processor/internal/config"
)

func testDaemon(run func(context.Context, config.Producer, *zap.Logger) error) Daemon[config.Producer] {
	return Daemon[config.Producer]{
		Name:    "producer",
		Load:    config.LoadProducer,
		Service: func(c config.Producer) config.Service { return c.Service },
		Fields:  func(config.Producer) []zap.Field { return nil },
		Run:     run,
	}
}

func TestMainExitStatuses(t *testing.T) {
	ok := func(context.Context, config.Producer, *zap.Logger) error { return nil }
	failing := func(context.Context, config.Producer, *zap.Logger) error { return errors.New("broker gone") }
	tests := []struct {
		name       string
		args       []string
		run        func(context.Context, config.Producer, *zap.Logger) error
		want       int
		wantStdout string
		wantStderr string
	}{
		{"version", []string{"--version"}, ok, ExitOK, "producer dev", ""},
		{"help", []string{"-h"}, ok, ExitOK, "(env RATE)", ""},
		{"bad configuration", []string{"--rate=-1", "--orders=0"}, ok, ExitBadConfig, "", "RATE=-1"},
		{"bad configuration, every problem", []string{"--orders=0"}, ok, ExitBadConfig, "", "ORDERS=0"},
		{"runs and stops", nil, ok, ExitOK, "", ""},
		{"run fails", nil, failing, ExitFailure, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := Main(testDaemon(tt.run), tt.args, &stdout, &stderr)
			assert.Equal(t, tt.want, got)
			// The JSON logger writes to the process's stdout, not to these.
			assert.Contains(t, stdout.String(), tt.wantStdout)
			assert.Contains(t, stderr.String(), tt.wantStderr)
		})
	}
}
