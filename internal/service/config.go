package service

import (
	"errors"
	"fmt"
	"time"

	"ticket-processor/internal/config"
)

// Config is the section every daemon has: its HTTP port, logging and
// shutdown budget.
type Config struct {
	// MetricsPort serves /metrics, /healthz and /readyz (producer 2112,
	// consumer 2113).
	MetricsPort int
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string
	// ShutdownTimeout bounds a graceful stop (default 10s).
	ShutdownTimeout time.Duration
}

// SetDefaults sets every field to its default, with port as MetricsPort.
func (c *Config) SetDefaults(port int) {
	*c = Config{MetricsPort: port, LogLevel: "info", ShutdownTimeout: 10 * time.Second}
}

// Bind declares METRICS_PORT, LOG_LEVEL and SHUTDOWN_TIMEOUT.
func (c *Config) Bind(s *config.Source) {
	s.Int(&c.MetricsPort, "METRICS_PORT", "port for /metrics, /healthz and /readyz")
	s.String(&c.LogLevel, "LOG_LEVEL", "log level: debug, info, warn or error")
	s.Duration(&c.ShutdownTimeout, "SHUTDOWN_TIMEOUT", "time allowed for a graceful stop")
}

// Validate returns every problem in the section.
func (c Config) Validate() error {
	var errs []error
	if c.MetricsPort < 1 || c.MetricsPort > 65535 {
		errs = append(errs, fmt.Errorf("METRICS_PORT=%d: must be 1-65535", c.MetricsPort))
	}
	if !config.ValidLogLevel(c.LogLevel) {
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT=%s: must be > 0", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}
