package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/IBM/sarama"
)

// Secret is a string that never shows itself in logs or fmt output.
type Secret string

// String returns a fixed mask, or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// MarshalText keeps the secret out of JSON and zap's reflection encoder.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret itself, for handing to the Kafka client only.
func (s Secret) Reveal() string { return string(s) }

// SASL mechanisms the clients support.
const (
	SASLNone        = ""
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Kafka is the connection section both binaries share.
type Kafka struct {
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
	Password Secret
}

func (k *Kafka) bind(s *source, clientID string) {
	s.List(&k.Brokers, "KAFKA_BROKERS", []string{"localhost:9092"}, "comma-separated Kafka bootstrap brokers, host:port")
	s.String(&k.ClientID, "KAFKA_CLIENT_ID", clientID, "client id sent to the brokers")
	s.String(&k.Version, "KAFKA_VERSION", "4.0.0", "lowest Kafka version in the cluster")
	s.Duration(&k.DialTimeout, "KAFKA_DIAL_TIMEOUT", 10*time.Second, "timeout for connecting to a broker")
	s.Bool(&k.TLS.Enabled, "KAFKA_TLS_ENABLED", false, "connect to the brokers over TLS")
	s.String(&k.TLS.CAFile, "KAFKA_TLS_CA_FILE", "", "PEM file of CAs to trust (empty: system roots)")
	s.String(&k.TLS.CertFile, "KAFKA_TLS_CERT_FILE", "", "PEM client certificate for mutual TLS")
	s.String(&k.TLS.KeyFile, "KAFKA_TLS_KEY_FILE", "", "PEM client key for mutual TLS")
	s.String(&k.TLS.ServerName, "KAFKA_TLS_SERVER_NAME", "", "server name to verify (empty: the broker host)")
	s.Bool(&k.TLS.InsecureSkipVerify, "KAFKA_TLS_INSECURE_SKIP_VERIFY", false, "skip broker certificate verification (unsafe)")
	s.String(&k.SASL.Mechanism, "KAFKA_SASL_MECHANISM", SASLNone, "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: none)")
	s.String(&k.SASL.Username, "KAFKA_SASL_USERNAME", "", "SASL user name")
	s.Secret(&k.SASL.Password, "KAFKA_SASL_PASSWORD", "SASL password")
}

// ParsedVersion returns Version as a sarama.KafkaVersion.
func (k Kafka) ParsedVersion() (sarama.KafkaVersion, error) {
	return sarama.ParseKafkaVersion(k.Version)
}

// Validate returns every problem in the section.
func (k Kafka) Validate() error {
	var errs []error
	if len(k.Brokers) == 0 {
		errs = append(errs, errors.New("KAFKA_BROKERS is empty: want at least one host:port"))
	}
	for _, b := range k.Brokers {
		if err := CheckHostPort(b); err != nil {
			errs = append(errs, fmt.Errorf("KAFKA_BROKERS entry %q: %w", b, err))
		}
	}
	if k.ClientID == "" {
		errs = append(errs, errors.New("KAFKA_CLIENT_ID is empty: want a client id"))
	} else if err := checkPrintable(k.ClientID); err != nil {
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
		if err := checkHost(t.ServerName); err != nil {
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

// CheckHostPort reports an address that is not host:port with a host name
// or IP address (IPv6 in brackets) and a port in 1-65535.
func CheckHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port")
	}
	if host == "" {
		return errors.New("host is empty")
	}
	if err := checkHost(host); err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("port must be 1-65535")
	}
	return nil
}

// checkHost reports a host that is neither an IP address nor a host name:
// at most 253 bytes of dot-separated labels of 1-63 letters, digits, '-'
// or '_', with an optional final dot. The underscore is not in the DNS
// host name rules but is common in container and service names.
func checkHost(host string) error {
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	const want = "want a host name (letters, digits, '-', '_' and '.') or an IP address"
	name := strings.TrimSuffix(host, ".")
	if name == "" || len(name) > 253 {
		return errors.New(want)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return errors.New(want)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return errors.New(want)
			}
		}
	}
	return nil
}

// checkPrintable reports a string that is not valid UTF-8 or holds a
// character that is not printable, such as a control character, which
// would end up in the brokers' logs and request metrics.
func checkPrintable(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("must be valid UTF-8")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return errors.New("must hold only printable characters (no control characters)")
		}
	}
	return nil
}

// Service is the section every daemon has: its HTTP port, logging and
// shutdown budget.
type Service struct {
	// MetricsPort serves /metrics, /healthz and /readyz (producer 2112, consumer 2113).
	MetricsPort int
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string
	// ShutdownTimeout bounds a graceful stop (default 10s).
	ShutdownTimeout time.Duration
}

func (v *Service) bind(s *source, port int) {
	s.Int(&v.MetricsPort, "METRICS_PORT", port, "port for /metrics, /healthz and /readyz")
	s.String(&v.LogLevel, "LOG_LEVEL", "info", "log level: debug, info, warn or error")
	s.Duration(&v.ShutdownTimeout, "SHUTDOWN_TIMEOUT", 10*time.Second, "time allowed for a graceful stop")
}

// Validate returns every problem in the section.
func (v Service) Validate() error {
	var errs []error
	if v.MetricsPort < 1 || v.MetricsPort > 65535 {
		errs = append(errs, fmt.Errorf("METRICS_PORT=%d: must be 1-65535", v.MetricsPort))
	}
	if !validLogLevel(v.LogLevel) {
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", v.LogLevel))
	}
	if v.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("SHUTDOWN_TIMEOUT=%s: must be > 0", v.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// validLogLevel reports whether level is one the loggers accept.
func validLogLevel(level string) bool {
	switch strings.ToLower(level) {
	case "debug", "info", "warn", "error":
		return true
	}
	return false
}

// CheckTopic returns an error naming setting (a variable or a flag) when
// name is a topic name Kafka would refuse.
func CheckTopic(setting, name string) error {
	if name == "" {
		return fmt.Errorf("%s is empty: want a topic name", setting)
	}
	if len(name) > 249 || name == "." || name == ".." {
		return fmt.Errorf("%s=%q: not a valid topic name", setting, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%s=%q: topic names use only letters, digits, '.', '_' and '-'", setting, name)
		}
	}
	return nil
}
