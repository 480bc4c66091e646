package kafkatest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TLSServerName is a DNS name in the certificate of a StartTLSBroker
// broker, besides the IP address 127.0.0.1.
const TLSServerName = "broker.kafkatest"

// StartTLSBroker is StartBroker with an SSL listener as well, at TLSAddr,
// whose certificate is signed by a throwaway CA written to CAFile. The
// certificate names 127.0.0.1 and TLSServerName. Addr stays PLAINTEXT.
func StartTLSBroker(t testing.TB) *Broker {
	t.Helper()
	dir := t.TempDir()
	caFile, keystore := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "broker.pem")
	writeCertificates(t, caFile, keystore)
	port := FreePort(t)
	b := startBroker(t, []string{"KAFKA_SSL_KEYSTORE=" + keystore, fmt.Sprintf("KAFKA_SSL_PORT=%d", port)})
	b.TLSAddr = fmt.Sprintf("127.0.0.1:%d", port)
	b.CAFile = caFile
	return b
}

// writeCertificates writes a new CA's certificate to caFile, and to
// keystore a broker key (PKCS#8, as Kafka's PEM keystore wants) followed
// by its certificate chain.
func writeCertificates(t testing.TB, caFile, keystore string) {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kafkatest CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: TLSServerName},
		DNSNames:     []string{TLSServerName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	require.NoError(t, os.WriteFile(caFile, caPEM, 0o600))
	var ks []byte
	ks = append(ks, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	ks = append(ks, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})...)
	ks = append(ks, caPEM...)
	require.NoError(t, os.WriteFile(keystore, ks, 0o600))
}
