package kafkatest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/require"
)

// Cluster is a private KRaft cluster of the test's own, started by
// KAFKA_SCRIPT in cluster mode: every node is a broker and a controller
// with its own ports and data, and the test may stop, kill, freeze and
// restart nodes one by one. With three nodes, topics get three replicas by
// default and acks=all needs two in sync (kafka.sh's cluster settings).
// Nodes are numbered from 1, as their node.id.
type Cluster struct {
	nodes     int
	addrs     []string // what clients use: the proxies' when proxied
	upstreams []string // the client listeners the brokers bind
	proxies   []*Proxy // nil unless proxied
	script    string
	env       []string
}

// ClusterOption changes how StartCluster starts a cluster.
type ClusterOption func(*clusterOptions)

type clusterOptions struct {
	toxiproxy *Toxiproxy
}

// ThroughProxy puts a proxy of tp in front of every node's client
// listener: each broker advertises its proxy's address, so every client
// connection, bootstrap and after metadata, goes through the proxy, and
// its toxics affect clients only: replication, the controllers and
// kafka.sh's own tools use listeners of their own.
func ThroughProxy(tp *Toxiproxy) ClusterOption {
	return func(o *clusterOptions) { o.toxiproxy = tp }
}

// StartCluster starts a private cluster of nodes nodes (one is allowed: a
// single broker that Cluster's methods control the same way) from
// KAFKA_SCRIPT, with its own data folder and ports, stopped and removed
// with the test. It returns once every node answers and the controller
// quorum has a leader. The test is skipped when KAFKA_SCRIPT is unset, as
// StartBroker's are.
func StartCluster(t testing.TB, nodes int, opts ...ClusterOption) *Cluster {
	t.Helper()
	require.True(t, nodes >= 1 && nodes <= 9, "StartCluster: nodes must be from 1 to 9, not %d", nodes)
	var o clusterOptions
	for _, opt := range opts {
		opt(&o)
	}
	script := os.Getenv("KAFKA_SCRIPT")
	if script == "" {
		t.Skip("KAFKA_SCRIPT is not set, so this run cannot start its own cluster; `make test` sets it")
	}
	c := &Cluster{nodes: nodes, script: script}
	var clientPorts, controllerPorts, advertisedPorts, internalPorts []string
	for node := 1; node <= nodes; node++ {
		client, controller := FreePort(t), FreePort(t)
		clientPorts = append(clientPorts, strconv.Itoa(client))
		controllerPorts = append(controllerPorts, strconv.Itoa(controller))
		upstream := fmt.Sprintf("127.0.0.1:%d", client)
		c.upstreams = append(c.upstreams, upstream)
		if o.toxiproxy == nil {
			c.addrs = append(c.addrs, upstream)
			continue
		}
		advertised := FreePort(t)
		listen := fmt.Sprintf("127.0.0.1:%d", advertised)
		proxy := o.toxiproxy.CreateProxy(t, Name(fmt.Sprintf("kafka%d", node)), listen, upstream)
		c.proxies = append(c.proxies, proxy)
		c.addrs = append(c.addrs, listen)
		advertisedPorts = append(advertisedPorts, strconv.Itoa(advertised))
		internalPorts = append(internalPorts, strconv.Itoa(FreePort(t)))
	}
	// Every variable that shapes the cluster is set, so that none leaks in
	// from the environment of `make test` (KAFKA_PORT, say).
	c.env = append(os.Environ(),
		"KAFKA_DIR="+t.TempDir(),
		fmt.Sprintf("KAFKA_NODES=%d", nodes),
		"KAFKA_PORTS="+strings.Join(clientPorts, ","),
		"KAFKA_CONTROLLER_PORTS="+strings.Join(controllerPorts, ","),
		"KAFKA_ADVERTISED_PORT=", "KAFKA_ADVERTISED_PORTS="+strings.Join(advertisedPorts, ","),
		"KAFKA_INTERNAL_PORT=", "KAFKA_INTERNAL_PORTS="+strings.Join(internalPorts, ","),
		"KAFKA_SASL_USER=", "KAFKA_SSL_KEYSTORE=",
	)
	t.Cleanup(func() { _, _ = c.run("down") })
	c.mustRun(t, "up")
	return c
}

// run runs kafka.sh with args for the cluster and returns its combined
// output.
func (c *Cluster) run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.script, args...)
	cmd.Env = c.env
	// Should anything the script started keep the output pipe open, stop
	// reading shortly after the script itself is gone.
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}

// mustRun runs kafka.sh with args and fails the test if it fails.
func (c *Cluster) mustRun(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := c.run(args...)
	require.NoError(t, err, "kafka.sh %s: %s", strings.Join(args, " "), out)
	return out
}

// Nodes returns the number of nodes.
func (c *Cluster) Nodes() int { return c.nodes }

// Brokers returns the client addresses of all nodes, node 1 first: the
// proxies' when the cluster runs ThroughProxy.
func (c *Cluster) Brokers() []string { return append([]string(nil), c.addrs...) }

// Addr returns the client address of node.
func (c *Cluster) Addr(node int) string { return c.addrs[c.index(node)] }

// Upstream returns the address node's client listener binds; it differs
// from Addr only behind a proxy.
func (c *Cluster) Upstream(node int) string { return c.upstreams[c.index(node)] }

