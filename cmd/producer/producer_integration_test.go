//go:build integration

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafka"
	"ticket-processor/internal/kafkatest"
	"ticket-processor/internal/models"
)

const binary = "ticket-processor/cmd/producer"

// requireOrdered checks that every record is a valid ticket keyed by its
// order, on the partition murmur2 gives, and that each order's sequence
// runs 1, 2, 3… with no gap, repeat or reordering. It returns the number
// of distinct orders.
func requireOrdered(t *testing.T, records []*sarama.ConsumerMessage, partitions int32) int {
	t.Helper()
	last := map[string]uint64{}
	for _, r := range records {
		tk, err := models.Decode(r.Value)
		require.NoError(t, err, "partition %d offset %d", r.Partition, r.Offset)
		require.Equal(t, tk.OrderID, string(r.Key), "key is the order id")
		require.Equal(t, kafka.PartitionFor(r.Key, partitions), r.Partition, "order %s on its murmur2 partition", tk.OrderID)
		require.Equal(t, last[tk.OrderID]+1, tk.Sequence, "order %s: sequence after %d; its records:\n%s",
			tk.OrderID, last[tk.OrderID], orderRecords(records, tk.OrderID))
		last[tk.OrderID] = tk.Sequence
	}
	return len(last)
}

// orderRecords lists where the records of one order are, for a failure
// message: a repeat shows whether it came from a resend (a later
// timestamp) or from the client's own retry (the same timestamp).
func orderRecords(records []*sarama.ConsumerMessage, orderID string) string {
	var b strings.Builder
	for _, r := range records {
		if string(r.Key) != orderID {
			continue
		}
		seq := "undecodable"
		if tk, err := models.Decode(r.Value); err == nil {
			seq = fmt.Sprint(tk.Sequence)
		}
		fmt.Fprintf(&b, "  partition %d offset %d timestamp %s sequence %s\n",
			r.Partition, r.Offset, r.Timestamp.UTC().Format("15:04:05.000"), seq)
	}
	return b.String()
}

func TestProducerDeliversEveryTicketInOrder(t *testing.T) {
	topic := kafkatest.Name("it-producer")
	p := kafkatest.Start(t, kafkatest.Build(t, binary), []string{
		"KAFKA_BROKERS=" + strings.Join(kafkatest.Brokers(t), ","), "KAFKA_TOPIC=" + topic,
		"RATE=0", "ORDERS=20", "MAX_TICKETS=1000", "TOPIC_PARTITIONS=6", "LOG_LEVEL=warn",
	})
	require.Equal(t, 0, p.Wait(t, time.Minute), "producer exit status")

	records := kafkatest.ReadToEnd(t, topic)
	require.Len(t, records, 1000, "every ticket arrives, none twice")
	orders := requireOrdered(t, records, 6)
	assert.GreaterOrEqual(t, orders, 20, "tickets spread over the open orders")
}

func TestKcatSeesKeyedJSON(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	require.NoError(t, err, "kcat is installed by .ci/run (apt-get install kcat)")
	brokers := strings.Join(kafkatest.Brokers(t), ",")
	topic := kafkatest.Name("it-kcat")
	p := kafkatest.Start(t, kafkatest.Build(t, binary), []string{
		"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + topic, "RATE=0", "ORDERS=10", "MAX_TICKETS=200", "LOG_LEVEL=warn",
	})
	require.Equal(t, 0, p.Wait(t, time.Minute))

	out, err := exec.Command(kcat, "-C", "-b", brokers, "-t", topic, "-e", "-q", "-f", "%p\t%k\t%s\n").Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	require.Len(t, lines, 200)
	for _, line := range lines {
		fields := strings.SplitN(line, "\t", 3)
		require.Len(t, fields, 3, "kcat line %q", line)
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(fields[2]), &doc), "valid JSON: %s", fields[2])
		assert.Equal(t, fields[1], doc["order_id"], "keyed by order_id")
		assert.Equal(t, fmt.Sprint(kafka.PartitionFor([]byte(fields[1]), 6)), fields[0])
	}
}

