package main

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/goleak"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafkatest"
)

// TestMain checks for leaked goroutines. go-metrics, which sarama uses,
// starts one process-wide meter goroutine that lives by design until the
// process exits; it is not a leak of any one client.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/rcrowley/go-metrics.(*meterArbiter).tick"))
}

var (
	originalTime = time.Date(2025, 6, 1, 7, 0, 0, 0, time.UTC)
	deadAt       = time.Date(2025, 6, 1, 7, 0, 5, 0, time.UTC)
	replayAt     = time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
)

// deadRecord returns a dead-letter record, as read from partition 0 of
// tickets.dlq at dlqOffset, for the ticket of order at original partition
// and offset of the tickets topic.
func deadRecord(order string, partition int32, offset int64, reason failure.Reason, replays int, dlqOffset int64) *sarama.ConsumerMessage {
	headers := []*sarama.RecordHeader{{Key: []byte("trace-id"), Value: []byte("t-" + order)}}
	if replays > 0 {
		headers = append(headers, &sarama.RecordHeader{Key: []byte(dlq.HeaderReplayCount), Value: []byte{byte('0' + replays)}})
	}
	original := &sarama.ConsumerMessage{
		Topic: "tickets", Partition: partition, Offset: offset, Timestamp: originalTime,
		Key: []byte(order), Value: []byte(`{"order_id":"` + order + `"}`), Headers: headers,
	}
	pm := dlq.NewRecord("tickets.dlq", "ticket-processor", original, dlq.Failure{
		Class: dlq.ClassPermanent, Reason: reason, Message: "decode ticket: " + string(reason), Attempts: 1,
		FirstFailure: deadAt, LastFailure: deadAt,
	}, deadAt)
	return kafkatest.Delivered(pm, 0, dlqOffset)
}
