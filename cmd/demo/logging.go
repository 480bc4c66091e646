package main

import (
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newLogger returns the demo's logger: JSON lines at cfg.LogLevel into
// cfg.LogFile, as the daemons write them to stdout, and errors also to
// terminal in a readable form. The status line owns the terminal, so
// nothing below error level goes there. closeLog flushes and closes the
// file.
func newLogger(cfg demoConfig, terminal io.Writer) (log *zap.Logger, closeLog func(), err error) {
	level, err := zapcore.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, nil, fmt.Errorf("LOG_LEVEL=%q: %w", cfg.LogLevel, err)
	}
	console := zap.NewDevelopmentEncoderConfig()
	console.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	cores := []zapcore.Core{
		zapcore.NewCore(zapcore.NewConsoleEncoder(console), zapcore.AddSync(terminal), zapcore.ErrorLevel),
	}
	var file *os.File
	if cfg.LogFile != "" {
		file, err = os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("LOG_FILE=%q: %w", cfg.LogFile, err)
		}
		enc := zap.NewProductionEncoderConfig()
		enc.TimeKey = "ts"
		enc.EncodeTime = zapcore.ISO8601TimeEncoder
		cores = append(cores, zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(file), level))
	}
	log = zap.New(zapcore.NewTee(cores...), zap.AddCaller()).Named(binaryName)
	return log, func() {
		_ = log.Sync()
		if file != nil {
			_ = file.Close()
		}
	}, nil
}
