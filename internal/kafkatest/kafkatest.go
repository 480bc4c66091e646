// Package kafkatest gives integration tests a real Kafka broker: its
// address from KAFKA_BROKERS, throwaway topics, reading a topic back,
// stopping and restarting the broker through KAFKA_SCRIPT, and building and
// running the daemons. `make test` starts the broker and sets both
// variables.
package kafkatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"ticket-processor/test/chaos/checker"
)

// Brokers returns the broker addresses from KAFKA_BROKERS; the test fails
// when it is unset, since integration tests need a real broker.
func Brokers(t testing.TB) []string {
	t.Helper()
	v := os.Getenv("KAFKA_BROKERS")
	require.NotEmpty(t, v, "KAFKA_BROKERS must name a running broker: run `make test`, or `scripts/kafka.sh up`")
	return strings.Split(v, ",")
}

// Config returns a sarama configuration for test clients.
func Config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "kafkatest"
	c.Version = sarama.V4_0_0_0
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.MaxMessageBytes = 16 << 20
	c.Consumer.Return.Errors = true
	return c
}

// Client returns a client to the test broker, closed with the test.
func Client(t testing.TB) sarama.Client {
	t.Helper()
	c, err := sarama.NewClient(Brokers(t), Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Name returns a unique name with prefix, for topics and groups.
func Name(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%s", prefix, hex.EncodeToString(b))
}

// CreateTopic creates a unique topic with the given partitions and config
// entries, deleted with the test, and returns its name.
func CreateTopic(t testing.TB, prefix string, partitions int32, entries map[string]*string) string {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(Brokers(t), Config())
	require.NoError(t, err)
	defer admin.Close()
	name := Name(prefix)
	require.NoError(t, admin.CreateTopic(name, &sarama.TopicDetail{
		NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: entries,
	}, false))
	t.Cleanup(func() {
		if admin, err := sarama.NewClusterAdmin(Brokers(t), Config()); err == nil {
			_ = admin.DeleteTopic(name)
			_ = admin.Close()
		}
	})
	return name
}

// ReadAll reads topic from the oldest offset until it holds at least want
// records, or fails the test after timeout. Records come back per
// partition in offset order, partitions ascending. Like every read here it
// is read_committed: records of aborted transactions are never returned,
// and records of open ones not yet.
func ReadAll(t testing.TB, topic string, want int, timeout time.Duration) []*sarama.ConsumerMessage {
	t.Helper()
	return ReadAllFrom(t, strings.Join(Brokers(t), ","), topic, want, timeout)
}

// ReadAllFrom is ReadAll against the brokers at addrs (comma-separated).
func ReadAllFrom(t testing.TB, addrs, topic string, want int, timeout time.Duration) []*sarama.ConsumerMessage {
	t.Helper()
	var (
		got     []*sarama.ConsumerMessage
		lastErr error
	)
	require.Eventually(t, func() bool {
		got, _, lastErr = readToEnd(strings.Split(addrs, ","), topic)
		return lastErr == nil && len(got) >= want
	}, timeout, 250*time.Millisecond, "topic %s: want %d records", topic, want)
	return got
}

// ReadToEnd reads every partition of topic from the oldest offset up to
// its end, once no transaction is open on it: a transaction left open by
// a member that died is aborted by the brokers within its timeout.
func ReadToEnd(t testing.TB, topic string) []*sarama.ConsumerMessage {
	t.Helper()
	var (
		got       []*sarama.ConsumerMessage
		undecided int64
		err       error
	)
	// Metadata may lag just after a topic is created or a broker restarts.
	require.Eventually(t, func() bool {
		got, undecided, err = readToEnd(Brokers(t), topic)
		return err == nil && undecided == 0
	}, time.Minute, 250*time.Millisecond, "read %s to its end with no transaction open (last error %v, %d offsets undecided)", topic, err, undecided)
	return got
}

// readToEnd reads topic with the chaos suite's checker, which shares no
// code with the pipeline, and returns its records with the count of
// offsets still in open transactions.
func readToEnd(brokers []string, topic string) ([]*sarama.ConsumerMessage, int64, error) {
	conf, err := checker.NewConfig("kafkatest")
	if err != nil {
		return nil, 0, err
	}
	client, err := sarama.NewClient(brokers, conf)
	if err != nil {
		return nil, 0, err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics, err := checker.ReadTopics(ctx, client, topic)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*sarama.ConsumerMessage, 0, len(topics[0].Records))
	for _, r := range topics[0].Records {
		m := &sarama.ConsumerMessage{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
			Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, &sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(h.Value)})
		}
		out = append(out, m)
	}
	return out, topics[0].Undecided(), nil
}

