// Package service holds what every daemon shares around its engine: the
// section of the configuration every daemon has (its port, log level and
// shutdown budget) and its endpoints, /metrics, /healthz and /readyz.
//
// Each engine package assembles its own service from these parts
// (producer.NewService, consumer.NewService), so that a binary links only
// its own engine. A service starts in this order, so that /healthz answers
// while Kafka is still being reached and /readyz says why the service is
// not ready yet:
//
//  1. the registry, the engine's metrics with their series at zero, and
//     the export of sarama's client metrics;
//  2. the endpoints, bound at once, so that a port in use fails start-up;
//  3. the Kafka client, retried until a broker answers or ctx ends;
//  4. the topics: the producer creates its input topic, the consumer its
//     output and dead-letter topics once the input topic exists;
//  5. the engine, which runs until ctx ends.
//
// Services leave sarama's process-wide logger alone: the binary calls
// kafka.RouteSaramaLogs.
package service
