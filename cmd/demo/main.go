// Command demo runs the whole ticket pipeline in one process, with no
// Docker: an embedded Kafka-protocol broker on loopback (unless
// KAFKA_BROKERS names a cluster), the tickets, tickets.processed and
// tickets.dlq topics, the producer and the consumer built from the same
// packages as the daemons, and their /metrics, /healthz and /readyz
// endpoints. A status line shows the flow every second and a summary table
// ends the run. --fail-rate mixes in bad records and transient failures so
// that retries and dead-lettering can be seen working.
//
// Run "demo -h" for the flags. Exit status: 0 after Ctrl-C or --duration,
// 1 on a runtime failure, 2 on bad flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"golang.org/x/term"

	"ticket-processor/internal/buildinfo"
	"ticket-processor/internal/daemon"
	"ticket-processor/internal/kafka"
)

const binaryName = "demo"

func main() { os.Exit(start(os.Args[1:], nil, os.Stdout, os.Stderr)) }

// start parses the configuration (lookup reads the environment; nil means
// os.LookupEnv), builds the logger and runs the demo until it stops; it
// returns the exit status.
func start(args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	if daemon.IsVersionFlag(args) {
		fmt.Fprintln(stdout, buildinfo.String(binaryName))
		return daemon.ExitOK
	}
	cfg, err := loadDemo(args, lookup)
	if err != nil {
		return daemon.ConfigStatus(stdout, stderr, binaryName, err)
	}
	view := newStatusView(stdout)
	log, closeLog, err := newLogger(cfg, view.Writer(stderr))
	if err != nil {
		return daemon.ConfigStatus(stdout, stderr, binaryName, err)
	}
	defer closeLog()
	kafka.RouteSaramaLogs(log)

	ctx, stop := daemon.SignalContext()
	defer stop()
	if err := daemon.RunWithDeadline(ctx, cfg.ShutdownTimeout, func(ctx context.Context) error {
		_, err := run(ctx, cfg, view, log)
		return err
	}); err != nil {
		log.Error("stopped with an error", zap.Error(err))
		return daemon.ExitFailure
	}
	return daemon.ExitOK
}

// newStatusView returns a view on out that rewrites its line in place when
// out is a terminal.
func newStatusView(out io.Writer) *statusView {
	v := &statusView{out: out, width: func() int { return 0 }}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		v.terminal = true
		v.width = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		}
	}
	return v
}
