package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HealthcheckCommand is the subcommand that probes a running daemon from
// inside its container. The image has no shell and no curl, so
// `producer healthcheck` is what Docker and compose healthchecks run.
const HealthcheckCommand = "healthcheck"

// IsHealthcheck reports whether args ask for the health probe rather than
// for the daemon itself.
func IsHealthcheck(args []string) bool {
	return len(args) > 0 && args[0] == HealthcheckCommand
}

// Healthcheck runs the probe subcommand against the daemon listening on
// port (its METRICS_PORT) on loopback. args are the subcommand's flags:
// -ready probes /readyz (the daemon can do its work) instead of /healthz
// (it is alive), and -timeout bounds the request (default 2s).
//
// It returns ExitOK when the endpoint answers 200 and ExitFailure for
// anything else, bad flags included: Docker reads 0 as healthy and 1 as
// unhealthy, and reserves 2, so ExitBadConfig is never returned.
func Healthcheck(stderr io.Writer, name string, port int, args []string) int {
	fs := flag.NewFlagSet(name+" "+HealthcheckCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	ready := fs.Bool("ready", false, "probe /readyz instead of /healthz")
	timeout := fs.Duration("timeout", 2*time.Second, "time allowed for the request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitFailure
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s %s: unexpected arguments: %s\n", name, HealthcheckCommand, strings.Join(fs.Args(), " "))
		return ExitFailure
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	url := "http://" + loopback(port) + path
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := Probe(ctx, url); err != nil {
		fmt.Fprintf(stderr, "%s %s: %v\n", name, HealthcheckCommand, err)
		return ExitFailure
	}
	return ExitOK
}

// Probe GETs url once, with no proxy and no kept-alive connection, and
// returns nil if it answers 200 OK, or else why not, with the start of the
// response body (the reason /readyz gives).
func Probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return err // already "Get "url": reason"
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 512))
	if err != nil {
		return fmt.Errorf("probe %s: read body: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
