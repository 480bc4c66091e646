package service

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"ticket-processor/internal/metrics"
	"ticket-processor/internal/monitoring"
)

// errConnecting is the readiness of a service whose engine does not exist
// yet.
var errConnecting = errors.New("connecting to Kafka")

// readiness reports the running engine's readiness, or errConnecting until
// there is one.
func readiness[E any, PE interface {
	*E
	Ready() error
}](running *atomic.Pointer[E]) monitoring.ReadinessFunc {
	return func() error {
		if e := running.Load(); e != nil {
			return PE(e).Ready()
		}
		return errConnecting
	}
}

// registryOrNew returns reg, or a new registry when reg is nil.
func registryOrNew(reg *prometheus.Registry) *prometheus.Registry {
	if reg != nil {
		return reg
	}
	return metrics.NewRegistry()
}

// addrOr returns addr, or ":port" (every interface) when addr is empty.
func addrOr(addr string, port int) string {
	if addr != "" {
		return addr
	}
	return fmt.Sprintf(":%d", port)
}
