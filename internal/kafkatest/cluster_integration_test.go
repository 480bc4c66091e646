//go:build integration

package kafkatest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
)

// TestClusterRidesOutNodeLoss takes one node of a three-node cluster away:
// it kills a broker that is not the active controller, freezes one (a long
// GC pause, a hung host), then kills the active controller. Each time,
// acks=all writes and reads go on with the two nodes left, no acknowledged
// record is lost, and the node catches up when it comes back.
func TestClusterRidesOutNodeLoss(t *testing.T) {
	c := kafkatest.StartCluster(t, 3)
	topic := c.CreateTopic(t, "cluster", 3)

	results, err := c.Admin(t).DescribeConfigs([]*sarama.ConfigResource{{
		Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"min.insync.replicas"},
	}}, sarama.DescribeConfigsOptions{})
	require.NoError(t, err)
	require.Len(t, results, 1)
	require.Equal(t, sarama.ErrNoError, results[0].ErrorCode, results[0].ErrorMsg)
	require.Len(t, results[0].Configs, 1)
	assert.Equal(t, "2", results[0].Configs[0].Value, "min.insync.replicas")

	cfg := kafkatest.Config()
	// The cluster fences a dead node once its session times out (9 s) and
	// only then moves its partitions; 60 retries half a second apart cover
	// that. A frozen leader never answers, so a request to it must time
	// out before it can be retried elsewhere; the broker itself waits up
	// to Producer.Timeout (10 s) for acks=all, so the read timeout is a
	// little longer than that.
	cfg.Producer.Retry.Max = 60
	cfg.Producer.Retry.Backoff = 500 * time.Millisecond
	cfg.Net.ReadTimeout = 12 * time.Second
	producer, err := sarama.NewSyncProducer(c.Brokers(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = producer.Close() })

	acked := send(t, producer, topic, "all-up", 30)

	t.Run("KillBroker", func(t *testing.T) {
		victim := c.Controller(t)%3 + 1 // any node but the active controller
		c.KillNode(t, victim)
		restartOnFailure(t, c, victim)
		acked = append(acked, send(t, producer, topic, "without-broker", 30)...)
		requireRead(t, c.Brokers(), topic, acked)
		c.StartNode(t, victim)
		c.WaitInSync(t, topic, 2*time.Minute)
	})
	t.Run("FreezeBroker", func(t *testing.T) {
		victim := c.Controller(t)%3 + 1
		c.FreezeNode(t, victim)
		t.Cleanup(func() { c.ThawNode(t, victim) })
		acked = append(acked, send(t, producer, topic, "broker-frozen", 30)...)
		// Read from the nodes left, as a client that knows the node is
		// gone would: a client bootstrapping from the frozen node waits
		// out its read timeout first (30 s by default).
		requireRead(t, without(c.Brokers(), c.Addr(victim)), topic, acked)
		c.ThawNode(t, victim)
		c.WaitInSync(t, topic, 2*time.Minute)
	})
	t.Run("KillActiveController", func(t *testing.T) {
		victim := c.Controller(t)
		c.KillNode(t, victim)
		restartOnFailure(t, c, victim)
		assert.NotEqual(t, victim, c.Controller(t), "the quorum elects another leader")
		acked = append(acked, send(t, producer, topic, "without-controller", 30)...)
		requireRead(t, c.Brokers(), topic, acked)
		c.StartNode(t, victim)
		c.WaitInSync(t, topic, 2*time.Minute)
	})
}

// restartOnFailure starts node again should t fail before it does, so
// that the next subtest finds the whole cluster instead of a lost quorum.
func restartOnFailure(t *testing.T, c *kafkatest.Cluster, node int) {
	t.Cleanup(func() {
		if t.Failed() {
			c.StartNode(t, node)
		}
	})
}

// without returns addrs less addr.
func without(addrs []string, addr string) []string {
	var out []string
	for _, a := range addrs {
		if a != addr {
			out = append(out, a)
		}
	}
	return out
}

