package monitoring

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestServerEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	promauto.With(reg).NewCounter(prometheus.CounterOpts{Name: "probe_total", Help: "A test counter."}).Add(3)
	var ready atomic.Bool
	srv, err := Listen("127.0.0.1:0", reg, func() error {
		if !ready.Load() {
			return errors.New("broker unreachable")
		}
		return nil
	}, zap.NewNop())
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	base := "http://" + srv.Addr().String()

	code, body := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	code, body = get(t, base+"/readyz")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "broker unreachable")

	ready.Store(true)
	code, _ = get(t, base+"/readyz")
	assert.Equal(t, http.StatusOK, code)

	code, body = get(t, base+"/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "probe_total 3")

	cancel()
	require.NoError(t, <-done)
}

func TestListenPortInUse(t *testing.T) {
	first, err := Listen("127.0.0.1:0", prometheus.NewRegistry(), func() error { return nil }, zap.NewNop())
	require.NoError(t, err)
	defer first.ln.Close()
	_, err = Listen(first.Addr().String(), prometheus.NewRegistry(), func() error { return nil }, zap.NewNop())
	require.Error(t, err)
	assert.Contains(t, err.Error(), first.Addr().String())
}
