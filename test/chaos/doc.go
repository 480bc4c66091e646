// Package chaos is the chaos suite: it runs the producer and the consumer
// against real brokers under load, injects the faults a seed schedules
// (package scenario), heals them, lets the pipeline drain and has the
// independent checker (package checker) judge the three topics.
//
// The suite itself is TestChaos, behind the integration build tag, so that
// `make test` runs its short set with the other integration tests and
// `make chaos` runs it alone with the variables below. This file and the
// report table are untagged so that the table has unit tests.
//
//   - CHAOS_RUNS: runs of the full set, seeds CHAOS_SEED, CHAOS_SEED+1, …
//     (a random first seed, printed, when CHAOS_SEED is unset). Unset with
//     CHAOS_SEED unset: the short set (scenario.ShortSet).
//   - CHAOS_SEED: replay this seed (alone, unless CHAOS_RUNS is set).
//   - CHAOS_SECONDS: seconds of load per run (default 30; 15 in the short
//     set). A schedule depends on it, so a replay needs the same value.
//   - CHAOS_GUARANTEE: at_least_once (default, as the consumer's own) or
//     exactly_once: passed to the consumer as PROCESSING_GUARANTEE, and
//     the guarantee each run is judged by.
//   - CHAOS_RATE, CHAOS_RATE_CLUSTER: tickets per second on one broker
//     (default 2000, the baseline's rate) and on three (default 1000).
//     Measured on two cores with everything on them: at these rates the
//     pipeline drains within two seconds of the load's end after a
//     30-second run with broker faults, so the members keep up.
//   - CHAOS_REPORT: a file to write the final table to.
//
// A run: fresh topics of 6 partitions on a cluster shared by the runs of
// its shape (one broker, or three), every client behind toxiproxy; two
// consumer members, then the producer; the faults at their times, each
// healed at its end, with its real start and end recorded for the
// checker; then the producer stopped with SIGTERM, the group's committed
// offsets awaited at the input's end, the members stopped with SIGTERM,
// and the topics read and judged. Loss and reordering fail every run;
// duplicates fail under exactly_once and, under at_least_once, unless the
// ticket was in flight when a fault hit. A pipeline that does not drain
// within its deadline fails the run with the offsets it reached.
package chaos
