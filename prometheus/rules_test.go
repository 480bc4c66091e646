// Package prometheus_test checks the Prometheus configuration in this
// folder: the alert rules' annotations and tests here, and, with the
// integration tag, the scrape configuration, the alert rules and the
// dashboards' queries against a real Prometheus scraping the daemons.
package prometheus_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// alertRule is one alerting rule of alerts.yml.
type alertRule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// loadAlerts returns every alerting rule of alerts.yml.
func loadAlerts(t testing.TB) []alertRule {
	t.Helper()
	var file struct {
		Groups []struct {
			Rules []alertRule `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile("alerts.yml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &file))
	var rules []alertRule
	for _, g := range file.Groups {
		rules = append(rules, g.Rules...)
	}
	require.NotEmpty(t, rules)
	return rules
}

func TestEveryAlertHasSummaryDescriptionAndRunbook(t *testing.T) {
	anchors := headingAnchors(t, filepath.Join("..", "README.md"))
	for _, r := range loadAlerts(t) {
		t.Run(r.Alert, func(t *testing.T) {
			assert.NotEmpty(t, r.Annotations["summary"])
			assert.NotEmpty(t, r.Annotations["description"])
			assert.Contains(t, []string{"critical", "warning"}, r.Labels["severity"])
			anchor := "runbook-" + strings.ToLower(r.Alert)
			assert.Equal(t, "README.md#"+anchor, r.Annotations["runbook_url"])
			assert.True(t, anchors[anchor], "README.md has no heading \"Runbook: %s\" for #%s", r.Alert, anchor)
		})
	}
}

// headingAnchors returns the anchors GitHub gives the headings of the
// Markdown file at path: lower case, punctuation dropped, spaces as
// hyphens.
func headingAnchors(t testing.TB, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	punctuation := regexp.MustCompile(`[^a-z0-9 _-]`)
	anchors := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		heading := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		anchors[strings.ReplaceAll(punctuation.ReplaceAllString(heading, ""), " ", "-")] = true
	}
	return anchors
}

func TestEveryAlertIsTestedFiringAndQuiet(t *testing.T) {
	var file struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	b, err := os.ReadFile("alerts_test.yml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &file))
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range file.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	for _, r := range loadAlerts(t) {
		assert.True(t, firing[r.Alert], "alerts_test.yml never expects %s to fire", r.Alert)
		assert.True(t, quiet[r.Alert], "alerts_test.yml never expects %s to stay quiet", r.Alert)
	}
}
