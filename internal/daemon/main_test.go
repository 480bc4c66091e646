package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"

	"ticket-processor/internal/daemon"
	"ticket-processor/internal/producer"
	"ticket-processor/internal/service"
)

func testDaemon(run func(context.Context, producer.ServiceConfig, *zap.Logger) error) daemon.Daemon[producer.ServiceConfig] {
	return daemon.Daemon[producer.ServiceConfig]{
		Name:    "producer",
		Load:    producer.LoadServiceConfig,
		Service: func(c producer.ServiceConfig) service.Config { return c.Service },
		Fields:  func(producer.ServiceConfig) []zap.Field { return nil },
		Run:     run,
	}
}

func TestMainExitStatuses(t *testing.T) {
	ok := func(context.Context, producer.ServiceConfig, *zap.Logger) error { return nil }
	failing := func(context.Context, producer.ServiceConfig, *zap.Logger) error { return errors.New("broker gone") }
	tests := []struct {
		name       string
		args       []string
		run        func(context.Context, producer.ServiceConfig, *zap.Logger) error
		want       int
		wantStdout string
		wantStderr string
	}{
		{"version", []string{"--version"}, ok, daemon.ExitOK, "producer dev", ""},
		{"help", []string{"-h"}, ok, daemon.ExitOK, "(env RATE)", ""},
		{"bad configuration", []string{"--rate=-1", "--orders=0"}, ok, daemon.ExitBadConfig, "", "RATE=-1"},
		{"bad configuration, every problem", []string{"--orders=0"}, ok, daemon.ExitBadConfig, "", "ORDERS=0"},
		{"runs and stops", nil, ok, daemon.ExitOK, "", ""},
		{"run fails", nil, failing, daemon.ExitFailure, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := daemon.Main(testDaemon(tt.run), tt.args, &stdout, &stderr)
			assert.Equal(t, tt.want, got)
			// The JSON logger writes to the process's stdout, not to these.
			assert.Contains(t, stdout.String(), tt.wantStdout)
			assert.Contains(t, stderr.String(), tt.wantStderr)
		})
	}
}

func TestRunWithDeadlineTakesAWaitCutShortByTheSignalForAStop(t *testing.T) {
	tests := []struct {
		name string
		fn   func(ctx context.Context) error
		want error
	}{
		{"a wait cut short", func(ctx context.Context) error {
			<-ctx.Done()
			return fmt.Errorf("connect to [broker:9092]: retry interrupted after 4 attempts: %w", ctx.Err())
		}, nil},
		{"a failure on the way out", func(ctx context.Context) error {
			<-ctx.Done()
			return errBrokerGone
		}, errBrokerGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // the signal
			assert.Equal(t, tt.want, daemon.RunWithDeadline(ctx, time.Second, tt.fn))
		})
	}
	// Before any signal, the same error is a failure.
	err := daemon.RunWithDeadline(context.Background(), time.Second, func(context.Context) error {
		return fmt.Errorf("lookup: %w", context.Canceled)
	})
	assert.ErrorIs(t, err, context.Canceled)
}

var errBrokerGone = errors.New("broker gone")
