package kafka

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The expected hashes are the reference values of Kafka's own Java test
// suite for Utils.murmur2.
func TestMurmur2MatchesJavaClient(t *testing.T) {
	tests := []struct {
		key  string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			assert.Equal(t, tt.want, Murmur2([]byte(tt.key)))
		})
	}
}

func TestPartitionForMasksSignBit(t *testing.T) {
	// "21" hashes negative; Java masks the sign bit rather than taking abs.
	h := Murmur2([]byte("21"))
	require.Negative(t, h)
	assert.Equal(t, (h&0x7fffffff)%6, PartitionFor([]byte("21"), 6))
	for i := int32(1); i <= 64; i++ {
		p := PartitionFor([]byte("ord-0123456789abcdef"), i)
		assert.True(t, p >= 0 && p < i, "partition %d of %d", p, i)
	}
}

func TestMurmur2Partitioner(t *testing.T) {
	p := NewMurmur2Partitioner("tickets")
	assert.True(t, p.RequiresConsistency())

	got, err := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder("foobar")}, 12)
	require.NoError(t, err)
	assert.Equal(t, PartitionFor([]byte("foobar"), 12), got)

	got, err = p.Partition(&sarama.ProducerMessage{}, 12)
	require.NoError(t, err, "a keyless record goes to some partition")
	assert.True(t, got >= 0 && got < 12)
}