// Proxy returns the proxy in front of node, or nil when the cluster does
// not run ThroughProxy.
func (c *Cluster) Proxy(node int) *Proxy {
	if c.proxies == nil {
		return nil
	}
	return c.proxies[c.index(node)]
}

func (c *Cluster) index(node int) int {
	if node < 1 || node > c.nodes {
		panic(fmt.Sprintf("kafkatest: node %d of a %d-node cluster", node, c.nodes))
	}
	return node - 1
}

// StopNode stops node as `kafka.sh down` stops a broker (SIGTERM, a
// controlled shutdown); its data is kept.
func (c *Cluster) StopNode(t testing.TB, node int) { t.Helper(); c.nodeCommand(t, "stop-node", node) }

// StartNode starts node again and waits until it answers.
func (c *Cluster) StartNode(t testing.TB, node int) {
	t.Helper()
	c.nodeCommand(t, "start-node", node)
}

// KillNode kills node with SIGKILL, as a crash would, and waits until its
// ports are free.
func (c *Cluster) KillNode(t testing.TB, node int) { t.Helper(); c.nodeCommand(t, "kill-node", node) }

// FreezeNode stops node with SIGSTOP: it keeps its connections open but
// answers nothing, like a long GC pause or a hung host, until ThawNode.
func (c *Cluster) FreezeNode(t testing.TB, node int) {
	t.Helper()
	c.nodeCommand(t, "freeze-node", node)
}

// ThawNode resumes a frozen node with SIGCONT.
func (c *Cluster) ThawNode(t testing.TB, node int) { t.Helper(); c.nodeCommand(t, "thaw-node", node) }

func (c *Cluster) nodeCommand(t testing.TB, command string, node int) {
	t.Helper()
	c.index(node)
	c.mustRun(t, command, strconv.Itoa(node))
}

var leaderID = regexp.MustCompile(`(?m)^LeaderId:\s+(\d+)\s*$`)

// Controller returns the node id of the active controller (the leader of
// the controller quorum), waiting up to a minute while the quorum elects
// one. Right after the active controller is frozen or killed, the answer
// can take up to 30 s: the brokers wait that long on the old controller.
func (c *Cluster) Controller(t testing.TB) int {
	t.Helper()
	var leader int
	poll(t, time.Minute, 500*time.Millisecond, "no controller quorum leader", func() (bool, string) {
		out, err := c.run("quorum", "describe", "--status")
		m := leaderID.FindSubmatch(out)
		if err != nil || m == nil {
			return false, fmt.Sprintf("%v: %s", err, out)
		}
		leader, err = strconv.Atoi(string(m[1]))
		return err == nil, string(out)
	})
	return leader
}

// poll calls check every interval until it reports done, and fails the
// test with what and check's last description of the state once timeout
// has passed.
func poll(t testing.TB, timeout, interval time.Duration, what string, check func() (done bool, state string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, state := check()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after %s: %s", what, timeout, state)
		}
		time.Sleep(interval)
	}
}

// Admin returns a cluster admin client for the cluster, closed with the
// test.
func (c *Cluster) Admin(t testing.TB) sarama.ClusterAdmin {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(c.addrs, Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	return admin
}

// CreateTopic creates a unique topic with the given partitions and
// min(nodes, 3) replicas, waits until every replica of every partition is
// in sync, and returns its name. It goes with the cluster.
func (c *Cluster) CreateTopic(t testing.TB, prefix string, partitions int32) string {
	t.Helper()
	name := Name(prefix)
	admin, err := sarama.NewClusterAdmin(c.addrs, Config())
	require.NoError(t, err)
	defer admin.Close()
	require.NoError(t, admin.CreateTopic(name, &sarama.TopicDetail{
		NumPartitions: partitions, ReplicationFactor: int16(min(c.nodes, 3)),
	}, false))
	c.WaitInSync(t, name, time.Minute)
	return name
}

// WaitInSync waits up to timeout until every partition of topic has a
// leader and all its replicas in sync, as after a node that was down has
// caught up again.
func (c *Cluster) WaitInSync(t testing.TB, topic string, timeout time.Duration) {
	t.Helper()
	poll(t, timeout, 250*time.Millisecond, fmt.Sprintf("topic %s: replicas not all in sync", topic),
		func() (bool, string) { return c.inSync(topic) })
}

// inSync reports whether every partition of topic has a leader and its
// full replica set in sync, and describes the partitions for a failure
// message.
func (c *Cluster) inSync(topic string) (bool, string) {
	// A new admin each time: an old one may still hold a dead node as the
	// broker it asks.
	admin, err := sarama.NewClusterAdmin(c.addrs, Config())
	if err != nil {
		return false, err.Error()
	}
	defer admin.Close()
	topics, err := admin.DescribeTopics([]string{topic})
	if err != nil {
		return false, err.Error()
	}
	if len(topics) != 1 || topics[0].Err != sarama.ErrNoError || len(topics[0].Partitions) == 0 {
		return false, fmt.Sprintf("metadata %+v", topics)
	}
	ok := true
	var desc []string
	for _, p := range topics[0].Partitions {
		desc = append(desc, fmt.Sprintf("p%d leader %d replicas %v isr %v", p.ID, p.Leader, p.Replicas, p.Isr))
		ok = ok && p.Err == sarama.ErrNoError && p.Leader >= 0 && len(p.Isr) == len(p.Replicas)
	}
	return ok, strings.Join(desc, "; ")
}
