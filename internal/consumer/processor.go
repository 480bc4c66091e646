package consumer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/models"
	"ticket-processor/internal/retry"
)

// Step is the business logic applied to each valid ticket, between the
// sequence check and the publishing of the result. An error is transient
// unless wrapped with retry.Permanent; transient errors are retried with
// backoff. A step may run more than once for one ticket (after a retry, or
// after a crash before the commit), so it must be idempotent.
type Step interface {
	Process(ctx context.Context, t models.Ticket) error
}

// StepFunc adapts a function to Step.
type StepFunc func(ctx context.Context, t models.Ticket) error

// Process calls f.
func (f StepFunc) Process(ctx context.Context, t models.Ticket) error { return f(ctx, t) }

// NoopStep accepts every ticket; the daemon's processing is the sequence
// check, the enrichment and the publish.
var NoopStep Step = StepFunc(func(context.Context, models.Ticket) error { return nil })

// errAbandoned means processing stopped because the partition was given
// up; the ticket is left unfinished and uncommitted.
var errAbandoned = errors.New("abandoned before finishing")

// processor takes one ticket from raw record to outcome: published to the
// output topic, skipped as a repeat, or dead-lettered.
type processor struct {
	opts Options
	out  sarama.SyncProducer
	step Step
	obs  Observer
	log  *zap.Logger
	now  func() time.Time
	// writes remembers whether Kafka takes the consumer's writes, to
	// explain a stall.
	writes writeHealth
	// txn is the exactly-once output path; nil under at-least-once, where
	// records go to out.
	txn *transactions
	// searches coalesces the searches before resending failed records.
	searches searches
}

// handle processes msg and returns nil once the ticket is finished
// (processed, skipped or dead-lettered), so that its offset may be
// committed, or errAbandoned when ctx ended first (or, exactly once, the
// open transaction failed). Under exactly-once, written is called once the
// ticket's record is in the open transaction, before any commit can take
// it without its offset.
//
// A record goes through the stages below in turn. Each one settles it
// (skipped or published), sends it to the dead-letter topic with a
// failure, or hands it on. The dead-letter write, like the publish, waits
// for Kafka as long as it must: a ticket is finished only once it is
// safely somewhere.
func (p *processor) handle(ctx context.Context, msg *sarama.ConsumerMessage, orders *orderBook, written func()) error {
	in := &inbound{msg: msg, start: p.now(), orders: orders, written: written}
	defer func() { p.obs.TicketHandled(p.now().Sub(in.start)) }()
	for _, stage := range []stage{
		p.checkSize,     // larger than MAX_MESSAGE_BYTES: dead-lettered
		p.decode,        // not a valid ticket of the record key's order: dead-lettered
		p.checkSequence, // a copy: skipped; out of sequence or in a parked order: dead-lettered
		p.process,       // the step and the publish, retried; exhausted: dead-lettered
	} {
		o, err := stage(ctx, in)
		switch {
		case err != nil:
			return err
		case o.deadLetter != nil:
			return p.deadLetter(ctx, in, *o.deadLetter)
		case o.settled:
			return nil
		}
	}
	return nil
}

// inbound is a record on its way through the stages, with what they have
// learnt of it.
type inbound struct {
	msg     *sarama.ConsumerMessage
	start   time.Time
	orders  *orderBook
	written func()
	// Set by decode:
	t     models.Ticket
	order *orderState
	// Set by checkSequence:
	verdict sequenceVerdict
}

// A stage takes a record one step on. An error means ctx ended before the
// stage could decide.
type stage func(ctx context.Context, in *inbound) (outcome, error)

// outcome is what a stage decided: settled, to be dead-lettered, or
// (the zero value) on to the next stage.
type outcome struct {
	settled    bool
	deadLetter *dlq.Failure
}

var (
	proceed = outcome{}
	settled = outcome{settled: true}
)

func deadLetterWith(f dlq.Failure) outcome { return outcome{deadLetter: &f} }

