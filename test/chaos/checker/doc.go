// Package checker is the chaos suite's independent judge of a run: it reads
// the input, output and dead-letter topics whole and says what went wrong,
// without trusting the pipeline. It shares no code with it. It reads
// tickets with its own minimal reader and spells out the few dead-letter
// header names it needs, so that a bug in the pipeline's decoding or
// headers cannot hide itself by being shared.
//
// # Reading
//
// [ReadTopics] reads every partition of each topic from its log start to
// the end captured before any reading begins, with read_committed
// isolation: records of aborted transactions and transaction control
// records are never returned. The end captured is the last stable offset
// (a ListOffsets request at read_committed), not the high watermark. The
// two differ only while a transaction is open, and what lies between them
// is undecided: reading it would mean waiting for the transaction, for
// ever if it hangs. Every offset below the last stable offset is decided,
// so the read ends exactly when the fetch position reaches it, even when
// the partition ends in an abort marker that yields no record. Nothing is
// left to a quiet-period guess. [Topic.Undecided] reports the records left
// unread because their transaction was open. The reader fetches by hand
// rather than through sarama's partition consumer because only then does
// it know its own position. Its context bounds the whole read. The topics
// must not be compacted: sarama does not hand over a batch that compaction
// emptied, and a read that cannot get past one fails at its deadline.
//
// The output and dead-letter topics' ends should be captured before the
// input's (pass them first): then every output record has its input in
// view, and a pipeline still running shows up as lost records rather than
// as phantoms. Run the checker once the pipeline has drained.
//
// # What a ticket is
//
// A record is a ticket when its value is a JSON object whose ticket_id and
// order_id are non-empty strings and whose sequence is a whole number of at
// least 1. Any other input record is a bad record. Bad records must be
// dead-lettered, and they are accounted for by position, not by ticket. A
// ticket is identified by its ticket_id everywhere. A bad record written
// for a chaos run should not carry a real order's ticket fields, or it
// takes part in that order's checks.
//
// Chaos runs replay nothing from the dead-letter topic. A replayed ticket
// would show up as an input duplicate, and as published and dead-lettered.
//
// # The defects
//
// [Check] reports each kind on its own list, with enough to find the
// records: order id, sequence numbers, topic, partition and offset.
//
//   - lost: an input ticket that is in neither the output nor the
//     dead-letter topic, or a bad record that was not dead-lettered.
//     A dead-lettered ticket is not lost, whatever the reason.
//   - acked_missing: the producer reported more tickets acknowledged
//     than the input holds.
//   - duplicated: a ticket the output holds more than once.
//   - duplicated_dead_letter: an input record dead-lettered more than once.
//   - output_and_dead_letter: a ticket both published and dead-lettered.
//     One of the two writes is one too many, so it is judged as a
//     duplicate.
//   - reordered: an order whose output, read in partition and offset
//     order, meets the order's sequence numbers for the first time
//     out of increasing order, or whose records are on more than one
//     partition. Repeats of a sequence number already met are duplicates
//     and do not count here. Tickets that were dead-lettered are simply
//     absent: an order whose output is 1, 2, 4 after 3 was dead-lettered
//     is in order, and 1, 4, 2 is not.
//   - input_gap: an order whose input lacks some sequence number between 1
//     and its highest. Trailing tickets not yet written are not a gap.
//   - input_duplicate: a ticket the input holds more than once.
//   - input_reordered: the reordered rule applied to the input.
//   - phantom: an output record that is not a ticket, whose ticket_id no
//     input ticket has, or whose order_id or sequence differs from the
//     input's.
//   - phantom_dead_letter: a dead letter whose original position headers
//     name no input record, or one whose value differs from the input
//     record there. A dead letter without those headers is matched by
//     its ticket_id instead; one that is not a ticket is a phantom.
//
// # Verdicts
//
// [Judge] fails loss, acked_missing, input gaps, reordering (output and
// input) and phantoms under every guarantee. Duplicates of every kind
// (duplicated, duplicated_dead_letter, output_and_dead_letter,
// input_duplicate) fail under exactly_once. Under at_least_once they are
// reported, and each one is forgiven only when a fault explains it: the
// ticket must have been in flight when the fault hit.
//
// The test of "in flight" uses the copies' record timestamps, which the
// pipeline sets when it first sends a record and keeps across its own
// resends. The scheduler passes each fault's wall-clock window [Start, End]
// and one Lead. With a duplicate's copies sorted by timestamp, every copy
// after the first must be explained by a fault, together with the copy
// before it:
//
//   - the earlier copy was written from Lead before the fault's Start up to
//     its End. The ticket was finished, or being sent, but possibly not
//     committed, when the fault hit; and
//   - the repeat was written at or after the fault's Start (the ticket was
//     processed again because of the fault), or has exactly the earlier
//     copy's timestamp (the same send, resent after the fault ate the
//     answer).
//
// A duplicate whose copies were all written well before any fault, or
// long after, is a bug and fails. Timestamps and fault times must come
// from the same clock; on the one machine the chaos suite runs on they do.
package checker
