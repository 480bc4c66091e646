package config_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/consumer"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/producer"
)

// pemFiles are PEM files written once per test by writePEMFiles.
type pemFiles struct {
	cert, key, otherKey, empty string
}

// writePEMFiles writes a self-signed CA certificate and its key, a key of
// another pair, and a file with text but no PEM block.
func writePEMFiles(t *testing.T) pemFiles {
	t.Helper()
	dir := t.TempDir()
	newKey := func() (*ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		der, err := x509.MarshalPKCS8PrivateKey(k)
		require.NoError(t, err)
		return k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	key, keyPEM := newKey()
	_, otherKeyPEM := newKey()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	f := pemFiles{
		cert: filepath.Join(dir, "ca.pem"), key: filepath.Join(dir, "ca.key"),
		otherKey: filepath.Join(dir, "other.key"), empty: filepath.Join(dir, "notes.txt"),
	}
	for path, data := range map[string][]byte{
		f.cert:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		f.key:      keyPEM,
		f.otherKey: otherKeyPEM,
		f.empty:    []byte("this is not a certificate\n"),
	} {
		require.NoError(t, os.WriteFile(path, data, 0o600))
	}
	return f
}

// TestKafkaValidation runs each bad value through both daemons' loaders
// and expects exactly one problem, naming the variable and the value.
func TestKafkaValidation(t *testing.T) {
	files := writePEMFiles(t)
	tlsOn := func(vars map[string]string) map[string]string {
		vars["KAFKA_TLS_ENABLED"] = "true"
		return vars
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"space in broker host", map[string]string{"KAFKA_BROKERS": "a b:1"},
			`KAFKA_BROKERS entry "a b:1": want a host name (letters, digits, '-', '_' and '.') or an IP address`},
		{"empty label in broker host", map[string]string{"KAFKA_BROKERS": "k1:9092,kafka..local:9092"}, `KAFKA_BROKERS entry "kafka..local:9092": want a host name`},
		{"slash in broker host", map[string]string{"KAFKA_BROKERS": "http://k1:9092"}, `KAFKA_BROKERS entry "http://k1:9092": want host:port`},
		{"broker label over 63 bytes", map[string]string{"KAFKA_BROKERS": strings.Repeat("k", 64) + ":9092"}, "want a host name"},
		{"control character in client id", map[string]string{"KAFKA_CLIENT_ID": "orders\x01app"},
			`KAFKA_CLIENT_ID="orders\x01app": must hold only printable characters (no control characters)`},
		{"newline in client id", map[string]string{"KAFKA_CLIENT_ID": "orders\napp"}, `KAFKA_CLIENT_ID="orders\napp": must hold only printable characters`},
		{"invalid UTF-8 in client id", map[string]string{"KAFKA_CLIENT_ID": "orders\xff"}, `KAFKA_CLIENT_ID="orders\xff": must be valid UTF-8`},
		{"version above the client's newest", map[string]string{"KAFKA_VERSION": "99.0.0"},
			`KAFKA_VERSION="99.0.0": want at most ` + sarama.MaxVersion.String() + ", the newest version the Kafka client knows"},
		{"space in server name", tlsOn(map[string]string{"KAFKA_TLS_SERVER_NAME": "x y"}),
			`KAFKA_TLS_SERVER_NAME="x y": want a host name (letters, digits, '-', '_' and '.') or an IP address`},
		{"port in server name", tlsOn(map[string]string{"KAFKA_TLS_SERVER_NAME": "broker:9093"}), `KAFKA_TLS_SERVER_NAME="broker:9093": want a host name`},
		{"server name without TLS", map[string]string{"KAFKA_TLS_SERVER_NAME": "broker.example"},
			`KAFKA_TLS_SERVER_NAME="broker.example": set KAFKA_TLS_ENABLED=true to use it`},
		{"skip verify without TLS", map[string]string{"KAFKA_TLS_INSECURE_SKIP_VERIFY": "true"},
			"KAFKA_TLS_INSECURE_SKIP_VERIFY=true: set KAFKA_TLS_ENABLED=true to use it"},
		{"CA file without a certificate", tlsOn(map[string]string{"KAFKA_TLS_CA_FILE": files.empty}),
			`KAFKA_TLS_CA_FILE="` + files.empty + `": holds no PEM certificate: want a PEM bundle of CA certificates`},
		{"CA file holding a key", tlsOn(map[string]string{"KAFKA_TLS_CA_FILE": files.key}), `KAFKA_TLS_CA_FILE="` + files.key + `": holds no PEM certificate`},
		{"missing CA file is reported once", tlsOn(map[string]string{"KAFKA_TLS_CA_FILE": "/no/such/ca.pem"}),
			`KAFKA_TLS_CA_FILE="/no/such/ca.pem": no such file or directory`},
		{"key of another certificate", tlsOn(map[string]string{"KAFKA_TLS_CERT_FILE": files.cert, "KAFKA_TLS_KEY_FILE": files.otherKey}),
			`KAFKA_TLS_CERT_FILE="` + files.cert + `" and KAFKA_TLS_KEY_FILE="` + files.otherKey + `": want a PEM certificate and its private key`},
		{"certificate file without a certificate", tlsOn(map[string]string{"KAFKA_TLS_CERT_FILE": files.empty, "KAFKA_TLS_KEY_FILE": files.key}),
			`KAFKA_TLS_CERT_FILE="` + files.empty + `" and KAFKA_TLS_KEY_FILE="` + files.key + `": want a PEM certificate and its private key`},
	}
	loaders := map[string]func([]string, func(string) (string, bool)) error{
		"producer": func(args []string, lookup func(string) (string, bool)) error {
			_, err := producer.LoadServiceConfig(args, lookup)
			return err
		},
		"consumer": func(args []string, lookup func(string) (string, bool)) error {
			_, err := consumer.LoadServiceConfig(args, lookup)
			return err
		},
	}
	for _, tt := range tests {
		for name, load := range loaders {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				err := load(nil, env(tt.env))

				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				assert.Len(t, strings.Split(err.Error(), "\n"), 1, "one problem: %v", err)
			})
		}
	}
}

