// Package generator produces realistic, valid streams of ticket events for
// the producer.
//
// A [Generator] keeps [Config].Orders orders open at once. Each call to
// [Generator.Next] picks one of them at random and returns its next event, so
// the events of different orders interleave the way they would in a shop.
//
// # Order lifecycle
//
// Every order goes through
//
//  1. created (sequence 1),
//  2. zero to MaxUpdates updated events, the count drawn per order,
//  3. exactly one of paid or cancelled (about 15% of orders are cancelled),
//  4. closed, its last event.
//
// Sequences run 1, 2, 3… per order without gaps. Once an order is closed it
// is retired and a brand-new order takes its place, so the number of open
// orders never changes.
//
// Each order has one customer from a fixed pool ("cust-000123") and one
// currency for its whole life, drawn from a weighted set of common currencies
// (EUR, USD, GBP, JPY, CHF, SEK, …).
//
// # Amounts
//
// Amount is always the order total as of the event, in minor units of the
// order's currency (cents for EUR, yen for JPY): created carries the first
// total, each updated carries a new, different total, and paid, cancelled and
// closed repeat the final total. Totals are realistic for the currency, e.g.
// a few euros to a few hundred euros, or a few hundred to tens of thousands of
// yen.
//
// # Determinism
//
// All randomness, including order IDs ("ord-" + 16 hex digits) and ticket IDs
// (version 4 UUIDs), comes from one PCG generator. With a non-zero Seed and a
// deterministic Now the stream is identical on every run; two producers given
// the same non-zero Seed therefore produce the same order IDs. With Seed 0 the
// seed is drawn from crypto/rand, so order IDs do not repeat across restarts;
// [Generator.Seed] reports the seed actually used so a run can be replayed.
package generator
