package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"ticket-processor/internal/metrics"
	"ticket-processor/internal/monitoring"
)

// errConnecting is the readiness of a service whose engine does not exist
// yet.
var errConnecting = errors.New("connecting to Kafka")

// Options are what a caller may change in how a service is served. The
// zero value serves the daemon: a new registry on every interface at
// METRICS_PORT.
type Options struct {
	// Registry holds the service's metrics and is served on /metrics
	// (default: a new metrics.NewRegistry()). Pass one to gather it too.
	Registry *prometheus.Registry
	// Addr is the endpoints' listen address (default ":METRICS_PORT", every
	// interface); port 0 picks a free one.
	Addr string
}

// Endpoints are a service's registry and its /metrics, /healthz and
// /readyz, bound as soon as they are made so that a port in use fails
// start-up. /readyz answers "connecting to Kafka" until an engine is set.
type Endpoints struct {
	// Registry is the registry served on /metrics.
	Registry *prometheus.Registry
	srv      *monitoring.Server
	ready    atomic.Pointer[func() error]
}

// Listen returns the endpoints of a service whose METRICS_PORT is port.
func Listen(cfg Config, opts Options, log *zap.Logger) (*Endpoints, error) {
	e := &Endpoints{Registry: opts.Registry}
	if e.Registry == nil {
		e.Registry = metrics.NewRegistry()
	}
	addr := opts.Addr
	if addr == "" {
		addr = fmt.Sprintf(":%d", cfg.MetricsPort)
	}
	srv, err := monitoring.Listen(addr, e.Registry, e.readiness, log.Named("http"))
	if err != nil {
		return nil, err
	}
	e.srv = srv
	return e, nil
}

// Addr is the address the endpoints listen on.
func (e *Endpoints) Addr() net.Addr { return e.srv.Addr() }

// SetReady makes ready the answer of /readyz.
func (e *Endpoints) SetReady(ready func() error) { e.ready.Store(&ready) }

func (e *Endpoints) readiness() error {
	if ready := e.ready.Load(); ready != nil {
		return (*ready)()
	}
	return errConnecting
}

// Run serves the endpoints while work runs, and returns once both have
// stopped: the endpoints stop when work returns, and work's context ends
// if serving fails.
func (e *Endpoints) Run(ctx context.Context, work func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return e.srv.Run(gctx) })
	g.Go(func() error {
		defer cancel()
		return work(gctx)
	})
	return g.Wait()
}

// Service is a daemon's service: its endpoints, which answer as soon as
// the service is built, and its work, which Run starts: reaching Kafka and
// running the engine, which calls SetReady on the endpoints once it exists.
type Service struct {
	endpoints *Endpoints
	work      func(ctx context.Context) error
}

// New returns the service that serves endpoints and does work.
func New(endpoints *Endpoints, work func(ctx context.Context) error) *Service {
	return &Service{endpoints: endpoints, work: work}
}

// Addr is the address of the service's endpoints.
func (s *Service) Addr() net.Addr { return s.endpoints.Addr() }

// Run serves the endpoints and does the work until ctx ends or the work
// returns.
func (s *Service) Run(ctx context.Context) error { return s.endpoints.Run(ctx, s.work) }
