package validate

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/consumer"
	"ticket-processor/internal/kafka"
	"ticket-processor/internal/producer"
)

// clusterEnv is what `make up-cluster` sets for docker compose.
var clusterEnv = map[string]string{"STACK_KAFKA_BROKERS": "kafka-1:9092,kafka-2:9092,kafka-3:9092"}

func TestCompose(t *testing.T) {
	p := project(t, nil)
	assert.ElementsMatch(t, []string{"kafka", "topics", "producer", "consumer", "prometheus", "grafana"},
		slices.Collect(maps.Keys(p.Services)))
	assert.Empty(t, CheckCompose(p, image(t)))
	assert.Empty(t, HostPortClashes(p, map[string]int{"consumer": 3}), "docker compose up --scale consumer=3")

	kafka := p.Services["kafka"]
	assert.Equal(t, "apache/kafka", ImageName(kafka.Image))
	assert.True(t, strings.HasPrefix(ImageTag(kafka.Image), "4."), "Kafka 4 runs KRaft only: %s", kafka.Image)
	env := environment(kafka)
	assert.Equal(t, "broker,controller", env["KAFKA_PROCESS_ROLES"])
	assert.Equal(t, env["KAFKA_NODE_ID"]+"@kafka:9093", env["KAFKA_CONTROLLER_QUORUM_VOTERS"])
	assert.NotEmpty(t, env["CLUSTER_ID"])
	require.Len(t, kafka.Volumes, 1)
	assert.Equal(t, types.VolumeTypeVolume, kafka.Volumes[0].Type, "the broker's data is a named volume")
	assert.Equal(t, env["KAFKA_LOG_DIRS"], kafka.Volumes[0].Target, "the volume holds log.dirs")
}

func TestComposeClusterProfile(t *testing.T) {
	p := project(t, clusterEnv, "cluster")
	assert.Empty(t, CheckCompose(p, image(t)))
	assert.Empty(t, HostPortClashes(p, map[string]int{"consumer": 3}))

	brokers := []string{"kafka-1", "kafka-2", "kafka-3"}
	var voters []string
	ids := map[string]bool{}
	for _, name := range brokers {
		s, ok := p.Services[name]
		require.True(t, ok, "%s is in the cluster profile", name)
		env := environment(s)
		assert.Equal(t, "3", env["KAFKA_DEFAULT_REPLICATION_FACTOR"], name)
		assert.Equal(t, "2", env["KAFKA_MIN_INSYNC_REPLICAS"], name)
		assert.Equal(t, "3", env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"], name)
		assert.Equal(t, "3", env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"], name)
		assert.Equal(t, "2", env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"], name)
		assert.Equal(t, environment(p.Services["kafka-1"])["CLUSTER_ID"], env["CLUSTER_ID"], name)
		assert.Contains(t, env["KAFKA_ADVERTISED_LISTENERS"], "PLAINTEXT://"+name+":9092")
		voters = append(voters, env["KAFKA_NODE_ID"]+"@"+name+":9093")
		ids[env["KAFKA_NODE_ID"]] = true
		assert.Equal(t, types.ServiceConditionHealthy, p.Services["topics"].DependsOn[name].Condition)
	}
	assert.Len(t, ids, 3, "node ids are distinct")
	for _, name := range brokers {
		assert.Equal(t, strings.Join(voters, ","), environment(p.Services[name])["KAFKA_CONTROLLER_QUORUM_VOTERS"], name)
	}
	for _, name := range []string{"producer", "consumer"} {
		assert.Equal(t, clusterEnv["STACK_KAFKA_BROKERS"], environment(p.Services[name])["KAFKA_BROKERS"], name)
	}
	assert.Equal(t, clusterEnv["STACK_KAFKA_BROKERS"], environment(p.Services["topics"])["BOOTSTRAP_SERVERS"])
}

// TestComposeTopics holds the topics service to the daemons' settings.
func TestComposeTopics(t *testing.T) {
	p := project(t, nil)
	topics := p.Services["topics"]
	env := environment(topics)
	producer := Binaries["producer"].LoadEnv(environment(p.Services["producer"])).Settings.Config.(producer.ServiceConfig).Producer
	consumer := Binaries["consumer"].LoadEnv(environment(p.Services["consumer"])).Settings.Config.(consumer.ServiceConfig).Consumer

	assert.Equal(t, "tickets", env["TOPIC"])
	assert.Equal(t, producer.Topic, env["TOPIC"])
	assert.Equal(t, consumer.Topic, env["TOPIC"])
	assert.Equal(t, consumer.OutputTopic, env["OUTPUT_TOPIC"])
	assert.Equal(t, consumer.DLQTopic, env["DLQ_TOPIC"])
	assert.Equal(t, "6", env["PARTITIONS"])
	assert.Equal(t, strconv.Itoa(producer.TopicPartitions), env["PARTITIONS"], "as the producer would create it")
	assert.Equal(t, strconv.Itoa(kafka.DeadLetterMaxBytes), env["DLQ_MAX_MESSAGE_BYTES"], "the consumer writes dead letters up to this size")
	assert.Equal(t, "no", topics.Restart)

	// The entrypoint runs the script the service mounts.
	require.Len(t, topics.Entrypoint, 2)
	script := topics.Entrypoint[1]
	var mounted bool
	for _, v := range topics.Volumes {
		if v.Target == script {
			mounted = true
			assert.FileExists(t, v.Source)
		}
	}
	assert.True(t, mounted, "%s is not mounted", script)
}

// TestComposeBindMounts checks that every file or directory the stack
// mounts from the repository exists: Docker would otherwise create an
// empty directory in its place.
func TestComposeBindMounts(t *testing.T) {
	p := project(t, clusterEnv, "cluster")
	var sources []string
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				sources = append(sources, v.Source)
			}
		}
	}
	require.NotEmpty(t, sources)
	for _, src := range sources {
		_, err := os.Stat(src)
		assert.NoError(t, err, "bind mount source")
	}
}

