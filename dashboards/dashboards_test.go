package dashboards_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"ticket-processor/dashboards"
	"ticket-processor/internal/metrics"
)

// units are the Grafana unit ids the dashboards may use; a typo would show
// raw numbers without a unit.
var units = map[string]bool{
	"s": true, "ms": true, "bytes": true, "Bps": true, "short": true, "none": true,
	"percentunit": true, "ops": true, "reqps": true, "mps": true, "recps": true,
}

func TestCommittedJSONIsGenerated(t *testing.T) {
	for _, d := range dashboards.All() {
		t.Run(d.File, func(t *testing.T) {
			want, err := d.JSON()
			require.NoError(t, err)
			got, err := os.ReadFile(d.File)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got),
				"%s differs from its definition: run `go generate ./dashboards` and commit the JSON", d.File)
		})
	}
}

// selector matches a metric selector: a name and its braces.
var selector = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}`)

func TestEveryPanelHasAUnitAndFiltersByJobAndInstance(t *testing.T) {
	uids := map[string]bool{}
	for _, d := range dashboards.All() {
		assert.False(t, uids[d.UID], "uid %s used twice", d.UID)
		uids[d.UID] = true
		titles := map[string]bool{}
		for _, row := range d.Rows {
			for _, p := range row.Panels {
				assert.False(t, titles[p.Title], "%s: panel title %q used twice", d.File, p.Title)
				titles[p.Title] = true
				assert.True(t, units[p.Unit], "%s: panel %q: unit %q is not one of the known Grafana units", d.File, p.Title, p.Unit)
				assert.NotEmpty(t, p.Description, "%s: panel %q has no description", d.File, p.Title)
				assert.LessOrEqual(t, p.Width, 24, "%s: panel %q is wider than the grid", d.File, p.Title)
				require.NotEmpty(t, p.Queries, "%s: panel %q has no query", d.File, p.Title)
				for _, q := range p.Queries {
					assert.NotEmpty(t, q.Legend, "%s: panel %q: query %s has no legend", d.File, p.Title, q.Expr)
					selectors := selector.FindAllStringSubmatch(q.Expr, -1)
					assert.NotEmpty(t, selectors, "%s: panel %q: query %s selects no metric with braces", d.File, p.Title, q.Expr)
					for _, s := range selectors {
						assert.Contains(t, s[2], `job=~"$job"`, "%s: panel %q: %s", d.File, p.Title, s[0])
						assert.Contains(t, s[2], `instance=~"$instance"`, "%s: panel %q: %s", d.File, p.Title, s[0])
					}
				}
			}
		}
	}
}

func TestDatasourceUIDIsTheProvisionedOne(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "grafana-provisioning", "datasources", "prometheus.yml"))
	require.NoError(t, err)
	var provisioning struct {
		Datasources []struct {
			UID  string `yaml:"uid"`
			Type string `yaml:"type"`
		} `yaml:"datasources"`
	}
	require.NoError(t, yaml.Unmarshal(b, &provisioning))
	require.Len(t, provisioning.Datasources, 1)
	assert.Equal(t, "prometheus", provisioning.Datasources[0].Type)
	assert.Equal(t, dashboards.DatasourceUID, provisioning.Datasources[0].UID)
}

// TestQueriesReadMetricsTheDaemonsDefine keeps the dashboards from
// retyping a metric name: every daemon metric a query selects is one that
// internal/metrics defines (histograms by their _bucket, _sum or _count
// series). sarama's client metrics are named at run time and are checked
// against a live Prometheus by the integration test.
func TestQueriesReadMetricsTheDaemonsDefine(t *testing.T) {
	defined := map[string]bool{}
	for _, name := range metrics.Names() {
		defined[name] = true
	}
	checked := 0
	for _, d := range dashboards.All() {
		for _, row := range d.Rows {
			for _, p := range row.Panels {
				for _, q := range p.Queries {
					for _, s := range selector.FindAllStringSubmatch(q.Expr, -1) {
						name := s[1]
						if !strings.HasPrefix(name, metrics.Namespace+"_") || strings.HasPrefix(name, metrics.Namespace+"_kafka_client_") {
							continue
						}
						base := name
						for _, suffix := range []string{"_bucket", "_sum", "_count"} {
							if trimmed, ok := strings.CutSuffix(name, suffix); ok && defined[trimmed] {
								base = trimmed
							}
						}
						assert.True(t, defined[base], "%s: panel %q reads %s, which internal/metrics does not define", d.File, p.Title, name)
						checked++
					}
				}
			}
		}
	}
	assert.Greater(t, checked, 20, "the dashboards read the daemons' metrics")
}
