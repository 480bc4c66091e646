//go:build integration

package prometheus_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"ticket-processor/internal/kafkatest"
)

const (
	producerBinary = "ticket-processor/cmd/producer"
	consumerBinary = "ticket-processor/cmd/consumer"
	// rateInterval stands in for Grafana's $__rate_interval, which is at
	// least four scrape intervals (here 1s).
	rateInterval = "10s"
)

// TestDashboardsAndAlertsOnARealPrometheus runs the producer and two
// consumer replicas against the real broker, with bad tickets among the
// good ones, and Prometheus scraping them with the repository's
// prometheus.yml (targets rewritten to loopback) and alerts.yml. It then
// checks through Prometheus's HTTP API that every target is up, that every
// query of every dashboard parses and returns a series with a value, that
// every dashboard variable has values, and that every alert rule evaluates
// without error over metrics that exist.
func TestDashboardsAndAlertsOnARealPrometheus(t *testing.T) {
	promBinary, err := exec.LookPath("prometheus")
	require.NoError(t, err, "Debian's prometheus package is installed by .ci/run (apt-get install prometheus)")
	brokers := strings.Join(kafkatest.Brokers(t), ",")
	// Dotted output topic names: sarama writes them with underscores into
	// its metric names, and the topic label must have them back.
	in, out, dead := kafkatest.Name("prom-in"), kafkatest.Name("prom.processed"), kafkatest.Name("prom.dlq")
	// Registered first, so it runs after the daemons are stopped.
	t.Cleanup(func() { deleteTopics(t, in, out, dead) })

	producer := kafkatest.Start(t, kafkatest.Build(t, producerBinary), []string{
		"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "TOPIC_PARTITIONS=3",
		"RATE=100", "ORDERS=50", "LOG_LEVEL=warn",
	})
	kafkatest.WaitStatus(t, producer.URL("/readyz"), 200, time.Minute) // the topic exists
	consumerEnv := []string{
		"KAFKA_BROKERS=" + brokers, "KAFKA_TOPIC=" + in, "OUTPUT_TOPIC=" + out, "DLQ_TOPIC=" + dead,
		"GROUP_ID=" + kafkatest.Name("prom-group"), "LAG_INTERVAL=1s", "LOG_LEVEL=warn",
		// Exactly once, so that the transaction panels have data too.
		"PROCESSING_GUARANTEE=exactly_once", "TRANSACTIONAL_ID_PREFIX=" + kafkatest.Name("prom-txn"),
	}
	consumerBin := kafkatest.Build(t, consumerBinary)
	consumers := []*kafkatest.Process{kafkatest.Start(t, consumerBin, consumerEnv), kafkatest.Start(t, consumerBin, consumerEnv)}

	prom := startPrometheus(t, promBinary, producer.Port, consumers[0].Port, consumers[1].Port)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var data struct {
			ActiveTargets []struct {
				Labels map[string]string `json:"labels"`
				Health string            `json:"health"`
			} `json:"activeTargets"`
		}
		require.NoError(c, prom.get("/api/v1/targets", nil, &data))
		up := map[string]int{}
		for _, target := range data.ActiveTargets {
			if target.Health == "up" {
				up[target.Labels["job"]]++
			}
		}
		assert.Equal(c, map[string]int{"prometheus": 1, "producer": 1, "consumer": 2}, up)
	}, 30*time.Second, 500*time.Millisecond, "every target is up")

	// The bad tickets go in once Prometheus has scraped the dead-letter
	// counters at zero, as it would have in production, so that it sees
	// them rise.
	badTickets := []string{
		`{"order_id": "o1", `,                         // malformed
		`{"schema_version":7,"order_id":"o2"}`,        // unknown schema
		`{"schema_version":1,"order_id":"ord-bad-3"}`, // invalid fields
	}
	for i, value := range badTickets {
		kafkatest.Kcat(t, in, fmt.Sprintf("bad-%d", i), []byte(value))
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		got, err := prom.instant(`sum(ticket_processor_consumer_dead_lettered_total)`)
		require.NoError(c, err)
		assert.Equal(c, float64(len(badTickets)), got)
	}, time.Minute, 500*time.Millisecond, "Prometheus sees the bad tickets dead-lettered")

	queries := dashboardQueries(t)
	t.Run("every dashboard query parses", func(t *testing.T) {
		for _, q := range queries {
			_, err := prom.queryRange(q.expr)
			assert.NoError(t, err, "%s: %s", q.where, q.expr)
		}
	})
	t.Run("every dashboard query returns a series with a value", func(t *testing.T) {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			for _, q := range queries {
				series, err := prom.queryRange(q.expr)
				if assert.NoError(c, err, q.where) {
					assert.True(c, hasValue(series), "%s: no series with a value: %s", q.where, q.expr)
				}
			}
		}, time.Minute, time.Second)
	})

	t.Run("every dashboard variable has values", func(t *testing.T) {
		labelValues := regexp.MustCompile(`^label_values\((.+), (\w+)\)$`)
		for _, v := range dashboardVariables(t) {
			m := labelValues.FindStringSubmatch(v.query)
			require.NotNil(t, m, "%s: want label_values(selector, label), got %s", v.where, v.query)
			var values []string
			require.NoError(t, prom.get("/api/v1/label/"+m[2]+"/values", url.Values{"match[]": {substitute(t, m[1])}}, &values), v.where)
			assert.NotEmpty(t, values, v.where)
			if m[2] == "topic" {
				assert.Subset(t, values, []string{in, out, dead}, "%s: every topic the clients use, dots restored", v.where)
			}
		}
	})

	alerts := loadAlerts(t)
	t.Run("every alert rule evaluates without error", func(t *testing.T) {
		for _, a := range alerts {
			assert.NoError(t, prom.get("/api/v1/query", url.Values{"query": {a.Expr}}, nil), a.Alert)
		}
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			var data struct {
				Groups []struct {
					Rules []struct {
						Name      string `json:"name"`
						Health    string `json:"health"`
						LastError string `json:"lastError"`
					} `json:"rules"`
				} `json:"groups"`
			}
			require.NoError(c, prom.get("/api/v1/rules", url.Values{"type": {"alert"}}, &data))
			var healthy []string
			for _, g := range data.Groups {
				for _, r := range g.Rules {
					if assert.Empty(c, r.LastError, r.Name) && r.Health == "ok" {
						healthy = append(healthy, r.Name)
					}
				}
			}
			assert.Len(c, healthy, len(alerts), "rules evaluated without error")
		}, 30*time.Second, 500*time.Millisecond)
	})

	t.Run("every metric an alert uses exists", func(t *testing.T) {
		metric := regexp.MustCompile(`\b(ticket_processor_\w+|up)\b`)
		for _, a := range alerts {
			for _, name := range metric.FindAllString(a.Expr, -1) {
				got, err := prom.instant(fmt.Sprintf("count(%s)", name))
				if assert.NoError(t, err, a.Alert) {
					assert.Positive(t, got, "%s: %s has no series, so the alert could never fire", a.Alert, name)
				}
			}
		}
	})

	t.Run("DeadLettering goes pending on the real metrics", func(t *testing.T) {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			var data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
				} `json:"alerts"`
			}
			require.NoError(c, prom.get("/api/v1/alerts", nil, &data))
			var active []map[string]string
			for _, a := range data.Alerts {
				active = append(active, a.Labels)
			}
			assert.True(c, slices.ContainsFunc(active, func(labels map[string]string) bool {
				return labels["alertname"] == "DeadLettering" && labels["reason"] == "malformed"
			}), "DeadLettering{reason=malformed} pending or firing: %v", active)
		}, 30*time.Second, 500*time.Millisecond)
	})
}

