package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"ticket-processor/internal/config"
	"ticket-processor/internal/dlq"
	"ticket-processor/internal/failure"
	"ticket-processor/internal/kafka"
)

// Commands of "ticketctl dlq".
const (
	commandList   = "list"
	commandReplay = "replay"
)

// Output formats of "ticketctl dlq list".
const (
	outputTable = "table"
	outputJSON  = "json"
)

// options is one parsed, validated command line.
type options struct {
	// command is commandList or commandReplay.
	command string
	// kafka is the connection: --brokers, then the KAFKA_* environment.
	kafka kafka.Config
	// dlqTopic is read (default tickets.dlq, or DLQ_TOPIC).
	dlqTopic string
	// filter selects the entries; its MaxReplays is --max-replays (default 3).
	filter dlq.Filter
	// limit stops after this many listed or replayed entries; 0 means no limit.
	limit int
	// output is outputTable or outputJSON (list only).
	output string
	// dryRun prints what replay would send and sends nothing.
	dryRun bool
	// rate is replayed records per second (default 50).
	rate float64
	// toTopic overrides the original topic as the replay target.
	toTopic string
	// idleTimeout is how long a partition may deliver nothing before its
	// captured high watermark is reached (default 30s).
	idleTimeout time.Duration
}

// helpError is returned for -h, --help and help: the usage goes to stdout
// and the exit status is 0.
type helpError struct{ usage string }

func (e *helpError) Error() string { return "help requested" }

// usageError is a bad command line: exit status 2.
type usageError struct {
	// command is what was being parsed, e.g. "ticketctl dlq list".
	command string
	// err lists every problem, one per line.
	err error
	// hint is printed after the problems: the usage or where to find it.
	hint string
}

func (e *usageError) Error() string { return e.command + ": " + e.err.Error() }

func (e *usageError) Unwrap() error { return e.err }

