package dashboards

import (
	"bytes"
	"encoding/json"
)

// DatasourceUID is the uid of the Prometheus datasource that
// grafana-provisioning/datasources/prometheus.yml provisions; every panel
// and variable names it, so the dashboards need no datasource picker.
const DatasourceUID = "prometheus"

// Dashboard is one Grafana dashboard: its panels in rows, under the job,
// instance and topic variables every dashboard has.
type Dashboard struct {
	// File is the name of the generated JSON file in this folder.
	File string
	// UID is the dashboard's stable id in Grafana's URLs.
	UID         string
	Title       string
	Description string
	Rows        []Row
}

// Row is a group of panels; a row with an empty title is laid out without
// a row header.
type Row struct {
	Title  string
	Panels []Panel
}

// Panel is one graph. Panels are placed left to right, two to a line
// unless Width says otherwise.
type Panel struct {
	Title       string
	Description string
	// Unit is a Grafana unit id, such as "s", "bytes", "mps" (messages per
	// second) or "percentunit"; see units in dashboards_test.go.
	Unit string
	// Stat shows the last value of each series in large type instead of a
	// graph.
	Stat bool
	// Width in grid columns out of 24 (default 12).
	Width   int
	Queries []Query
}

// Query is one PromQL expression of a panel and the legend of its series,
// in Grafana's {{label}} template syntax.
type Query struct {
	Expr   string
	Legend string
}

const (
	gridWidth   = 24
	panelHeight = 8
)

// JSON renders d as Grafana's dashboard JSON, indented, with a final
// newline.
func (d Dashboard) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep PromQL's < and > readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(d.model()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// The types below are the subset of Grafana's dashboard JSON model that
// the dashboards use.

type dashboardJSON struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	Description   string         `json:"description"`
	Tags          []string       `json:"tags"`
	Editable      bool           `json:"editable"`
	GraphTooltip  int            `json:"graphTooltip"`
	Refresh       string         `json:"refresh"`
	SchemaVersion int            `json:"schemaVersion"`
	Time          timeRange      `json:"time"`
	Timezone      string         `json:"timezone"`
	Links         []linkJSON     `json:"links"`
	Templating    templatingJSON `json:"templating"`
	Panels        []panelJSON    `json:"panels"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type linkJSON struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"`
	Tags        []string `json:"tags"`
	AsDropdown  bool     `json:"asDropdown"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
}

type datasourceJSON struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type templatingJSON struct {
	List []variableJSON `json:"list"`
}

type variableJSON struct {
	Name       string         `json:"name"`
	Label      string         `json:"label"`
	Type       string         `json:"type"`
	Datasource datasourceJSON `json:"datasource"`
	Query      string         `json:"query"`
	Definition string         `json:"definition"`
	Refresh    int            `json:"refresh"`
	Multi      bool           `json:"multi"`
	IncludeAll bool           `json:"includeAll"`
	AllValue   string         `json:"allValue"`
	Sort       int            `json:"sort"`
	Current    currentJSON    `json:"current"`
}

type currentJSON struct {
	Text  []string `json:"text"`
	Value []string `json:"value"`
}

type panelJSON struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	GridPos     gridPos         `json:"gridPos"`
	Collapsed   *bool           `json:"collapsed,omitempty"`
	Datasource  *datasourceJSON `json:"datasource,omitempty"`
	FieldConfig *fieldConfig    `json:"fieldConfig,omitempty"`
	Options     any             `json:"options,omitempty"`
	Targets     []targetJSON    `json:"targets,omitempty"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type fieldConfig struct {
	Defaults  fieldDefaults `json:"defaults"`
	Overrides []any         `json:"overrides"`
}

type fieldDefaults struct {
	Unit string  `json:"unit"`
	Min  float64 `json:"min"`
}

type targetJSON struct {
	RefID        string         `json:"refId"`
	Datasource   datasourceJSON `json:"datasource"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	Range        bool           `json:"range"`
}

var prometheusDatasource = datasourceJSON{Type: "prometheus", UID: DatasourceUID}

// variables are the same on every dashboard: job and instance from the
// scrape targets, topic from the metrics that carry one.
var variables = []variableJSON{
	variable("job", "Job", `label_values(up, job)`),
	variable("instance", "Instance", `label_values(up{job=~"$job"}, instance)`),
	variable("topic", "Topic", `label_values({__name__=~"ticket_processor_(producer_produced|consumer_consumed|kafka_client_records_sent)_total", job=~"$job", instance=~"$instance"}, topic)`),
}

func variable(name, label, query string) variableJSON {
	return variableJSON{
		Name: name, Label: label, Type: "query", Datasource: prometheusDatasource,
		Query: query, Definition: query,
		Refresh:  2, // on time range change
		Multi:    true,
		AllValue: ".*", IncludeAll: true,
		Sort:    1, // alphabetical
		Current: currentJSON{Text: []string{"All"}, Value: []string{"$__all"}},
	}
}

func (d Dashboard) model() dashboardJSON {
	m := dashboardJSON{
		UID: d.UID, Title: d.Title, Description: d.Description,
		Tags:          []string{"ticket-processor", "kafka"},
		Editable:      true,
		GraphTooltip:  1, // shared crosshair
		Refresh:       "30s",
		SchemaVersion: 39,
		Time:          timeRange{From: "now-1h", To: "now"},
		Timezone:      "browser",
		Links: []linkJSON{{
			Title: "Ticket processor", Type: "dashboards", Tags: []string{"ticket-processor"},
			AsDropdown: true, IncludeVars: true, KeepTime: true,
		}},
		Templating: templatingJSON{List: variables},
	}
	id, x, y := 0, 0, 0
	for _, row := range d.Rows {
		if x > 0 {
			x, y = 0, y+panelHeight
		}
		if row.Title != "" {
			id++
			m.Panels = append(m.Panels, panelJSON{
				ID: id, Type: "row", Title: row.Title, Collapsed: new(bool),
				GridPos: gridPos{H: 1, W: gridWidth, X: 0, Y: y},
			})
			y++
		}
		for _, p := range row.Panels {
			w := p.Width
			if w == 0 {
				w = gridWidth / 2
			}
			if x+w > gridWidth {
				x, y = 0, y+panelHeight
			}
			id++
			m.Panels = append(m.Panels, p.model(id, gridPos{H: panelHeight, W: w, X: x, Y: y}))
			x += w
		}
	}
	return m
}

func (p Panel) model(id int, pos gridPos) panelJSON {
	m := panelJSON{
		ID: id, Type: "timeseries", Title: p.Title, Description: p.Description, GridPos: pos,
		Datasource:  &prometheusDatasource,
		FieldConfig: &fieldConfig{Defaults: fieldDefaults{Unit: p.Unit}, Overrides: []any{}},
		Options: map[string]any{
			"legend":  map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": true},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
		},
	}
	if p.Stat {
		m.Type = "stat"
		m.Options = map[string]any{
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
			"colorMode":     "value",
			"graphMode":     "area",
			"textMode":      "value_and_name",
		}
	}
	for i, q := range p.Queries {
		m.Targets = append(m.Targets, targetJSON{
			RefID: string(rune('A' + i)), Datasource: prometheusDatasource,
			Expr: q.Expr, LegendFormat: q.Legend, Range: true,
		})
	}
	return m
}

// All returns every dashboard.
func All() []Dashboard { return []Dashboard{Overview(), Metrics()} }
