// Command consumer is the consumer-group daemon: it processes tickets in
// order per OrderID, many orders at once within a partition, retries
// transient failures and dead-letters the rest. Configuration comes from the
// environment and flags; run with -h for the list, --version for the build,
// and `consumer healthcheck [-ready]` to probe a running consumer.
package main

import (
	"os"

	"ticket-processor/internal/consumer"
	"ticket-processor/internal/daemon"
)

func main() { os.Exit(daemon.Main(consumer.Daemon, os.Args[1:], os.Stdout, os.Stderr)) }
