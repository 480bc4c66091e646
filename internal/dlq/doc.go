// Package dlq defines the dead-letter record: what the consumer writes to
// the dead-letter topic when it gives up on a ticket, how ticketctl reads it
// back, and how a ticket is replayed to its original topic.
//
// # Record format
//
// A dead-letter record keeps the original record's key, value and headers
// byte for byte, in their original order, and appends exactly one set of the
// headers below (modelled on Spring Kafka's kafka_dlt-* headers). All values
// are UTF-8 strings; times are RFC 3339 with nanoseconds in UTC
// ([time.RFC3339Nano], e.g. 2025-06-01T07:00:00.123456789Z; trailing zeros
// are dropped). The record's own timestamp is the dead-lettering time, and
// the producer's partitioner places it by the original key.
//
//	Header                  Value                                               Required
//	----------------------  --------------------------------------------------  --------
//	dlq-original-topic      topic the ticket was consumed from                  yes
//	dlq-original-partition  its partition, decimal                              yes
//	dlq-original-offset     its offset, decimal                                 yes
//	dlq-original-timestamp  its record timestamp                                yes
//	dlq-error-class         permanent or transient (retries ran out)            yes
//	dlq-error-reason        one of the reasons below, usable as a metric label  yes
//	dlq-error-message       error text, valid UTF-8, at most 4096 bytes         yes
//	dlq-attempts            processing attempts made, decimal, >= 0             yes
//	dlq-first-failure       when the first attempt failed                       yes
//	dlq-last-failure        when the last attempt failed                        yes
//	dlq-consumer-group      consumer group that dead-lettered it (may be "")    yes
//	dlq-dead-lettered-at    when the record was built                           yes
//	dlq-replay-count        times the ticket was replayed before, decimal       yes
//	dlq-replayed-at         when it was last replayed                           after a replay
//	dlq-expected-sequence   sequence the order expected next, decimal           out_of_sequence
//	dlq-actual-sequence     sequence the ticket carried, decimal                out_of_sequence
//
// The reasons are package failure's: malformed, invalid_field,
// unknown_schema, too_large (tickets that cannot be decoded; [failure.Of]
// reads them off the models errors),
// retries_exhausted (transient errors outlasted the retry policy),
// order_parked (an earlier ticket of the same order was dead-lettered and
// the order policy is "park"; such a ticket may have 0 attempts),
// out_of_sequence (the ticket is not its order's next and is no copy of a
// ticket already processed; 0 attempts) and other.
// [NewRecord] writes any other value as other, so the header stays a small
// fixed set; [Parse] accepts any non-empty reason, so that an older ticketctl
// can read records from a newer consumer.
//
// The "dlq-" prefix is reserved: every header whose name starts with it
// belongs to this format.
//
// # Replays
//
// ticketctl replays an entry with [NewReplay]: the original key, value and
// non-dlq headers go back to the original topic with dlq-original-topic,
// dlq-original-partition and dlq-original-offset naming the record it
// copies, dlq-replay-count one higher and dlq-replayed-at set, and no other
// dlq-* header. The consumer lets a replay through its order's sequence
// check only once it has read that original record back and found the same
// key, value and non-dlq headers ([ReplayOrigin] reads the claim): headers
// alone can be forged by anyone who writes the topic. When a replayed
// ticket fails again, [NewRecord] drops every old dlq-* header but carries
// the two replay markers over, so each dead-letter record holds exactly one
// set and the replay count keeps growing. [ReplayCount] reads it, and
// ticketctl's --max-replays uses it to stop a ticket that keeps failing from
// looping forever.
//
// Replay does not remove or mark the dead-letter record itself: replaying the
// same selection twice sends the tickets twice.
package dlq
