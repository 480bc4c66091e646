// Package daemon holds the process lifecycle both binaries share: exit
// statuses, reporting bad configuration, signal handling and the shutdown
// deadline.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"ticket-processor/internal/config"
)

// Exit statuses of the daemons.
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitBadConfig = 2
)

// IsVersionFlag reports whether args ask only for the version.
func IsVersionFlag(args []string) bool {
	return len(args) == 1 && (args[0] == "--version" || args[0] == "-version")
}

// ConfigStatus reports a configuration load error on stderr (or the usage
// on stdout, for -h) and returns the exit status to use.
func ConfigStatus(stdout, stderr io.Writer, name string, err error) int {
	var help *config.HelpError
	if errors.As(err, &help) {
		fmt.Fprint(stdout, help.Usage)
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s: invalid configuration:\n", name)
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "  %s\n", line)
	}
	return ExitBadConfig
}

// SignalContext returns a context that ends at the first SIGINT or
// SIGTERM. After that first signal the default handlers are back, so a
// second signal ends the process at once.
func SignalContext() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// RunWithDeadline runs fn and, once ctx ends, waits at most grace for it
// to return. If fn overstays, RunWithDeadline returns an error without
// waiting for it: the caller is main, which then exits. An error of fn's
// that is ctx's own end, once ctx has ended, is a stop as asked (a wait
// the signal cut short, for Kafka while the daemon was still connecting,
// say), not a failure.
func RunWithDeadline(ctx context.Context, grace time.Duration, fn func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	stopped := func(err error) error {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil
		}
		return err
	}
	select {
	case err := <-done:
		return stopped(err)
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return stopped(err)
	case <-t.C:
		return fmt.Errorf("shutdown took longer than SHUTDOWN_TIMEOUT (%s)", grace)
	}
}
