package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/IBM/sarama"
	"github.com/eapache/go-resiliency/breaker"
	"github.com/stretchr/testify/assert"
)

func TestIsRejected(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"SASL authentication failed, as NewClient reports it", sarama.Wrap(sarama.ErrOutOfBrokers, sarama.ErrSASLAuthenticationFailed), true},
		{"unsupported SASL mechanism", fmt.Errorf("handshake: %w", sarama.ErrUnsupportedSASLMechanism), true},
		{"unknown certificate authority", sarama.Wrap(sarama.ErrOutOfBrokers, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), true},
		{"certificate for another name", x509.HostnameError{Host: "other.example"}, true},
		{"broker down", sarama.Wrap(sarama.ErrOutOfBrokers, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), false},
		{"timeout", sarama.ErrRequestTimedOut, false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, IsRejected(tt.err))
		})
	}
}

func TestErrorReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{sarama.ErrNotEnoughReplicas, ReasonUnavailable},
		{sarama.Wrap(sarama.ErrOutOfBrokers, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), ReasonUnavailable},
		{fmt.Errorf("publish: %w", breaker.ErrBreakerOpen), ReasonUnavailable},
		{sarama.ErrRequestTimedOut, ReasonTimeout},
		{sarama.ErrMessageSizeTooLarge, ReasonTooLarge},
		{sarama.ErrTopicAuthorizationFailed, ReasonAuth},
		{sarama.ErrUnknownTopicOrPartition, ReasonUnknownTopic},
		{errors.New("boom"), ReasonOther},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			assert.Equal(t, tt.want, ErrorReason(tt.err))
		})
	}
}
