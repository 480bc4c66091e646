//go:build integration

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/test/chaos/checker"
)

func brokerList(t *testing.T) string {
	t.Helper()
	v := os.Getenv("KAFKA_BROKERS")
	require.NotEmpty(t, v, "KAFKA_BROKERS must name a running broker")
	return v
}

// createTopics creates uniquely named one-partition topics, deleted with
// the test, and waits until the cluster's metadata lists them.
func createTopics(t *testing.T, prefixes ...string) []string {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V4_0_0_0
	admin, err := sarama.NewClusterAdmin(strings.Split(brokerList(t), ","), conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	client, err := sarama.NewClient(strings.Split(brokerList(t), ","), conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })

	var names []string
	for _, prefix := range prefixes {
		suffix := make([]byte, 6)
		_, _ = rand.Read(suffix)
		name := "chaoscheck-cmd-" + prefix + "-" + hex.EncodeToString(suffix)
		require.NoError(t, admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false))
		t.Cleanup(func() { _ = admin.DeleteTopic(name) })
		require.Eventually(t, func() bool {
			if client.RefreshMetadata(name) != nil {
				return false
			}
			ids, err := client.Partitions(name)
			return err == nil && len(ids) == 1
		}, 30*time.Second, 50*time.Millisecond, "topic %s never appeared", name)
		names = append(names, name)
	}
	return names
}

func ticketJSON(order string, seq int) []byte {
	return fmt.Appendf(nil, `{"ticket_id":"%08d-0000-4000-8000-%012d","order_id":%q,"sequence":%d,"type":"updated"}`, len(order), seq, order, seq)
}

// checkJSON runs chaoscheck on the three topics and decodes its output.
func checkJSON(t *testing.T, in, out, dlq string, args ...string) (int, result) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"--brokers", brokerList(t), "--input-topic", in, "--output-topic", out, "--dlq-topic", dlq,
		"--timeout", "1m", "--json"}, args...)
	status := start(args, func(string) (string, bool) { return "", false }, &stdout, &stderr)
	var res result
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	return status, res
}

// TestChaoscheckJudgesRealTopics runs the command on a clean run, which
// passes, and then on the same run with one ticket lost, which fails.
func TestChaoscheckJudgesRealTopics(t *testing.T) {
	names := createTopics(t, "in", "out", "dlq")
	in, out, dlq := names[0], names[1], names[2]
	conf := sarama.NewConfig()
	conf.Version = sarama.V4_0_0_0
	conf.Producer.Return.Successes = true
	conf.Producer.RequiredAcks = sarama.WaitForAll
	producer, err := sarama.NewSyncProducer(strings.Split(brokerList(t), ","), conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = producer.Close() })
	send := func(topic string, value []byte, headers ...sarama.RecordHeader) int64 {
		_, offset, err := producer.SendMessage(&sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder("ord-a"), Value: sarama.ByteEncoder(value), Headers: headers})
		require.NoError(t, err)
		return offset
	}

	send(in, ticketJSON("ord-a", 1))
	send(in, ticketJSON("ord-a", 2))
	bad := send(in, []byte("not a ticket"))
	send(out, ticketJSON("ord-a", 1))
	send(out, ticketJSON("ord-a", 2))
	send(dlq, []byte("not a ticket"),
		sarama.RecordHeader{Key: []byte("dlq-original-topic"), Value: []byte(in)},
		sarama.RecordHeader{Key: []byte("dlq-original-partition"), Value: []byte("0")},
		sarama.RecordHeader{Key: []byte("dlq-original-offset"), Value: []byte(strconv.FormatInt(bad, 10))},
		sarama.RecordHeader{Key: []byte("dlq-error-reason"), Value: []byte("malformed")})

	status, res := checkJSON(t, in, out, dlq, "--guarantee", "exactly_once", "--producer-acked", "2")
	assert.Equal(t, exitPassed, status)
	assert.True(t, res.Passed)
	assert.Equal(t, inputResult{Records: 3, Tickets: 2, BadRecords: 1, Orders: 1, ProducerAcked: 2}, res.Input)
	assert.Equal(t, map[string]int{"malformed": 1}, res.DeadLetterReasons)

	send(in, ticketJSON("ord-a", 3))

	status, res = checkJSON(t, in, out, dlq, "--guarantee", "exactly_once")
	assert.Equal(t, exitFailed, status)
	assert.False(t, res.Passed)
	for _, d := range res.Defects {
		if d.Kind == checker.KindLost {
			assert.Equal(t, 1, d.Failed)
			require.Len(t, d.Examples, 1)
			assert.Contains(t, d.Examples[0], "order ord-a seq 3")
		} else {
			assert.Zero(t, d.Count, d.Kind)
		}
	}
}
