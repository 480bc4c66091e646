// Package scenario turns a seed into a chaos run's plan: the shape of the
// Kafka cluster and a schedule of one to four faults, each with the time it
// starts after the load begins and how long it lasts. It only plans; the
// chaos suite in test/chaos carries the plan out and the checker judges
// the result.
//
// # Seeds
//
// [Plan] is a pure function of the seed and the length of the load: the
// same pair always gives the same plan, on every machine, so a run is
// replayed by its seed (`make chaos SEED=… SECONDS=…`). The plan draws from
// a PCG generator seeded with the seed, in a fixed order: the cluster
// shape, the number of faults, then for each fault its kind, target,
// length, parameters and start.
//
// # Shapes
//
// One run in four gets a three-broker cluster (replication factor 3,
// min.insync.replicas 2); the others a single broker. A three-broker run
// always has at least one broker fault, and every broker fault there takes
// down one broker of three.
//
// # Faults
//
// The kinds are listed at [Kind]. Every fault claims a resource: a
// consumer member, the producer, the extra members of a rebalance, the
// brokers, or the network. Two faults on one resource never overlap (a
// member is not killed while it is frozen; no two brokers of three are
// down at once), but faults on different resources do, which is the point:
// a broker stopped while a member is killed and the links are slow. Every
// fault ends, and is healed, before the load ends, leaving a margin of a
// tenth of the load (at least one second) at each end.
package scenario
