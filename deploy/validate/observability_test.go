package validate

import (
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// prometheusConfig is the part of prometheus.yml the stack depends on.
type prometheusConfig struct {
	RuleFiles     []string `json:"rule_files"`
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		StaticConfigs []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
		DNSSDConfigs []struct {
			Names []string `json:"names"`
			Type  string   `json:"type"`
			Port  int      `json:"port"`
		} `json:"dns_sd_configs"`
	} `json:"scrape_configs"`
}

// mountOf returns the bind mount of service s whose source is the
// repository path rel.
func mountOf(t *testing.T, s types.ServiceConfig, rel string) types.ServiceVolumeConfig {
	t.Helper()
	want := filepath.Join(repoRoot(t), rel)
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && filepath.Clean(v.Source) == want {
			return v
		}
	}
	require.Failf(t, "not mounted", "service %s does not mount %s", s.Name, rel)
	return types.ServiceVolumeConfig{}
}

// hostPath returns the file of the repository that the bind mounts of
// service s put at target inside the container, or "" when none does. The
// deepest mount holding target wins, as in the container.
func hostPath(s types.ServiceConfig, target string) string {
	var host, mountTarget string
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind || len(v.Target) <= len(mountTarget) {
			continue
		}
		rest, ok := strings.CutPrefix(target, v.Target)
		if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
			continue
		}
		host, mountTarget = filepath.Join(v.Source, filepath.FromSlash(rest)), v.Target
	}
	return host
}

// TestPrometheusScrapesEveryDaemon holds prometheus.yml to the compose
// services: Prometheus reads it and its rule files where they are mounted,
// every daemon is scraped on its METRICS_PORT, and a daemon that scales is
// found through DNS, one target per replica.
func TestPrometheusScrapesEveryDaemon(t *testing.T) {
	p := project(t, nil)
	file := filepath.Join(repoRoot(t), "prometheus.yml")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var cfg prometheusConfig
	require.NoError(t, yaml.Unmarshal(raw, &cfg))

	prometheus := p.Services["prometheus"]
	mount := mountOf(t, prometheus, "prometheus.yml")
	assert.Contains(t, []string(prometheus.Command), "--config.file="+mount.Target)
	require.NotEmpty(t, cfg.RuleFiles, "prometheus.yml: rule_files")
	for _, rules := range cfg.RuleFiles {
		assert.False(t, path.IsAbs(rules), "rule file %s: a path relative to prometheus.yml resolves both here (promtool) and in the container", rules)
		local := filepath.Join(filepath.Dir(file), filepath.FromSlash(rules))
		assert.FileExists(t, local, "rule_files are relative to prometheus.yml")
		inContainer := path.Join(path.Dir(mount.Target), rules)
		assert.Equal(t, local, hostPath(prometheus, inContainer), "rule file %s: Prometheus reads %s, which the mounts must map to it", rules, inContainer)
	}

	static := map[string]bool{} // host:port
	dns := map[string]int{}     // name to port
	for _, sc := range cfg.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			for _, target := range s.Targets {
				static[target] = true
			}
		}
		for _, d := range sc.DNSSDConfigs {
			for _, name := range d.Names {
				if d.Type == "A" || d.Type == "AAAA" {
					dns[name] = d.Port
				}
			}
		}
	}
	var daemons int
	for name, s := range p.Services {
		b, ok := BinaryFor(s.Command)
		if !ok {
			continue
		}
		daemons++
		port := b.LoadEnv(environment(s)).Settings.MetricsPort
		if b.Scales {
			assert.Equal(t, port, dns[name], "service %s scales: want a dns_sd_configs entry for %s on port %d", name, name, port)
			continue
		}
		assert.True(t, static[net.JoinHostPort(name, strconv.Itoa(port))] || dns[name] == port,
			"service %s: no scrape target %s:%d", name, name, port)
	}
	assert.Equal(t, len(Binaries), daemons)
}

// TestGrafanaProvisioning holds grafana-provisioning/ to the compose
// services: dashboards are read where dashboards/ is mounted, and the
// datasource is the Prometheus service.
func TestGrafanaProvisioning(t *testing.T) {
	p := project(t, nil)
	grafana := p.Services["grafana"]
	provisioning := mountOf(t, grafana, "grafana-provisioning")
	assert.Equal(t, "/etc/grafana/provisioning", provisioning.Target)
	dashboards := mountOf(t, grafana, "dashboards")

	files, err := filepath.Glob(filepath.Join(repoRoot(t), "grafana-provisioning", "dashboards", "*.y*ml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no dashboard provider")
	for _, file := range files {
		var providers struct {
			Providers []struct {
				Options struct {
					Path string `json:"path"`
				} `json:"options"`
			} `json:"providers"`
		}
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(raw, &providers))
		for _, pr := range providers.Providers {
			assert.True(t, pr.Options.Path == dashboards.Target || strings.HasPrefix(pr.Options.Path, dashboards.Target+"/"),
				"%s: provider path %s is not under the dashboards mount %s", filepath.Base(file), pr.Options.Path, dashboards.Target)
		}
	}

	files, err = filepath.Glob(filepath.Join(repoRoot(t), "grafana-provisioning", "datasources", "*.y*ml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no datasource")
	prometheusPort := "9090"
	for _, file := range files {
		var sources struct {
			Datasources []struct {
				Type string `json:"type"`
				URL  string `json:"url"`
			} `json:"datasources"`
		}
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(raw, &sources))
		for _, ds := range sources.Datasources {
			if ds.Type != "prometheus" {
				continue
			}
			u, err := url.Parse(ds.URL)
			require.NoError(t, err)
			assert.Equal(t, "prometheus", u.Hostname(), "the datasource is the compose service")
			assert.Equal(t, prometheusPort, u.Port())
			assert.Contains(t, p.Services, u.Hostname())
		}
	}
	for _, port := range p.Services["prometheus"].Ports {
		assert.Equal(t, prometheusPort, strconv.Itoa(int(port.Target)))
	}
}
