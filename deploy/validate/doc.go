// Package validate checks the deployment files — Dockerfile,
// .dockerignore, docker-compose.yml and deploy/k8s — with the parsers the
// real tools use, on machines without a Docker engine or a cluster:
//
//   - compose-go, the library docker compose is built on, loads and
//     validates docker-compose.yml (schema, interpolation, profiles,
//     depends_on consistency);
//   - BuildKit's Dockerfile parser reads the Dockerfile, with its build
//     checks on, and moby's patternmatcher reads .dockerignore;
//   - the Kubernetes manifests are decoded strictly (unknown or duplicate
//     fields fail) into the k8s.io/api types.
//
// On top of parsing, the checks hold the files to the rules of the
// project: pinned images, healthchecks, non-root users, probes on the
// daemons' ports, and environment variables that the daemons read. The
// daemons' own configuration loaders (internal/config) decide which
// variables those are, so the list cannot drift.
//
// The package lives in a module of its own (deploy/validate) so that its
// large dependency trees stay out of the daemons' go.mod. It reaches the
// daemons' packages through a replace directive, so when internal/config
// or internal/kafka start importing a new module, run `go mod tidy` here
// too. `make test-deploy` runs its tests.
package validate
