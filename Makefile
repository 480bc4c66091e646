# ticket-processor: build, test and run the producer and consumer daemons.
#
# `make test` runs the unit tests, then the integration tests against a real
# single-node Kafka broker that scripts/kafka.sh starts from Maven-fetched
# jars (no Docker). Set KAFKA_BROKERS to test against a broker you already
# run; nothing is then started or stopped.

GO ?= go
# staticcheck 2026.2.2 understands Go 1.26.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# The integration tests stop and restart the broker through KAFKA_SCRIPT.
# Set it empty when KAFKA_BROKERS points at a broker the script does not own.
KAFKA_SCRIPT ?= $(CURDIR)/scripts/kafka.sh
KAFKA_PORT ?= 19092
export KAFKA_SCRIPT KAFKA_PORT

# Extra arguments for run-producer and run-consumer, e.g. ARGS='-help'.
ARGS ?=

.PHONY: build test test-unit test-integration lint fuzz bench \
	run-producer run-consumer kafka-up kafka-down clean

build:
	$(GO) build -o bin/ ./cmd/...

# A sub-make keeps the order (unit tests first) even under make -j.
test: test-unit
	@$(MAKE) --no-print-directory test-integration

test-unit:
	$(GO) test -race -count=1 ./...

# promtool (Debian's prometheus package) checks the scrape configuration
# and the alert rules and runs the rules' unit tests; it takes a second, so
# `test` runs it before the integration tests.
PROMTOOL ?= promtool
.PHONY: test-prometheus
test: test-prometheus
test-prometheus:
	$(PROMTOOL) check config prometheus.yml
	$(PROMTOOL) check rules prometheus/alerts.yml
	$(PROMTOOL) test rules prometheus/alerts_test.yml

INTEGRATION_TEST := $(GO) test -race -count=1 -tags integration -timeout 20m ./...

ifdef KAFKA_BROKERS
test-integration:
	$(INTEGRATION_TEST)
else
# The broker is stopped whatever the tests do; the recipe exits with the
# status of `up` or of the tests. Its log stays in .cache/kafka/logs.
test-integration:
	@$(KAFKA_SCRIPT) up; status=$$?; \
	if [ $$status -eq 0 ]; then \
		echo '$(INTEGRATION_TEST)'; \
		KAFKA_BROKERS=127.0.0.1:$(KAFKA_PORT) $(INTEGRATION_TEST); status=$$?; \
	fi; \
	$(KAFKA_SCRIPT) down; \
	exit $$status
endif

# toxiproxy, for the tests that put network faults between clients and
# brokers: scripts/toxiproxy.sh builds it into .cache/bin with the Go
# toolchain when it is missing (about ten seconds), and the tests run it
# from TOXIPROXY_BIN.
TOXIPROXY_BIN ?= $(CURDIR)/.cache/bin/toxiproxy-server
export TOXIPROXY_BIN
.PHONY: toxiproxy
test-integration: toxiproxy
toxiproxy:
	@scripts/toxiproxy.sh install >/dev/null

# The chaos suite (test/chaos, TestChaos): the producer and two consumer
# members under load on private brokers behind toxiproxy, faults scheduled
# by a seed, the topics judged by the independent checker. Alone it runs
# the short set that `make test` runs too; RUNS=100 runs the full set,
# SEED=n replays one schedule (with RUNS, the seeds n, n+1, ...), SECONDS
# is the load per run (30, or 15 for the short set; a replay needs the
# run's value) and GUARANTEE the processing guarantee the consumer runs
# under and each run is judged by (at_least_once unless set). It starts and stops its own brokers and
# toxiproxy, and writes the final table to CHAOS_REPORT.
RUNS ?=
SEED ?=
SECONDS ?=
GUARANTEE ?=
CHAOS_REPORT ?= $(CURDIR)/.cache/chaos/report.txt
# About a minute a run, with room for broker restarts and slow drains.
CHAOS_TIMEOUT ?= $(shell expr $(or $(RUNS),3) \* 2 + 15)m
.PHONY: chaos
chaos: toxiproxy
	CHAOS_RUNS=$(RUNS) CHAOS_SEED=$(SEED) CHAOS_SECONDS=$(SECONDS) CHAOS_GUARANTEE=$(GUARANTEE) \
	CHAOS_REPORT=$(CHAOS_REPORT) \
	$(GO) test -count=1 -tags integration -run '^TestChaos$$' -timeout $(CHAOS_TIMEOUT) -v ./test/chaos

