package main

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/goleak"

	"ticket-processor/internal/dlq"
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
func deadRecord(order string, partition int32, offset int64, reason string, replays int, dlqOffset int64) *sarama.ConsumerMessage {
	headers := []*sarama.RecordHeader{{Key: []byte("trace-id"), Value: []byte("t-" + order)}}
	if replays > 0 {
		headers = append(headers, &sarama.RecordHeader{Key: []byte(dlq.HeaderReplayCount), Value: []byte{byte('0' + replays)}})
	}
	original := &sarama.ConsumerMessage{
		Topic: "tickets", Partition: partition, Offset: offset, Timestamp: originalTime,
		Key: []byte(order), Value: []byte(`{"order_id":"` + order + `"}`), Headers: headers,
	}
	pm := dlq.NewRecord("tickets.dlq", "ticket-processor", original, dlq.Failure{
		Class: dlq.ClassPermanent, Reason: reason, Message: "decode ticket: " + reason, Attempts: 1,
		FirstFailure: deadAt, LastFailure: deadAt,
	}, deadAt)
	return delivered(pm, 0, dlqOffset)
}

// delivered turns a produced record into the record a consumer reads back.
func delivered(pm *sarama.ProducerMessage, partition int32, offset int64) *sarama.ConsumerMessage {
	encode := func(e sarama.Encoder) []byte {
		if e == nil {
			return nil
		}
		b, _ := e.Encode() // ByteEncoder never fails
		return b
	}
	cm := &sarama.ConsumerMessage{
		Topic: pm.Topic, Partition: partition, Offset: offset, Timestamp: pm.Timestamp,
		Key: encode(pm.Key), Value: encode(pm.Value),
	}
	for _, h := range pm.Headers {
		cm.Headers = append(cm.Headers, &sarama.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return cm
}
