package main

import (
	"context"

	"go.uber.org/zap"

	"ticket-processor/internal/config"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/service"
)

// run routes sarama's logs, a process-wide setting, and runs the consumer
// service until ctx ends.
func run(ctx context.Context, cfg config.Consumer, log *zap.Logger) error {
	kafka.RouteSaramaLogs(log)
	return service.RunConsumer(ctx, cfg, service.ConsumerOptions{}, log)
}
