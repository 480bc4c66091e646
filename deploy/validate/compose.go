package validate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"sigs.k8s.io/yaml"
)

// composeDefaultStopGrace is how long docker compose waits after SIGTERM
// when a service sets no stop_grace_period.
const composeDefaultStopGrace = 10 * time.Second

// LoadCompose loads a compose file with compose-go, as docker compose
// does: schema validation, interpolation, profiles, and the consistency
// checks (depends_on, volumes, networks). Interpolation sees env only, not
// the caller's environment. A warning compose-go logs, or a top-level
// `version` key (obsolete), is an error too.
func LoadCompose(ctx context.Context, file string, env map[string]string, profiles ...string) (*types.Project, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var top map[string]any
	if err := yaml.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if _, ok := top["version"]; ok {
		return nil, fmt.Errorf("%s: the top-level version key is obsolete: remove it", file)
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(file),
		ConfigFiles: []types.ConfigFile{{Filename: file, Content: raw}},
		Environment: env,
	}
	var project *types.Project
	warnings := captureWarnings(func() {
		project, err = loader.LoadWithContext(ctx, details, func(o *loader.Options) {
			o.SetProjectName(loader.NormalizeProjectName(filepath.Base(filepath.Dir(file))), false)
			o.Profiles = profiles
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(warnings) > 0 {
		return nil, fmt.Errorf("%s: compose-go warns: %w", file, errors.Join(warnings...))
	}
	return project, nil
}

// logrusMu serialises captureWarnings: compose-go logs through the global
// logrus logger.
var logrusMu sync.Mutex

type warningHook struct{ warnings []error }

func (h *warningHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (h *warningHook) Fire(e *logrus.Entry) error {
	h.warnings = append(h.warnings, errors.New(e.Message))
	return nil
}

// captureWarnings runs fn and returns what it logged to logrus at warning
// level or above.
func captureWarnings(fn func()) []error {
	logrusMu.Lock()
	defer logrusMu.Unlock()
	hook := &warningHook{}
	std := logrus.StandardLogger()
	old := std.ReplaceHooks(logrus.LevelHooks{})
	std.AddHook(hook)
	defer std.ReplaceHooks(old)
	fn()
	return hook.warnings
}

// CheckCompose returns every rule the loaded project breaks; img is what
// the Dockerfile builds for the services that build it.
//
//   - A long-running service has a healthcheck. A service is one-shot when
//     another waits for it with service_completed_successfully.
//   - An image that is pulled is pinned (see Pinned); one that is built
//     is tagged, but not latest, and its build args are declared ARGs.
//   - depends_on waits for service_healthy (of a service with a
//     healthcheck) or service_completed_successfully, never just a start.
//   - A service built here runs one of the daemons from the image.
//   - A daemon's environment sets only variables it reads and loads
//     without error; its brokers are services of the project.
//   - A daemon's healthcheck runs its own `healthcheck` subcommand with
//     CMD (the image has no shell); stop_grace_period exceeds its
//     SHUTDOWN_TIMEOUT; the ports it publishes are its METRICS_PORT.
//   - A daemon that scales (the consumer) has no fixed host port and no
//     container_name, so `--scale` cannot clash.
func CheckCompose(p *types.Project, img Image) []error {
	var problems []error
	add := func(service string, format string, args ...any) {
		problems = append(problems, fmt.Errorf("service %s: "+format, append([]any{service}, args...)...))
	}
	oneShot := map[string]bool{}
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				oneShot[dep] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		if !oneShot[name] && !hasHealthcheck(s) {
			add(name, "no healthcheck: every long-running service needs one")
		}
		if s.Build != nil {
			if err := Tagged(s.Image); err != nil {
				add(name, "%v", err)
			}
			for _, arg := range slices.Sorted(maps.Keys(s.Build.Args)) {
				if !img.Args[arg] {
					add(name, "build arg %s is not an ARG of the Dockerfile", arg)
				}
			}
		} else if err := Pinned(s.Image); err != nil {
			add(name, "%v", err)
		}
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			d := s.DependsOn[dep]
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if target, ok := p.Services[dep]; ok && !hasHealthcheck(target) {
					add(name, "waits for %s to be healthy, but %s has no healthcheck", dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
			default:
				add(name, "depends_on %s with condition %q: want service_healthy or service_completed_successfully", dep, d.Condition)
			}
		}
		b, isDaemon := BinaryFor(s.Command)
		if s.Build != nil && !isDaemon {
			add(name, "command %q runs none of the daemons %v", []string(s.Command), slices.Sorted(maps.Keys(Binaries)))
		}
		if !isDaemon {
			continue
		}
		if s.Build != nil && !img.Files[s.Command[0]] {
			add(name, "the image has no %s", s.Command[0])
		}
		problems = append(problems, checkComposeDaemon(p, s, b)...)
	}
	return problems
}

func checkComposeDaemon(p *types.Project, s types.ServiceConfig, b Binary) []error {
	var problems []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("service %s: "+format, append([]any{s.Name}, args...)...))
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		} else {
			env[k] = ""
		}
	}
	res := b.LoadEnv(env)
	if len(res.Unknown) > 0 {
		add("%s does not read %v (see `%s -h`)", b.Name, res.Unknown, b.Name)
	}
	if res.Err != nil {
		add("%s rejects its environment: %v", b.Name, res.Err)
		return problems
	}
	for _, broker := range res.Settings.Brokers {
		host, _, _ := net.SplitHostPort(broker)
		if _, ok := p.Services[host]; !ok {
			add("broker %s is not a service of the project", broker)
		}
	}
	hc := s.HealthCheck
	if hc != nil && (len(hc.Test) < 3 || hc.Test[0] != "CMD" || hc.Test[1] != s.Command[0] || hc.Test[2] != "healthcheck") {
		add("healthcheck %q: want [CMD %s healthcheck ...]; the image has no shell", []string(hc.Test), s.Command[0])
	}
	grace := composeDefaultStopGrace
	if s.StopGracePeriod != nil {
		grace = time.Duration(*s.StopGracePeriod)
	}
	if grace <= res.Settings.ShutdownTimeout {
		add("stop_grace_period %s: want more than SHUTDOWN_TIMEOUT (%s), or the drain is killed", grace, res.Settings.ShutdownTimeout)
	}
	for _, port := range s.Ports {
		if int(port.Target) != res.Settings.MetricsPort {
			add("publishes container port %d; %s listens on METRICS_PORT %d", port.Target, b.Name, res.Settings.MetricsPort)
		}
		if b.Scales && port.Published != "" {
			add("publishes fixed host port %s: replicas under --scale would clash; publish the container port only", port.Published)
		}
	}
	if b.Scales && s.ContainerName != "" {
		add("container_name %q: replicas under --scale need generated names", s.ContainerName)
	}
	return problems
}

func hasHealthcheck(s types.ServiceConfig) bool {
	hc := s.HealthCheck
	return hc != nil && !hc.Disable && len(hc.Test) > 0 && hc.Test[0] != "NONE"
}

// HostPortClashes returns a problem for every host port that two
// containers would publish at once when each service runs as many
// replicas as scale says (one when it does not say), as
// `docker compose up --scale` would run them. A port published without a
// host port gets a free one from Docker and cannot clash.
func HostPortClashes(p *types.Project, scale map[string]int) []error {
	type hostPort struct{ ip, port, protocol string }
	owners := map[hostPort][]string{}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		replicas := max(scale[name], 1)
		for _, port := range p.Services[name].Ports {
			if port.Published == "" {
				continue
			}
			ip := port.HostIP
			if ip == "" {
				ip = "0.0.0.0"
			}
			protocol := port.Protocol
			if protocol == "" {
				protocol = "tcp"
			}
			key := hostPort{ip, port.Published, protocol}
			for i := 1; i <= replicas; i++ {
				owners[key] = append(owners[key], fmt.Sprintf("%s-%d", name, i))
			}
		}
	}
	var problems []error
	for _, key := range slices.SortedFunc(maps.Keys(owners), func(a, b hostPort) int {
		return strings.Compare(a.ip+":"+a.port+"/"+a.protocol, b.ip+":"+b.port+"/"+b.protocol)
	}) {
		if len(owners[key]) > 1 {
			problems = append(problems, fmt.Errorf("host port %s:%s/%s is published by %v", key.ip, key.port, key.protocol, owners[key]))
		}
	}
	return problems
}
