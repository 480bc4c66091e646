// Command consumer is the consumer-group daemon: it processes tickets in
// order per OrderID, many orders at once within a partition, retries
// transient failures and dead-letters the rest. Configuration comes from the
// environment and flags; run with -h for the list, --version for the build,
// and `consumer healthcheck [-ready]` to probe a running consumer.
package main

import (
	"os"

	"go.uber.org/zap"

	"ticket-processor/internal/config"
	"ticket-processor/internal/daemon"
)

var consumerDaemon = daemon.Daemon[config.Consumer]{
	Name:    "consumer",
	Load:    config.LoadConsumer,
	Service: func(c config.Consumer) config.Service { return c.Service },
	Fields: func(c config.Consumer) []zap.Field {
		return []zap.Field{zap.Strings("brokers", c.Kafka.Brokers), zap.String("topic", c.Topic),
			zap.String("group", c.GroupID), zap.Int("workers", c.Workers)}
	},
	Run: run,
}

func main() { os.Exit(daemon.Main(consumerDaemon, os.Args[1:], os.Stdout, os.Stderr)) }
