package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
	if err := CheckHost(host); err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("port must be 1-65535")
	}
	return nil
}

// CheckHost reports a host that is neither an IP address nor a host name:
// at most 253 bytes of dot-separated labels of 1-63 letters, digits, '-'
// or '_', with an optional final dot. The underscore is not in the DNS
// host name rules but is common in container and service names.
func CheckHost(host string) error {
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

// CheckPrintable reports a string that is not valid UTF-8 or holds a
// character that is not printable, such as a control character, which
// would end up in the brokers' logs and request metrics.
func CheckPrintable(s string) error {
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

// ValidLogLevel reports whether level is one the loggers accept.
func ValidLogLevel(level string) bool {
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
