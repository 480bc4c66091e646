// Package consumer is the consumer-group member that processes tickets.
//
// # Ordering and parallelism
//
// Each claimed partition has a dispatcher and a pool of Workers. The
// dispatcher takes records in offset order. A record whose order has no
// ticket running goes to a free worker; otherwise it waits in its order's
// queue, and the worker that finishes the order's current ticket takes it
// next. So the tickets of one order run strictly one after another, in
// offset order, while up to Workers orders of the same partition run at
// once: throughput is no longer bounded by the partition count.
//
// # A ticket's path
//
// processor.handle lists the stages a record goes through: the size
// check, decoding, the sequence check, then the step and the publish,
// retried together. Each stage settles the record, sends it to the
// dead-letter topic with a failure, or hands it on. A publish that cannot
// reach Kafka waits for it without spending an attempt, and a send that
// failed is searched for in the output topic before it is sent again.
//
// # The commit rule
//
// An offset is marked (and so committed) only when it and every lower
// offset of its partition are finished: published to the output topic,
// skipped as a copy, or written to the dead-letter topic. Tickets finish
// out of order, so each partition keeps a committer, the one place that
// knows which offsets are finished and where the contiguous prefix ends;
// the commit point only ever moves forward over finished offsets. A crash
// can therefore cause tickets to be processed again, never to be skipped.
//
// # Commit metadata
//
// Tickets finish out of order, so above the commit point there are
// usually offsets finished already. Every CommitInterval each partition
// marks its commit point together with metadata naming those offsets, and
// a partition's next owner (after a rebalance, a restart or a crash) reads
// the metadata at claim time and skips them (offsets_skipped_total)
// instead of processing them again. An order whose ticket is skipped is
// forgotten, so its next ticket is a baseline, as after any handover.
//
// The metadata is versioned text: "1r" and base64 of varint (gap, run)
// pairs, or "1b" and base64 of a bitmap, whichever is shorter; metadata.go
// documents the bytes. The brokers refuse commits whose metadata exceeds
// offset.metadata.max.bytes (4096 by default), so it is bounded by
// MetadataMaxBytes: a bitmap of n offsets takes n/8 bytes however they are
// mixed, so a partition takes no record further above its commit point
// than such a bitmap can name (24,560 offsets for 4096 bytes). When the
// next record lies beyond, the dispatcher waits until the point moves,
// counted in commit_metadata_full_total and logged. Unreadable metadata,
// or metadata committed with another offset than the claim starts from,
// names nothing: those records are processed again, as before.
//
// # Sequence check
//
// Every record taken ends in exactly one place: the output topic, the
// dead-letter topic, or skipped as a provable copy. A ticket is its order's
// next when its sequence is one above the last ticket of the order that was
// published (or, under the continue policy, dead-lettered in its turn), or
// when this member has not seen the order yet. Anything else is decided by
// what can be proved:
//
//   - the same ticket_id and sequence as a ticket this member published for
//     the order (among the order's last 32) is a copy, and is skipped and
//     counted in order_repeats_total;
//   - a replay from the dead-letter topic names the record it copies
//     (dlq-original-topic, -partition, -offset); that record is read back,
//     and only if it holds the same key, value and headers is the replay
//     processed, wherever it falls in its order;
//   - every other ticket that is not the next one (a second ticket claiming
//     a sequence already taken, a late one, one that skips ahead) is
//     dead-lettered as out_of_sequence, with the expected and the actual
//     sequence in its headers. ORDER_POLICY then decides the order's fate:
//     continue keeps expecting the same next sequence, park dead-letters
//     the order's later tickets as order_parked.
//
// What a member knows of its orders lives in memory, per partition, and is
// dropped when the partition moves: a new owner, or the same member after a
// restart, takes the first ticket it sees of an order as that order's
// baseline. Keeping order state across a handover is later work.
//
// # Readiness
//
// Each partition tracks how long it has held taken tickets without
// finishing one. Past NotReadyAfter the consumer is not ready, and says
// which partition stalled and, when Kafka refuses its writes, since when.
//
// # Back-pressure
//
// At most MaxInFlight tickets of a partition are taken ahead of the oldest
// unfinished one. When one order is slow, the dispatcher stops taking
// records once the window is full, so memory stays bounded.
//
// # Rebalances and shutdown
//
// When a session ends (a rebalance, or shutdown), the dispatcher stops
// taking records, the tickets already taken finish within DrainTimeout,
// and Cleanup commits synchronously before the partitions move. Tickets
// still running after DrainTimeout are abandoned uncommitted; the next
// owner resumes from the last committed offset and processes them.
//
// # Failures
//
// Records that cannot be decoded or validated, or are too large, go to the
// dead-letter topic at once (permanent). Failures of the business Step or
// of the output publish are retried with exponential backoff and full
// jitter; after the last attempt the ticket is dead-lettered (transient). A
// failed dead-letter publish is retried until it succeeds or the partition
// is abandoned, so no ticket is lost.
//
// A Kafka that cannot be reached (the broker is down, no leader is known)
// is not the ticket's fault: the publish waits for it with backoff and
// spends none of the ticket's attempts, so an outage dead-letters nothing
// and breaks no order. Every record is built once and sent with the same
// bytes each time; before a failed record is sent again, the topic is
// searched for it (Options.FindWritten), since the broker may have written
// it and lost only the answer.
package consumer