// checkSize rejects a record larger than MaxMessageBytes before decoding.
func (p *processor) checkSize(_ context.Context, in *inbound) (outcome, error) {
	if len(in.msg.Value) > p.opts.MaxMessageBytes {
		err := fmt.Errorf("%w: %d bytes, limit %d", models.ErrTooLarge, len(in.msg.Value), p.opts.MaxMessageBytes)
		return deadLetterWith(permanentFailure(err, in.start, p.now())), nil
	}
	return proceed, nil
}

// decode reads the ticket and checks that it belongs to the order its
// record is keyed by.
func (p *processor) decode(_ context.Context, in *inbound) (outcome, error) {
	t, err := models.DecodeAt(in.msg.Value, in.start) // created_at is judged by the consumer's clock
	if err == nil && string(in.msg.Key) != t.OrderID {
		err = &models.ValidationError{Fields: []models.FieldError{{
			Field: "order_id", Reason: fmt.Sprintf("differs from the record key %q", in.msg.Key),
		}}}
	}
	if err != nil {
		return deadLetterWith(permanentFailure(err, in.start, p.now())), nil
	}
	in.t, in.order = t, in.orders.get(t.OrderID)
	return proceed, nil
}

// checkSequence lets through the ticket that is its order's next, and a
// verified replay; it skips a provable copy and dead-letters the rest,
// parking the order when ORDER_POLICY says so.
func (p *processor) checkSequence(ctx context.Context, in *inbound) (outcome, error) {
	t, order := in.t, in.order
	verdict, mismatch, err := p.sequenceOf(ctx, in.msg, t, order)
	if err != nil {
		return proceed, err
	}
	in.verdict = verdict
	switch {
	case verdict == seqCopy:
		return settled, nil // counted and logged
	case order.parked && verdict != seqReplay:
		return deadLetterWith(dlq.Failure{
			Class: dlq.ClassPermanent, Reason: failure.OrderParked, Attempts: 0,
			Message:      fmt.Sprintf("order %s is parked after an earlier ticket was dead-lettered", t.OrderID),
			FirstFailure: in.start, LastFailure: in.start,
		}), nil
	case verdict == seqOutOfOrder:
		if p.opts.OrderPolicy == OrderPolicyPark {
			order.parked = true
		}
		return deadLetterWith(dlq.Failure{
			Class: dlq.ClassPermanent, Reason: failure.OutOfSequence, Attempts: 0,
			Message: fmt.Sprintf("order %s expected sequence %d next, got %d (ticket %s)",
				t.OrderID, mismatch.Expected, mismatch.Actual, t.TicketID),
			FirstFailure: in.start, LastFailure: in.start, Sequence: mismatch,
		}), nil
	}
	return proceed, nil
}

// process runs the step and publishes the result, retrying both on
// transient errors; a Kafka outage during the publish spends no attempt.
// A ticket whose retries run out is dead-lettered, and its order parked
// or, when it was the order's next, left with a gap.
func (p *processor) process(ctx context.Context, in *inbound) (outcome, error) {
	t, order, msg := in.t, in.order, in.msg
	status := statusAfter(t.Type, order.status)
	// The result is built once, so that every send of it carries the same
	// bytes and a copy already written can be recognised.
	var result *outgoing
	err := retry.Do(ctx, p.opts.Retry, func(ctx context.Context, attempt int) error {
		if err := p.step.Process(ctx, t); err != nil {
			return err
		}
		if result == nil {
			rec, err := p.processedRecord(t, status)
			if err != nil {
				return err
			}
			result = &outgoing{msg: rec, in: msg, written: in.written}
		}
		return p.publish(ctx, result)
	}, func(attempt int, err error, delay time.Duration) {
		p.obs.TicketRetried()
		p.log.Warn("ticket failed; retrying", zap.String("order_id", t.OrderID),
			zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset),
			zap.Int("attempt", attempt), zap.Duration("backoff", delay), zap.Error(err))
	})
	var exhausted *retry.Failure
	switch {
	case errors.Is(err, errTransactionFailed):
		return proceed, errAbandoned // the session starts again
	case err == nil:
		order.lastSeq, order.status = max(order.lastSeq, t.Sequence), status
		order.remember(t.TicketID, t.Sequence)
		p.obs.TicketProcessed(p.now().Sub(t.CreatedAt))
		return settled, nil
	case errors.As(err, &exhausted):
		switch {
		case p.opts.OrderPolicy == OrderPolicyPark:
			order.parked = true
		case in.verdict == seqNext:
			// The order goes on after this ticket, which leaves a gap in
			// its output.
			order.lastSeq = t.Sequence
			p.obs.OrderGap()
		}
		return deadLetterWith(failureFromRetry(exhausted)), nil
	}
	return proceed, errAbandoned // ctx ended during the retries
}

