// Command producer generates ticket events at a steady rate and writes them
// to Kafka, keyed by OrderID. Configuration comes from the environment and
// flags; run with -h for the list, --version for the build, and
// `producer healthcheck [-ready]` to probe a running producer.
package main

import (
	"os"

	"go.uber.org/zap"

	"ticket-processor/internal/config"
	"ticket-processor/internal/daemon"
)

var producerDaemon = daemon.Daemon[config.Producer]{
	Name:    "producer",
	Load:    config.LoadProducer,
	Service: func(c config.Producer) config.Service { return c.Service },
	Fields: func(c config.Producer) []zap.Field {
		return []zap.Field{zap.Strings("brokers", c.Kafka.Brokers), zap.String("topic", c.Topic), zap.Float64("rate", c.Rate)}
	},
	Run: run,
}

func main() { os.Exit(daemon.Main(producerDaemon, os.Args[1:], os.Stdout, os.Stderr)) }
