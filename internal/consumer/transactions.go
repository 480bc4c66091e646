package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"go.uber.org/zap"

	"ticket-processor/internal/kafka"
)

// errTransactionFailed means a write of the open transaction failed, so
// the transaction will be aborted: the ticket is abandoned, not retried,
// and the session is started again from what was committed.
var errTransactionFailed = errors.New("the open transaction failed and will be aborted")

// The stages a transaction can fail at, as its metric's label says.
const (
	stageWrite   = "write"
	stageOffsets = "offsets"
	stageCommit  = "commit"
)

// TransactionStages lists the stages a transaction can fail at.
var TransactionStages = []string{stageWrite, stageOffsets, stageCommit}

// maxTransactionRecords is the most records one transaction carries; the
// transaction commits early once it holds that many.
const maxTransactionRecords = 5000

// transactions is the exactly-once output path of one member. Every
// output and dead-letter record goes into the member's open transaction,
// and every CommitInterval (or once maxTransactionRecords are written) the
// transaction commits with each claimed partition's commit point and
// commit metadata, fenced by the session's generation and member id
// (KIP-447), so the records and the offsets that produced them become
// visible to read_committed readers together, or not at all.
//
// A record and the finishing of its ticket happen under the gate, shared;
// a commit takes the gate alone, so the offsets it commits are exactly
// those whose records it carries. A ticket still being retried holds
// nothing up: its offset stays below its partition's commit point, and
// the offsets finished above it travel in the metadata.
//
// When a write, the offsets or the commit fail, the transaction is
// aborted and the session ends: the member rejoins and every partition
// starts again from what was committed, since the aborted records will
// never be seen and the tickets behind them must be processed again.
type transactions struct {
	group string
	topic string
	log   *zap.Logger
	obs   Observer
	// newProducer returns a transactional producer, on its first use and
	// again after one is fenced.
	newProducer func() (sarama.SyncProducer, error)

	gate     sync.RWMutex // shared by writes, taken alone by a commit
	producer sarama.SyncProducer
	failMu   sync.Mutex
	failure  error     // the first failed write of the open transaction
	begun    time.Time // when the open transaction began; zero when none is
	records  int       // records written in the open transaction, under gate and recordsMu
	// recordsMu guards records among the writers sharing the gate.
	recordsMu sync.Mutex
	full      chan struct{} // signalled once a transaction holds maxTransactionRecords

	parts     map[int32]*partition // this session's partitions, kept to its last commit
	committed map[int32]kafka.Committed
}

func newTransactions(group, topic string, newProducer func() (sarama.SyncProducer, error), obs Observer, log *zap.Logger) *transactions {
	return &transactions{group: group, topic: topic, newProducer: newProducer, obs: obs, log: log,
		full: make(chan struct{}, 1)}
}

// write sends msg in the open transaction and, once it is written, calls
// written while still holding the gate.
func (x *transactions) write(msg *sarama.ProducerMessage, written func()) error {
	x.gate.RLock()
	defer x.gate.RUnlock()
	if err := x.failed(); err != nil {
		return fmt.Errorf("%w: %w", errTransactionFailed, err)
	}
	if x.producer == nil || x.begun.IsZero() {
		return fmt.Errorf("%w: no transaction is open", errTransactionFailed)
	}
	if _, _, err := x.producer.SendMessage(msg); err != nil {
		x.fail(err)
		return fmt.Errorf("%w: %w", errTransactionFailed, err)
	}
	x.recordsMu.Lock()
	x.records++
	if x.records == maxTransactionRecords {
		select {
		case x.full <- struct{}{}:
		default:
		}
	}
	x.recordsMu.Unlock()
	written()
	return nil
}

func (x *transactions) fail(err error) {
	x.failMu.Lock()
	defer x.failMu.Unlock()
	if x.failure == nil {
		x.failure = err
	}
}

func (x *transactions) failed() error {
	x.failMu.Lock()
	defer x.failMu.Unlock()
	return x.failure
}

// begin starts a session: it forgets the last session's partitions and
// opens a transaction.
func (x *transactions) begin() error {
	x.gate.Lock()
	defer x.gate.Unlock()
	x.parts, x.committed = map[int32]*partition{}, map[int32]kafka.Committed{}
	return x.open()
}

// open begins a transaction, creating the producer if there is none.
// The caller holds the gate alone.
func (x *transactions) open() error {
	if x.producer == nil {
		p, err := x.newProducer()
		if err != nil {
			return fmt.Errorf("transactional producer: %w", err)
		}
		x.producer = p
	}
	if err := x.producer.BeginTxn(); err != nil {
		x.discardProducer()
		return fmt.Errorf("begin transaction: %w", err)
	}
	x.begun, x.records = time.Now(), 0
	x.failMu.Lock()
	x.failure = nil
	x.failMu.Unlock()
	return nil
}

