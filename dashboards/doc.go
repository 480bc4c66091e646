// Package dashboards defines the Grafana dashboards of the pipeline as Go
// values and renders them to kafka-overview.json and kafka-metrics.json,
// which Grafana loads through grafana-provisioning/dashboards/kafka.yml.
//
// The JSON files are generated; edit overview.go or metrics.go, then run
// `go generate ./dashboards`. A test fails while the committed JSON differs
// from what the definitions render, and the Prometheus integration test
// runs every query of the committed JSON against a real Prometheus.
package dashboards

//go:generate go run ./gen