func TestKcatMurmur2PartitionerAgrees(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	require.NoError(t, err)
	topic := kafkatest.CreateTopic(t, "it-murmur2", 12, nil)
	var in strings.Builder
	keys := make([]string, 300)
	for i := range keys {
		keys[i] = fmt.Sprintf("ord-%016x", uint64(i)*0x9e3779b97f4a7c15)
		fmt.Fprintf(&in, "%s:v%d\n", keys[i], i)
	}
	cmd := exec.Command(kcat, "-P", "-b", strings.Join(kafkatest.Brokers(t), ","), "-t", topic,
		"-K:", "-X", "partitioner=murmur2_random")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	records := kafkatest.ReadAll(t, topic, len(keys), 30*time.Second)
	require.Len(t, records, len(keys))
	for _, r := range records {
		assert.Equal(t, kafka.PartitionFor(r.Key, 12), r.Partition, "key %s", r.Key)
	}
}

func TestProducerRidesOutBrokerOutage(t *testing.T) {
	broker := kafkatest.StartBroker(t) // its own, so that stopping it disturbs no other test
	topic := kafkatest.Name("it-outage")
	p := kafkatest.Start(t, kafkatest.Build(t, binary), []string{
		"KAFKA_BROKERS=" + broker.Addr, "KAFKA_TOPIC=" + topic,
		"RATE=2000", "ORDERS=50", "SHUTDOWN_TIMEOUT=30s",
	})
	kafkatest.WaitStatus(t, p.URL("/readyz"), 200, 30*time.Second)
	before := kafkatest.ReadAllFrom(t, broker.Addr, topic, 200, 30*time.Second)

	broker.Stop(t)
	kafkatest.WaitStatus(t, p.URL("/readyz"), 503, 20*time.Second)
	require.Equal(t, 200, kafkatest.Status(p.URL("/healthz")), "alive while the broker is away")
	// The broker comes back once sarama has given up on a send, so that
	// the tickets it failed take the resend path, search first included.
	require.Eventually(t, func() bool {
		return kafkatest.MetricSum(p.URL("/metrics"), "ticket_processor_producer_errors_total", nil) > 0
	}, time.Minute, 100*time.Millisecond, "sarama reports a failed send while the broker is away")
	broker.Start(t)

	kafkatest.WaitStatus(t, p.URL("/readyz"), 200, 90*time.Second)
	// Let tickets flow after the recovery, then stop gracefully.
	kafkatest.ReadAllFrom(t, broker.Addr, topic, len(before)+400, 60*time.Second)
	require.NoError(t, p.Cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, p.Wait(t, 40*time.Second), "graceful exit")

	records := kafkatest.ReadAllFrom(t, broker.Addr, topic, 1, 30*time.Second)
	requireOrdered(t, records, 6)
	assert.Equal(t, producedTotal(t, p.Stdout()), len(records), "every acknowledged ticket is in the topic once")
}