// deleteTopics deletes the topics the daemons created, as far as it can.
func deleteTopics(t *testing.T, topics ...string) {
	admin, err := sarama.NewClusterAdmin(kafkatest.Brokers(t), kafkatest.Config())
	if err != nil {
		return
	}
	defer admin.Close()
	for _, topic := range topics {
		_ = admin.DeleteTopic(topic)
	}
}

// promServer is a Prometheus started by the test.
type promServer struct{ base string }

// startPrometheus runs Prometheus on a free loopback port with the
// repository's prometheus.yml, its targets rewritten to loopback and its
// intervals shortened to a second, until the end of the test.
func startPrometheus(t *testing.T, binary string, producerPort int, consumerPorts ...int) *promServer {
	t.Helper()
	dir := t.TempDir()
	port := kafkatest.FreePort(t)
	var consumers []string
	for _, p := range consumerPorts {
		consumers = append(consumers, fmt.Sprintf("127.0.0.1:%d", p))
	}
	config := loopbackConfig(t, map[string][]string{
		"prometheus": {fmt.Sprintf("127.0.0.1:%d", port)},
		"producer":   {fmt.Sprintf("127.0.0.1:%d", producerPort)},
		"consumer":   consumers,
	})
	configFile := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(configFile, config, 0o600))

	var output bytes.Buffer
	cmd := exec.Command(binary, "--config.file="+configFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &output, &output
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s\nconfiguration:\n%s", output.String(), config)
		}
	})
	p := &promServer{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	kafkatest.WaitStatus(t, p.base+"/-/ready", 200, 30*time.Second)
	return p
}

// repoConfig is the repository's scrape configuration, at its top level;
// its rule_files are relative to it.
const repoConfig = "../prometheus.yml"