// send writes n records with values prefix-0, prefix-1, ... and returns
// the values once all are acknowledged.
func send(t *testing.T, producer sarama.SyncProducer, topic, prefix string, n int) []string {
	t.Helper()
	var values []string
	var msgs []*sarama.ProducerMessage
	for i := range n {
		v := fmt.Sprintf("%s-%d", prefix, i)
		values = append(values, v)
		msgs = append(msgs, &sarama.ProducerMessage{
			Topic: topic, Key: sarama.StringEncoder(v), Value: sarama.StringEncoder(v),
		})
	}
	require.NoError(t, producer.SendMessages(msgs), "acks=all produce of %s", prefix)
	return values
}

// requireRead reads topic back through the brokers at addrs and fails
// unless every value in want is there. Producer retries may have written
// a record twice; that is allowed.
func requireRead(t *testing.T, addrs []string, topic string, want []string) {
	t.Helper()
	got := map[string]bool{}
	for _, m := range kafkatest.ReadAllFrom(t, strings.Join(addrs, ","), topic, len(want), time.Minute) {
		got[string(m.Value)] = true
	}
	var missing []string
	for _, v := range want {
		if !got[v] {
			missing = append(missing, v)
		}
	}
	require.Empty(t, missing, "acknowledged records missing from %s", topic)
}

// TestToxiproxyFaultsReachClients runs a broker behind toxiproxy and checks
// that the proxy's faults reach a client: added latency slows its
// produces, a cut connection fails them, a black hole times them out, and
// produces succeed again once the fault is gone.
func TestToxiproxyFaultsReachClients(t *testing.T) {
	tp := kafkatest.StartToxiproxy(t)
	c := kafkatest.StartCluster(t, 1, kafkatest.ThroughProxy(tp))
	proxy := c.Proxy(1)
	topic := c.CreateTopic(t, "proxy", 1)

	cfg := kafkatest.Config()
	// Give up at the first failure, so that a fault shows as an error
	// within seconds: sarama spends a read timeout on each request it
	// tries, and on connecting it asks twice for API versions.
	cfg.Net.DialTimeout = 2 * time.Second
	cfg.Net.ReadTimeout = 2 * time.Second
	cfg.Net.WriteTimeout = 2 * time.Second
	cfg.Producer.Retry.Max = 0
	cfg.Metadata.Retry.Max = 0
	client, err := sarama.NewClient(c.Brokers(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	producer, err := sarama.NewSyncProducerFromClient(client)
	require.NoError(t, err)
	t.Cleanup(func() { _ = producer.Close() })

	// The broker advertises the proxy, so the client knows no other way in.
	require.NotEqual(t, c.Upstream(1), proxy.Listen)
	for _, b := range client.Brokers() {
		require.Equal(t, proxy.Listen, b.Addr(), "metadata names the proxy")
	}

	sendOne := func() error {
		_, _, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("x")})
		return err
	}
	require.NoError(t, sendOne())

	t.Run("Latency", func(t *testing.T) {
		const latency = 400 * time.Millisecond
		toxic := proxy.AddToxic(t, kafkatest.Latency(latency, 0))
		start := time.Now()
		require.NoError(t, sendOne())
		// A lower bound only: each response is held back by latency, so
		// no produce can be quicker. How much slower is the machine's
		// business, not this test's.
		assert.GreaterOrEqual(t, time.Since(start), latency)
		proxy.RemoveToxic(t, toxic)
	})
	t.Run("Cut", func(t *testing.T) {
		proxy.Disable(t)
		require.Error(t, sendOne(), "produce through a cut connection")
		proxy.Enable(t)
		require.Eventually(t, func() bool { return sendOne() == nil }, 30*time.Second, 200*time.Millisecond,
			"produce once the connection is back")
	})
	t.Run("Blackhole", func(t *testing.T) {
		toxic := proxy.AddToxic(t, kafkatest.Blackhole())
		require.ErrorIs(t, sendOne(), os.ErrDeadlineExceeded, "produce into a black hole")
		proxy.RemoveToxic(t, toxic)
		require.Eventually(t, func() bool { return sendOne() == nil }, 30*time.Second, 200*time.Millisecond,
			"produce once the black hole is gone")
	})
}
