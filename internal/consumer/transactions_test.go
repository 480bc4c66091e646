package consumer

import (
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"ticket-processor/internal/kafka"
)

// fakeTxnProducer records what a transactions asks of its producer; the
// errors it returns are set per call.
type fakeTxnProducer struct {
	sarama.SyncProducer // the methods transactions does not call

	mu        sync.Mutex
	sent      []*sarama.ProducerMessage
	offsets   []*sarama.PartitionOffsetMetadata
	group     *sarama.ConsumerGroupMetadata
	calls     []string
	sendErr   error
	commitErr error
	closed    bool
}

func (f *fakeTxnProducer) call(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func (f *fakeTxnProducer) SendMessage(m *sarama.ProducerMessage) (int32, int64, error) {
	f.call("send")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return 0, 0, f.sendErr
	}
	f.sent = append(f.sent, m)
	return 0, int64(len(f.sent) - 1), nil
}
func (f *fakeTxnProducer) BeginTxn() error { f.call("begin"); return nil }
func (f *fakeTxnProducer) CommitTxn() error {
	f.call("commit")
	return f.commitErr
}
func (f *fakeTxnProducer) AbortTxn() error { f.call("abort"); return nil }
func (f *fakeTxnProducer) AddOffsetsToTxnWithGroupMetadata(o map[string][]*sarama.PartitionOffsetMetadata, g *sarama.ConsumerGroupMetadata) error {
	f.call("offsets")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offsets, f.group = o["tickets"], g
	return nil
}
func (f *fakeTxnProducer) TxnStatus() sarama.ProducerTxnStatusFlag {
	return sarama.ProducerTxnFlagReady
}
func (f *fakeTxnProducer) Close() error { f.call("close"); f.closed = true; return nil }

// fakeSession is the group session a commit names.
type fakeSession struct{ sarama.ConsumerGroupSession }

func (fakeSession) GenerationID() int32 { return 7 }
func (fakeSession) MemberID() string    { return "member-1" }

// txnRecorder counts what transactions reports.
type txnRecorder struct {
	*recorder
	committed []int
	aborted   []string
	fenced    int
}

func (r *txnRecorder) TransactionCommitted(records int, _ time.Duration) {
	r.committed = append(r.committed, records)
}
func (r *txnRecorder) TransactionAborted(stage string) { r.aborted = append(r.aborted, stage) }
func (r *txnRecorder) ProducerFenced()                 { r.fenced++ }

// txnHarness is a transactions on fake producers, with one claimed
// partition whose offsets 0 to 3 are taken.
type txnHarness struct {
	x         *transactions
	producers []*fakeTxnProducer
	obs       *txnRecorder
	part      *partition
}

func newTxnHarness(t *testing.T) *txnHarness {
	t.Helper()
	h := &txnHarness{obs: &txnRecorder{recorder: &recorder{}}}
	h.x = newTransactions("g", "tickets", func() (sarama.SyncProducer, error) {
		p := &fakeTxnProducer{}
		h.producers = append(h.producers, p)
		return p, nil
	}, h.obs, zap.NewNop())
	opts := testOptions()
	h.part = newPartition("tickets", 0, claimStart{}, opts, &processor{opts: opts, obs: h.obs, log: zap.NewNop(), now: time.Now}, nil, zap.NewNop())
	require.NoError(t, h.x.begin())
	h.x.claim(h.part, kafka.Committed{Offset: -1})
	for o := range int64(4) {
		h.part.tracker.track(o, time.Now())
	}
	return h
}

func (h *txnHarness) write(t *testing.T, offset int64) error {
	t.Helper()
	return h.x.write(&sarama.ProducerMessage{Topic: "out"}, func() { h.part.markFinished(offset) })
}

func TestTransactionCommitsRecordsWithTheOffsetsTheyFinish(t *testing.T) {
	h := newTxnHarness(t)
	require.NoError(t, h.write(t, 0))
	require.NoError(t, h.write(t, 2)) // 1 is still running: 2 travels in the metadata

	require.NoError(t, h.x.commit(fakeSession{}, false))

	p := h.producers[0]
	assert.Equal(t, []string{"begin", "send", "send", "offsets", "commit", "begin"}, p.calls)
	require.Len(t, p.offsets, 1)
	assert.Equal(t, int64(1), p.offsets[0].Offset, "the commit point: offset 1 is unfinished")
	ahead, err := decodeAhead(1, *p.offsets[0].Metadata)
	require.NoError(t, err)
	assert.Equal(t, []span{{2, 3}}, ahead)
	assert.Equal(t, &sarama.ConsumerGroupMetadata{GroupID: "g", GenerationID: 7, MemberID: "member-1"}, p.group,
		"the session's generation fences a zombie")
	assert.Equal(t, []int{2}, h.obs.committed)

	// Nothing new: no empty transaction is committed.
	require.NoError(t, h.x.commit(fakeSession{}, false))
	assert.Len(t, p.calls, 6)
}

func TestFailedWriteAbortsTheTransaction(t *testing.T) {
	h := newTxnHarness(t)
	require.NoError(t, h.write(t, 0))
	h.producers[0].sendErr = sarama.ErrNotEnoughReplicas
	require.ErrorIs(t, h.write(t, 1), errTransactionFailed)
	h.producers[0].sendErr = nil
	require.ErrorIs(t, h.write(t, 2), errTransactionFailed, "a doomed transaction takes no more records")

	err := h.x.commit(fakeSession{}, false)

	require.ErrorIs(t, err, sarama.ErrNotEnoughReplicas)
	assert.Equal(t, []string{"write"}, h.obs.aborted)
	assert.Equal(t, []string{"begin", "send", "send", "abort"}, h.producers[0].calls, "no offsets, no commit")
	assert.Empty(t, h.obs.committed)
	require.ErrorIs(t, h.write(t, 3), errTransactionFailed, "no transaction is open until the next session")
}

func TestFencedProducerIsMadeAgain(t *testing.T) {
	h := newTxnHarness(t)
	require.NoError(t, h.write(t, 0))
	h.producers[0].commitErr = sarama.ErrProducerFenced

	err := h.x.commit(fakeSession{}, false)

	require.ErrorIs(t, err, sarama.ErrProducerFenced)
	assert.Equal(t, []string{"commit"}, h.obs.aborted)
	assert.Equal(t, 1, h.obs.fenced)
	assert.True(t, h.producers[0].closed, "a fenced producer is closed, never aborted")
	assert.NotContains(t, h.producers[0].calls, "abort")

	require.NoError(t, h.x.begin(), "the next session")
	require.Len(t, h.producers, 2, "with a new producer")
	assert.Equal(t, []string{"begin"}, h.producers[1].calls)
}

func TestLastCommitOfASessionOpensNoTransaction(t *testing.T) {
	h := newTxnHarness(t)
	require.NoError(t, h.write(t, 0))

	require.NoError(t, h.x.commit(fakeSession{}, true))

	assert.Equal(t, []string{"begin", "send", "offsets", "commit"}, h.producers[0].calls)
	require.ErrorIs(t, h.write(t, 1), errTransactionFailed, "closed until the next session begins")
	require.NoError(t, h.x.commit(fakeSession{}, true), "a session that ends twice commits nothing more")
	assert.Len(t, h.producers[0].calls, 4)
}
