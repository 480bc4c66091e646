// Command producer generates ticket events at a steady rate and writes them
// to Kafka, keyed by OrderID. Configuration comes from the environment and
// flags; run with -h for the list, --version for the build, and
// `producer healthcheck [-ready]` to probe a running producer.
package main

import (
	"os"

	"ticket-processor/internal/daemon"
	"ticket-processor/internal/producer"
)

func main() { os.Exit(daemon.Main(producer.Daemon, os.Args[1:], os.Stdout, os.Stderr)) }