// loopbackConfig returns prometheus.yml with each job's targets replaced by
// static targets, the rule files by absolute paths, and the scrape and
// evaluation intervals shortened to a second. It fails the test when a job
// of targets is missing from the file, or the file has a job it does not
// know.
func loopbackConfig(t *testing.T, targets map[string][]string) []byte {
	t.Helper()
	b, err := os.ReadFile(repoConfig)
	require.NoError(t, err)
	var config map[string]any
	require.NoError(t, yaml.Unmarshal(b, &config))

	global, _ := config["global"].(map[string]any)
	require.NotNil(t, global, "prometheus.yml: global")
	global["scrape_interval"], global["scrape_timeout"], global["evaluation_interval"] = "1s", "1s", "1s"

	ruleFiles, _ := config["rule_files"].([]any)
	require.NotEmpty(t, ruleFiles, "prometheus.yml: rule_files")
	for i, f := range ruleFiles {
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(repoConfig), f.(string)))
		require.NoError(t, err)
		ruleFiles[i] = abs
	}

	scrapeConfigs, _ := config["scrape_configs"].([]any)
	var jobs []string
	for _, sc := range scrapeConfigs {
		job := sc.(map[string]any)
		name, _ := job["job_name"].(string)
		require.Contains(t, targets, name, "prometheus.yml: job %q has no loopback target in the test", name)
		if name == "consumer" {
			require.Contains(t, job, "dns_sd_configs", "prometheus.yml: the consumer replicas are found through DNS")
		}
		delete(job, "dns_sd_configs")
		job["static_configs"] = []any{map[string]any{"targets": targets[name]}}
		jobs = append(jobs, name)
	}
	require.ElementsMatch(t, []string{"prometheus", "producer", "consumer"}, jobs, "prometheus.yml: jobs")
	out, err := yaml.Marshal(config)
	require.NoError(t, err)
	return out
}

// get calls the Prometheus API at path and decodes the response's data
// into data (unless nil); an error response is returned as an error.
func (p *promServer) get(path string, params url.Values, data any) error {
	resp, err := http.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, r.ErrorType, r.Error)
	}
	if data == nil {
		return nil
	}
	return json.Unmarshal(r.Data, data)
}

// series is one series of a range query's result.
type series struct {
	Metric map[string]string `json:"metric"`
	Values [][2]any          `json:"values"`
}

// queryRange runs expr as Grafana would, over the last 30 seconds.
func (p *promServer) queryRange(expr string) ([]series, error) {
	now := time.Now()
	var data struct {
		Result []series `json:"result"`
	}
	err := p.get("/api/v1/query_range", url.Values{
		"query": {expr},
		"start": {strconv.FormatInt(now.Add(-30*time.Second).Unix(), 10)},
		"end":   {strconv.FormatInt(now.Unix(), 10)},
		"step":  {"1"},
	}, &data)
	return data.Result, err
}

// instant returns the value of expr's single series now, or 0 when it has
// none.
func (p *promServer) instant(expr string) (float64, error) {
	var data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := p.get("/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return 0, err
	}
	switch len(data.Result) {
	case 0:
		return 0, nil
	case 1:
		return strconv.ParseFloat(data.Result[0].Value[1].(string), 64)
	default:
		return 0, fmt.Errorf("%s: %d series, want one", expr, len(data.Result))
	}
}

// hasValue reports whether any series has a sample that is a number: a
// panel of NaNs shows no more than "No data" does.
func hasValue(result []series) bool {
	for _, s := range result {
		for _, v := range s.Values {
			if f, err := strconv.ParseFloat(v[1].(string), 64); err == nil && !math.IsNaN(f) {
				return true
			}
		}
	}
	return false
}

// grafanaDashboard is the part of a dashboard JSON file the test reads.
type grafanaDashboard struct {
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// loadDashboards reads every dashboard JSON file as Grafana would.
func loadDashboards(t *testing.T) map[string]grafanaDashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "dashboards", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 2, "kafka-overview.json and kafka-metrics.json")
	dashboards := map[string]grafanaDashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var d grafanaDashboard
		require.NoError(t, json.Unmarshal(b, &d), f)
		dashboards[filepath.Base(f)] = d
	}
	return dashboards
}

// located is a query or variable with where it was found.
type located struct {
	where string
	expr  string
	query string
}

// dashboardQueries returns every panel query of every dashboard, with its
// variables substituted: `.*` for job, instance and topic (the "All" that
// Grafana sends), rateInterval for $__rate_interval.
func dashboardQueries(t *testing.T) []located {
	t.Helper()
	var queries []located
	for file, d := range loadDashboards(t) {
		for _, p := range d.Panels {
			for i, target := range p.Targets {
				queries = append(queries, located{
					where: fmt.Sprintf("%s, panel %q, query %d", file, p.Title, i+1),
					expr:  substitute(t, target.Expr),
				})
			}
		}
	}
	require.NotEmpty(t, queries)
	return queries
}

// dashboardVariables returns the query of every variable of every
// dashboard.
func dashboardVariables(t *testing.T) []located {
	t.Helper()
	var variables []located
	for file, d := range loadDashboards(t) {
		for _, v := range d.Templating.List {
			variables = append(variables, located{where: fmt.Sprintf("%s, variable %s", file, v.Name), query: v.Query})
		}
	}
	return variables
}

var variables = strings.NewReplacer("$__rate_interval", rateInterval, "$job", ".*", "$instance", ".*", "$topic", ".*")

// substitute replaces Grafana's variables in expr.
func substitute(t *testing.T, expr string) string {
	t.Helper()
	out := variables.Replace(expr)
	require.NotContains(t, out, "$", "a variable the test does not know: %s", expr)
	return out
}
