package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Source binds configuration fields to environment variables and to
// command-line flags. Each field is declared once, by its environment
// variable; the flag name is derived from it (KAFKA_BROKERS becomes
// --kafka-brokers). Precedence: flag, then environment, then the value the
// field holds when it is bound, which is its default (see [Section]).
//
// A value that does not parse is recorded, not returned at once, so that a
// single run reports every problem.
type Source struct {
	fs     *flag.FlagSet
	lookup func(string) (string, bool)
	errs   []error
	after  []func() // run once flags are parsed, such as reading secret files
}

// NewSource returns a Source for the binary name, reading the environment
// through lookup (os.LookupEnv when nil).
func NewSource(name string, lookup func(string) (string, bool)) *Source {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Source{fs: fs, lookup: lookup}
}

// flagName derives the flag for an environment variable.
func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(env), "_", "-")
}

// value adapts a typed field to flag.Value.
type value[T any] struct {
	p      *T
	parse  func(string) (T, error)
	format func(T) string
}

func (v value[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil {
		return err
	}
	*v.p = x
	return nil
}

func (v value[T]) String() string {
	if v.p == nil {
		return ""
	}
	return v.format(*v.p)
}

// bind sets *p from the environment, keeping its value as the default,
// and registers the flag that may override both.
func bind[T any](s *Source, p *T, env, usage string, parse func(string) (T, error), format func(T) string) {
	if raw, ok := s.lookup(env); ok {
		x, err := parse(raw)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: %w", env, raw, err))
		} else {
			*p = x
		}
	}
	s.fs.Var(value[T]{p: p, parse: parse, format: format}, flagName(env), usage+" (env "+env+")")
}

// String binds a string; surrounding spaces are dropped.
func (s *Source) String(p *string, env, usage string) {
	bind(s, p, env, usage, func(v string) (string, error) { return strings.TrimSpace(v), nil }, func(v string) string { return v })
}

// Secret binds a secret that may also be read from a file named by
// env+"_FILE"; the file wins when both are set.
func (s *Source) Secret(p *Secret, env, usage string) {
	bind(s, p, env, usage, func(v string) (Secret, error) { return Secret(v), nil }, Secret.String)
	fileEnv := env + "_FILE"
	var path string
	s.String(&path, fileEnv, "file holding "+env)
	s.after = append(s.after, func() {
		if path == "" {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("%s=%q: %w", fileEnv, path, err))
			return
		}
		*p = Secret(strings.TrimRight(string(b), "\r\n"))
	})
}

// Int binds a int.
func (s *Source) Int(p *int, env, usage string) {
	bind(s, p, env, usage, func(v string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, errors.New("want a whole number")
		}
		return n, nil
	}, strconv.Itoa)
}

// Int64 binds a int64.
func (s *Source) Int64(p *int64, env, usage string) {
	bind(s, p, env, usage, func(v string) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, errors.New("want a whole number")
		}
		return n, nil
	}, func(n int64) string { return strconv.FormatInt(n, 10) })
}

// Uint64 binds a whole number >= 0.
func (s *Source) Uint64(p *uint64, env, usage string) {
	bind(s, p, env, usage, func(v string) (uint64, error) {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, errors.New("must be a whole number >= 0")
		}
		return n, nil
	}, func(n uint64) string { return strconv.FormatUint(n, 10) })
}

// Float binds a float64.
func (s *Source) Float(p *float64, env, usage string) {
	bind(s, p, env, usage, func(v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, errors.New("want a number")
		}
		return f, nil
	}, func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) })
}

// Bool binds a bool.
func (s *Source) Bool(p *bool, env, usage string) {
	bind(s, p, env, usage, func(v string) (bool, error) {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return false, errors.New("want true or false")
		}
		return b, nil
	}, strconv.FormatBool)
}

// Duration binds a time.Duration.
func (s *Source) Duration(p *time.Duration, env, usage string) {
	bind(s, p, env, usage, func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return 0, errors.New("want a duration such as 250ms, 10s or 1m")
		}
		return d, nil
	}, time.Duration.String)
}

// List binds a comma-separated list; blank entries are dropped.
func (s *Source) List(p *[]string, env, usage string) {
	bind(s, p, env, usage, func(v string) ([]string, error) {
		var out []string
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out, nil
	}, func(l []string) string { return strings.Join(l, ",") })
}

// parse applies the command-line arguments and returns every problem found
// in the environment and the flags. -h and --help return flag.ErrHelp.
func (s *Source) parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		s.errs = append(s.errs, err)
	} else if s.fs.NArg() > 0 {
		s.errs = append(s.errs, fmt.Errorf("unexpected arguments: %s", strings.Join(s.fs.Args(), " ")))
	}
	for _, f := range s.after {
		f()
	}
	return errors.Join(s.errs...)
}

// usage returns the flags, their variables and defaults.
func (s *Source) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage of %s (each flag may also be set by the environment variable shown):\n", s.fs.Name())
	s.fs.SetOutput(&b)
	s.fs.PrintDefaults()
	s.fs.SetOutput(io.Discard)
	return b.String()
}

func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// IsSet reports whether env, or the flag derived from it, was given a
// value, so that a caller can tell a default from a choice.
func (s *Source) IsSet(env string) bool {
	if _, ok := s.lookup(env); ok {
		return true
	}
	set := false
	s.fs.Visit(func(f *flag.Flag) { set = set || f.Name == flagName(env) })
	return set
}

// FlagName is the flag that overrides the environment variable env, with
// its dashes: KAFKA_BROKERS gives --kafka-brokers.
func FlagName(env string) string { return "--" + flagName(env) }

// Section is one package's part of a binary's configuration: its fields
// hold their defaults before Bind, Bind declares each field's variable,
// and Validate reports every bad value, naming the variable.
type Section interface {
	Bind(s *Source)
	Validate() error
}

// Load binds every section onto the environment (lookup, os.LookupEnv when
// nil) and args, and returns every problem at once: values that do not
// parse, then each section's Validate. -h and --help return a *HelpError
// with the usage. Each section must hold its defaults when Load is called.
func Load(name string, args []string, lookup func(string) (string, bool), sections ...Section) error {
	s := NewSource(name, lookup)
	for _, sec := range sections {
		sec.Bind(s)
	}
	return s.Finish(args, sections...)
}

// Finish parses args once every section is bound to s and validates
// them; see [Load].
func (s *Source) Finish(args []string, sections ...Section) error {
	err := s.parse(args)
	if isHelp(err) {
		return &HelpError{Usage: s.usage()}
	}
	validators := make([]interface{ Validate() error }, len(sections))
	for i, sec := range sections {
		validators[i] = sec
	}
	return errors.Join(err, ValidateAll(validators...))
}

// HelpError is returned by the loaders for -h and --help; it carries the
// usage text.
type HelpError struct{ Usage string }

func (e *HelpError) Error() string { return e.Usage }

// ValidateAll joins the Validate errors of every section.
func ValidateAll(sections ...interface{ Validate() error }) error {
	errs := make([]error, len(sections))
	for i, sec := range sections {
		errs[i] = sec.Validate()
	}
	return errors.Join(errs...)
}
