package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"syscall"

	"github.com/IBM/sarama"
	"github.com/eapache/go-resiliency/breaker"
)

// Reasons a Kafka call failed, as metric label values: a small fixed set.
const (
	ReasonUnavailable  = "unavailable"
	ReasonTimeout      = "timeout"
	ReasonTooLarge     = "too_large"
	ReasonAuth         = "auth"
	ReasonUnknownTopic = "unknown_topic"
	ReasonOther        = "other"
)

// ErrorReason classifies err into one of the Reason constants.
func ErrorReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, sarama.ErrMessageSizeTooLarge), errors.Is(err, sarama.ErrMessageTooLarge):
		return ReasonTooLarge
	case errors.Is(err, sarama.ErrUnknownTopicOrPartition):
		return ReasonUnknownTopic
	case errors.Is(err, sarama.ErrTopicAuthorizationFailed), errors.Is(err, sarama.ErrClusterAuthorizationFailed),
		errors.Is(err, sarama.ErrSASLAuthenticationFailed), errors.Is(err, sarama.ErrTransactionalIDAuthorizationFailed):
		return ReasonAuth
	case errors.Is(err, sarama.ErrRequestTimedOut), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ReasonTimeout
	case errors.Is(err, sarama.ErrOutOfBrokers), errors.Is(err, sarama.ErrNotConnected), errors.Is(err, sarama.ErrClosedClient),
		errors.Is(err, sarama.ErrLeaderNotAvailable), errors.Is(err, sarama.ErrNotLeaderForPartition),
		errors.Is(err, sarama.ErrBrokerNotAvailable), errors.Is(err, sarama.ErrNotEnoughReplicas),
		errors.Is(err, sarama.ErrNotEnoughReplicasAfterAppend), errors.Is(err, sarama.ErrNetworkException),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		// sarama's per-partition circuit breaker opens after repeated
		// failures to find the leader, and fails sends at once for a while.
		errors.Is(err, breaker.ErrBreakerOpen):
		return ReasonUnavailable
	default:
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			return ReasonUnavailable
		}
		return ReasonOther
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsRejected reports whether err says the broker answered but refused this
// client: failed SASL authentication, an unsupported SASL mechanism, or a
// broker certificate that does not verify. Retrying with the same
// settings cannot help, unlike a broker that is down.
func IsRejected(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.Is(err, sarama.ErrSASLAuthenticationFailed) ||
		errors.Is(err, sarama.ErrUnsupportedSASLMechanism) ||
		errors.As(err, &verify) || errors.As(err, &authority) ||
		errors.As(err, &hostname) || errors.As(err, &invalid)
}
