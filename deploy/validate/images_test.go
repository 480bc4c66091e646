package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPinned(t *testing.T) {
	tests := []struct {
		ref  string
		want bool
	}{
		{"apache/kafka:4.2.0", true},
		{"prom/prometheus:v3.9.1", true},
		{"golang:1.26.8-bookworm", true},
		{"golang:1.26", true},
		{"golang@sha256:" + sha, true},
		{"golang:1", false},
		{"golang", false},
		{"golang:latest", false},
		{"nginx:stable", false},
		{"gcr.io/distroless/static-debian12:nonroot", false},
		{"Not A Ref", false},
	}
	for _, tt := range tests {
		err := Pinned(tt.ref)
		assert.Equal(t, tt.want, err == nil, "%s: %v", tt.ref, err)
	}
}

func TestTagged(t *testing.T) {
	assert.NoError(t, Tagged("ticket-processor:dev"))
	assert.Error(t, Tagged("ticket-processor"))
	assert.Error(t, Tagged("ticket-processor:latest"))
}

const sha = "4f3f4d2a2cbd5e8a1b6f2e0d5c1b9a8e7f6d5c4b3a29180706f5e4d3c2b1a098"
