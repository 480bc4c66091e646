// Package buildinfo holds the version and commit stamped into the binaries
// at build time:
//
//	go build -ldflags "-X ticket-processor/internal/buildinfo.Version=v1.2.3 -X ticket-processor/internal/buildinfo.Revision=abc123"
//
// Without stamping, Commit falls back to the Go toolchain's VCS data.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Revision are set with -ldflags -X.
var (
	Version  = "dev"
	Revision = ""
)

// Commit returns Revision, or the VCS revision the toolchain recorded, or
// "unknown".
func Commit() string {
	if Revision != "" {
		return Revision
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// GoVersion is the toolchain that built the binary.
func GoVersion() string { return runtime.Version() }

// String is the one-line version shown by --version.
func String(binary string) string {
	return fmt.Sprintf("%s %s (revision %s, %s)", binary, Version, Commit(), GoVersion())
}
