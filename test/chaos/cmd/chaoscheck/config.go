package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"ticket-processor/test/chaos/checker"
)

// Config is everything chaoscheck needs for one run. The Kafka settings
// default to the environment variables the daemons read, so a chaos
// script that runs them can run the checker with the same environment;
// flags override everything.
type Config struct {
	// Brokers are the bootstrap brokers, host:port (env KAFKA_BROKERS,
	// comma-separated; default localhost:9092).
	Brokers []string
	// InputTopic is the topic the producer writes (env KAFKA_TOPIC;
	// default tickets).
	InputTopic string
	// OutputTopic is the consumer's output topic (env OUTPUT_TOPIC; default
	// tickets.processed).
	OutputTopic string
	// DLQTopic is the dead-letter topic (env DLQ_TOPIC; default tickets.dlq).
	DLQTopic string
	// Guarantee is the processing guarantee the run is judged by (default
	// at_least_once).
	Guarantee checker.Guarantee
	// ProducerAcked is the producer's acknowledged count (default 0:
	// unknown).
	ProducerAcked int64
	// ProducerLog is a file holding the producer's JSON log, whose final
	// line gives the acknowledged count instead (default none).
	ProducerLog string
	// Faults is a JSON file holding the faults injected: an array of
	// {"name", "start", "end"} with RFC 3339 times (default none).
	Faults string
	// Lead is how long before a fault a duplicate's first copy may have
	// been written and still count as in flight (default 10s).
	Lead time.Duration
	// Timeout bounds reading the three topics (default 2m).
	Timeout time.Duration
	// JSON prints the result as one JSON object instead of tables.
	JSON bool
	// Examples is how many examples to print per kind of defect (default 5).
	Examples int
}

// errHelp is returned by parseConfig when the user asked for the usage.
var errHelp = errors.New("help requested")

// parseConfig builds a Config from the environment and the arguments and
// validates it. It returns errHelp, with the usage written to usage, for
// -h and --help; otherwise every problem at once.
func parseConfig(args []string, lookup func(string) (string, bool), usage io.Writer) (Config, error) {
	env := func(name, def string) string {
		if v, ok := lookup(name); ok {
			return v
		}
		return def
	}
	var (
		c        Config
		brokers  string
		guaranty string
	)
	fs := flag.NewFlagSet("chaoscheck", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&brokers, "brokers", env("KAFKA_BROKERS", "localhost:9092"), "bootstrap brokers, comma-separated host:port (env KAFKA_BROKERS)")
	fs.StringVar(&c.InputTopic, "input-topic", env("KAFKA_TOPIC", "tickets"), "the producer's topic (env KAFKA_TOPIC)")
	fs.StringVar(&c.OutputTopic, "output-topic", env("OUTPUT_TOPIC", "tickets.processed"), "the consumer's output topic (env OUTPUT_TOPIC)")
	fs.StringVar(&c.DLQTopic, "dlq-topic", env("DLQ_TOPIC", "tickets.dlq"), "the dead-letter topic (env DLQ_TOPIC)")
	fs.StringVar(&guaranty, "guarantee", string(checker.AtLeastOnce), "processing guarantee to judge by: at_least_once or exactly_once")
	fs.Int64Var(&c.ProducerAcked, "producer-acked", 0, "tickets the producer reported acknowledged (0: unknown)")
	fs.StringVar(&c.ProducerLog, "producer-log", "", "file with the producer's JSON log, to take the acknowledged count from its final line")
	fs.StringVar(&c.Faults, "faults", "", `JSON file with the faults injected: [{"name":..., "start":..., "end":...}]`)
	fs.DurationVar(&c.Lead, "lead", 10*time.Second, "how long before a fault a duplicate's first copy counts as in flight")
	fs.DurationVar(&c.Timeout, "timeout", 2*time.Minute, "bound on reading the three topics")
	fs.BoolVar(&c.JSON, "json", false, "print one JSON object instead of tables")
	fs.IntVar(&c.Examples, "examples", 5, "examples to print per kind of defect")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: chaoscheck [flags]\n\n"+
			"Reads the input, output and dead-letter topics under read_committed and\n"+
			"judges the run. Exit status: 0 passed, 1 failed, 2 bad usage, 3 could not check.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, errHelp
		}
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.Brokers = splitList(brokers)
	c.Guarantee = checker.Guarantee(guaranty)
	return c, c.Validate()
}

func splitList(s string) []string {
	var list []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			list = append(list, part)
		}
	}
	return list
}

// Validate returns every problem with c, one per line, each naming the
// flag, the value and what is allowed.
func (c Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("--brokers is empty: want host:port[,host:port...]"))
	}
	for _, b := range c.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("--brokers: %q is not host:port", b))
		}
	}
	topics := map[string]string{"--input-topic": c.InputTopic, "--output-topic": c.OutputTopic, "--dlq-topic": c.DLQTopic}
	for _, name := range []string{"--input-topic", "--output-topic", "--dlq-topic"} {
		if topics[name] == "" {
			errs = append(errs, fmt.Errorf("%s is empty: want a topic name", name))
		}
	}
	if c.InputTopic != "" && (c.InputTopic == c.OutputTopic || c.InputTopic == c.DLQTopic) || c.OutputTopic != "" && c.OutputTopic == c.DLQTopic {
		errs = append(errs, fmt.Errorf("--input-topic %q, --output-topic %q and --dlq-topic %q: want three different topics", c.InputTopic, c.OutputTopic, c.DLQTopic))
	}
	if _, err := checker.ParseGuarantee(string(c.Guarantee)); err != nil {
		errs = append(errs, fmt.Errorf("--guarantee: %w", err))
	}
	if c.ProducerAcked < 0 {
		errs = append(errs, fmt.Errorf("--producer-acked=%d: want >= 0", c.ProducerAcked))
	}
	if c.ProducerAcked > 0 && c.ProducerLog != "" {
		errs = append(errs, fmt.Errorf("--producer-acked=%d and --producer-log=%q: want one of them", c.ProducerAcked, c.ProducerLog))
	}
	if c.Lead < 0 {
		errs = append(errs, fmt.Errorf("--lead=%s: want >= 0", c.Lead))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout=%s: want > 0", c.Timeout))
	}
	if c.Examples < 0 {
		errs = append(errs, fmt.Errorf("--examples=%d: want >= 0", c.Examples))
	}
	return errors.Join(errs...)
}
