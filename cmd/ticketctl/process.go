package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/IBM/sarama"
	"golang.org/x/time/rate"

	"ticket-processor/internal/dlq"
)

// summary counts what one run did with the records it scanned.
type summary struct {
	// scanned is every record read from the dead-letter topic.
	scanned int
	// invalid records could not be parsed; each was reported on stderr.
	invalid int
	// matched entries passed the filters other than --max-replays.
	matched int
	// skipped of the matched entries had been replayed --max-replays
	// times or more.
	skipped int
	// unreplayable of the matched entries cannot be replayed: they have
	// no key or point back at the dead-letter topic (replay only).
	unreplayable int
	// done entries were listed, replayed, or (dry run) would be replayed.
	done int
	// limited is true when --limit ended the scan early.
	limited bool
}

// processor lists or replays the entries of one scan.
type processor struct {
	opts     options
	stdout   io.Writer
	stderr   io.Writer
	table    *tabwriter.Writer
	json     *json.Encoder
	producer sarama.SyncProducer
	limiter  *rate.Limiter
	now      func() time.Time
	sum      summary
}

// newProcessor returns a processor for opts that writes entries to stdout
// and warnings and the summary to stderr. producer sends the replayed
// records; it may be nil for list and dry runs.
func newProcessor(opts options, stdout, stderr io.Writer, producer sarama.SyncProducer, now func() time.Time) *processor {
	p := &processor{opts: opts, stdout: stdout, stderr: stderr, producer: producer, now: now}
	if opts.command == commandList {
		if opts.output == outputJSON {
			p.json = json.NewEncoder(stdout)
			p.json.SetEscapeHTML(false)
		} else {
			p.table = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		}
	}
	if opts.command == commandReplay && !opts.dryRun {
		p.limiter = rate.NewLimiter(rate.Limit(opts.rate), 1)
	}
	return p
}

// visit handles one record of the dead-letter topic. It returns errStop
// when --limit is reached.
func (p *processor) visit(ctx context.Context, msg *sarama.ConsumerMessage) error {
	p.sum.scanned++
	e, err := dlq.Parse(msg)
	if err != nil {
		p.sum.invalid++
		fmt.Fprintf(p.stderr, "%s: skipping: %v\n", binaryName, err)
		return nil
	}
	if !p.opts.filter.Selects(e) {
		return nil
	}
	p.sum.matched++
	if p.opts.filter.ReplaysExhausted(e) {
		p.sum.skipped++
		if p.opts.command == commandReplay {
			fmt.Fprintf(p.stderr, "%s: skipping %s: replayed %d times already (--max-replays=%d)\n",
				binaryName, position(e), e.ReplayCount, p.opts.filter.MaxReplays)
		}
		return nil
	}
	switch p.opts.command {
	case commandList:
		err = p.list(e)
	case commandReplay:
		if why := p.unreplayable(e); why != "" {
			p.sum.unreplayable++
			fmt.Fprintf(p.stderr, "%s: skipping %s: %s\n", binaryName, position(e), why)
			return nil
		}
		err = p.replay(ctx, e)
	}
	if err != nil {
		return err
	}
	p.sum.done++
	if p.opts.limit > 0 && p.sum.done >= p.opts.limit {
		p.sum.limited = true
		return errStop
	}
	return nil
}

// unreplayable says why e cannot be replayed, or returns "".
func (p *processor) unreplayable(e dlq.Entry) string {
	switch {
	case p.target(e) == p.opts.dlqTopic:
		return "its original topic is the dead-letter topic"
	case e.Key == nil:
		// The pipeline's murmur2 partitioner refuses keyless records, and
		// the consumer would dead-letter the ticket again anyway.
		return "it has no key (order id)"
	}
	return ""
}

// target is the topic e is replayed to.
func (p *processor) target(e dlq.Entry) string {
	if p.opts.toTopic != "" {
		return p.opts.toTopic
	}
	return e.OriginalTopic
}

func (p *processor) list(e dlq.Entry) error {
	if p.json != nil {
		if err := p.json.Encode(newJSONEntry(e)); err != nil {
			return fmt.Errorf("write entry: %w", err)
		}
		return nil
	}
	if p.sum.done == 0 {
		fmt.Fprintln(p.table, "DLQ\tORIGINAL\tORDER\tREASON\tCLASS\tATTEMPTS\tREPLAYS\tDEAD-LETTERED\tMESSAGE")
	}
	fmt.Fprintf(p.table, "%d@%d\t%s/%d@%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n",
		e.DLQPartition, e.DLQOffset, e.OriginalTopic, e.OriginalPartition, e.OriginalOffset,
		printable(e.Key, 40), e.Failure.Reason, e.Failure.Class, e.Failure.Attempts, e.ReplayCount,
		e.DeadLetteredAt.Format(time.RFC3339), printable([]byte(e.Failure.Message), 80))
	return nil
}

func (p *processor) replay(ctx context.Context, e dlq.Entry) error {
	msg := dlq.NewReplay(e, p.now())
	msg.Topic = p.target(e)
	what := fmt.Sprintf("order %s, reason %s, replay %d", printable(e.Key, 64), e.Failure.Reason, e.ReplayCount+1)
	if p.opts.dryRun {
		fmt.Fprintf(p.stdout, "would replay %s to %s: %s\n", position(e), msg.Topic, what)
		return nil
	}
	if err := p.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("replay %s: %w", position(e), err)
	}
	partition, offset, err := p.producer.SendMessage(msg)
	if err != nil {
		return fmt.Errorf("replay %s to %s: %w", position(e), msg.Topic, err)
	}
	fmt.Fprintf(p.stdout, "replayed %s to %s/%d@%d: %s\n", position(e), msg.Topic, partition, offset, what)
	return nil
}

