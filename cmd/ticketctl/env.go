package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"ticket-processor/internal/config"
)

// loadKafka builds the connection settings from brokers (the --brokers
// flag) and the KAFKA_* environment variables the daemons read, with the
// same defaults, and returns every problem found.
func loadKafka(lookup func(string) (string, bool), brokers string) (config.Kafka, []error) {
	var errs []error
	k := config.Kafka{
		ClientID:    envOr(lookup, "KAFKA_CLIENT_ID", "ticket-processor-"+binaryName),
		Version:     envOr(lookup, "KAFKA_VERSION", "4.0.0"),
		DialTimeout: 10 * time.Second,
	}
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

	env := func(name string) (string, bool) {
		v, ok := lookup(name)
		return v, ok && strings.TrimSpace(v) != ""
	}
	if raw, ok := env("KAFKA_DIAL_TIMEOUT"); ok {
		if d, err := parseDuration("KAFKA_DIAL_TIMEOUT", raw); err != nil {
			errs = append(errs, err)
		} else {
			k.DialTimeout = d
		}
	}
	for _, b := range []struct {
		env string
		dst *bool
	}{{"KAFKA_TLS_ENABLED", &k.TLS.Enabled}, {"KAFKA_TLS_INSECURE_SKIP_VERIFY", &k.TLS.InsecureSkipVerify}} {
		if raw, ok := env(b.env); ok {
			if v, err := parseBool(b.env, raw); err != nil {
				errs = append(errs, err)
			} else {
				*b.dst = v
			}
		}
	}
	k.TLS.CAFile = envOr(lookup, "KAFKA_TLS_CA_FILE", "")
	k.TLS.CertFile = envOr(lookup, "KAFKA_TLS_CERT_FILE", "")
	k.TLS.KeyFile = envOr(lookup, "KAFKA_TLS_KEY_FILE", "")
	k.TLS.ServerName = envOr(lookup, "KAFKA_TLS_SERVER_NAME", "")
	k.SASL.Mechanism = envOr(lookup, "KAFKA_SASL_MECHANISM", config.SASLNone)
	k.SASL.Username = envOr(lookup, "KAFKA_SASL_USERNAME", "")
	if v, ok := lookup("KAFKA_SASL_PASSWORD"); ok {
		k.SASL.Password = config.Secret(v)
	}
	if path := envOr(lookup, "KAFKA_SASL_PASSWORD_FILE", ""); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("KAFKA_SASL_PASSWORD_FILE=%q: %w", path, err))
		} else {
			k.SASL.Password = config.Secret(strings.TrimRight(string(b), "\r\n"))
		}
	}

	// The brokers were checked above under the flag's name; give Validate
	// a placeholder so that it does not report them again as KAFKA_BROKERS.
	check := k
	check.Brokers = []string{"localhost:9092"}
	errs = appendErr(errs, check.Validate())
	return k, errs
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}
