package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"ticket-processor/internal/kafka"
)

// run connects to Kafka, captures the extent of the dead-letter topic, and
// lists or replays its entries. The summary is written even when it fails
// half-way, so an operator knows what was replayed.
func run(ctx context.Context, opts options, stdout, stderr io.Writer) (err error) {
	sc, err := newSaramaConfig(opts.kafka)
	if err != nil {
		return err
	}
	client, err := sarama.NewClient(opts.kafka.Brokers, sc)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", strings.Join(opts.kafka.Brokers, ","), err)
	}
	defer func() { err = errors.Join(err, closeErr("client", client.Close())) }()

	ranges, err := captureRanges(clientOffsets{client}, opts.dlqTopic)
	if err != nil {
		return err
	}
	read := func(ctx context.Context, topic string, partition int32, from, to int64, visit func(*sarama.ConsumerMessage) bool) error {
		return kafka.ScanCommitted(ctx, client, topic, partition, from, to, visit)
	}

	var producer sarama.SyncProducer
	if opts.command == commandReplay && !opts.dryRun {
		producer, err = sarama.NewSyncProducerFromClient(client)
		if err != nil {
			return fmt.Errorf("producer: %w", err)
		}
		defer func() { err = errors.Join(err, closeErr("producer", producer.Close())) }()
	}

	p := newProcessor(opts, stdout, stderr, producer, time.Now)
	err = scan(ctx, read, opts.dlqTopic, ranges, opts.idleTimeout, func(msg *sarama.ConsumerMessage) error {
		return p.visit(ctx, msg)
	})
	return errors.Join(err, p.finish())
}

// closeErr names what failed to close, or returns nil.
func closeErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("close %s: %w", what, err)
}