func isHelpArg(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

const topUsage = `Usage: ticketctl <command> [flags]

Commands:
  dlq list     print dead-lettered tickets
  dlq replay   send dead-lettered tickets back to their original topic

Run "ticketctl dlq list --help" or "ticketctl dlq replay --help" for the flags.
Run "ticketctl --version" for the version.

` + envUsage + exitUsage

const dlqUsage = `Usage: ticketctl dlq <list|replay> [flags]

  list     print the dead-lettered tickets that match the filters
  replay   send them back to their original topic (or --to-topic)

Both read every partition of the dead-letter topic from its oldest record up
to the high watermark captured at start, then stop. Run
"ticketctl dlq list --help" or "ticketctl dlq replay --help" for the flags.

` + envUsage + exitUsage

const envUsage = `Kafka connection settings other than --brokers come from the environment,
as for the daemons: KAFKA_CLIENT_ID, KAFKA_VERSION, KAFKA_DIAL_TIMEOUT,
KAFKA_TLS_ENABLED, KAFKA_TLS_CA_FILE, KAFKA_TLS_CERT_FILE, KAFKA_TLS_KEY_FILE,
KAFKA_TLS_SERVER_NAME, KAFKA_TLS_INSECURE_SKIP_VERIFY, KAFKA_SASL_MECHANISM,
KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SASL_PASSWORD_FILE.
`

const exitUsage = `
Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage.
`

// parseArgs parses the command line and the environment (lookup) into
// options. It returns a *helpError when help was asked for and a
// *usageError for a bad command line.
func parseArgs(args []string, lookup func(string) (string, bool)) (options, error) {
	if len(args) == 0 {
		return options{}, &usageError{command: binaryName, err: errors.New("no command given"), hint: "\n" + topUsage}
	}
	if isHelpArg(args[0]) {
		return options{}, &helpError{usage: topUsage}
	}
	if args[0] != "dlq" {
		return options{}, &usageError{command: binaryName, err: fmt.Errorf("unknown command %q: want dlq", args[0]),
			hint: "Run \"ticketctl --help\" for usage.\n"}
	}
	args = args[1:]
	const name = binaryName + " dlq"
	if len(args) == 0 {
		return options{}, &usageError{command: name, err: errors.New("no command given: want list or replay"), hint: "\n" + dlqUsage}
	}
	if isHelpArg(args[0]) {
		return options{}, &helpError{usage: dlqUsage}
	}
	switch args[0] {
	case commandList, commandReplay:
		return parseCommand(args[0], args[1:], lookup)
	default:
		return options{}, &usageError{command: name, err: fmt.Errorf("unknown command %q: want list or replay", args[0]),
			hint: "Run \"ticketctl dlq --help\" for usage.\n"}
	}
}

// parseCommand parses the flags of "ticketctl dlq list" or
// "ticketctl dlq replay".
func parseCommand(command string, args []string, lookup func(string) (string, bool)) (options, error) {
	name := binaryName + " dlq " + command
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)

	var (
		opts                 = options{command: command}
		brokers              = envOr(lookup, "KAFKA_BROKERS", "localhost:9092")
		reasons              reasonList
		partition            int64
		fromOffset, toOffset int64
	)
	fs.StringVar(&brokers, "brokers", brokers, "comma-separated Kafka bootstrap `brokers`, host:port (env KAFKA_BROKERS)")
	fs.StringVar(&opts.dlqTopic, "dlq-topic", envOr(lookup, "DLQ_TOPIC", "tickets.dlq"), "dead-letter `topic` to read (env DLQ_TOPIC)")
	fs.Var(&reasons, "reason", "keep entries with this `reason`; repeat or comma-separate for several: "+strings.Join(failure.Strings(), ", "))
	fs.StringVar(&opts.filter.OrderID, "order", "", "keep entries of this order `id` (the record key)")
	fs.Int64Var(&partition, "partition", 0, "keep entries from partition `n` of the original topic")
	fs.Int64Var(&fromOffset, "from-offset", 0, "keep entries whose original offset is at least `n`")
	fs.Int64Var(&toOffset, "to-offset", 0, "keep entries whose original offset is at most `n`")
	fs.IntVar(&opts.filter.MaxReplays, "max-replays", 3, "skip entries already replayed `n` times or more; 0 means no limit")
	fs.IntVar(&opts.limit, "limit", 0, "stop after `n` matching entries; 0 means no limit")
	fs.DurationVar(&opts.idleTimeout, "idle-timeout", 30*time.Second, "fail when a partition delivers nothing for this `duration` before its end is reached")
	switch command {
	case commandList:
		fs.StringVar(&opts.output, "output", outputTable, "output `format`: table, or json (one object per line)")
	case commandReplay:
		fs.BoolVar(&opts.dryRun, "dry-run", false, "print what would be replayed and send nothing")
		fs.Float64Var(&opts.rate, "rate", 50, "records replayed per second, at most `n`")
		fs.StringVar(&opts.toTopic, "to-topic", "", "replay to this `topic` instead of each entry's original topic")
	}
	hint := fmt.Sprintf("Run \"%s --help\" for usage.\n", name)

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return options{}, &helpError{usage: commandUsage(fs, command)}
		}
		return options{}, &usageError{command: name, err: err, hint: hint}
	}
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	for _, r := range reasons {
		opts.filter.Reasons = append(opts.filter.Reasons, failure.Reason(r))
	}
	for _, r := range reasons {
		if !failure.Known(r) {
			errs = append(errs, fmt.Errorf("--reason=%s: want one of %s", r, strings.Join(failure.Strings(), ", ")))
		}
	}
	if set["partition"] {
		if partition < 0 || partition > math.MaxInt32 {
			errs = append(errs, fmt.Errorf("--partition=%d: must be 0-%d", partition, math.MaxInt32))
		} else {
			p := int32(partition)
			opts.filter.Partition = &p
		}
	}
	for _, o := range []struct {
		name  string
		value int64
		dst   **int64
	}{{"from-offset", fromOffset, &opts.filter.FromOffset}, {"to-offset", toOffset, &opts.filter.ToOffset}} {
		if !set[o.name] {
			continue
		}
		if o.value < 0 {
			errs = append(errs, fmt.Errorf("--%s=%d: must be >= 0", o.name, o.value))
			continue
		}
		v := o.value
		*o.dst = &v
	}
	if opts.filter.FromOffset != nil && opts.filter.ToOffset != nil && fromOffset > toOffset {
		errs = append(errs, fmt.Errorf("--from-offset=%d: must be <= --to-offset (%d)", fromOffset, toOffset))
	}
	if opts.filter.MaxReplays < 0 {
		errs = append(errs, fmt.Errorf("--max-replays=%d: must be >= 0 (0 means no limit)", opts.filter.MaxReplays))
	}
	if opts.limit < 0 {
		errs = append(errs, fmt.Errorf("--limit=%d: must be >= 0 (0 means no limit)", opts.limit))
	}
	if opts.idleTimeout <= 0 {
		errs = append(errs, fmt.Errorf("--idle-timeout=%s: must be > 0", opts.idleTimeout))
	}
	if err := config.CheckTopic("--dlq-topic", opts.dlqTopic); err != nil {
		errs = append(errs, err)
	}
	switch command {
	case commandList:
		if opts.output != outputTable && opts.output != outputJSON {
			errs = append(errs, fmt.Errorf("--output=%s: want table or json", opts.output))
		}
	case commandReplay:
		if math.IsNaN(opts.rate) || math.IsInf(opts.rate, 0) || opts.rate <= 0 {
			errs = append(errs, fmt.Errorf("--rate=%g: must be a number > 0", opts.rate))
		}
		if opts.toTopic != "" {
			if err := config.CheckTopic("--to-topic", opts.toTopic); err != nil {
				errs = append(errs, err)
			} else if opts.toTopic == opts.dlqTopic {
				errs = append(errs, fmt.Errorf("--to-topic=%s: must differ from the dead-letter topic", opts.toTopic))
			}
		}
	}
	kafka, kafkaErrs := loadKafka(lookup, brokers)
	opts.kafka = kafka
	errs = append(errs, kafkaErrs...)
	if len(errs) == 0 {
		// Every field was checked above under its flag name; this only
		// guards against the two checks drifting apart.
		if err := opts.filter.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return options{}, &usageError{command: name, err: errors.Join(errs...), hint: hint}
	}
	return opts, nil
}

