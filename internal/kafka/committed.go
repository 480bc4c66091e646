package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// Committed is what a group has committed for one partition: the offset
// it resumes from, and the metadata committed with it. Offset is -1 when
// the group has committed nothing there.
type Committed struct {
	Offset   int64
	Metadata string
}

// CommittedReader returns what group has committed for one partition of
// topic. NewCommittedReader returns one; tests put in their own.
type CommittedReader func(ctx context.Context, topic string, partition int32) (Committed, error)

// NewCommittedReader returns a CommittedReader for group that asks the
// group's coordinator through client. Under read_committed it asks for a
// stable answer (KIP-447): while a transaction that commits offsets for
// the partition is open, the coordinator answers "unstable", returned as
// an error to retry, rather than an offset that transaction may move.
func NewCommittedReader(client sarama.Client, group string) CommittedReader {
	return func(ctx context.Context, topic string, partition int32) (Committed, error) {
		if err := ctx.Err(); err != nil {
			return Committed{}, err
		}
		c, err := fetchCommitted(client, group, topic, partition)
		if err != nil {
			return Committed{}, fmt.Errorf("committed offset of %s/%d for group %s: %w", topic, partition, group, err)
		}
		return c, nil
	}
}

func fetchCommitted(client sarama.Client, group, topic string, partition int32) (Committed, error) {
	coordinator, err := client.Coordinator(group)
	if err != nil {
		return Committed{}, err
	}
	conf := client.Config()
	req := sarama.NewOffsetFetchRequest(conf.Version, group, map[string][]int32{topic: {partition}})
	req.RequireStable = conf.Consumer.IsolationLevel == sarama.ReadCommitted && req.Version >= 7
	resp, err := coordinator.FetchOffset(req)
	if err != nil {
		// The connection failed (the broker restarted, say): drop it and
		// ask for the coordinator afresh, so that the next try does not
		// go to the same dead connection.
		_ = coordinator.Close()
		_ = client.RefreshCoordinator(group)
		return Committed{}, err
	}
	block := resp.GetBlock(topic, partition)
	switch {
	case block == nil && resp.Err != sarama.ErrNoError:
		err = resp.Err
	case block == nil:
		err = errors.New("the coordinator's answer has no block for the partition")
	case block.Err != sarama.ErrNoError:
		err = block.Err
	}
	if err != nil {
		if errors.Is(err, sarama.ErrNotCoordinatorForConsumer) || errors.Is(err, sarama.ErrConsumerCoordinatorNotAvailable) {
			// Ask again next time, after the client finds the new one.
			_ = client.RefreshCoordinator(group)
		}
		return Committed{}, err
	}
	return Committed{Offset: block.Offset, Metadata: block.Metadata}, nil
}
