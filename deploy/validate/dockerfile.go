package validate

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Image is what a Dockerfile builds, as far as the other files care.
type Image struct {
	// Files are the paths the final stage copies in.
	Files map[string]bool
	// Args are the build arguments the Dockerfile declares, in any stage.
	Args map[string]bool
	// User is the final stage's USER.
	User string
}

// buildinfo is the package whose variables -ldflags -X stamps.
const buildinfo = "ticket-processor/internal/buildinfo"

// CheckDockerfile parses a Dockerfile with BuildKit's parser and returns
// what it builds and every rule it breaks:
//   - BuildKit's build checks that run while parsing pass;
//   - there are at least two stages;
//   - every base is pinned (see Pinned), scratch, or an earlier stage;
//   - the golang builder's tag is goVersion, go.mod's go line;
//   - a RUN runs go build with CGO_ENABLED=0 (inline or by ENV),
//     -trimpath, and -ldflags stamping buildinfo.Version and
//     buildinfo.Revision;
//   - the final stage sets a USER other than root.
func CheckDockerfile(r io.Reader, goVersion string) (Image, []error) {
	img := Image{Files: map[string]bool{}, Args: map[string]bool{}}
	res, err := parser.Parse(r)
	if err != nil {
		return img, []error{fmt.Errorf("parse: %w", err)}
	}
	var problems []error
	for _, w := range res.Warnings {
		problems = append(problems, fmt.Errorf("parser warning: %s", w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		problems = append(problems, fmt.Errorf("build check %s: %s%s", rule, msg, atLine(loc)))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return img, append(problems, fmt.Errorf("parse instructions: %w", err))
	}
	if len(stages) < 2 {
		problems = append(problems, fmt.Errorf("%d stage(s): want a multi-stage build (a builder and a small final stage)", len(stages)))
	}

	var global []string
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			img.Args[kv.Key] = true
			global = append(global, kv.Key+"="+kv.ValueString())
		}
	}
	lex := shell.NewLex(res.EscapeToken)
	seen := map[string]bool{}
	var sawBuild bool
	for i, st := range stages {
		base, _, err := lex.ProcessWord(st.BaseName, shell.EnvsFromSlice(global))
		if err != nil {
			problems = append(problems, fmt.Errorf("stage %d: FROM %s: %w", i, st.BaseName, err))
		}
		switch {
		case seen[strings.ToLower(base)], base == "scratch":
		default:
			if err := Pinned(base); err != nil {
				problems = append(problems, fmt.Errorf("stage %d: FROM %w", i, err))
			}
			if ImageName(base) == "golang" && !matchesGoVersion(ImageTag(base), goVersion) {
				problems = append(problems, fmt.Errorf("stage %d: FROM %s: want the golang tag for go.mod's go %s", i, base, goVersion))
			}
		}
		if st.Name != "" {
			seen[strings.ToLower(st.Name)] = true
		}
		last := i == len(stages)-1
		var cgoOff bool
		for _, cmd := range st.Commands {
			switch c := cmd.(type) {
			case *instructions.ArgCommand:
				for _, kv := range c.Args {
					img.Args[kv.Key] = true
				}
			case *instructions.EnvCommand:
				for _, kv := range c.Env {
					if kv.Key == "CGO_ENABLED" && kv.Value == "0" {
						cgoOff = true
					}
				}
			case *instructions.RunCommand:
				line := strings.Join(c.CmdLine, " ")
				if strings.Contains(line, "go build") {
					sawBuild = true
					problems = append(problems, checkGoBuild(line, cgoOff)...)
				}
			case *instructions.CopyCommand:
				if last {
					for _, f := range copied(c) {
						img.Files[f] = true
					}
				}
			case *instructions.UserCommand:
				if last {
					img.User = c.User
				}
			}
		}
	}
	if !sawBuild {
		problems = append(problems, errors.New("no RUN runs go build"))
	}
	if !nonRoot(img.User) {
		problems = append(problems, fmt.Errorf("final stage USER %q: want a non-root user such as 65532:65532", img.User))
	}
	return img, problems
}

func checkGoBuild(line string, cgoOff bool) []error {
	var problems []error
	if !cgoOff && !strings.Contains(line, "CGO_ENABLED=0") {
		problems = append(problems, errors.New("go build without CGO_ENABLED=0: want a static binary"))
	}
	for _, want := range []string{"-trimpath", "-ldflags", "-X " + buildinfo + ".Version=", "-X " + buildinfo + ".Revision="} {
		if !strings.Contains(line, want) {
			problems = append(problems, fmt.Errorf("go build lacks %q", want))
		}
	}
	return problems
}

// matchesGoVersion reports whether a golang image tag (1.26.8,
// 1.26.8-bookworm) is for go.mod's go version.
func matchesGoVersion(tag, goVersion string) bool {
	return tag == goVersion || strings.HasPrefix(tag, goVersion+"-")
}

// copied returns the paths a COPY writes.
func copied(c *instructions.CopyCommand) []string {
	if !strings.HasSuffix(c.DestPath, "/") && len(c.SourcePaths) == 1 {
		return []string{c.DestPath}
	}
	var out []string
	for _, src := range c.SourcePaths {
		out = append(out, path.Join(c.DestPath, path.Base(src)))
	}
	return out
}

// nonRoot reports whether a USER value (user[:group]) is set and is not
// root by name or uid.
func nonRoot(user string) bool {
	u, _, _ := strings.Cut(user, ":")
	return u != "" && u != "root" && u != "0"
}

func atLine(loc []parser.Range) string {
	if len(loc) == 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", loc[0].Start.Line)
}

// CheckDockerignore reads a .dockerignore and returns a problem for every
// path in include that it leaves out of the build context and every path
// in exclude that it lets in. Paths are relative to the context, with
// forward slashes.
func CheckDockerignore(r io.Reader, include, exclude []string) []error {
	patterns, err := ignorefile.ReadAll(r)
	if err != nil {
		return []error{fmt.Errorf("read .dockerignore: %w", err)}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return []error{fmt.Errorf(".dockerignore: %w", err)}
	}
	var problems []error
	for _, p := range include {
		if ignored, err := pm.MatchesOrParentMatches(p); err != nil || ignored {
			problems = append(problems, fmt.Errorf(".dockerignore leaves out %s, which the build needs", p))
		}
	}
	for _, p := range exclude {
		if ignored, err := pm.MatchesOrParentMatches(p); err != nil || !ignored {
			problems = append(problems, fmt.Errorf(".dockerignore lets %s into the build context", p))
		}
	}
	return problems
}