// commandUsage returns the help text of one command.
func commandUsage(fs *flag.FlagSet, command string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [flags]\n\n", fs.Name())
	switch command {
	case commandList:
		b.WriteString(`Print the dead-lettered tickets that match the filters, oldest first within
each partition of the dead-letter topic. The entries go to stdout, the
summary (scanned, invalid, matched, skipped for --max-replays, listed) and a
warning for each record that is not a valid dead-letter record to stderr.

With --output json each entry is one JSON object per line. A key, value or
header value that is not valid UTF-8 appears base64-encoded, in key_base64,
value_base64 or a header's value_base64, instead of key or value.
`)
	case commandReplay:
		b.WriteString(`Send the dead-lettered tickets that match the filters back to their original
topic (or --to-topic), keyed by the original key, with the original value and
headers, dlq-replay-count one higher and dlq-replayed-at set. Each sent record
is printed to stdout, the summary to stderr. Entries without a key (order id)
or whose original topic is the dead-letter topic are skipped with a warning.
Sends are paced by --rate; the first failed send ends the run (exit status 1)
after the summary. The dead-letter records stay where they are: replaying
the same selection twice sends it twice.
`)
	}
	b.WriteString("\nFlags:\n")
	var flags strings.Builder
	fs.SetOutput(&flags)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	// Go's flag package takes -name and --name alike; show the long form.
	b.WriteString(strings.ReplaceAll("\n"+flags.String(), "\n  -", "\n  --")[1:])
	b.WriteString("\n" + envUsage + exitUsage)
	return b.String()
}

// reasonList is a repeatable flag whose values may also be comma-separated.
type reasonList []string

func (r *reasonList) String() string { return strings.Join(*r, ",") }

func (r *reasonList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*r = append(*r, part)
		}
	}
	return nil
}

// envOr returns the environment variable env, or def when it is unset or
// blank.
func envOr(lookup func(string) (string, bool), env, def string) string {
	if v, ok := lookup(env); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}