// sequenceVerdict is what the sequence check decides for a ticket.
type sequenceVerdict int

const (
	// seqNext: the ticket is its order's next (or the first this member
	// sees of the order); it is processed.
	seqNext sequenceVerdict = iota
	// seqReplay: a replay from the dead-letter topic whose original record
	// was found; it is processed wherever it falls in its order.
	seqReplay
	// seqCopy: a copy of a ticket this member already published for the
	// order (same ticket id and sequence); it is skipped.
	seqCopy
	// seqOutOfOrder: any other ticket whose sequence is not the next one;
	// it is dead-lettered as out of sequence.
	seqOutOfOrder
)

// sequenceOf decides what to do with t given what this member knows of
// its order. Only a provable copy is skipped; every other ticket that is
// not its order's next goes to the dead-letter topic, so none vanishes. A
// replay is recognised only by the original record it names, which is read
// back and must hold the same key, value and non-dlq headers: a header
// alone proves nothing. It returns an error only when ctx ended while
// Kafka could not be asked.
func (p *processor) sequenceOf(ctx context.Context, msg *sarama.ConsumerMessage, t models.Ticket, order *orderState) (sequenceVerdict, *dlq.SequenceMismatch, error) {
	if order.wasPublished(t.TicketID, t.Sequence) {
		p.obs.CopySkipped()
		p.log.Warn("ticket already published; copy skipped", zap.String("order_id", t.OrderID),
			zap.String("ticket_id", t.TicketID), zap.Uint64("sequence", t.Sequence),
			zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset))
		return seqCopy, nil, nil
	}
	if origin, ok := dlq.ReplayOrigin(msg.Headers); ok {
		verified, err := p.verifyReplay(ctx, msg, origin)
		if err != nil {
			return 0, nil, err
		}
		if verified {
			return seqReplay, nil, nil
		}
	}
	expected := order.lastSeq + 1
	if order.lastSeq == 0 || t.Sequence == expected {
		return seqNext, nil, nil
	}
	if t.Sequence > expected {
		p.obs.OrderGap()
	}
	return seqOutOfOrder, &dlq.SequenceMismatch{Expected: expected, Actual: t.Sequence}, nil
}

// verifyReplay reports whether the record origin names holds what msg
// carries: the same key, value and non-dlq headers, at an offset before
// msg's own when it is in the same partition. A Kafka that cannot be
// asked is waited for, as a publish waits; only ctx ends the wait.
func (p *processor) verifyReplay(ctx context.Context, msg *sarama.ConsumerMessage, origin dlq.Origin) (bool, error) {
	fields := []zap.Field{zap.String("order_id", string(msg.Key)),
		zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset),
		zap.String("original_topic", origin.Topic), zap.Int32("original_partition", origin.Partition),
		zap.Int64("original_offset", origin.Offset)}
	if origin.Topic == msg.Topic && origin.Partition == msg.Partition && origin.Offset >= msg.Offset {
		p.log.Warn("replay names itself or a later record; checked as a new ticket", fields...)
		return false, nil
	}
	var original *sarama.ConsumerMessage
	err := retry.Do(ctx, p.untilKafka(), func(ctx context.Context, _ int) error {
		var err error
		original, err = p.opts.ReadRecord(ctx, origin.Topic, origin.Partition, origin.Offset)
		if errors.Is(err, kafka.ErrNoRecord) {
			p.log.Warn("replay's original record is gone; checked as a new ticket", append(fields, zap.Error(err))...)
			return nil
		}
		return err
	}, func(_ int, err error, delay time.Duration) {
		p.log.Warn("cannot read a replay's original record; retrying",
			append(fields, zap.Duration("backoff", delay), zap.Error(err))...)
	})
	switch {
	case err != nil:
		return false, errAbandoned
	case original == nil:
		return false, nil // gone
	case !sameRecord(original, msg):
		p.log.Warn("replay differs from the record it names; checked as a new ticket", fields...)
		return false, nil
	}
	return true, nil
}