// composeBase passes every check; the cases below break one thing each.
const composeBase = `services:
  kafka:
    image: apache/kafka:4.2.0
    healthcheck:
      test: ["CMD-SHELL", "true"]
  producer:
    build: .
    image: ticket-processor:dev
    command: ["/usr/local/bin/producer"]
    environment:
      KAFKA_BROKERS: kafka:9092
    ports: ["2112:2112"]
    stop_grace_period: 30s
    healthcheck:
      test: ["CMD", "/usr/local/bin/producer", "healthcheck"]
    depends_on:
      kafka:
        condition: service_healthy
  consumer:
    build: .
    image: ticket-processor:dev
    command: ["/usr/local/bin/consumer"]
    environment:
      KAFKA_BROKERS: kafka:9092
    ports: ["2113"]
    stop_grace_period: 30s
    healthcheck:
      test: ["CMD", "/usr/local/bin/consumer", "healthcheck"]
    depends_on:
      kafka:
        condition: service_healthy
`

func TestComposeProblems(t *testing.T) {
	tests := []struct {
		name      string
		old, new  string
		wantError string
	}{
		{"obsolete version", "services:\n", "version: \"3.8\"\nservices:\n", "version key is obsolete"},
		{"schema", "stop_grace_period: 30s\n    healthcheck:\n      test: [\"CMD\", \"/usr/local/bin/producer\"", "stop_grace_period: 30s\n    healthcheck:\n      intervall: 5s\n      test: [\"CMD\", \"/usr/local/bin/producer\"", "intervall"},
		{"undefined dependency", "      kafka:\n        condition: service_healthy\n  consumer:", "      zookeeper:\n        condition: service_healthy\n  consumer:", `depends on undefined service "zookeeper"`},
		{"latest image", "apache/kafka:4.2.0", "apache/kafka:latest", `tag "latest" is not a version`},
		{"untagged build", "image: ticket-processor:dev\n    command: [\"/usr/local/bin/producer\"]", "image: ticket-processor\n    command: [\"/usr/local/bin/producer\"]", "has no tag"},
		{"no healthcheck", "    healthcheck:\n      test: [\"CMD-SHELL\", \"true\"]\n", "", "service kafka: no healthcheck"},
		{"waits for start only", "      kafka:\n        condition: service_healthy\n  consumer:", "      kafka:\n        condition: service_started\n  consumer:", `condition "service_started"`},
		{"unknown variable", "KAFKA_BROKERS: kafka:9092\n    ports: [\"2112", "KAFKA_BROKERS: kafka:9092\n      GROUP_ID: g\n    ports: [\"2112", "producer does not read [GROUP_ID]"},
		{"bad value", "KAFKA_BROKERS: kafka:9092\n    ports: [\"2113", "KAFKA_BROKERS: kafka:9092\n      METRICS_PORT: two\n    ports: [\"2113", "consumer rejects its environment"},
		{"broker outside", "KAFKA_BROKERS: kafka:9092\n    ports: [\"2112", "KAFKA_BROKERS: broker:9092\n    ports: [\"2112", "broker broker:9092 is not a service"},
		{"fixed consumer port", `ports: ["2113"]`, `ports: ["2113:2113"]`, "fixed host port 2113"},
		{"container name", "  consumer:\n    build: .\n", "  consumer:\n    container_name: consumer\n    build: .\n", `container_name "consumer"`},
		{"wrong port", `ports: ["2112:2112"]`, `ports: ["8080:8080"]`, "publishes container port 8080"},
		{"short grace", "stop_grace_period: 30s\n    healthcheck:\n      test: [\"CMD\", \"/usr/local/bin/consumer\"", "stop_grace_period: 10s\n    healthcheck:\n      test: [\"CMD\", \"/usr/local/bin/consumer\"", "stop_grace_period 10s"},
		{"shell healthcheck", `test: ["CMD", "/usr/local/bin/producer", "healthcheck"]`, `test: ["CMD-SHELL", "curl -f localhost:2112/healthz"]`, "the image has no shell"},
		{"no daemon", `command: ["/usr/local/bin/producer"]`, `command: ["/usr/local/bin/ticketctl"]`, "runs none of the daemons"},
	}
	img := Image{
		Files: map[string]bool{"/usr/local/bin/producer": true, "/usr/local/bin/consumer": true},
		Args:  map[string]bool{},
	}
	check := func(t *testing.T, src string) error {
		t.Helper()
		file := filepath.Join(t.TempDir(), "docker-compose.yml")
		require.NoError(t, os.WriteFile(file, []byte(src), 0o644))
		p, err := LoadCompose(context.Background(), file, nil)
		if err != nil {
			return err
		}
		return errors.Join(CheckCompose(p, img)...)
	}
	require.NoError(t, check(t, composeBase), "the base file")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, composeBase, tt.old)
			assert.ErrorContains(t, check(t, strings.Replace(composeBase, tt.old, tt.new, 1)), tt.wantError)
		})
	}
}

func TestHostPortClashes(t *testing.T) {
	p := &types.Project{Services: types.Services{
		"a": {Name: "a", WorkloadSpec: types.WorkloadSpec{Ports: []types.ServicePortConfig{{Target: 80, Published: "8080"}}}},
		"b": {Name: "b", WorkloadSpec: types.WorkloadSpec{Ports: []types.ServicePortConfig{{Target: 80, Published: "8081"}, {Target: 81}}}},
	}}
	assert.Empty(t, HostPortClashes(p, nil))
	assert.Empty(t, HostPortClashes(p, map[string]int{"b": 1}))
	assert.ErrorContains(t, errors.Join(HostPortClashes(p, map[string]int{"a": 2})...), "0.0.0.0:8080/tcp is published by [a-1 a-2]")
	p.Services["b"].Ports[0].Published = "8080"
	assert.ErrorContains(t, errors.Join(HostPortClashes(p, nil)...), "published by [a-1 b-1]")
}