// finish flushes the table and writes the summary to stderr.
func (p *processor) finish() error {
	if p.table != nil {
		if err := p.table.Flush(); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	s := p.sum
	var done string
	switch {
	case p.opts.command == commandList:
		done = fmt.Sprintf("%d listed", s.done)
	case p.opts.dryRun:
		done = fmt.Sprintf("%d would be replayed (dry run)", s.done)
	default:
		done = fmt.Sprintf("%d replayed", s.done)
	}
	if p.opts.command == commandReplay {
		done = fmt.Sprintf("%d not replayable, %s", s.unreplayable, done)
	}
	fmt.Fprintf(p.stderr, "%s: scanned %d records of %s: %d invalid, %d matched, %d skipped for --max-replays, %s",
		binaryName, s.scanned, p.opts.dlqTopic, s.invalid, s.matched, s.skipped, done)
	if s.limited {
		fmt.Fprintf(p.stderr, " (stopped at --limit=%d)", p.opts.limit)
	}
	fmt.Fprintln(p.stderr)
	return nil
}

// position names a dead-letter record: topic/partition@offset.
func position(e dlq.Entry) string {
	return fmt.Sprintf("%s/%d@%d", e.DLQTopic, e.DLQPartition, e.DLQOffset)
}

// printable returns b for a terminal: as is when it is short, valid UTF-8
// without control characters, quoted otherwise; cut to limit runes with
// "…". A nil b is "-".
func printable(b []byte, limit int) string {
	if b == nil {
		return "-"
	}
	s := string(b)
	plain := utf8.ValidString(s) && s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !unicode.IsPrint(r) || r == '\t'
	})
	if !plain {
		s = strconv.Quote(s)
	}
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit-1]) + "…"
	}
	return s
}

// jsonEntry is one line of "list --output json". Keys, values and header
// values that are valid UTF-8 are written as strings; others go to the
// *_base64 field instead. A nil key or value has neither field.
type jsonEntry struct {
	DLQTopic          string       `json:"dlq_topic"`
	DLQPartition      int32        `json:"dlq_partition"`
	DLQOffset         int64        `json:"dlq_offset"`
	OriginalTopic     string       `json:"original_topic"`
	OriginalPartition int32        `json:"original_partition"`
	OriginalOffset    int64        `json:"original_offset"`
	OriginalTimestamp time.Time    `json:"original_timestamp"`
	ErrorClass        string       `json:"error_class"`
	ErrorReason       string       `json:"error_reason"`
	ErrorMessage      string       `json:"error_message"`
	Attempts          int          `json:"attempts"`
	FirstFailure      time.Time    `json:"first_failure"`
	LastFailure       time.Time    `json:"last_failure"`
	ConsumerGroup     string       `json:"consumer_group"`
	DeadLetteredAt    time.Time    `json:"dead_lettered_at"`
	ReplayCount       int          `json:"replay_count"`
	ReplayedAt        *time.Time   `json:"replayed_at,omitempty"`
	ExpectedSequence  *uint64      `json:"expected_sequence,omitempty"`
	ActualSequence    *uint64      `json:"actual_sequence,omitempty"`
	Key               *string      `json:"key,omitempty"`
	KeyBase64         *string      `json:"key_base64,omitempty"`
	Value             *string      `json:"value,omitempty"`
	ValueBase64       *string      `json:"value_base64,omitempty"`
	Headers           []jsonHeader `json:"headers,omitempty"`
}

// jsonHeader is one original header of a jsonEntry.
type jsonHeader struct {
	Key         string  `json:"key"`
	Value       *string `json:"value,omitempty"`
	ValueBase64 *string `json:"value_base64,omitempty"`
}

func newJSONEntry(e dlq.Entry) jsonEntry {
	j := jsonEntry{
		DLQTopic:          e.DLQTopic,
		DLQPartition:      e.DLQPartition,
		DLQOffset:         e.DLQOffset,
		OriginalTopic:     e.OriginalTopic,
		OriginalPartition: e.OriginalPartition,
		OriginalOffset:    e.OriginalOffset,
		OriginalTimestamp: e.OriginalTimestamp,
		ErrorClass:        e.Failure.Class,
		ErrorReason:       string(e.Failure.Reason),
		ErrorMessage:      e.Failure.Message,
		Attempts:          e.Failure.Attempts,
		FirstFailure:      e.Failure.FirstFailure,
		LastFailure:       e.Failure.LastFailure,
		ConsumerGroup:     e.ConsumerGroup,
		DeadLetteredAt:    e.DeadLetteredAt,
		ReplayCount:       e.ReplayCount,
	}
	if !e.ReplayedAt.IsZero() {
		j.ReplayedAt = &e.ReplayedAt
	}
	if seq := e.Failure.Sequence; seq != nil {
		j.ExpectedSequence, j.ActualSequence = &seq.Expected, &seq.Actual
	}
	j.Key, j.KeyBase64 = textOrBase64(e.Key)
	j.Value, j.ValueBase64 = textOrBase64(e.Value)
	for _, h := range e.Headers {
		jh := jsonHeader{Key: string(h.Key)}
		jh.Value, jh.ValueBase64 = textOrBase64(h.Value)
		j.Headers = append(j.Headers, jh)
	}
	return j
}

// textOrBase64 returns b as text when it is valid UTF-8, as base64
// otherwise, and neither when it is nil.
func textOrBase64(b []byte) (text, b64 *string) {
	switch {
	case b == nil:
		return nil, nil
	case utf8.Valid(b):
		s := string(b)
		return &s, nil
	default:
		s := base64.StdEncoding.EncodeToString(b)
		return nil, &s
	}
}
