package producer

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func msg(order string, seq int) *sarama.ProducerMessage {
	return &sarama.ProducerMessage{Metadata: order, Value: sarama.StringEncoder(order + "#" + string(rune('0'+seq)))}
}

func names(batch []*sarama.ProducerMessage) []string {
	out := make([]string, len(batch))
	for i, m := range batch {
		v, _ := m.Value.Encode()
		out[i] = string(v)
	}
	return out
}

func TestBatcher(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		queued []*sarama.ProducerMessage
		want   [][]string
	}{
		{
			name:   "one ticket per order per batch, later ones wait in order",
			max:    10,
			queued: []*sarama.ProducerMessage{msg("a", 1), msg("b", 1), msg("a", 2), msg("c", 1), msg("a", 3), msg("b", 2)},
			want:   [][]string{{"a#1", "b#1", "c#1"}, {"a#2", "b#2"}, {"a#3"}},
		},
		{
			name:   "batch capped at max",
			max:    2,
			queued: []*sarama.ProducerMessage{msg("a", 1), msg("b", 1), msg("c", 1), msg("d", 1)},
			want:   [][]string{{"a#1", "b#1"}, {"c#1", "d#1"}},
		},
		{
			name:   "single ticket when only one is queued",
			max:    10,
			queued: []*sarama.ProducerMessage{msg("a", 1)},
			want:   [][]string{{"a#1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := make(chan *sarama.ProducerMessage, len(tt.queued))
			for _, m := range tt.queued {
				q <- m
			}
			close(q)
			b := batcher{queue: q, max: tt.max}
			var got [][]string
			for batch := b.next(); batch != nil; batch = b.next() {
				require.LessOrEqual(t, len(batch), tt.max)
				got = append(got, names(batch))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
