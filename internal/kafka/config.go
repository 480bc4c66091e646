package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/IBM/sarama"

	"ticket-processor/internal/config"
)

// SASL mechanisms the clients support.
const (
	SASLNone        = ""
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Config is the connection section every binary shares: where the
// brokers are, who the client is, and how it authenticates. A new Config
// holds nothing; SetDefaults fills in the defaults.
type Config struct {
	// Brokers are the bootstrap addresses, host:port (default localhost:9092).
	Brokers []string
	// ClientID names the client to the brokers (default ticket-processor-<binary>).
	ClientID string
	// Version is the lowest Kafka version in the cluster (default 4.0.0).
	Version string
	// DialTimeout bounds connecting to a broker (default 10s).
	DialTimeout time.Duration
	TLS         TLS
	SASL        SASL
}

// TLS configures encryption to the brokers.
type TLS struct {
	// Enabled turns TLS on (default false).
	Enabled bool
	// CAFile is a PEM bundle of CAs to trust; empty means the system pool.
	CAFile string
	// CertFile and KeyFile are the client certificate and key, for mutual TLS.
	CertFile string
	KeyFile  string
	// ServerName overrides the name verified in the broker certificate: a
	// host name or an IP address.
	ServerName string
	// InsecureSkipVerify disables certificate verification (default false).
	InsecureSkipVerify bool
}

// RootCAs returns the certificates of CAFile as a pool, or nil, meaning the
// system pool, when CAFile is empty. A file that holds no PEM certificate is
// an error.
func (t TLS) RootCAs() (*x509.CertPool, error) {
	if t.CAFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("KAFKA_TLS_CA_FILE=%q: %w", t.CAFile, pathCause(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("KAFKA_TLS_CA_FILE=%q: holds no PEM certificate: want a PEM bundle of CA certificates", t.CAFile)
	}
	return pool, nil
}

// ClientCertificates returns the key pair of CertFile and KeyFile, or none
// when both are empty.
func (t TLS) ClientCertificates() ([]tls.Certificate, error) {
	if t.CertFile == "" && t.KeyFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("KAFKA_TLS_CERT_FILE=%q and KAFKA_TLS_KEY_FILE=%q: want a PEM certificate and its private key: %w",
			t.CertFile, t.KeyFile, err)
	}
	return []tls.Certificate{cert}, nil
}

// pathCause drops the operation and path from a *fs.PathError, which the
// caller names already.
func pathCause(err error) error {
	if cause := errors.Unwrap(err); cause != nil {
		return cause
	}
	return err
}

// SASL configures authentication to the brokers.
type SASL struct {
	// Mechanism is empty (no SASL), PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string
	Username  string
	// Password comes from KAFKA_SASL_PASSWORD or the file named by
	// KAFKA_SASL_PASSWORD_FILE; it is never logged.
	Password config.Secret
}

// SetDefaults sets every field to its default, with clientID as the
// client id.
func (k *Config) SetDefaults(clientID string) {
	*k = Config{
		Brokers:     []string{"localhost:9092"},
		ClientID:    clientID,
		Version:     "4.0.0",
		DialTimeout: 10 * time.Second,
	}
}

// Bind declares the section's variables, KAFKA_*.
func (k *Config) Bind(s *config.Source) {
	s.List(&k.Brokers, "KAFKA_BROKERS", "comma-separated Kafka bootstrap brokers, host:port")
	s.String(&k.ClientID, "KAFKA_CLIENT_ID", "client id sent to the brokers")
	s.String(&k.Version, "KAFKA_VERSION", "lowest Kafka version in the cluster")
	s.Duration(&k.DialTimeout, "KAFKA_DIAL_TIMEOUT", "timeout for connecting to a broker")
	s.Bool(&k.TLS.Enabled, "KAFKA_TLS_ENABLED", "connect to the brokers over TLS")
	s.String(&k.TLS.CAFile, "KAFKA_TLS_CA_FILE", "PEM file of CAs to trust (empty: system roots)")
	s.String(&k.TLS.CertFile, "KAFKA_TLS_CERT_FILE", "PEM client certificate for mutual TLS")
	s.String(&k.TLS.KeyFile, "KAFKA_TLS_KEY_FILE", "PEM client key for mutual TLS")
	s.String(&k.TLS.ServerName, "KAFKA_TLS_SERVER_NAME", "server name to verify (empty: the broker host)")
	s.Bool(&k.TLS.InsecureSkipVerify, "KAFKA_TLS_INSECURE_SKIP_VERIFY", "skip broker certificate verification (unsafe)")
	s.String(&k.SASL.Mechanism, "KAFKA_SASL_MECHANISM", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: none)")
	s.String(&k.SASL.Username, "KAFKA_SASL_USERNAME", "SASL user name")
	s.Secret(&k.SASL.Password, "KAFKA_SASL_PASSWORD", "SASL password")
}

// ParsedVersion returns Version as a sarama.KafkaVersion.
func (k Config) ParsedVersion() (sarama.KafkaVersion, error) {
	return sarama.ParseKafkaVersion(k.Version)
}

// Validate returns every problem in the section.
func (k Config) Validate() error {
	var errs []error
	if len(k.Brokers) == 0 {
		errs = append(errs, errors.New("KAFKA_BROKERS is empty: want at least one host:port"))
	}
	for _, b := range k.Brokers {
		if err := config.CheckHostPort(b); err != nil {
			errs = append(errs, fmt.Errorf("KAFKA_BROKERS entry %q: %w", b, err))
		}
	}
	if k.ClientID == "" {
		errs = append(errs, errors.New("KAFKA_CLIENT_ID is empty: want a client id"))
	} else if err := config.CheckPrintable(k.ClientID); err != nil {
		errs = append(errs, fmt.Errorf("KAFKA_CLIENT_ID=%q: %w", k.ClientID, err))
	}
	if v, err := k.ParsedVersion(); err != nil {
		errs = append(errs, fmt.Errorf("KAFKA_VERSION=%q: want a Kafka version such as 4.0.0", k.Version))
	} else if !v.IsAtLeast(sarama.V2_1_0_0) {
		errs = append(errs, fmt.Errorf("KAFKA_VERSION=%q: want 2.1.0 or later (idempotent, zstd-capable clients)", k.Version))
	} else if !sarama.MaxVersion.IsAtLeast(v) {
		// sarama would speak its newest protocol versions to a broker it
		// knows nothing about; the setting is the oldest broker in the
		// cluster, so a value above what the client knows is a typo.
		errs = append(errs, fmt.Errorf("KAFKA_VERSION=%q: want at most %s, the newest version the Kafka client knows", k.Version, sarama.MaxVersion))
	}
	if k.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("KAFKA_DIAL_TIMEOUT=%s: must be > 0", k.DialTimeout))
	}
	errs = append(errs, k.TLS.validate()...)
	errs = append(errs, k.SASL.validate()...)
	return errors.Join(errs...)
}

