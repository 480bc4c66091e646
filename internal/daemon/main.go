package daemon

import (
	"context"
	"fmt"
	"io"

	"go.uber.org/zap"

	"ticket-processor/internal/buildinfo"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/logging"
	"ticket-processor/internal/service"
)

// Daemon describes one binary for Main. C is its configuration type.
type Daemon[C any] struct {
	// Name is the binary's name, used in messages and as the logger name.
	Name string
	// Load reads the configuration from args and the environment (lookup
	// nil: the process environment), reporting every problem at once.
	Load func(args []string, lookup func(string) (string, bool)) (C, error)
	// Service returns the section every daemon shares.
	Service func(C) service.Config
	// Fields are logged with the "starting" line.
	Fields func(C) []zap.Field
	// Run runs the daemon until ctx ends.
	Run func(ctx context.Context, cfg C, log *zap.Logger) error
}

// ServiceConfig is the configuration of a binary that runs one service.
type ServiceConfig interface {
	// ServiceSection is the section every daemon has.
	ServiceSection() service.Config
	// LogFields are logged with the "starting" line.
	LogFields() []zap.Field
}

// ForService describes a binary that runs one service: its configuration,
// loaded by load, and build, which makes the service from it. sarama's own
// log lines go to the daemon's logger.
func ForService[C ServiceConfig](name string, load func([]string, func(string) (string, bool)) (C, error),
	build func(C, *zap.Logger) (*service.Service, error),
) Daemon[C] {
	return Daemon[C]{
		Name: name, Load: load, Service: C.ServiceSection, Fields: C.LogFields,
		Run: func(ctx context.Context, cfg C, log *zap.Logger) error {
			kafka.RouteSaramaLogs(log)
			s, err := build(cfg, log)
			if err != nil {
				return err
			}
			return s.Run(ctx)
		},
	}
}

// Main is the whole life of a daemon process, and returns its exit status:
// --version; the healthcheck subcommand; loading and validating the
// configuration (ExitBadConfig with one line per problem); the JSON
// logger; then Run until SIGINT or SIGTERM, with SHUTDOWN_TIMEOUT for the
// way out (ExitFailure when Run fails or overstays). A second signal ends
// the process at once.
func Main[C any](d Daemon[C], args []string, stdout, stderr io.Writer) int {
	if IsVersionFlag(args) {
		fmt.Fprintln(stdout, buildinfo.String(d.Name))
		return ExitOK
	}
	if IsHealthcheck(args) {
		// The probe finds METRICS_PORT the way the daemon does.
		cfg, err := d.Load(nil, nil)
		if err != nil {
			fmt.Fprintf(stderr, "%s %s: invalid configuration: %v\n", d.Name, HealthcheckCommand, err)
			return ExitFailure
		}
		return Healthcheck(stderr, d.Name, d.Service(cfg).MetricsPort, args[1:])
	}
	cfg, err := d.Load(args, nil)
	if err != nil {
		return ConfigStatus(stdout, stderr, d.Name, err)
	}
	svc := d.Service(cfg)
	log, err := logging.New(d.Name, svc.LogLevel)
	if err != nil {
		return ConfigStatus(stdout, stderr, d.Name, err)
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := SignalContext()
	defer stop()
	fields := append([]zap.Field{zap.String("version", buildinfo.Version), zap.String("revision", buildinfo.Commit())}, d.Fields(cfg)...)
	log.Info("starting", fields...)
	if err := RunWithDeadline(ctx, svc.ShutdownTimeout, func(ctx context.Context) error {
		return d.Run(ctx, cfg, log)
	}); err != nil {
		log.Error("stopped with an error", zap.Error(err))
		return ExitFailure
	}
	log.Info("stopped")
	return ExitOK
}
