package validate

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// Pinned returns nil if ref names one version of an image: by digest, or
// by a tag that starts with a version number with at least a minor part
// (4.2.0, v3.9.1, 1.26.8-bookworm). latest, a missing tag, a bare major
// version and names such as stable or nonroot all float.
func Pinned(ref string) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Errorf("image %q: %w", ref, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return nil
	}
	tagged, ok := named.(reference.Tagged)
	if !ok {
		return fmt.Errorf("image %q has no tag: pin a version", ref)
	}
	if !isVersion(tagged.Tag()) {
		return fmt.Errorf("image %q: tag %q is not a version such as 1.2 or v1.2.3: pin one", ref, tagged.Tag())
	}
	return nil
}

// Tagged returns nil if ref, an image built locally, carries a tag other
// than latest, so that nothing mistakes it for a published latest.
func Tagged(ref string) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Errorf("image %q: %w", ref, err)
	}
	tagged, ok := named.(reference.Tagged)
	switch {
	case !ok:
		return fmt.Errorf("image %q has no tag", ref)
	case tagged.Tag() == "latest":
		return fmt.Errorf("image %q: tag it with a version, not latest", ref)
	}
	return nil
}

// ImageTag returns the tag of ref, or "" if it has none.
func ImageTag(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	if tagged, ok := named.(reference.Tagged); ok {
		return tagged.Tag()
	}
	return ""
}

// ImageName returns the repository of ref in its familiar form
// (golang, prom/prometheus), or "" if ref does not parse.
func ImageName(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	return reference.FamiliarName(named)
}

// isVersion reports whether tag starts with [v]MAJOR.MINOR.
func isVersion(tag string) bool {
	tag = strings.TrimPrefix(tag, "v")
	major, rest, ok := strings.Cut(tag, ".")
	if !ok || !allDigits(major) {
		return false
	}
	minor := rest
	if i := strings.IndexAny(rest, ".-_+"); i >= 0 {
		minor = rest[:i]
	}
	return allDigits(minor)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