// sameRecord reports whether a and b have the same key, value and non-dlq
// headers, byte for byte and in order.
func sameRecord(a, b *sarama.ConsumerMessage) bool {
	if !bytes.Equal(a.Key, b.Key) || !bytes.Equal(a.Value, b.Value) {
		return false
	}
	ha, hb := dlq.PlainHeaders(a.Headers), dlq.PlainHeaders(b.Headers)
	if len(ha) != len(hb) {
		return false
	}
	for i := range ha {
		if !bytes.Equal(ha[i].Key, hb[i].Key) || !bytes.Equal(ha[i].Value, hb[i].Value) {
			return false
		}
	}
	return true
}

// processedRecord builds the output record of t: the enriched ticket,
// keyed by its order. A ticket's amount is its order's total as of that
// event, so it is the running total.
func (p *processor) processedRecord(t models.Ticket, status models.OrderStatus) (*sarama.ProducerMessage, error) {
	value, err := models.ProcessedTicket{Ticket: t, ProcessedAt: p.now().UTC(), OrderStatus: status, OrderTotal: t.Amount}.Encode()
	if err != nil {
		return nil, retry.Permanent(fmt.Errorf("encode processed ticket: %w", err))
	}
	return &sarama.ProducerMessage{
		Topic:   p.opts.OutputTopic,
		Key:     sarama.StringEncoder(t.OrderID),
		Value:   sarama.ByteEncoder(value),
		Headers: []sarama.RecordHeader{{Key: []byte("content-type"), Value: []byte("application/json")}},
	}, nil
}

// publish writes msg to the output topic. A Kafka that cannot be reached
// is not the ticket's fault: publish then waits for it, with backoff, and
// spends none of the ticket's attempts, so an outage sends nothing to the
// dead-letter topic. Other failures are returned, to be retried as
// attempts, except those retrying cannot cure, which are permanent.
func (p *processor) publish(ctx context.Context, o *outgoing) error {
	var (
		err     error // of the last send
		waiting time.Time
	)
	waitErr := retry.Do(ctx, p.untilKafka(), func(ctx context.Context, _ int) error {
		err = p.send(ctx, o)
		if err == nil || errors.Is(err, errTransactionFailed) {
			return nil // done, or never to be sent again in this session
		}
		reason := kafka.ErrorReason(err)
		p.obs.PublishFailed(o.msg.Topic, reason)
		err = fmt.Errorf("publish to %s: %w", o.msg.Topic, err)
		if reason != kafka.ReasonUnavailable {
			return nil // not a wait: the ticket's own attempts decide
		}
		return err
	}, func(attempt int, err error, _ time.Duration) {
		if attempt == 1 {
			waiting = p.now()
			p.log.Warn("Kafka unavailable; the ticket waits for it without spending an attempt",
				append(o.logFields(), zap.Error(err))...)
		}
	})
	switch {
	case waitErr != nil:
		return context.Cause(ctx)
	case errors.Is(err, errTransactionFailed):
		return retry.Permanent(err) // stops the attempts; process abandons the ticket
	case err == nil:
		if !waiting.IsZero() {
			p.log.Info("ticket published after waiting for Kafka",
				append(o.logFields(), zap.Duration("waited", p.now().Sub(waiting)))...)
		}
		return nil
	case kafka.ErrorReason(err) == kafka.ReasonTooLarge:
		return retry.Permanent(err)
	}
	return err
}

// untilKafka paces the waits for a Kafka that cannot be reached: the
// retry policy's backoff, with no limit on attempts.
func (p *processor) untilKafka() retry.Policy {
	return retry.Until(p.opts.Retry.Base, p.opts.Retry.MaxDelay)
}

