package validate

import (
	"maps"
	"path"
	"slices"
	"time"

	"ticket-processor/internal/consumer"
	"ticket-processor/internal/producer"
)

// Binary is a daemon the image ships, with its configuration loader.
type Binary struct {
	// Name is the binary's file name in the image.
	Name string
	// Scales is true when replicas run side by side (the consumer group),
	// so none may claim a fixed host port or container name.
	Scales bool
	load   func(lookup func(string) (string, bool)) (Settings, error)
}

// Settings are the loaded values that deployment files must agree with.
type Settings struct {
	Brokers         []string
	Topic           string
	MetricsPort     int
	ShutdownTimeout time.Duration
	// Config is the whole producer.ServiceConfig or consumer.ServiceConfig.
	Config any
}

// Binaries are the daemons by name.
var Binaries = map[string]Binary{
	"producer": {Name: "producer", load: func(lookup func(string) (string, bool)) (Settings, error) {
		c, err := producer.LoadServiceConfig(nil, lookup)
		return Settings{
			Brokers: c.Kafka.Brokers, Topic: c.Producer.Topic, MetricsPort: c.Service.MetricsPort,
			ShutdownTimeout: c.Service.ShutdownTimeout, Config: c,
		}, err
	}},
	"consumer": {Name: "consumer", Scales: true, load: func(lookup func(string) (string, bool)) (Settings, error) {
		c, err := consumer.LoadServiceConfig(nil, lookup)
		return Settings{
			Brokers: c.Kafka.Brokers, Topic: c.Consumer.Topic, MetricsPort: c.Service.MetricsPort,
			ShutdownTimeout: c.Service.ShutdownTimeout, Config: c,
		}, err
	}},
}

// BinaryFor returns the daemon a container command runs, judged by the
// file name of its first word.
func BinaryFor(command []string) (Binary, bool) {
	if len(command) == 0 {
		return Binary{}, false
	}
	b, ok := Binaries[path.Base(command[0])]
	return b, ok
}

// EnvResult is what loading a daemon's configuration from an environment
// found.
type EnvResult struct {
	Settings Settings
	// Unknown lists the variables set that the daemon never reads, sorted.
	Unknown []string
	// Err is the loader's error: a value that does not parse or validate.
	Err error
}

// LoadEnv loads b's configuration from env alone, as the daemon would at
// start-up without flags, and reports the variables it does not read. The
// loader says which variables it reads: every lookup it makes is recorded.
func (b Binary) LoadEnv(env map[string]string) EnvResult {
	read := map[string]bool{}
	settings, err := b.load(func(name string) (string, bool) {
		read[name] = true
		v, ok := env[name]
		return v, ok
	})
	var unknown []string
	for _, name := range slices.Sorted(maps.Keys(env)) {
		if !read[name] {
			unknown = append(unknown, name)
		}
	}
	return EnvResult{Settings: settings, Unknown: unknown, Err: err}
}

// Reads reports whether b reads the environment variable name.
func (b Binary) Reads(name string) bool {
	return len(b.LoadEnv(map[string]string{name: ""}).Unknown) == 0
}
