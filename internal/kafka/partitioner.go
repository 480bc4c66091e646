package kafka

import (
	"github.com/IBM/sarama"
)

// Murmur2 is the 32-bit MurmurHash2 variant that Kafka's Java client uses
// to pick a partition for a keyed record (seed 0x9747b28c).
func Murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// PartitionFor returns the partition the Java client's default partitioner
// gives key: murmur2 with the sign bit masked, modulo the partition count.
func PartitionFor(key []byte, partitions int32) int32 {
	return (Murmur2(key) & 0x7fffffff) % partitions
}

// murmur2Partitioner implements sarama.Partitioner compatibly with the Java
// client, so Java producers, kcat (partitioner=murmur2_random) and this
// producer agree on where an order's tickets go. A record without a key
// (only a dead-lettered one can lack it) goes to a random partition, as
// with murmur2_random.
type murmur2Partitioner struct{ keyless sarama.Partitioner }

// NewMurmur2Partitioner is a sarama.PartitionerConstructor for the
// Java-compatible partitioner.
func NewMurmur2Partitioner(topic string) sarama.Partitioner {
	return murmur2Partitioner{keyless: sarama.NewRandomPartitioner(topic)}
}

func (p murmur2Partitioner) Partition(msg *sarama.ProducerMessage, partitions int32) (int32, error) {
	if msg.Key == nil {
		return p.keyless.Partition(msg, partitions)
	}
	key, err := msg.Key.Encode()
	if err != nil {
		return -1, err
	}
	return PartitionFor(key, partitions), nil
}

// RequiresConsistency is true: a key must always map to the same partition.
func (murmur2Partitioner) RequiresConsistency() bool { return true }