// outgoing is a record on its way to Kafka: the result or the dead letter
// of the input record in.
type outgoing struct {
	msg *sarama.ProducerMessage
	in  *sarama.ConsumerMessage
	// failed is set once a send of msg failed: Kafka may hold it all the
	// same, its answer lost.
	failed bool
	// written is called, exactly once, when msg is in the open transaction.
	written func()
}

// logFields name the input record, as every retry log line does.
func (o *outgoing) logFields() []zap.Field {
	return []zap.Field{zap.String("order_id", string(o.in.Key)),
		zap.Int32("partition", o.in.Partition), zap.Int64("offset", o.in.Offset)}
}

// send hands o's record to Kafka. After a failed send it first asks whether
// Kafka wrote the record all the same, and sends it again only if not:
// once sarama has given up on a record it starts a new producer epoch, and
// the broker would take the resend as a new record. A record without a key
// (a dead letter of a keyless record) has no partition to search, and is
// sent again as it is.
func (p *processor) send(ctx context.Context, o *outgoing) (err error) {
	defer func() { p.writes.wrote(p.now(), err) }()
	if p.txn != nil {
		// A failed write dooms the open transaction: it is aborted, never
		// resent, so nothing needs searching for.
		return p.txn.write(o.msg, o.written)
	}
	if o.msg.Timestamp.IsZero() {
		o.msg.Timestamp = p.now() // FindWritten searches from here
	}
	if o.failed && o.msg.Key != nil {
		written, err := p.searches.written(ctx, p.opts.FindWritten, o.msg)
		if err != nil {
			return err
		}
		if written {
			p.log.Info("a failed publish was written all the same; not sent again",
				append(o.logFields(), zap.String("topic", o.msg.Topic))...)
			return nil
		}
	}
	if _, _, err := p.out.SendMessage(o.msg); err != nil {
		o.failed = true
		return err
	}
	return nil
}

// deadLetter writes in's record to the dead-letter topic, trying until it
// succeeds or ctx ends (or, exactly once, the open transaction fails): a
// ticket is finished only once it is safely somewhere.
func (p *processor) deadLetter(ctx context.Context, in *inbound, f dlq.Failure) error {
	msg := in.msg
	record := &outgoing{msg: dlq.NewRecord(p.opts.DLQTopic, p.opts.GroupID, msg, f, p.now()), in: msg, written: in.written}
	err := retry.Do(ctx, p.untilKafka(), func(ctx context.Context, _ int) error {
		err := p.send(ctx, record)
		if err != nil {
			p.obs.PublishFailed(p.opts.DLQTopic, kafka.ErrorReason(err))
		}
		if errors.Is(err, errTransactionFailed) {
			return retry.Permanent(err)
		}
		return err
	}, func(_ int, err error, delay time.Duration) {
		p.log.Error("dead-letter publish failed; retrying", zap.String("topic", p.opts.DLQTopic),
			zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset),
			zap.Duration("backoff", delay), zap.Error(err))
	})
	if err != nil {
		return errAbandoned
	}
	p.obs.TicketDeadLettered(f.Reason)
	p.log.Warn("ticket dead-lettered", zap.String("order_id", string(msg.Key)),
		zap.Int32("partition", msg.Partition), zap.Int64("offset", msg.Offset),
		zap.String("reason", string(f.Reason)), zap.String("class", f.Class),
		zap.Int("attempts", f.Attempts), zap.String("error", f.Message))
	return nil
}

// permanentFailure describes a ticket rejected at its first look.
func permanentFailure(err error, first, last time.Time) dlq.Failure {
	return dlq.Failure{
		Class: dlq.ClassPermanent, Reason: failure.Of(err), Message: err.Error(),
		Attempts: 1, FirstFailure: first, LastFailure: last,
	}
}

// failureFromRetry describes a ticket whose processing failed for good:
// a transient failure that outlasted the retries, or a permanent one.
func failureFromRetry(f *retry.Failure) dlq.Failure {
	return dlq.FailureFromRetry(f, failure.Of(f))
}