// Produce writes records to topic with a plain (non-idempotent) producer.
func Produce(t testing.TB, msgs ...*sarama.ProducerMessage) {
	t.Helper()
	p, err := sarama.NewSyncProducer(Brokers(t), Config())
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.SendMessages(msgs))
}

// Kcat writes one record with key and value to topic using kcat, as an
// outside producer would. A value goes through a file, so any bytes
// (binary, megabytes) arrive as they are; kcat sends nothing for an empty
// file, so an empty value goes as an empty line instead.
func Kcat(t testing.TB, topic, key string, value []byte) {
	t.Helper()
	kcat, err := exec.LookPath("kcat")
	require.NoError(t, err, "kcat is installed by .ci/run (apt-get install kcat)")
	args := []string{"-P", "-b", strings.Join(Brokers(t), ","), "-t", topic, "-X", "message.max.bytes=8000000"}
	var cmd *exec.Cmd
	if len(value) == 0 {
		require.NotContains(t, key, ":", "the key separator")
		cmd = exec.Command(kcat, append(args, "-K:")...)
		cmd.Stdin = strings.NewReader(key + ":\n")
	} else {
		file := filepath.Join(t.TempDir(), "value")
		require.NoError(t, os.WriteFile(file, value, 0o600))
		cmd = exec.Command(kcat, append(args, "-k", key, file)...)
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "kcat: %s", out)
}

// Broker is a broker of the test's own, which it may stop and start
// without disturbing tests of other packages that run at the same time.
type Broker struct {
	// Addr is the PLAINTEXT listener, for the tools and test clients.
	Addr string
	// SASLAddr is the SASL_PLAINTEXT listener, set by StartSASLBroker.
	SASLAddr string
	// TLSAddr is the SSL listener, set by StartTLSBroker, and CAFile the
	// PEM certificate of the CA that signed the broker's certificate.
	TLSAddr string
	CAFile  string
	script  string
	env     []string
}

// StartBroker starts a private single-node broker from KAFKA_SCRIPT, with
// its own data folder and ports, stopped and removed with the test. The
// test is skipped when KAFKA_SCRIPT is unset: the broker then belongs to
// someone else (docker compose, say) and this run may not start brokers.
func StartBroker(t testing.TB) *Broker {
	t.Helper()
	return startBroker(t, nil)
}

// StartSASLBroker is StartBroker with a SASL_PLAINTEXT listener as well,
// at SASLAddr, that accepts user with password over PLAIN, SCRAM-SHA-256
// and SCRAM-SHA-512. Addr stays unauthenticated PLAINTEXT.
func StartSASLBroker(t testing.TB, user, password string) *Broker {
	t.Helper()
	sasl := FreePort(t)
	b := startBroker(t, []string{"KAFKA_SASL_USER=" + user, "KAFKA_SASL_PASSWORD=" + password,
		fmt.Sprintf("KAFKA_SASL_PORT=%d", sasl)})
	b.SASLAddr = fmt.Sprintf("127.0.0.1:%d", sasl)
	return b
}

// startBroker starts a private broker with env added to kafka.sh's
// environment.
func startBroker(t testing.TB, env []string) *Broker {
	t.Helper()
	script := os.Getenv("KAFKA_SCRIPT")
	if script == "" {
		t.Skip("KAFKA_SCRIPT is not set, so this run cannot start its own broker; `make test` sets it")
	}
	port, controller := FreePort(t), FreePort(t)
	b := &Broker{
		Addr:   fmt.Sprintf("127.0.0.1:%d", port),
		script: script,
		env: append(append(os.Environ(), "KAFKA_DIR="+t.TempDir(),
			fmt.Sprintf("KAFKA_PORT=%d", port), fmt.Sprintf("KAFKA_CONTROLLER_PORT=%d", controller)), env...),
	}
	b.Start(t)
	t.Cleanup(func() { _, _ = b.run("down") })
	return b
}

// scriptTimeout bounds one kafka.sh call, so that a stuck script fails its
// test instead of using up the whole run's deadline (up waits 90 s at
// most, down 70 s).
const scriptTimeout = 3 * time.Minute

// run runs kafka.sh arg for the broker and returns its combined output.
func (b *Broker) run(arg string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.script, arg)
	cmd.Env = b.env
	// Should anything the script started keep the output pipe open, stop
	// reading shortly after the script itself is gone.
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}

// Stop stops the broker; its data is kept.
func (b *Broker) Stop(t testing.TB) {
	t.Helper()
	out, err := b.run("down")
	require.NoError(t, err, "kafka.sh down: %s", out)
}

// Start starts the broker (again) and waits until it answers.
func (b *Broker) Start(t testing.TB) {
	t.Helper()
	out, err := b.run("up")
	require.NoError(t, err, "kafka.sh up: %s", out)
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
	binDir  string
)

