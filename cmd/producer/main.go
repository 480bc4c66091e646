// Command producer generates ticket events at a steady rate and writes them
// to Kafka, keyed by OrderID. Configuration comes from the environment and
// flags; run with -h for the list.
package main

import (
	"context"
	"fmt"
	"os"

	"go.uber.org/zap"

	"ticket-processor/internal/buildinfo"
	"ticket-processor/internal/config"
	"ticket-processor/internal/daemon"
	"ticket-processor/internal/logging"
)

const binaryName = "producer"

func main() { os.Exit(start(os.Args[1:])) }

// start parses the configuration, builds the logger and runs the producer
// until a signal; it returns the exit status.
func start(args []string) int {
	if daemon.IsVersionFlag(args) {
		fmt.Println(buildinfo.String(binaryName))
		return daemon.ExitOK
	}
	if daemon.IsHealthcheck(args) {
		// The probe finds METRICS_PORT the way the daemon does.
		cfg, err := config.LoadProducer(nil, nil)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s healthcheck: invalid configuration: %v\n", binaryName, err)
			return daemon.ExitFailure
		}
		return daemon.Healthcheck(os.Stderr, binaryName, cfg.Service.MetricsPort, args[1:])
	}
	cfg, err := config.LoadProducer(args, nil)
	if err != nil {
		return daemon.ConfigStatus(os.Stdout, os.Stderr, binaryName, err)
	}
	log, err := logging.New(binaryName, cfg.Service.LogLevel)
	if err != nil {
		return daemon.ConfigStatus(os.Stdout, os.Stderr, binaryName, err)
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := daemon.SignalContext()
	defer stop()
	log.Info("starting", zap.String("version", buildinfo.Version), zap.String("revision", buildinfo.Commit()),
		zap.Strings("brokers", cfg.Kafka.Brokers), zap.String("topic", cfg.Topic), zap.Float64("rate", cfg.Rate))
	if err := daemon.RunWithDeadline(ctx, cfg.Service.ShutdownTimeout, func(ctx context.Context) error {
		return run(ctx, cfg, log)
	}); err != nil {
		log.Error("stopped with an error", zap.Error(err))
		return daemon.ExitFailure
	}
	log.Info("stopped")
	return daemon.ExitOK
}