// producedTotal reads the acknowledged count from the producer's
// "producer stopped" log line.
func producedTotal(t *testing.T, logs string) int {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string `json:"msg"`
			Produced *int   `json:"produced"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "producer stopped" && line.Produced != nil {
			return *line.Produced
		}
	}
	t.Fatalf("no 'producer stopped' log line with a produced count in:\n%s", logs)
	return 0
}

func TestInvalidConfigurationExitsWithStatus2(t *testing.T) {
	bin := kafkatest.Build(t, binary)
	notACert := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(notACert, []byte("no certificate in here\n"), 0o600))
	tests := []struct {
		settings []string // environment entries, or flags where they start with --
		want     string
	}{
		{[]string{"RATE=-5"}, "RATE=-5: must be a finite number >= 0"},
		{[]string{"RATE=fast"}, `RATE="fast": want a number`},
		{[]string{"KAFKA_BROKERS=localhost"}, `KAFKA_BROKERS entry "localhost": want host:port`},
		{[]string{"--metrics-port=70000"}, "METRICS_PORT=70000: must be 1-65535"},
		{[]string{"--rate=x"}, `invalid value "x" for flag -rate: want a number`},
		{[]string{"COMPRESSION=brotli"}, `COMPRESSION="brotli": want one of none, gzip, snappy, lz4, zstd`},
		{[]string{"LOG_LEVEL=loud"}, `LOG_LEVEL="loud": want debug, info, warn or error`},
		{[]string{"KAFKA_SASL_MECHANISM=KERBEROS"}, `KAFKA_SASL_MECHANISM="KERBEROS"`},
		{[]string{"SHUTDOWN_TIMEOUT=soon"}, `SHUTDOWN_TIMEOUT="soon": want a duration`},
		{[]string{"KAFKA_TLS_CA_FILE=/no/such/ca.pem"}, `KAFKA_TLS_CA_FILE="/no/such/ca.pem"`},
		{[]string{"ORDERS=0"}, "ORDERS=0: must be 1-1000000"},
		{[]string{"KAFKA_BROKERS=a b:1"}, `KAFKA_BROKERS entry "a b:1": want a host name`},
		{[]string{"KAFKA_CLIENT_ID=producer\x01one"}, `KAFKA_CLIENT_ID="producer\x01one": must hold only printable characters`},
		{[]string{"KAFKA_TLS_ENABLED=true", "KAFKA_TLS_SERVER_NAME=x y"}, `KAFKA_TLS_SERVER_NAME="x y": want a host name`},
		{[]string{"KAFKA_VERSION=99.0.0"}, `KAFKA_VERSION="99.0.0": want at most`},
		{[]string{"KAFKA_TLS_ENABLED=true", "KAFKA_TLS_CA_FILE=" + notACert}, `KAFKA_TLS_CA_FILE="` + notACert + `": holds no PEM certificate`},
		{[]string{"TOPIC_PARTITIONS=4294967297"}, "TOPIC_PARTITIONS=4294967297: must be 1-2147483647"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.settings, " "), func(t *testing.T) {
			// A topic of its own, should a bad setting be accepted and the
			// producer start writing.
			env := []string{"KAFKA_TOPIC=" + kafkatest.Name("cfg")}
			var flags []string
			for _, s := range tt.settings {
				if strings.HasPrefix(s, "--") {
					flags = append(flags, s)
				} else {
					env = append(env, s)
				}
			}
			p := kafkatest.Start(t, bin, env, flags...)
			require.Equal(t, 2, p.Wait(t, 10*time.Second))
			assert.Contains(t, p.Stderr(), tt.want)
			assert.Empty(t, p.Stdout(), "nothing starts")
		})
	}
}

// BenchmarkProducerUnthrottled runs the producer binary at RATE=0 for
// 100,000 tickets over 1,000 orders and reports its throughput, start-up
// and topic creation included. Run it with `make bench`.
func BenchmarkProducerUnthrottled(b *testing.B) {
	const tickets = 100_000
	bin := kafkatest.Build(b, binary)
	for i := 0; i < b.N; i++ {
		topic := kafkatest.Name("bench-producer")
		start := time.Now()
		p := kafkatest.Start(b, bin, []string{
			"KAFKA_BROKERS=" + strings.Join(kafkatest.Brokers(b), ","), "KAFKA_TOPIC=" + topic,
			"RATE=0", "ORDERS=1000", fmt.Sprintf("MAX_TICKETS=%d", tickets), "LOG_LEVEL=warn",
		})
		require.Equal(b, 0, p.Wait(b, 5*time.Minute))
		b.ReportMetric(tickets/time.Since(start).Seconds(), "tickets/s")
	}
}

// TestStoppedWhileWaitingForKafkaExitsCleanly sends SIGTERM to a producer
// that is still waiting for an unreachable Kafka: a stop as asked, status
// 0, not a failure. A chaos run found the daemon exiting 1 there.
func TestStoppedWhileWaitingForKafkaExitsCleanly(t *testing.T) {
	nobody := fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))
	p := kafkatest.Start(t, kafkatest.Build(t, binary), []string{"KAFKA_BROKERS=" + nobody, "KAFKA_DIAL_TIMEOUT=1s"})
	require.Eventually(t, func() bool { return strings.Contains(p.Stdout(), "Kafka not reachable; retrying") },
		30*time.Second, 50*time.Millisecond, "the producer waits for Kafka")
	require.NoError(t, p.Cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, p.Wait(t, 15*time.Second), p.Stdout())
	assert.NotContains(t, p.Stdout(), "stopped with an error")
}
