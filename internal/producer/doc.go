// Package producer turns generated tickets into Kafka records at a steady,
// rate-limited pace and delivers every one of them, in order per OrderID.
//
// The delivery rule: a send holds at most one ticket per order, and the
// next send of an order's tickets starts only after its previous ticket was
// acknowledged. Tickets whose send failed are sent again before anything
// later of their order, so retries can neither reorder nor skip a
// sequence number.
//
// Resending must not duplicate either. The sarama client retries a failed
// request itself first, keeping the idempotent producer's sequence numbers,
// so the broker discards a copy it already has. But once sarama gives up on
// a ticket (its retries ran out, or the partition's leader could not be
// found while the broker was away) it bumps the producer epoch, and the
// broker no longer recognises a resend. A request can also have been
// written with only its answer lost, when the connection dropped or the
// broker stopped. So before a failed ticket is sent again, the topic is
// searched for it (Options.FindWritten), from the offset of its first
// send's timestamp; what is found counts as delivered.
package producer
