//go:build integration

package kafka

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/kafkatest"
)

// TestScanReadsARangeWholeAndInOrder writes compressed batches that span
// several fetches, one record larger than a fetch asks for among them, and
// reads ranges of the partition back.
func TestScanReadsARangeWholeAndInOrder(t *testing.T) {
	topic := kafkatest.CreateTopic(t, "it-scan", 1, map[string]*string{"max.message.bytes": ptr("4194304")})
	const records = 3000
	// Random bytes, so that compression leaves the sizes as they are: the
	// range is several fetches long, and the large record alone is larger
	// than one fetch asks for.
	random := rand.New(rand.NewPCG(1, 2))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(random.Uint32())
		}
		return b
	}
	big := noise(2 * scanPartitionBytes)
	cfg := kafkatest.Config()
	cfg.Producer.Compression = sarama.CompressionLZ4
	cfg.Producer.MaxMessageBytes = 4 << 20
	sp, err := sarama.NewSyncProducer(kafkatest.Brokers(t), cfg)
	require.NoError(t, err)
	var batch []*sarama.ProducerMessage
	for i := range records {
		value := append([]byte(fmt.Sprintf("%04d-", i)), noise(1000)...)
		if i == 1500 {
			value = big
		}
		batch = append(batch, &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprint(i)), Value: sarama.ByteEncoder(value)})
		if len(batch) == 100 {
			require.NoError(t, sp.SendMessages(batch))
			batch = nil
		}
	}
	require.NoError(t, sp.Close())

	client := kafkatest.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var (
		seen  []int64
		bytes int
	)
	require.NoError(t, scan(ctx, client, topic, 0, 7, records, sarama.ReadUncommitted, func(m *sarama.ConsumerMessage) bool {
		seen = append(seen, m.Offset)
		bytes += len(m.Value)
		if m.Offset == 1500 {
			assert.Len(t, m.Value, len(big), "the large record comes whole")
		} else {
			assert.Equal(t, fmt.Sprintf("%04d-", m.Offset), string(m.Value[:5]), "offset %d", m.Offset)
		}
		assert.Equal(t, fmt.Sprint(m.Offset), string(m.Key))
		return true
	}))
	require.Len(t, seen, records-7, "every record from 7 to the end, once")
	assert.Greater(t, bytes, 4*scanPartitionBytes, "more than one fetch returns: the scan fetched again")
	for i, o := range seen {
		require.Equal(t, int64(7+i), o, "in offset order")
	}

	seen = nil
	require.NoError(t, scan(ctx, client, topic, 0, 10, records, sarama.ReadUncommitted, func(m *sarama.ConsumerMessage) bool {
		seen = append(seen, m.Offset)
		return len(seen) < 3
	}))
	assert.Equal(t, []int64{10, 11, 12}, seen, "visit stops the scan")

	r, err := ReadRecord(ctx, client, topic, 0, 2345)
	require.NoError(t, err)
	assert.Equal(t, "2345", string(r.Key))
	_, err = ReadRecord(ctx, client, topic, 0, records)
	require.ErrorIs(t, err, ErrNoRecord, "past the end")
}

func ptr(s string) *string { return &s }

// TestScanCommittedLeavesOutAbortedTransactions writes committed and
// aborted transactions, and an open one, and reads the partition back
// under read_committed up to its last stable offset.
func TestScanCommittedLeavesOutAbortedTransactions(t *testing.T) {
	topic := kafkatest.CreateTopic(t, "it-scan-txn", 1, nil)
	cfg := kafkatest.Config()
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Transaction.ID = kafkatest.Name("it-scan-txn")
	sp, err := sarama.NewSyncProducer(kafkatest.Brokers(t), cfg)
	require.NoError(t, err)
	defer sp.Close()
	txn := func(commit bool, values ...string) {
		t.Helper()
		require.NoError(t, sp.BeginTxn())
		for _, v := range values {
			_, _, err := sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(v)})
			require.NoError(t, err)
		}
		if commit {
			require.NoError(t, sp.CommitTxn())
		} else {
			require.NoError(t, sp.AbortTxn())
		}
	}
	txn(true, "a", "b")
	txn(false, "aborted-1", "aborted-2")
	txn(true, "c")
	txn(false, "aborted-3")
	txn(true, "d", "e")
	// One left open: its records lie at and above the last stable offset.
	require.NoError(t, sp.BeginTxn())
	_, _, err = sp.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("open")})
	require.NoError(t, err)
	defer func() { _ = sp.AbortTxn() }()

	client := kafkatest.Client(t)
	lso, err := LastStableOffset(client, topic, 0)
	require.NoError(t, err)
	hwm, err := client.GetOffset(topic, 0, sarama.OffsetNewest)
	require.NoError(t, err)
	assert.Less(t, lso, hwm, "the open transaction holds the stable offset back")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	require.NoError(t, ScanCommitted(ctx, client, topic, 0, 0, lso, func(m *sarama.ConsumerMessage) bool {
		got = append(got, string(m.Value))
		return true
	}))
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, got)

	got = nil
	require.NoError(t, scan(ctx, client, topic, 0, 0, lso, sarama.ReadUncommitted, func(m *sarama.ConsumerMessage) bool {
		got = append(got, string(m.Value))
		return true
	}))
	assert.Equal(t, []string{"a", "b", "aborted-1", "aborted-2", "c", "aborted-3", "d", "e"}, got, "read_uncommitted sees them all")
}
