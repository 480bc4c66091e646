package main

import (
	"context"

	"go.uber.org/zap"

	"ticket-processor/internal/config"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/service"
)

// run routes sarama's logs, a process-wide setting, and runs the producer
// service until ctx ends or MAX_TICKETS are sent.
func run(ctx context.Context, cfg config.Producer, log *zap.Logger) error {
	kafka.RouteSaramaLogs(log)
	return service.RunProducer(ctx, cfg, service.ProducerOptions{}, log)
}