func TestKafkaValidationAccepts(t *testing.T) {
	files := writePEMFiles(t)
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"IPv4 broker", map[string]string{"KAFKA_BROKERS": "10.0.0.7:9092"}},
		{"IPv6 broker", map[string]string{"KAFKA_BROKERS": "[::1]:9092,[fe80::1%eth0]:9092"}},
		{"underscore and final dot in broker host", map[string]string{"KAFKA_BROKERS": "kafka_0.svc.cluster.local.:9092"}},
		{"client id with spaces and letters beyond ASCII", map[string]string{"KAFKA_CLIENT_ID": "Bestellung Verbraucher ä"}},
		{"the client's newest version", map[string]string{"KAFKA_VERSION": sarama.MaxVersion.String()}},
		{"TLS with a CA, a key pair and a server name", map[string]string{"KAFKA_TLS_ENABLED": "true",
			"KAFKA_TLS_CA_FILE": files.cert, "KAFKA_TLS_CERT_FILE": files.cert, "KAFKA_TLS_KEY_FILE": files.key,
			"KAFKA_TLS_SERVER_NAME": "broker.kafkatest"}},
		{"TLS server name as an IP address", map[string]string{"KAFKA_TLS_ENABLED": "true", "KAFKA_TLS_SERVER_NAME": "10.0.0.7"}},
		{"TLS without verification", map[string]string{"KAFKA_TLS_ENABLED": "true", "KAFKA_TLS_INSECURE_SKIP_VERIFY": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := consumer.LoadServiceConfig(nil, env(tt.env))
			assert.NoError(t, err)
			_, err = producer.LoadServiceConfig(nil, env(tt.env))
			assert.NoError(t, err)
		})
	}
}

func TestTLSFilesLoad(t *testing.T) {
	files := writePEMFiles(t)
	tls := kafka.TLS{Enabled: true, CAFile: files.cert, CertFile: files.cert, KeyFile: files.key}

	pool, err := tls.RootCAs()
	require.NoError(t, err)
	assert.NotNil(t, pool)
	certs, err := tls.ClientCertificates()
	require.NoError(t, err)
	assert.Len(t, certs, 1)

	pool, err = kafka.TLS{}.RootCAs()
	require.NoError(t, err)
	assert.Nil(t, pool, "no CA file: the system pool")
	certs, err = kafka.TLS{}.ClientCertificates()
	require.NoError(t, err)
	assert.Empty(t, certs)
}

func TestConsumerValidation(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"dead letters into the output topic", map[string]string{"OUTPUT_TOPIC": "out", "DLQ_TOPIC": "out"},
			`DLQ_TOPIC="out": must differ from OUTPUT_TOPIC`},
		{"reading the output topic", map[string]string{"KAFKA_TOPIC": "tickets.processed"},
			`KAFKA_TOPIC="tickets.processed": must differ from OUTPUT_TOPIC and DLQ_TOPIC`},
		{"reading the dead-letter topic", map[string]string{"KAFKA_TOPIC": "tickets.dlq"},
			`KAFKA_TOPIC="tickets.dlq": must differ from OUTPUT_TOPIC and DLQ_TOPIC`},
		{"fewer in flight than workers", map[string]string{"WORKERS": "8", "MAX_IN_FLIGHT": "4"},
			"MAX_IN_FLIGHT=4: must be >= WORKERS (8)"},
		{"more workers than the default in flight", map[string]string{"WORKERS": "1024"},
			"MAX_IN_FLIGHT=1000: must be >= WORKERS (1024)"},
		{"zero in flight", map[string]string{"MAX_IN_FLIGHT": "0"}, "MAX_IN_FLIGHT=0: must be >= 1"},
		{"control character in group id", map[string]string{"GROUP_ID": "orders\x1b[31m"},
			`GROUP_ID="orders\x1b[31m": must hold only printable characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := consumer.LoadServiceConfig(nil, env(tt.env))

			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Len(t, strings.Split(err.Error(), "\n"), 1, "one problem: %v", err)
		})
	}
}

func TestConsumerAcceptsAsManyInFlightAsWorkers(t *testing.T) {
	c, err := consumer.LoadServiceConfig(nil, env(map[string]string{"WORKERS": "16", "MAX_IN_FLIGHT": "16"}))
	require.NoError(t, err)
	assert.Equal(t, 16, c.Consumer.MaxInFlight)
}