// Build compiles the command at cmd (such as "ticket-processor/cmd/producer")
// once per test process and returns the binary's path.
func Build(t testing.TB, cmd string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if path, ok := built[cmd]; ok {
		return path
	}
	if binDir == "" {
		dir, err := os.MkdirTemp("", "kafkatest-bin-")
		require.NoError(t, err)
		binDir = dir
	}
	path := filepath.Join(binDir, filepath.Base(cmd))
	args := []string{"build", "-o", path}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, cmd)...).CombinedOutput()
	require.NoError(t, err, "go build %s: %s", cmd, out)
	built[cmd] = path
	return path
}

// FreePort returns a TCP port free on loopback at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Process is a daemon started by Start.
type Process struct {
	Cmd    *exec.Cmd
	Port   int
	stdout *SyncBuffer
	stderr *SyncBuffer
	done   chan struct{}
	err    error
}

// Start runs the binary with args, env added to the test's environment
// and a free METRICS_PORT, and kills it at the end of the test if it still
// runs. A failed test logs the tail of its output; with KAFKATEST_LOGS set
// to a directory, every process's whole output is also kept there, in a
// file named after the test, the binary and its port.
func Start(t testing.TB, binary string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{Port: FreePort(t), stdout: &SyncBuffer{}, stderr: &SyncBuffer{}, done: make(chan struct{})}
	p.Cmd = exec.Command(binary, args...)
	p.Cmd.Env = append(append(os.Environ(), env...), fmt.Sprintf("METRICS_PORT=%d", p.Port))
	p.Cmd.Stdout, p.Cmd.Stderr = p.stdout, p.stderr
	if dir := os.Getenv("KAFKATEST_LOGS"); dir != "" {
		name := fmt.Sprintf("%s-%s-%d.log", strings.ReplaceAll(t.Name(), "/", "_"), filepath.Base(binary), p.Port)
		f, err := os.Create(filepath.Join(dir, name))
		require.NoError(t, err, "KAFKATEST_LOGS")
		t.Cleanup(func() { _ = f.Close() })
		p.Cmd.Stdout, p.Cmd.Stderr = io.MultiWriter(p.stdout, f), io.MultiWriter(p.stderr, f)
	}
	require.NoError(t, p.Cmd.Start())
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.Cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s stdout (tail):\n%s", filepath.Base(binary), tail(p.stdout.String(), 40))
			t.Logf("%s stderr:\n%s", filepath.Base(binary), tail(p.stderr.String(), 40))
		}
	})
	return p
}

// Wait waits up to timeout for the process to exit and returns its status.
func (p *Process) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("process did not exit within %s", timeout)
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("wait: %v", p.err)
	return -1
}

// Stdout returns what the process wrote to stdout so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr returns what the process wrote to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// URL returns the address of path on the process's monitoring port.
func (p *Process) URL(path string) string { return fmt.Sprintf("http://127.0.0.1:%d%s", p.Port, path) }

// Status GETs url and returns the HTTP status, or 0 when nothing answers.
func Status(url string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// Body GETs url and returns the body, failing the test on error.
func Body(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// Delivered turns a produced record into the record a consumer reads back
// from partition at offset, for unit tests that need both sides. It panics
// if pm's key or value cannot be encoded, which sarama's ByteEncoder and
// StringEncoder never fail to be.
func Delivered(pm *sarama.ProducerMessage, partition int32, offset int64) *sarama.ConsumerMessage {
	encode := func(e sarama.Encoder) []byte {
		if e == nil {
			return nil
		}
		b, err := e.Encode()
		if err != nil {
			panic(fmt.Sprintf("kafkatest.Delivered: %v", err))
		}
		return b
	}
	cm := &sarama.ConsumerMessage{
		Topic: pm.Topic, Partition: partition, Offset: offset, Timestamp: pm.Timestamp,
		Key: encode(pm.Key), Value: encode(pm.Value),
	}
	for _, h := range pm.Headers {
		cm.Headers = append(cm.Headers, &sarama.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return cm
}

// MetricSum reads the Prometheus text exposition at url and returns the
// sum of the samples of counter or gauge name whose labels include every
// pair in labels; -1 when url does not answer or the page does not parse.
func MetricSum(url, name string, labels map[string]string) float64 {
	resp, err := http.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return -1
	}
	sum := 0.0
	for _, m := range families[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		matches := true
		for k, v := range labels {
			matches = matches && have[k] == v
		}
		if matches {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// WaitStatus waits up to timeout until url answers with status.
func WaitStatus(t testing.TB, url string, status int, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool { return Status(url) == status }, timeout, 100*time.Millisecond,
		"%s never answered %d", url, status)
}

// SyncBuffer is a bytes.Buffer that one goroutine may write while another
// reads it, for capturing a process's or a command's output in a test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