// claim adds a claimed partition, whose offsets every later commit of the
// session carries. start is what the group had committed for it.
func (x *transactions) claim(p *partition, start kafka.Committed) {
	x.gate.Lock()
	defer x.gate.Unlock()
	x.parts[p.id] = p
	x.committed[p.id] = start
}

// commit commits the open transaction with the offsets of every partition
// of the session, and opens the next one unless last. An error means the
// transaction was aborted (or could not be opened again), and the session
// must start again.
func (x *transactions) commit(sess sarama.ConsumerGroupSession, last bool) error {
	x.gate.Lock()
	defer x.gate.Unlock()
	if x.begun.IsZero() {
		if last {
			return nil // aborted already, and the session is ending
		}
		return errors.New("no transaction is open")
	}
	if err := x.failed(); err != nil {
		return x.abort(stageWrite, err)
	}
	var offsets []*sarama.PartitionOffsetMetadata
	moved := map[int32]kafka.Committed{}
	for id, p := range x.parts {
		point, metadata, ok := p.tracker.state()
		if !ok || (kafka.Committed{Offset: point, Metadata: metadata}) == x.committed[id] {
			continue
		}
		md := metadata
		offsets = append(offsets, &sarama.PartitionOffsetMetadata{Partition: id, Offset: point, LeaderEpoch: -1, Metadata: &md})
		moved[id] = kafka.Committed{Offset: point, Metadata: metadata}
	}
	if x.records == 0 && len(offsets) == 0 {
		if last {
			return x.end()
		}
		return nil // nothing to commit: the transaction stays open, empty
	}
	if len(offsets) > 0 {
		group := &sarama.ConsumerGroupMetadata{GroupID: x.group, GenerationID: sess.GenerationID(), MemberID: sess.MemberID()}
		if err := x.producer.AddOffsetsToTxnWithGroupMetadata(map[string][]*sarama.PartitionOffsetMetadata{x.topic: offsets}, group); err != nil {
			return x.abort(stageOffsets, err)
		}
	}
	if err := x.producer.CommitTxn(); err != nil {
		return x.abort(stageCommit, err)
	}
	x.obs.TransactionCommitted(x.records, time.Since(x.begun))
	for id, c := range moved {
		x.committed[id] = c
		x.parts[id].obs.CommitMetadata(len(c.Metadata))
	}
	x.begun = time.Time{}
	if last {
		return nil
	}
	return x.open()
}

// end closes an empty open transaction at the end of a session.
func (x *transactions) end() error {
	x.begun = time.Time{}
	if err := x.producer.AbortTxn(); err != nil {
		x.discardProducer()
		return fmt.Errorf("end an empty transaction: %w", err)
	}
	return nil
}

// abort aborts the open transaction after stage failed with cause, and
// returns the error that ends the session. A producer the broker fenced,
// or one that cannot abort, is closed; the next session makes another.
func (x *transactions) abort(stage string, cause error) error {
	x.obs.TransactionAborted(stage)
	x.begun = time.Time{}
	err := fmt.Errorf("transaction aborted (%s): %w", stage, cause)
	switch {
	case fenced(cause):
		x.obs.ProducerFenced()
		x.discardProducer()
		return fmt.Errorf("%w; the producer was fenced and is made again", err)
	case x.producer.TxnStatus()&sarama.ProducerTxnFlagFatalError != 0:
		x.discardProducer()
		return fmt.Errorf("%w; the producer is in a fatal state and is made again", err)
	}
	if aerr := x.producer.AbortTxn(); aerr != nil {
		x.discardProducer()
		return fmt.Errorf("%w; the abort failed too, so the producer is made again: %w", err, aerr)
	}
	return err
}

// fenced reports whether err says another producer with the same
// transactional id, or a newer generation of the group, has taken over.
// sarama reports PRODUCER_FENCED (90) as such a KError (IBM/sarama#2859).
func fenced(err error) bool {
	return errors.Is(err, sarama.ErrProducerFenced) || errors.Is(err, sarama.ErrInvalidProducerEpoch) ||
		errors.Is(err, sarama.ErrFencedInstancedId)
}

func (x *transactions) discardProducer() {
	if x.producer == nil {
		return
	}
	if err := x.producer.Close(); err != nil {
		x.log.Debug("closing a discarded transactional producer", zap.Error(err))
	}
	x.producer = nil
}

// run commits every interval, or sooner when a transaction is full, until
// ctx ends; a failed commit ends the session through endSession.
func (x *transactions) run(ctx context.Context, sess sarama.ConsumerGroupSession, interval time.Duration, endSession func(error)) {
	every(ctx, interval, x.full, func() bool {
		err := x.commit(sess, false)
		if err != nil {
			x.log.Warn("transaction failed; the session starts again from what was committed", zap.Error(err))
			endSession(err)
		}
		return err == nil
	})
}

// close closes the producer, once the member is done.
func (x *transactions) close() {
	x.gate.Lock()
	defer x.gate.Unlock()
	x.discardProducer()
}