# vet and staticcheck run with the integration tag so that they see every
# file: the tagged build includes the untagged files too.
lint:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l reports:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags integration ./...
	$(GO) run $(STATICCHECK) -tags integration ./...

# Benchmarks against the real broker: the consumer's worker speed-up on one
# partition and its throughput under each guarantee, and the producer's
# throughput.
BENCH := $(GO) test -count=1 -tags integration -run '^$$' -bench . -benchtime 1x ./internal/consumer ./cmd/producer

ifdef KAFKA_BROKERS
bench:
	$(BENCH)
else
bench:
	@$(KAFKA_SCRIPT) up; status=$$?; \
	if [ $$status -eq 0 ]; then \
		KAFKA_BROKERS=127.0.0.1:$(KAFKA_PORT) $(BENCH); status=$$?; \
	fi; \
	$(KAFKA_SCRIPT) down; \
	exit $$status
endif

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzDecode -fuzztime=30s ./internal/models

run-producer:
	$(GO) run ./cmd/producer $(ARGS)

run-consumer:
	$(GO) run ./cmd/consumer $(ARGS)

kafka-up:
	$(KAFKA_SCRIPT) up

kafka-down:
	$(KAFKA_SCRIPT) down

# Build outputs only. The broker's jars and data stay in .cache/kafka;
# `scripts/kafka.sh reset` deletes the data.
clean:
	rm -rf bin coverage.out

# The whole pipeline in one process, on an embedded Kafka-protocol broker
# (no Docker, no Java) unless KAFKA_BROKERS is set; Ctrl-C stops it. Flags
# go in ARGS, e.g. `make demo ARGS='--duration 30s --fail-rate 0.05'`;
# see docs/demo.md. Built, then run: under `go run`, Ctrl-C makes the go
# command exit 1 whatever the demo's own status.
.PHONY: demo
demo:
	$(GO) build -o bin/demo ./cmd/demo
	bin/demo $(ARGS)

# The deployment files (Dockerfile, .dockerignore, docker-compose.yml,
# deploy/k8s) are checked without Docker by the parsers the tools use:
# compose-go, BuildKit's Dockerfile parser, strict k8s.io/api decoding. They
# live in a module of their own, deploy/validate, so that their large
# dependency trees stay out of the daemons' go.mod. The first run downloads
# and compiles them (about a minute on two cores with a fast network, some
# 400 MB of modules); later runs take two seconds.
.PHONY: test-deploy
test: test-deploy
test-deploy:
	cd deploy/validate && $(GO) vet ./... && $(GO) test -count=1 ./...

# The whole stack in Docker; see docs/deployment.md. The image is stamped
# with `git describe` and the commit. up-cluster adds the three-broker
# profile and points the daemons at it. SERVICES narrows logs, e.g.
# `make logs SERVICES=consumer`.
COMPOSE ?= docker compose
BUILD_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BUILD_REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
COMPOSE_BUILD_ENV = BUILD_VERSION=$(BUILD_VERSION) BUILD_REVISION=$(BUILD_REVISION)
CLUSTER_BROKERS := kafka-1:9092,kafka-2:9092,kafka-3:9092
SERVICES ?=

.PHONY: up up-cluster down logs
up:
	$(COMPOSE_BUILD_ENV) $(COMPOSE) up --build --detach

up-cluster:
	$(COMPOSE_BUILD_ENV) STACK_KAFKA_BROKERS=$(CLUSTER_BROKERS) $(COMPOSE) --profile cluster up --build --detach

# Stops and removes the containers; the volumes (topics, offsets,
# Prometheus and Grafana data) stay. `docker compose --profile cluster down
# --volumes` deletes them too.
down:
	$(COMPOSE) --profile cluster down --remove-orphans

logs:
	$(COMPOSE) --profile cluster logs --follow --tail=100 $(SERVICES)
