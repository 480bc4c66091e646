// Command gen writes the Grafana dashboards defined in package dashboards
// to their JSON files in the current folder; `go generate ./dashboards`
// runs it there.
package main

import (
	"fmt"
	"os"

	"ticket-processor/dashboards"
)

func main() {
	for _, d := range dashboards.All() {
		b, err := d.JSON()
		if err == nil {
			err = os.WriteFile(d.File, b, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gen: %s: %v\n", d.File, err)
			os.Exit(1)
		}
	}
}
