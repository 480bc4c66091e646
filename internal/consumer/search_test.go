package consumer

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSearchesWhileOneRunsAreTakenTogether(t *testing.T) {
	var (
		s       searches
		mu      sync.Mutex
		batches [][]*sarama.ProducerMessage
	)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	find := func(_ context.Context, msgs []*sarama.ProducerMessage) (map[*sarama.ProducerMessage]bool, error) {
		mu.Lock()
		batches = append(batches, msgs)
		first := len(batches) == 1
		mu.Unlock()
		if first {
			started <- struct{}{}
			<-release // the first search is slow
		}
		found := map[*sarama.ProducerMessage]bool{}
		for _, m := range msgs {
			found[m] = m.Partition%2 == 0 // "written" for even ones
		}
		return found, nil
	}

	ask := func(m *sarama.ProducerMessage, got *bool, wg *sync.WaitGroup) {
		defer wg.Done()
		written, err := s.written(context.Background(), find, m)
		assert.NoError(t, err)
		*got = written
	}
	var wg sync.WaitGroup
	msgs := make([]*sarama.ProducerMessage, 51)
	got := make([]bool, len(msgs))
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Partition: int32(i)}
	}
	wg.Add(1)
	go ask(msgs[0], &got[0], &wg)
	<-started
	for i := 1; i < len(msgs); i++ {
		wg.Add(1)
		go ask(msgs[i], &got[i], &wg)
	}
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.queue) == 50
	}, 5*time.Second, time.Millisecond, "50 searches queue behind the running one")
	close(release)
	wg.Wait()

	assert.Len(t, batches, 2, "the 50 queued searches are one")
	assert.Len(t, batches[1], 50)
	for i, g := range got {
		assert.Equal(t, i%2 == 0, g, "record %d gets its own answer", i)
	}
}
