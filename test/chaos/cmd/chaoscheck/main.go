// Command chaoscheck judges one chaos run: it reads the input, output and
// dead-letter topics whole under read_committed, checks them with package
// checker, prints the report (tables, or one JSON object with --json) and
// exits with the verdict. Run "chaoscheck --help" for the flags.
//
// Exit status: 0 when the run passed, 1 when it failed, 2 for bad usage,
// 3 when the topics could not be checked at all. A failed run is the
// checker's answer, not its failure, so the two get different statuses.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitPassed    = 0
	exitFailed    = 1
	exitBadConfig = 2
	exitNoCheck   = 3
)

func main() { os.Exit(start(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)) }

// start parses the configuration, runs the check until it is done or a
// signal arrives, and returns the exit status.
func start(args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	cfg, err := parseConfig(args, lookup, stdout)
	switch {
	case errors.Is(err, errHelp):
		return exitPassed
	case err != nil:
		fmt.Fprintln(stderr, "chaoscheck: invalid configuration:")
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "  %s\n", line)
		}
		return exitBadConfig
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	passed, err := run(ctx, cfg, stdout)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "chaoscheck: %v\n", err)
		return exitNoCheck
	case !passed:
		return exitFailed
	default:
		return exitPassed
	}
}
