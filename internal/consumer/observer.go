package consumer

import (
	"time"

	"ticket-processor/internal/failure"
)

// Observer is told what the consumer does, for its metrics. The engine
// defines what it reports; internal/metrics implements it on Prometheus,
// and tests may record it.
type Observer interface {
	// SetMember is told when the consumer joins or leaves its group.
	SetMember(member bool)
	// PartitionsAssigned is told at the start of each group session, with
	// how many partitions the member holds.
	PartitionsAssigned(n int)
	// PartitionsReleased is told at the end of each group session.
	PartitionsReleased()
	// Partition returns the observer of one claimed partition, for as long
	// as the claim lasts.
	Partition(topic string, partition int32) PartitionObserver
	// TicketHandled is one ticket taken from raw record to outcome (or
	// abandoned), which took d.
	TicketHandled(d time.Duration)
	// TicketProcessed is one ticket published, endToEnd after it was
	// created.
	TicketProcessed(endToEnd time.Duration)
	// TicketRetried is one attempt beyond a ticket's first.
	TicketRetried()
	// TicketDeadLettered is one ticket written to the dead-letter topic.
	TicketDeadLettered(reason failure.Reason)
	// OrderGap is one gap in an order's output: a ticket that skipped ahead,
	// or one dead-lettered in its turn.
	OrderGap()
	// CopySkipped is one copy of a ticket already published, skipped.
	CopySkipped()
	// PublishFailed is one failed write to topic, with the reason
	// kafka.ErrorReason gives.
	PublishFailed(topic, reason string)
	// TransactionCommitted is one transaction committed (exactly once),
	// holding records, d after it began.
	TransactionCommitted(records int, d time.Duration)
	// TransactionAborted is one transaction aborted because its stage
	// failed: "write", "offsets" or "commit".
	TransactionAborted(stage string)
	// ProducerFenced is one transactional producer fenced and made again.
	ProducerFenced()
}

// PartitionObserver is told what happens in one claimed partition.
type PartitionObserver interface {
	// Consumed is one record taken from the partition.
	Consumed()
	// AddInFlight moves the count of tickets taken and not yet finished.
	AddInFlight(delta int)
	// Lag is the partition's lag: records behind the high watermark, and
	// the age of its oldest unfinished ticket.
	Lag(messages int64, oldest time.Duration)
	// Stalled is how long the partition has held taken tickets without
	// finishing one; zero while tickets finish or none is held.
	Stalled(d time.Duration)
	// AheadSkipped is one record skipped because the partition's previous
	// owner had finished it, as its commit metadata says.
	AheadSkipped()
	// MetadataFull is one wait of the dispatcher: the next record lies
	// too far above the commit point for the metadata to name it.
	MetadataFull()
	// CommitMetadata is the size of the metadata last marked.
	CommitMetadata(bytes int)
	// Released drops what the partition reported, once the claim ends.
	Released()
}