func (t TLS) validate() []error {
	var errs []error
	files := []struct{ env, path string }{
		{"KAFKA_TLS_CA_FILE", t.CAFile},
		{"KAFKA_TLS_CERT_FILE", t.CertFile},
		{"KAFKA_TLS_KEY_FILE", t.KeyFile},
	}
	unreadable := map[string]bool{}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if !t.Enabled {
			errs = append(errs, fmt.Errorf("%s=%q: set KAFKA_TLS_ENABLED=true to use it", f.env, f.path))
		}
		if _, err := os.Stat(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", f.env, f.path, pathCause(err)))
			unreadable[f.env] = true
		}
	}
	if t.ServerName != "" {
		if !t.Enabled {
			errs = append(errs, fmt.Errorf("KAFKA_TLS_SERVER_NAME=%q: set KAFKA_TLS_ENABLED=true to use it", t.ServerName))
		}
		if err := config.CheckHost(t.ServerName); err != nil {
			errs = append(errs, fmt.Errorf("KAFKA_TLS_SERVER_NAME=%q: %w", t.ServerName, err))
		}
	}
	if t.InsecureSkipVerify && !t.Enabled {
		errs = append(errs, errors.New("KAFKA_TLS_INSECURE_SKIP_VERIFY=true: set KAFKA_TLS_ENABLED=true to use it"))
	}
	// Read the files now, so that one holding the wrong thing is a
	// configuration error (status 2), not a failure at connect time. A
	// file already reported as missing is not reported again.
	if t.CAFile != "" && !unreadable["KAFKA_TLS_CA_FILE"] {
		if _, err := t.RootCAs(); err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case (t.CertFile == "") != (t.KeyFile == ""):
		errs = append(errs, errors.New("KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE: set both or neither"))
	case t.CertFile != "" && !unreadable["KAFKA_TLS_CERT_FILE"] && !unreadable["KAFKA_TLS_KEY_FILE"]:
		if _, err := t.ClientCertificates(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (s SASL) validate() []error {
	var errs []error
	switch s.Mechanism {
	case SASLNone:
		if s.Username != "" || s.Password != "" {
			errs = append(errs, errors.New("KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set but KAFKA_SASL_MECHANISM is empty: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"))
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if s.Username == "" {
			errs = append(errs, fmt.Errorf("KAFKA_SASL_USERNAME is empty: required with KAFKA_SASL_MECHANISM=%s", s.Mechanism))
		}
		if s.Password == "" {
			errs = append(errs, fmt.Errorf("KAFKA_SASL_PASSWORD is empty: required with KAFKA_SASL_MECHANISM=%s (or set KAFKA_SASL_PASSWORD_FILE)", s.Mechanism))
		}
	default:
		errs = append(errs, fmt.Errorf("KAFKA_SASL_MECHANISM=%q: want PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or empty", s.Mechanism))
	}
	return errs
}
