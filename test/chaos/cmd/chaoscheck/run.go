package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/IBM/sarama"

	"ticket-processor/test/chaos/checker"
)

// run reads the three topics, checks and judges them, and prints the
// result. It reports whether the run passed; an error means it could not
// tell.
func run(ctx context.Context, cfg Config, stdout io.Writer) (bool, error) {
	faults, err := loadFaults(cfg.Faults)
	if err != nil {
		return false, err
	}
	acked := cfg.ProducerAcked
	if cfg.ProducerLog != "" {
		if acked, err = loadProducerAcked(cfg.ProducerLog); err != nil {
			return false, err
		}
	}

	conf, err := checker.NewConfig("chaoscheck")
	if err != nil {
		return false, err
	}
	client, err := sarama.NewClient(cfg.Brokers, conf)
	if err != nil {
		return false, fmt.Errorf("connect to %v: %w", cfg.Brokers, err)
	}
	defer func() { _ = client.Close() }()
	readCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	// The output's and the dead-letter topic's ends are captured before the
	// input's, so that every output record has its input in view.
	topics, err := checker.ReadTopics(readCtx, client, cfg.OutputTopic, cfg.DLQTopic, cfg.InputTopic)
	if err != nil {
		return false, err
	}
	output, deadLetters, input := topics[0], topics[1], topics[2]

	report := checker.Check(input.Records, output.Records, deadLetters.Records, checker.Options{ProducerAcked: acked})
	verdict := checker.Judge(report, cfg.Guarantee, checker.Faults{Windows: faults, Lead: cfg.Lead})
	res := newResult([]checker.Topic{input, output, deadLetters}, report, verdict, faults, cfg.Examples)
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return false, fmt.Errorf("write result: %w", err)
		}
	} else if err := res.writeTables(stdout); err != nil {
		return false, fmt.Errorf("write result: %w", err)
	}
	return verdict.Passed(), nil
}

// loadFaults reads the fault file, a JSON array of checker.Fault; an empty
// path means no faults.
func loadFaults(path string) ([]checker.Fault, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	var faults []checker.Fault
	if err := json.Unmarshal(data, &faults); err != nil {
		return nil, fmt.Errorf("faults %s: %w", path, err)
	}
	for i, f := range faults {
		if f.Start.IsZero() {
			return nil, fmt.Errorf("faults %s: fault %d (%q) has no start", path, i, f.Name)
		}
	}
	return faults, nil
}

// loadProducerAcked reads the producer's acknowledged count from its log.
func loadProducerAcked(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("producer log: %w", err)
	}
	defer func() { _ = f.Close() }()
	acked, err := producerAcked(f)
	if err != nil {
		return 0, fmt.Errorf("producer log %s: %w", path, err)
	}
	return acked, nil
}

// The producer's final log line, spelled out here rather than imported: a
// JSON object with this message and the acknowledged count in this field.
const (
	stoppedMessage = "producer stopped"
	producedField  = "produced"
)

// errNoFinalLine is returned when a producer log holds no final line.
var errNoFinalLine = errors.New(`no "` + stoppedMessage + `" line with a "` + producedField + `" count`)

// producerAcked returns the count of the last final line in a producer's
// log. Lines that are not JSON, such as a panic's, are skipped.
func producerAcked(r io.Reader) (int64, error) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var (
		acked int64
		found bool
	)
	for scanner.Scan() {
		var line map[string]json.RawMessage
		if json.Unmarshal(scanner.Bytes(), &line) != nil {
			continue
		}
		var msg string
		var count int64
		if json.Unmarshal(line["msg"], &msg) != nil || msg != stoppedMessage || json.Unmarshal(line[producedField], &count) != nil {
			continue
		}
		acked, found = count, true
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, errNoFinalLine
	}
	return acked, nil
}
