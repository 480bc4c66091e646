package checker

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// transactionalPartition builds one partition's fetch response:
//
//	0 plain        "p0"
//	1 producer 7   "t7-aborted"   (transaction aborted)
//	2 producer 8   "t8-committed" (transaction committed)
//	3 abort marker of producer 7
//	4 commit marker of producer 8
//	5 plain        "p5"
//	6 producer 7   "t7-again"     (a later transaction, committed)
//	7 commit marker of producer 7
//	8 producer 9   "t9-aborted"   (transaction aborted)
//	9 abort marker of producer 9
func transactionalPartition() *sarama.FetchResponseBlock {
	resp := &sarama.FetchResponse{}
	add := func(offset, producer int64, transactional bool, value string) {
		resp.AddRecordBatchWithTimestamp("t", 0, sarama.StringEncoder("k"), sarama.StringEncoder(value), offset, producer, transactional, at(float64(offset)))
	}
	add(0, 1, false, "p0")
	add(1, 7, true, "t7-aborted")
	add(2, 8, true, "t8-committed")
	resp.AddControlRecordWithTimestamp("t", 0, 3, 7, sarama.ControlRecordAbort, at(3))
	resp.AddControlRecordWithTimestamp("t", 0, 4, 8, sarama.ControlRecordCommit, at(4))
	add(5, 1, false, "p5")
	add(6, 7, true, "t7-again")
	resp.AddControlRecordWithTimestamp("t", 0, 7, 7, sarama.ControlRecordCommit, at(7))
	add(8, 9, true, "t9-aborted")
	resp.AddControlRecordWithTimestamp("t", 0, 9, 9, sarama.ControlRecordAbort, at(9))
	block := resp.GetBlock("t", 0)
	block.AbortedTransactions = []*sarama.AbortedTransaction{
		{ProducerID: 9, FirstOffset: 8}, // out of order on purpose
		{ProducerID: 7, FirstOffset: 1},
	}
	return block
}

func TestDecodeBlock(t *testing.T) {
	tests := []struct {
		name     string
		pos, end int64
		want     []string
		wantNext int64
	}{
		{"whole partition", 0, 10, []string{"p0", "t8-committed", "p5", "t7-again"}, 10},
		{"from the middle of an aborted transaction", 2, 10, []string{"t8-committed", "p5", "t7-again"}, 10},
		{"ending before a committed record", 0, 6, []string{"p0", "t8-committed", "p5"}, 10},
		{"only markers and aborted records left", 7, 10, nil, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records, next, cut, err := decodeBlock("t", 0, transactionalPartition(), tt.pos, tt.end)
			require.NoError(t, err)
			var values []string
			for _, r := range records {
				values = append(values, string(r.Value))
				assert.Equal(t, at(float64(r.Offset)), r.Timestamp, "offset %d", r.Offset)
				assert.Equal(t, "t", r.Topic)
			}
			assert.Equal(t, tt.want, values)
			assert.Equal(t, tt.wantNext, next)
			assert.False(t, cut)
		})
	}
}

func TestDecodeBlockStopsAtACutBatch(t *testing.T) {
	block := transactionalPartition()
	block.RecordsSet[2].RecordBatch.PartialTrailingRecord = true

	records, next, cut, err := decodeBlock("t", 0, block, 0, 10)

	require.NoError(t, err)
	require.Len(t, records, 1)
	assert.Equal(t, "p0", string(records[0].Value))
	assert.Equal(t, int64(2), next, "fetched again from the cut batch")
	assert.True(t, cut)
}

func TestDecodeBlockRejectsLegacyRecords(t *testing.T) {
	resp := &sarama.FetchResponse{}
	resp.AddMessage("t", 0, nil, sarama.StringEncoder("old"), 0)

	_, _, _, err := decodeBlock("t", 0, resp.GetBlock("t", 0), 0, 1)

	assert.ErrorIs(t, err, errLegacyRecords)
}
