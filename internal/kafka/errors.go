package kafka

import (
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/IBM/sarama"
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
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
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
