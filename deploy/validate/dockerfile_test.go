package validate

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDockerfile(t *testing.T) {
	img := image(t) // fails on any problem
	for _, b := range Binaries {
		assert.True(t, img.Files["/usr/local/bin/"+b.Name], "the image lacks %s", b.Name)
	}
	assert.True(t, img.Files["/etc/ssl/certs/ca-certificates.crt"], "the image lacks the CA bundle for TLS to the brokers")
	assert.True(t, img.Args["VERSION"] && img.Args["REVISION"], "VERSION and REVISION must be build args")
}

// goodDockerfile passes every check; the cases below break one each.
const goodDockerfile = `ARG GO_VERSION=1.26.8
FROM golang:${GO_VERSION} AS build
ENV CGO_ENABLED=0
ARG VERSION=dev
ARG REVISION=unknown
RUN go build -trimpath -ldflags="-X ticket-processor/internal/buildinfo.Version=${VERSION} -X ticket-processor/internal/buildinfo.Revision=${REVISION}" -o /out/ ./cmd/producer
FROM scratch
COPY --from=build /out/producer /usr/local/bin/
USER 65532:65532
`

func TestDockerfileProblems(t *testing.T) {
	tests := []struct {
		name      string
		old, new  string
		wantError string
	}{
		{"one stage", "FROM scratch\nCOPY --from=build /out/producer /usr/local/bin/\n", "", "want a multi-stage build"},
		{"latest base", "ARG GO_VERSION=1.26.8", "ARG GO_VERSION=latest", `tag "latest" is not a version`},
		{"untagged base", "golang:${GO_VERSION}", "golang", `"golang" has no tag`},
		{"go version drift", "GO_VERSION=1.26.8", "GO_VERSION=1.25.4", "want the golang tag for go.mod's go 1.26.8"},
		{"root final user", "USER 65532:65532", "USER root", `final stage USER "root"`},
		{"no final user", "USER 65532:65532\n", "", `final stage USER ""`},
		{"cgo on", "ENV CGO_ENABLED=0\n", "", "without CGO_ENABLED=0"},
		{"no trimpath", "-trimpath ", "", `lacks "-trimpath"`},
		{"no revision stamp", " -X ticket-processor/internal/buildinfo.Revision=${REVISION}", "", `lacks "-X ticket-processor/internal/buildinfo.Revision="`},
		{"no go build", "RUN go build", "RUN go vet", "no RUN runs go build"},
		{"build check", "AS build", "as build", "build check FromAsCasing"},
	}
	goVersion := "1.26.8"
	_, problems := CheckDockerfile(strings.NewReader(goodDockerfile), goVersion)
	require.Empty(t, problems, "the good Dockerfile")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, goodDockerfile, tt.old)
			src := strings.Replace(goodDockerfile, tt.old, tt.new, 1)
			_, problems := CheckDockerfile(strings.NewReader(src), goVersion)
			assert.ErrorContains(t, errors.Join(problems...), tt.wantError)
		})
	}
}

func TestDockerignore(t *testing.T) {
	root := repoRoot(t)
	// Everything go build reads must reach the context.
	include := []string{"go.mod", "go.sum"}
	for _, dir := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			rel, err := filepath.Rel(root, p)
			include = append(include, filepath.ToSlash(rel))
			return err
		})
		require.NoError(t, err)
	}
	exclude := []string{
		".git/HEAD", ".cache/kafka/data/meta.properties", "bin/producer", "README.md",
		"docker-compose.yml", "deploy/validate/go.mod", "internal/config/config_test.go",
	}
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	require.NoError(t, err)
	defer f.Close()
	assert.Empty(t, CheckDockerignore(f, include, exclude))
}

func TestDockerignoreProblems(t *testing.T) {
	problems := CheckDockerignore(strings.NewReader("*\n!go.mod\n"), []string{"go.mod", "cmd/producer/main.go"}, []string{".git/HEAD"})
	assert.ErrorContains(t, errors.Join(problems...), "leaves out cmd/producer/main.go")
	assert.Len(t, problems, 1)

	problems = CheckDockerignore(strings.NewReader("bin\n"), nil, []string{".git/HEAD", "bin/producer"})
	assert.ErrorContains(t, errors.Join(problems...), "lets .git/HEAD into the build context")
	assert.Len(t, problems, 1)
}
