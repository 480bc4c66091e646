package kafkatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Toxiproxy is a toxiproxy server (github.com/Shopify/toxiproxy) of the
// test's own: a TCP proxy whose toxics put network faults between clients
// and brokers. StartCluster places it in the clients' path with
// ThroughProxy. It is driven through its REST API.
type Toxiproxy struct {
	// URL is the server's API, http://127.0.0.1:port.
	URL  string
	http *http.Client
}

// StartToxiproxy runs TOXIPROXY_BIN (toxiproxy-server, which `make test`
// installs with scripts/toxiproxy.sh and names in TOXIPROXY_BIN) with its
// API on a free loopback port, killed with the test. The test is skipped
// when TOXIPROXY_BIN is unset.
func StartToxiproxy(t testing.TB) *Toxiproxy {
	t.Helper()
	bin := os.Getenv("TOXIPROXY_BIN")
	if bin == "" {
		t.Skip("TOXIPROXY_BIN is not set; `make test` installs toxiproxy with scripts/toxiproxy.sh and sets it")
	}
	port := FreePort(t)
	p := Start(t, bin, nil, "-host", "127.0.0.1", "-port", strconv.Itoa(port))
	tp := &Toxiproxy{URL: fmt.Sprintf("http://127.0.0.1:%d", port), http: &http.Client{Timeout: 10 * time.Second}}
	// The server does not exit when its port is taken, so it must answer
	// as well as run.
	require.Eventually(t, func() bool {
		select {
		case <-p.done:
			return false
		default:
		}
		return Status(tp.URL+"/version") == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond, "toxiproxy-server did not answer on %s", tp.URL)
	return tp
}

// call sends a request with body encoded as JSON (none when nil), checks
// the status and decodes the answer into out unless it is nil.
func (tp *Toxiproxy) call(t testing.TB, method, path string, body any, status int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, tp.URL+path, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := tp.http.Do(req)
	require.NoError(t, err, "toxiproxy %s %s", method, path)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, status, resp.StatusCode, "toxiproxy %s %s: %s", method, path, answer)
	if out != nil {
		require.NoError(t, json.Unmarshal(answer, out), "toxiproxy %s %s: %s", method, path, answer)
	}
}

// Reset enables every proxy and removes every toxic.
func (tp *Toxiproxy) Reset(t testing.TB) {
	t.Helper()
	tp.call(t, http.MethodPost, "/reset", nil, http.StatusNoContent, nil)
}

// Proxy is one proxy of a Toxiproxy server: it listens on Listen and
// forwards each connection to Upstream.
type Proxy struct {
	Name     string
	Listen   string
	Upstream string
	tp       *Toxiproxy
}

// CreateProxy creates and enables a proxy named name that listens on
// listen (host:port) and forwards to upstream.
func (tp *Toxiproxy) CreateProxy(t testing.TB, name, listen, upstream string) *Proxy {
	t.Helper()
	tp.call(t, http.MethodPost, "/proxies",
		map[string]any{"name": name, "listen": listen, "upstream": upstream, "enabled": true},
		http.StatusCreated, nil)
	return &Proxy{Name: name, Listen: listen, Upstream: upstream, tp: tp}
}

// Disable closes the proxy's listener and every connection through it:
// clients see connections cut and then refused, until Enable.
func (p *Proxy) Disable(t testing.TB) { t.Helper(); p.setEnabled(t, false) }

// Enable opens the proxy's listener again.
func (p *Proxy) Enable(t testing.TB) { t.Helper(); p.setEnabled(t, true) }

func (p *Proxy) setEnabled(t testing.TB, enabled bool) {
	t.Helper()
	p.tp.call(t, http.MethodPatch, "/proxies/"+p.Name, map[string]any{"enabled": enabled}, http.StatusOK, nil)
}

// Stream names a direction through a proxy.
type Stream string

// The two directions: Upstream runs from the client to the broker,
// Downstream from the broker back to the client.
const (
	Upstream   Stream = "upstream"
	Downstream Stream = "downstream"
)

// Toxic is a fault that a proxy applies to the data in one direction. The
// constructors (Latency, Bandwidth, Blackhole, ResetPeer) fill in Type and
// Attributes; see toxiproxy's README for the others.
type Toxic struct {
	// Name identifies the toxic on its proxy (default Type_Stream).
	Name string `json:"name,omitempty"`
	// Type is toxiproxy's name for the fault, such as "latency".
	Type string `json:"type"`
	// Stream is the direction (default Downstream).
	Stream Stream `json:"stream,omitempty"`
	// Toxicity is the share of connections affected, from 0 to 1
	// (default 1, every connection).
	Toxicity float64 `json:"toxicity,omitempty"`
	// Attributes are the type's settings, such as "latency" in ms.
	Attributes map[string]int64 `json:"attributes,omitempty"`
}

// Latency delays the data by latency, plus or minus up to jitter.
func Latency(latency, jitter time.Duration) Toxic {
	return Toxic{Type: "latency", Attributes: map[string]int64{
		"latency": latency.Milliseconds(), "jitter": jitter.Milliseconds()}}
}

// Bandwidth limits the data to kbPerSecond KB/s: a slow link.
func Bandwidth(kbPerSecond int64) Toxic {
	return Toxic{Type: "bandwidth", Attributes: map[string]int64{"rate": kbPerSecond}}
}

// Blackhole lets no data through and keeps the connections open, as a
// network partition that drops packets does: the peer sees nothing, not
// even a reset, until its own timeouts fire.
func Blackhole() Toxic {
	return Toxic{Type: "timeout", Attributes: map[string]int64{"timeout": 0}}
}

// ResetPeer resets every connection (TCP RST) after timeout.
func ResetPeer(timeout time.Duration) Toxic {
	return Toxic{Type: "reset_peer", Attributes: map[string]int64{"timeout": timeout.Milliseconds()}}
}

// AddToxic adds toxic to the proxy, for every connection (also those
// already open) until RemoveToxic, and returns its name.
func (p *Proxy) AddToxic(t testing.TB, toxic Toxic) string {
	t.Helper()
	var added Toxic
	p.tp.call(t, http.MethodPost, "/proxies/"+p.Name+"/toxics", toxic, http.StatusOK, &added)
	return added.Name
}

// RemoveToxic removes the toxic called name from the proxy.
func (p *Proxy) RemoveToxic(t testing.TB, name string) {
	t.Helper()
	p.tp.call(t, http.MethodDelete, "/proxies/"+p.Name+"/toxics/"+name, nil, http.StatusNoContent, nil)
}
