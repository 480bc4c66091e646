//go:build integration

package checker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// brokers returns the test broker's addresses from KAFKA_BROKERS.
func brokers(t *testing.T) []string {
	t.Helper()
	v := os.Getenv("KAFKA_BROKERS")
	require.NotEmpty(t, v, "KAFKA_BROKERS must name a running broker")
	return strings.Split(v, ",")
}

// createTopic creates a uniquely named topic, deleted with the test, and
// waits until the cluster's metadata lists all its partitions.
func createTopic(t *testing.T, prefix string, partitions int32) string {
	t.Helper()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "chaoscheck-" + prefix + "-" + hex.EncodeToString(suffix)

	conf := sarama.NewConfig()
	conf.Version = sarama.V4_0_0_0
	admin, err := sarama.NewClusterAdmin(brokers(t), conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	require.NoError(t, admin.CreateTopic(name, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false))
	t.Cleanup(func() { _ = admin.DeleteTopic(name) })

	client := newClient(t)
	require.Eventually(t, func() bool {
		if client.RefreshMetadata(name) != nil {
			return false
		}
		ids, err := client.Partitions(name)
		return err == nil && len(ids) == int(partitions)
	}, 30*time.Second, 50*time.Millisecond, "topic %s never appeared", name)
	return name
}

func newClient(t *testing.T) sarama.Client {
	t.Helper()
	conf, err := NewConfig("chaoscheck-test")
	require.NoError(t, err)
	client, err := sarama.NewClient(brokers(t), conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// newProducer returns an idempotent producer that writes to the partition
// each message names; with a transactional id, a transactional one.
func newProducer(t *testing.T, transactionalID string) sarama.SyncProducer {
	t.Helper()
	conf := sarama.NewConfig()
	conf.Version = sarama.V4_0_0_0
	conf.Producer.Return.Successes = true
	conf.Producer.RequiredAcks = sarama.WaitForAll
	conf.Producer.Idempotent = true
	conf.Producer.Partitioner = sarama.NewManualPartitioner
	conf.Net.MaxOpenRequests = 1
	conf.Producer.Transaction.ID = transactionalID
	p, err := sarama.NewSyncProducer(brokers(t), conf)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// send writes one record and returns where it went.
func send(t *testing.T, p sarama.SyncProducer, topic string, partition int32, key string, value []byte, headers ...sarama.RecordHeader) Position {
	t.Helper()
	msg := &sarama.ProducerMessage{Topic: topic, Partition: partition, Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(value), Headers: headers}
	gotPartition, offset, err := p.SendMessage(msg)
	require.NoError(t, err)
	require.Equal(t, partition, gotPartition)
	return Position{Topic: topic, Partition: partition, Offset: offset}
}

func dlqHeaders(original Position, reason string) []sarama.RecordHeader {
	var headers []sarama.RecordHeader
	for _, h := range deadLetterHeaders(original, reason) {
		headers = append(headers, sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(h.Value)})
	}
	return headers
}

// TestReadAndCheckRealTopics writes three topics with known defects to the
// real broker, some of it in transactions, and asserts that the reader and
// the checker find exactly those defects: a committed transaction is read,
// an aborted one is not, and one left open is neither read nor waited for.
func TestReadAndCheckRealTopics(t *testing.T) {
	input := createTopic(t, "in", 2)
	output := createTopic(t, "out", 2)
	dead := createTopic(t, "dlq", 1)
	plain := newProducer(t, "")
	txid := "chaoscheck-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	transactional := newProducer(t, txid+"-a")
	hanging := newProducer(t, txid+"-b")

	// Input: order A on partition 0, orders B (with a gap) and C on 1, and a
	// bad record.
	var a [5]Position
	for seq := uint64(1); seq <= 4; seq++ {
		a[seq] = send(t, plain, input, 0, "ord-a", ticketValue("ord-a", seq))
	}
	send(t, plain, input, 1, "ord-b", ticketValue("ord-b", 1))
	send(t, plain, input, 1, "ord-b", ticketValue("ord-b", 3))
	bad := send(t, plain, input, 1, "", []byte("this is not a ticket"))
	send(t, plain, input, 1, "ord-c", ticketValue("ord-c", 1))

	// Output: A reordered and A4 twice, B1 and a phantom, B3 committed in a
	// transaction, C1 only in an aborted one and in one left open.
	for _, seq := range []uint64{1, 3, 2, 4, 4} {
		send(t, plain, output, 0, "ord-a", processedValue(ticketValue("ord-a", seq)))
	}
	send(t, plain, output, 1, "ord-b", processedValue(ticketValue("ord-b", 1)))
	phantom := send(t, plain, output, 1, "ord-x", processedValue(ticketValue("ord-x", 1)))

	require.NoError(t, transactional.BeginTxn())
	send(t, transactional, output, 1, "ord-b", processedValue(ticketValue("ord-b", 3)))
	require.NoError(t, transactional.CommitTxn())
	require.NoError(t, transactional.BeginTxn())
	send(t, transactional, output, 1, "ord-c", processedValue(ticketValue("ord-c", 1)))
	require.NoError(t, transactional.AbortTxn())
	require.NoError(t, hanging.BeginTxn())
	send(t, hanging, output, 1, "ord-c", processedValue(ticketValue("ord-c", 1)))
	t.Cleanup(func() { _ = hanging.AbortTxn() })

	// Dead letters: the bad record, and one whose original never existed.
	send(t, plain, dead, 0, "", []byte("this is not a ticket"), dlqHeaders(bad, "malformed")...)
	send(t, plain, dead, 0, "", []byte("nor is this"), dlqHeaders(Position{Topic: input, Partition: 1, Offset: 999}, "malformed")...)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topics, err := ReadTopics(ctx, newClient(t), output, dead, input)
	require.NoError(t, err)
	require.Len(t, topics, 3)
	out, dlq, in := topics[0], topics[1], topics[2]

	assert.Len(t, in.Records, 8)
	assert.Len(t, out.Records, 8, "5 of A, B1, the phantom and the committed B3")
	assert.Len(t, dlq.Records, 2)
	for _, r := range out.Records {
		assert.NotContains(t, string(r.Value), `"order_id":"ord-c"`, "a record of an aborted or open transaction was read at %s", r.Position())
	}
	assert.Equal(t, int64(0), in.Undecided())
	assert.Equal(t, int64(1), out.Undecided(), "the open transaction's record is left unread")
	require.Len(t, out.Ends, 2)
	assert.Equal(t, out.Ends[1].End+1, out.Ends[1].HighWatermark)

	r := Check(in.Records, out.Records, dlq.Records, Options{ProducerAcked: 7})

	assert.Equal(t, 8, r.InputRecords)
	assert.Equal(t, 7, r.InputTickets)
	assert.Equal(t, 1, r.InputBadRecords)
	want := map[Kind]int{KindLost: 1, KindDuplicated: 1, KindReordered: 1, KindInputGap: 1, KindPhantom: 1, KindPhantomDeadLetter: 1}
	for _, k := range Kinds() {
		assert.Equal(t, want[k], r.Count(k), "%s: %v", k, r.Examples(k, -1))
	}
	require.Len(t, r.Lost, 1)
	assert.Equal(t, "ord-c", r.Lost[0].OrderID)
	require.Len(t, r.Duplicated, 1)
	assert.Equal(t, a[4], r.Duplicated[0].Input)
	require.Len(t, r.Phantoms, 1)
	assert.Equal(t, phantom, r.Phantoms[0].At)
	require.Len(t, r.InputGaps, 1)
	assert.Equal(t, []uint64{2}, r.InputGaps[0].Missing)

	v := Judge(r, AtLeastOnce, Faults{})
	assert.False(t, v.Passed())
}

// TestReadTopicsKeepsTimestampsAndHeaders asserts that a record comes back
// as it was written, across more fetches than one.
func TestReadTopicsKeepsTimestampsAndHeaders(t *testing.T) {
	topic := createTopic(t, "ts", 1)
	plain := newProducer(t, "")
	written := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	big := make([]byte, 900<<10) // several of these exceed one fetch
	const records = 12
	for i := range records {
		msg := &sarama.ProducerMessage{
			Topic: topic, Key: sarama.StringEncoder("k"), Value: sarama.ByteEncoder(append([]byte(strconv.Itoa(i)+":"), big...)),
			Headers: []sarama.RecordHeader{{Key: []byte("h"), Value: []byte("v" + strconv.Itoa(i))}}, Timestamp: written.Add(time.Duration(i) * time.Millisecond),
		}
		_, _, err := plain.SendMessage(msg)
		require.NoError(t, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topics, err := ReadTopics(ctx, newClient(t), topic)
	require.NoError(t, err)

	require.Len(t, topics[0].Records, records)
	for i, r := range topics[0].Records {
		assert.Equal(t, int64(i), r.Offset)
		assert.True(t, strings.HasPrefix(string(r.Value), strconv.Itoa(i)+":"), "record %d", i)
		assert.Equal(t, []Header{{Key: "h", Value: "v" + strconv.Itoa(i)}}, r.Headers)
		assert.True(t, written.Add(time.Duration(i)*time.Millisecond).Equal(r.Timestamp), "record %d: %s", i, r.Timestamp)
	}
}

func TestReadTopicsRefusesAMissingTopic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := ReadTopics(ctx, newClient(t), "chaoscheck-no-such-topic-"+strconv.FormatInt(time.Now().UnixNano(), 36))

	assert.ErrorIs(t, err, sarama.ErrUnknownTopicOrPartition)
}
