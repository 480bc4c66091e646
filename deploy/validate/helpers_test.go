package validate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
)

// repoRoot is the ticket-processor checkout: this module lives in
// deploy/validate.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

// goVersion is the go line of the daemons' go.mod.
func goVersion(t *testing.T) string {
	t.Helper()
	file := filepath.Join(repoRoot(t), "go.mod")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	mod, err := modfile.ParseLax(file, raw, nil)
	require.NoError(t, err)
	require.NotNil(t, mod.Go, "go.mod has no go line")
	return mod.Go.Version
}

// image checks the repository's Dockerfile and returns what it builds.
func image(t *testing.T) Image {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "Dockerfile"))
	require.NoError(t, err)
	defer f.Close()
	img, problems := CheckDockerfile(f, goVersion(t))
	require.Empty(t, problems, "Dockerfile")
	return img
}

// project loads the repository's docker-compose.yml.
func project(t *testing.T, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	p, err := LoadCompose(context.Background(), filepath.Join(repoRoot(t), "docker-compose.yml"), env, profiles...)
	require.NoError(t, err)
	return p
}

// environment returns a compose service's environment with unset values
// as "".
func environment(s types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		env[k] = ""
		if v != nil {
			env[k] = *v
		}
	}
	return env
}
