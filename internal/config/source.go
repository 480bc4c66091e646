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

// source binds configuration fields to environment variables and to
// command-line flags. Each field is declared once, by its environment
// variable; the flag name is derived from it (KAFKA_BROKERS becomes
// --kafka-brokers). Precedence: flag, then environment, then default.
//
// A value that does not parse is recorded, not returned at once, so that a
// single run reports every problem.
type source struct {
	fs     *flag.FlagSet
	lookup func(string) (string, bool)
	errs   []error
	after  []func() // run once flags are parsed, such as reading secret files
}

func newSource(name string, lookup func(string) (string, bool)) *source {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &source{fs: fs, lookup: lookup}
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

// bind sets *p from def, then from the environment, and registers the flag
// that may override both.
func bind[T any](s *source, p *T, env string, def T, usage string, parse func(string) (T, error), format func(T) string) {
	*p = def
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

func (s *source) String(p *string, env, def, usage string) {
	bind(s, p, env, def, usage, func(v string) (string, error) { return strings.TrimSpace(v), nil }, func(v string) string { return v })
}

// Secret binds a secret that may also be read from a file named by
// env+"_FILE"; the file wins when both are set.
func (s *source) Secret(p *Secret, env, usage string) {
	bind(s, p, env, "", usage, func(v string) (Secret, error) { return Secret(v), nil }, Secret.String)
	fileEnv := env + "_FILE"
	var path string
	s.String(&path, fileEnv, "", "file holding "+env)
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

func (s *source) Int(p *int, env string, def int, usage string) {
	bind(s, p, env, def, usage, func(v string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, errors.New("want a whole number")
		}
		return n, nil
	}, strconv.Itoa)
}

func (s *source) Int64(p *int64, env string, def int64, usage string) {
	bind(s, p, env, def, usage, func(v string) (int64, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, errors.New("want a whole number")
		}
		return n, nil
	}, func(n int64) string { return strconv.FormatInt(n, 10) })
}

func (s *source) Float(p *float64, env string, def float64, usage string) {
	bind(s, p, env, def, usage, func(v string) (float64, error) {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return 0, errors.New("want a number")
		}
		return f, nil
	}, func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) })
}

func (s *source) Bool(p *bool, env string, def bool, usage string) {
	bind(s, p, env, def, usage, func(v string) (bool, error) {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return false, errors.New("want true or false")
		}
		return b, nil
	}, strconv.FormatBool)
}

func (s *source) Duration(p *time.Duration, env string, def time.Duration, usage string) {
	bind(s, p, env, def, usage, func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return 0, errors.New("want a duration such as 250ms, 10s or 1m")
		}
		return d, nil
	}, time.Duration.String)
}

// List binds a comma-separated list; blank entries are dropped.
func (s *source) List(p *[]string, env string, def []string, usage string) {
	bind(s, p, env, def, usage, func(v string) ([]string, error) {
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
func (s *source) parse(args []string) error {
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
func (s *source) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage of %s (each flag may also be set by the environment variable shown):\n", s.fs.Name())
	s.fs.SetOutput(&b)
	s.fs.PrintDefaults()
	s.fs.SetOutput(io.Discard)
	return b.String()
}

func isHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }
