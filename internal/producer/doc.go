// Package producer turns generated tickets into Kafka records at a steady,
// rate-limited pace and delivers every one of them, in order per OrderID.
//
// The delivery rule: a send holds at most one ticket per order, and the
// next send of an order's tickets starts only after its previous ticket was
// acknowledged. Tickets whose send failed are sent again before anything
// later of their order, so retries can neither reorder nor skip a
// sequence number. The sarama client retries a failed request itself first,
// keeping the idempotent producer's sequence numbers, so a short broker
// outage costs no duplicates either.
package producer
