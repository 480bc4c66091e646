// Command ticketctl inspects and replays the dead-letter topic of the
// ticket pipeline:
//
//	ticketctl dlq list   [flags]   print dead-lettered tickets
//	ticketctl dlq replay [flags]   send them back to their original topic
//
// It reads each partition of the dead-letter topic from its oldest record up
// to the high watermark captured at start, then stops. Run
// "ticketctl --help" or "ticketctl dlq list --help" for the flags. Exit
// status: 0 on success, 1 on a runtime failure, 2 on bad usage.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"ticket-processor/internal/buildinfo"
	"ticket-processor/internal/daemon"
)

const binaryName = "ticketctl"

func main() { os.Exit(start(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)) }

// start parses the command line and runs the command until it is done or a
// signal arrives; it returns the exit status.
func start(args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	if daemon.IsVersionFlag(args) {
		fmt.Fprintln(stdout, buildinfo.String(binaryName))
		return daemon.ExitOK
	}
	opts, err := parseArgs(args, lookup)
	var help *helpError
	var usage *usageError
	switch {
	case errors.As(err, &help):
		fmt.Fprint(stdout, help.usage)
		return daemon.ExitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "%s: invalid usage:\n", usage.command)
		for _, line := range strings.Split(usage.err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		fmt.Fprint(stderr, usage.hint)
		return daemon.ExitBadConfig
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", binaryName, err)
		return daemon.ExitBadConfig
	}

	ctx, stop := daemon.SignalContext()
	defer stop()
	if err := run(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", binaryName, err)
		return daemon.ExitFailure
	}
	return daemon.ExitOK
}
