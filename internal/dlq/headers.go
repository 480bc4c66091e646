package dlq

import "ticket-processor/internal/retry"

// Header names of the dead-letter format; see the package documentation for
// their values.
const (
	// HeaderPrefix starts every header name this package owns.
	HeaderPrefix = "dlq-"

	// HeaderOriginalTopic is the topic the ticket was consumed from.
	HeaderOriginalTopic = "dlq-original-topic"
	// HeaderOriginalPartition is the partition the ticket was consumed from.
	HeaderOriginalPartition = "dlq-original-partition"
	// HeaderOriginalOffset is the offset the ticket was consumed from.
	HeaderOriginalOffset = "dlq-original-offset"
	// HeaderOriginalTimestamp is the original record's timestamp.
	HeaderOriginalTimestamp = "dlq-original-timestamp"
	// HeaderErrorClass is ClassPermanent or ClassTransient.
	HeaderErrorClass = "dlq-error-class"
	// HeaderErrorReason is one of the Reason constants.
	HeaderErrorReason = "dlq-error-reason"
	// HeaderErrorMessage is the error text, at most MaxMessageBytes.
	HeaderErrorMessage = "dlq-error-message"
	// HeaderAttempts is how many processing attempts were made.
	HeaderAttempts = "dlq-attempts"
	// HeaderFirstFailure is when the first attempt failed.
	HeaderFirstFailure = "dlq-first-failure"
	// HeaderLastFailure is when the last attempt failed.
	HeaderLastFailure = "dlq-last-failure"
	// HeaderConsumerGroup is the consumer group that dead-lettered the ticket.
	HeaderConsumerGroup = "dlq-consumer-group"
	// HeaderDeadLetteredAt is when the dead-letter record was built.
	HeaderDeadLetteredAt = "dlq-dead-lettered-at"
	// HeaderReplayCount is how many times the ticket was replayed.
	HeaderReplayCount = "dlq-replay-count"
	// HeaderReplayedAt is when the ticket was last replayed.
	HeaderReplayedAt = "dlq-replayed-at"
	// HeaderExpectedSequence is the sequence the order expected next, on a
	// ticket dead-lettered as failure.OutOfSequence.
	HeaderExpectedSequence = "dlq-expected-sequence"
	// HeaderActualSequence is the sequence the ticket carried, on a ticket
	// dead-lettered as failure.OutOfSequence.
	HeaderActualSequence = "dlq-actual-sequence"
)

// Error classes, the values of HeaderErrorClass.
const (
	// ClassPermanent means retrying could not help.
	ClassPermanent = retry.ClassPermanent
	// ClassTransient means the error might have gone away, but the retries
	// ran out.
	ClassTransient = retry.ClassTransient
)

// MaxMessageBytes is the longest error message written to
// HeaderErrorMessage, in bytes; a longer one is cut at a character boundary
// and ends in "…".
const MaxMessageBytes = 4096
