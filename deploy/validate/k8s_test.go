package validate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"ticket-processor/internal/producer"
)

// partitions is the partition count of `tickets`, from the producer's
// settings in the ConfigMap (TOPIC_PARTITIONS): the HPA's ceiling.
func partitions(t *testing.T, m Manifests) int {
	t.Helper()
	cm := m.ConfigMaps["ticket-processor"]
	require.NotNil(t, cm, "ConfigMap ticket-processor")
	env := map[string]string{}
	for k, v := range cm.Data {
		if Binaries["producer"].Reads(k) {
			env[k] = v
		}
	}
	res := Binaries["producer"].LoadEnv(env)
	require.NoError(t, res.Err)
	return res.Settings.Config.(producer.ServiceConfig).Producer.TopicPartitions
}

func TestManifests(t *testing.T) {
	m, err := LoadManifests(filepath.Join(repoRoot(t), "deploy", "k8s"))
	require.NoError(t, err)
	assert.Equal(t, 6, partitions(t, m))
	assert.Empty(t, CheckManifests(m, image(t), partitions(t, m)))

	var names []string
	for _, d := range m.Deployments {
		names = append(names, d.Name)
	}
	assert.ElementsMatch(t, []string{"producer", "consumer"}, names)
	assert.Len(t, m.Services, 2)
	require.Len(t, m.HPAs, 1)
	assert.Equal(t, "consumer", m.HPAs[0].Spec.ScaleTargetRef.Name)
	assert.Contains(t, m.Secrets, "ticket-processor-kafka")
}

// copyManifests copies deploy/k8s to a temporary directory, replacing old
// by new in file, and returns the directory.
func copyManifests(t *testing.T, file, old, new string) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "deploy", "k8s")
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	var replaced bool
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		if e.Name() == file {
			require.Contains(t, string(raw), old, file)
			raw = []byte(strings.Replace(string(raw), old, new, 1))
			replaced = true
		}
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), raw, 0o644))
	}
	require.True(t, replaced, "no file %s", file)
	return dst
}

func TestManifestsStrictDecoding(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		old, new  string
		wantError string
	}{
		{"unknown field", "producer-deployment.yaml", "readinessProbe:", "readynessProbe:", `unknown field "spec.template.spec.containers[0].readynessProbe"`},
		{"duplicate field", "consumer-deployment.yaml", "      automountServiceAccountToken: false\n", "      automountServiceAccountToken: false\n      automountServiceAccountToken: true\n", `key "automountServiceAccountToken" already set`},
		{"wrong type", "consumer-hpa.yaml", "maxReplicas: 6", "maxReplicas: six", "maxReplicas"},
		{"unknown kustomization field", "kustomization.yaml", "resources:", "resource:", `unknown field "resource"`},
		{"missing resource", "kustomization.yaml", "- secret.yaml", "- secrets.yaml", "secrets.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadManifests(copyManifests(t, tt.file, tt.old, tt.new))
			assert.ErrorContains(t, err, tt.wantError)
		})
	}
}

func TestManifestsProblems(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		old, new  string
		wantError string
	}{
		{"liveness path", "producer-deployment.yaml", "path: /healthz", "path: /health", "liveness probe GETs /health: want /healthz"},
		{"probe port", "consumer-deployment.yaml", "              value: \"2113\"", "              value: \"9000\"", "no container port 9000"},
		{"writable root", "consumer-deployment.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem is not true"},
		{"root", "producer-deployment.yaml", "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot is not true"},
		{"escalation", "producer-deployment.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", "allowPrivilegeEscalation is not false"},
		{"short grace", "consumer-deployment.yaml", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 10", "terminationGracePeriodSeconds 10s"},
		{"no limits", "producer-deployment.yaml", "            limits:\n              cpu: \"1\"\n              memory: 256Mi\n", "", "no cpu limits"},
		{"HPA above partitions", "consumer-hpa.yaml", "maxReplicas: 6", "maxReplicas: 12", "maxReplicas 12 exceeds the 6 partitions"},
		{"replicas under HPA", "consumer-deployment.yaml", "  revisionHistoryLimit: 5", "  replicas: 2\n  revisionHistoryLimit: 5", "sets replicas, but an HPA owns them"},
		{"unknown ConfigMap key", "configmap.yaml", "  LOG_LEVEL: info", "  LOG_LEVEL: info\n  LOGLEVEL: debug", "sets LOGLEVEL, which no daemon reads"},
		{"unknown env", "producer-deployment.yaml", "            - name: METRICS_PORT", "            - name: GROUP_ID\n              value: g\n            - name: METRICS_PORT", "producer does not read [GROUP_ID]"},
		{"bad value", "configmap.yaml", "SHUTDOWN_TIMEOUT: 10s", "SHUTDOWN_TIMEOUT: ten", `SHUTDOWN_TIMEOUT="ten"`},
		{"floating image", "kustomization.yaml", "newTag: 0.1.0", "newTag: latest", `tag "latest" is not a version`},
		{"unmounted secret file", "consumer-deployment.yaml", "value: /etc/ticket-processor/kafka/password", "value: /run/secrets/password", "no volume of the container is mounted there"},
		{"missing secret key", "secret.yaml", "  username: \"\"", "  user: \"\"", "no key username in Secret ticket-processor-kafka"},
		{"unscraped", "producer-service.yaml", `prometheus.io/scrape: "true"`, `prometheus.io/scrape: "false"`, `annotation prometheus.io/scrape is "false"`},
		{"service selects nothing", "consumer-service.yaml", "    app.kubernetes.io/component: consumer\n  ports:", "    app.kubernetes.io/component: worker\n  ports:", "selects no Deployment's pods"},
		{"unlisted file", "kustomization.yaml", "  - namespace.yaml\n", "", "namespace.yaml is not listed"},
	}
	img := Image{Files: map[string]bool{"/usr/local/bin/producer": true, "/usr/local/bin/consumer": true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := LoadManifests(copyManifests(t, tt.file, tt.old, tt.new))
			require.NoError(t, err)
			assert.ErrorContains(t, errors.Join(CheckManifests(m, img, 6)...), tt.wantError)
		})
	}
}
