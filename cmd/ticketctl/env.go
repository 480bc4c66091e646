package main

import (
	"errors"
	"fmt"
	"strings"

	"ticket-processor/internal/config"
	"ticket-processor/internal/kafka"
)

// loadKafka builds the connection settings the way the daemons do, from
// the KAFKA_* environment variables with the same defaults and checks,
// except the brokers, which come from brokers (the --brokers flag), and
// returns every problem found.
func loadKafka(lookup func(string) (string, bool), brokers string) (kafka.Config, []error) {
	var k kafka.Config
	k.SetDefaults("ticket-processor-" + binaryName)
	s := config.NewSource(binaryName, lookup)
	k.Bind(s)
	var errs []error
	if err := s.Finish(nil); err != nil {
		errs = append(errs, err)
	}

	k.Brokers = nil
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			k.Brokers = append(k.Brokers, b)
		}
	}
	if len(k.Brokers) == 0 {
		errs = append(errs, errors.New("--brokers is empty: want at least one host:port"))
	}
	for _, b := range k.Brokers {
		if err := config.CheckHostPort(b); err != nil {
			errs = append(errs, fmt.Errorf("--brokers entry %q: %w", b, err))
		}
	}
	// The brokers were checked above under the flag's name; give Validate
	// a placeholder so that it does not report them again as KAFKA_BROKERS.
	check := k
	check.Brokers = []string{"localhost:9092"}
	if err := check.Validate(); err != nil {
		errs = append(errs, err)
	}
	return k, errs
}
