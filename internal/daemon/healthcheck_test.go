package daemon

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestIsHealthcheck(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want bool
	}{
		{"no args", nil, false},
		{"subcommand", []string{"healthcheck"}, true},
		{"subcommand with flags", []string{"healthcheck", "-ready"}, true},
		{"flag named like it", []string{"--healthcheck"}, false},
		{"not first", []string{"-rate", "1", "healthcheck"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, IsHealthcheck(tt.args))
		})
	}
}

// daemonStub serves /healthz and /readyz like internal/monitoring, with
// the readiness answer chosen by the test, and returns its port.
func daemonStub(t *testing.T, ready bool) int {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready {
			http.Error(w, "not ready: broker unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return port(t, srv.Listener.Addr())
}

func port(t *testing.T, addr net.Addr) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr.String())
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := port(t, ln.Addr())
	require.NoError(t, ln.Close())
	return p
}

func TestHealthcheck(t *testing.T) {
	tests := []struct {
		name       string
		port       func(t *testing.T) int
		args       []string
		wantStatus int
		wantStderr string
	}{
		{
			name:       "alive",
			port:       func(t *testing.T) int { return daemonStub(t, false) },
			wantStatus: ExitOK,
		},
		{
			name:       "ready",
			port:       func(t *testing.T) int { return daemonStub(t, true) },
			args:       []string{"-ready"},
			wantStatus: ExitOK,
		},
		{
			name:       "alive but not ready",
			port:       func(t *testing.T) int { return daemonStub(t, false) },
			args:       []string{"-ready"},
			wantStatus: ExitFailure,
			wantStderr: "503 Service Unavailable: not ready: broker unreachable",
		},
		{
			name:       "nothing listening",
			port:       closedPort,
			wantStatus: ExitFailure,
			wantStderr: "connection refused",
		},
		{
			name:       "unknown flag",
			port:       func(t *testing.T) int { return daemonStub(t, true) },
			args:       []string{"-verbose"},
			wantStatus: ExitFailure,
			wantStderr: "flag provided but not defined: -verbose",
		},
		{
			name:       "stray argument",
			port:       func(t *testing.T) int { return daemonStub(t, true) },
			args:       []string{"readyz"},
			wantStatus: ExitFailure,
			wantStderr: "unexpected arguments: readyz",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			status := Healthcheck(&stderr, "producer", tt.port(t), tt.args)
			assert.Equal(t, tt.wantStatus, status, "stderr: %s", stderr.String())
			if tt.wantStderr == "" {
				assert.Empty(t, stderr.String())
			} else {
				assert.Contains(t, stderr.String(), tt.wantStderr)
			}
		})
	}
}

func TestProbeTimeout(t *testing.T) {
	// The handler holds the request until the client gives up.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := Probe(ctx, srv.URL+"/healthz")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
