package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// kubeDefaultGrace is terminationGracePeriodSeconds when a pod sets none.
const kubeDefaultGrace = 30 * time.Second

// Kustomization is the part of kustomization.yaml that deploy/k8s uses.
// It is decoded strictly too, so a field outside this subset fails: add
// it here when the kustomization starts to use it.
type Kustomization struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Namespace  string            `json:"namespace,omitempty"`
	Labels     []KustomizeLabels `json:"labels,omitempty"`
	Resources  []string          `json:"resources"`
	Images     []KustomizeImage  `json:"images,omitempty"`
}

// KustomizeLabels is an entry of a kustomization's labels.
type KustomizeLabels struct {
	Pairs            map[string]string `json:"pairs"`
	IncludeSelectors bool              `json:"includeSelectors,omitempty"`
	IncludeTemplates bool              `json:"includeTemplates,omitempty"`
}

// KustomizeImage is an entry of a kustomization's images: it rewrites
// every container image named Name.
type KustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName,omitempty"`
	NewTag  string `json:"newTag,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// Manifests are the objects of a kustomization directory, decoded.
type Manifests struct {
	Kustomization Kustomization
	// Unlisted are the YAML files of the directory that the kustomization
	// does not list, so `kubectl apply -k` would skip them.
	Unlisted    []string
	Namespaces  []*corev1.Namespace
	ConfigMaps  map[string]*corev1.ConfigMap
	Secrets     map[string]*corev1.Secret
	Deployments []*appsv1.Deployment
	Services    []*corev1.Service
	HPAs        []*autoscalingv2.HorizontalPodAutoscaler

	secretDir string // CheckManifests' copies of mounted Secret files
}

// LoadManifests reads dir/kustomization.yaml and decodes every resource it
// lists, strictly: an unknown or duplicated field is an error, as it is
// for `kubectl apply --validate=strict`. Resources must be files of dir.
func LoadManifests(dir string) (Manifests, error) {
	m := Manifests{ConfigMaps: map[string]*corev1.ConfigMap{}, Secrets: map[string]*corev1.Secret{}}
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return m, err
	}
	if err := yaml.UnmarshalStrict(raw, &m.Kustomization); err != nil {
		return m, fmt.Errorf("kustomization.yaml: %w", err)
	}
	k := m.Kustomization
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		return m, fmt.Errorf("kustomization.yaml: %s %s: want kustomize.config.k8s.io/v1beta1 Kustomization", k.APIVersion, k.Kind)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(scheme); err != nil {
			return m, err
		}
	}
	codec := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme,
		kjson.SerializerOptions{Yaml: true, Strict: true})
	for _, res := range k.Resources {
		if err := m.decodeFile(codec, filepath.Join(dir, filepath.FromSlash(res))); err != nil {
			return m, fmt.Errorf("%s: %w", res, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return m, err
	}
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.IsDir() || (ext != ".yaml" && ext != ".yml") || name == "kustomization.yaml" {
			continue
		}
		if !slices.Contains(k.Resources, name) {
			m.Unlisted = append(m.Unlisted, name)
		}
	}
	return m, nil
}

func (m *Manifests) decodeFile(codec runtime.Decoder, file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	docs := kyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for i := 0; ; i++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, gvk, err := codec.Decode(doc, nil, nil)
		if err != nil {
			return fmt.Errorf("document %d: %w", i, err)
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			m.Namespaces = append(m.Namespaces, o)
		case *corev1.ConfigMap:
			m.ConfigMaps[o.Name] = o
		case *corev1.Secret:
			m.Secrets[o.Name] = o
		case *appsv1.Deployment:
			m.Deployments = append(m.Deployments, o)
		case *corev1.Service:
			m.Services = append(m.Services, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			m.HPAs = append(m.HPAs, o)
		default:
			return fmt.Errorf("document %d: %s is not checked: add it to validate.Manifests", i, gvk)
		}
	}
}

func stripComments(doc []byte) []byte {
	var out []byte
	for line := range bytes.Lines(doc) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line...)
		}
	}
	return out
}

// CheckManifests returns every rule the manifests break; img is what the
// Dockerfile builds and partitions the partition count of the input topic.
//
//   - Every YAML file is listed in the kustomization; the namespace it sets
//     is created by one of them.
//   - A container runs a daemon from the image; the image, after the
//     kustomization's images, is pinned.
//   - Its environment (env, envFrom ConfigMaps, Secret keys) sets only
//     variables it reads (ConfigMaps: that some daemon reads) and loads
//     without error; a *_FILE variable names a file mounted from a Secret.
//   - Liveness probes GET /healthz and readiness probes /readyz on
//     METRICS_PORT, which is also a declared container port.
//   - The pod runs as non-root; the container has a read-only root file
//     system, no privilege escalation, and CPU and memory requests and
//     limits; terminationGracePeriodSeconds exceeds SHUTDOWN_TIMEOUT.
//   - Services select a Deployment, target its ports, and carry the
//     prometheus.io scrape annotations for its METRICS_PORT.
//   - An HPA targets a Deployment that sets no replicas of its own, with
//     maxReplicas at most partitions.
func CheckManifests(m Manifests, img Image, partitions int) []error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	dir, err := os.MkdirTemp("", "validate-secrets-")
	if err != nil {
		return []error{err}
	}
	defer os.RemoveAll(dir)
	m.secretDir = dir

	for _, f := range m.Unlisted {
		add("%s is not listed in kustomization.yaml resources", f)
	}
	if ns := m.Kustomization.Namespace; ns != "" && !slices.ContainsFunc(m.Namespaces, func(n *corev1.Namespace) bool { return n.Name == ns }) {
		add("kustomization namespace %s: no Namespace resource creates it", ns)
	}
	scaled := map[string]bool{}
	for _, h := range m.HPAs {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || m.deployment(ref.Name) == nil {
			add("HorizontalPodAutoscaler %s: scaleTargetRef %s %s %s is not a Deployment here", h.Name, ref.APIVersion, ref.Kind, ref.Name)
		}
		scaled[ref.Name] = true
		if h.Spec.MaxReplicas > int32(partitions) {
			add("HorizontalPodAutoscaler %s: maxReplicas %d exceeds the %d partitions; the extra members would sit idle", h.Name, h.Spec.MaxReplicas, partitions)
		}
		if h.Spec.MinReplicas != nil && (*h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas) {
			add("HorizontalPodAutoscaler %s: minReplicas %d: want 1 to maxReplicas", h.Name, *h.Spec.MinReplicas)
		}
	}
	metricsPorts := map[string]int{} // Deployment name to METRICS_PORT
	for _, d := range m.Deployments {
		if scaled[d.Name] && d.Spec.Replicas != nil {
			add("Deployment %s: sets replicas, but an HPA owns them: every apply would undo its scaling", d.Name)
		}
		port, ps := m.checkPod(d, img)
		problems = append(problems, ps...)
		metricsPorts[d.Name] = port
	}
	for _, s := range m.Services {
		problems = append(problems, m.checkService(s, metricsPorts)...)
	}
	return problems
}

func (m Manifests) deployment(name string) *appsv1.Deployment {
	for _, d := range m.Deployments {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// checkPod checks a Deployment's pod and returns its daemon's METRICS_PORT.
func (m Manifests) checkPod(d *appsv1.Deployment, img Image) (int, []error) {
	var problems []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("Deployment %s: "+format, append([]any{d.Name}, args...)...))
	}
	pod := d.Spec.Template.Spec
	selector, err := metaSelector(d)
	if err != nil || !selector.Matches(labels.Set(d.Spec.Template.Labels)) {
		add("selector does not match the pod template's labels")
	}
	grace := kubeDefaultGrace
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	podNonRoot := pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot
	metricsPort := 0
	if len(pod.Containers) != 1 {
		add("%d containers: want one, the daemon", len(pod.Containers))
	}
	for _, c := range pod.Containers {
		b, ok := BinaryFor(c.Command)
		if !ok {
			add("container %s: command %q runs none of the daemons", c.Name, c.Command)
			continue
		}
		if !img.Files[c.Command[0]] {
			add("container %s: the image has no %s", c.Name, c.Command[0])
		}
		if err := Pinned(m.effectiveImage(c.Image)); err != nil {
			add("container %s: %v", c.Name, err)
		}
		env, ps := m.containerEnv(d.Name, pod, c, b)
		problems = append(problems, ps...)
		res := b.LoadEnv(env.values)
		var unknown []string
		for _, name := range res.Unknown {
			if env.fromEnv[name] {
				unknown = append(unknown, name)
			}
		}
		if len(unknown) > 0 {
			add("container %s: %s does not read %v", c.Name, b.Name, unknown)
		}
		if res.Err != nil {
			add("container %s: %s rejects its environment: %v", c.Name, b.Name, res.Err)
			continue
		}
		metricsPort = res.Settings.MetricsPort
		if grace <= res.Settings.ShutdownTimeout {
			add("terminationGracePeriodSeconds %s: want more than SHUTDOWN_TIMEOUT (%s)", grace, res.Settings.ShutdownTimeout)
		}
		if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return int(p.ContainerPort) == metricsPort }) {
			add("container %s: no container port %d (METRICS_PORT)", c.Name, metricsPort)
		}
		for _, probe := range []struct {
			kind  string
			probe *corev1.Probe
			path  string
		}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
			switch {
			case probe.probe == nil || probe.probe.HTTPGet == nil:
				add("container %s: no HTTP %s probe", c.Name, probe.kind)
			case probe.probe.HTTPGet.Path != probe.path:
				add("container %s: %s probe GETs %s: want %s", c.Name, probe.kind, probe.probe.HTTPGet.Path, probe.path)
			case containerPort(c, probe.probe.HTTPGet.Port) != metricsPort:
				add("container %s: %s probe on port %s: want METRICS_PORT %d", c.Name, probe.kind, probe.probe.HTTPGet.Port.String(), metricsPort)
			}
		}
		sc := c.SecurityContext
		nonRoot := podNonRoot || (sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot)
		if !nonRoot {
			add("container %s: runAsNonRoot is not true", c.Name)
		}
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			add("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			add("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		for _, r := range []struct {
			kind string
			list corev1.ResourceList
		}{{"requests", c.Resources.Requests}, {"limits", c.Resources.Limits}} {
			for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := r.list[name]; !ok || q.IsZero() {
					add("container %s: no %s %s", c.Name, name, r.kind)
				}
			}
		}
	}
	return metricsPort, problems
}

func metaSelector(d *appsv1.Deployment) (labels.Selector, error) {
	if d.Spec.Selector == nil {
		return nil, errors.New("no selector")
	}
	return labels.ValidatedSelectorFromSet(d.Spec.Selector.MatchLabels)
}

// effectiveImage applies the kustomization's images to a container image.
func (m Manifests) effectiveImage(image string) string {
	name, tag, _ := strings.Cut(image, ":")
	for _, ki := range m.Kustomization.Images {
		if ki.Name != name {
			continue
		}
		if ki.NewName != "" {
			name = ki.NewName
		}
		if ki.NewTag != "" {
			tag = ki.NewTag
		}
		if ki.Digest != "" {
			return name + "@" + ki.Digest
		}
	}
	if tag == "" {
		return name
	}
	return name + ":" + tag
}

// containerPort resolves a probe or Service port (a number or a port
// name) to a container port number, or 0.
func containerPort(c corev1.Container, port intstr.IntOrString) int {
	if port.Type == intstr.Int {
		return port.IntValue()
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort)
		}
	}
	return 0
}

type containerEnvironment struct {
	values  map[string]string
	fromEnv map[string]bool // set by the container's env, not envFrom
}

// containerEnv resolves what a container's environment would hold, with
// values from the manifests' ConfigMaps and Secrets. A *_FILE variable
// that names a file mounted from a Secret is pointed at a temporary copy
// of that Secret value, so that the loader can read it here.
func (m Manifests) containerEnv(deployment string, pod corev1.PodSpec, c corev1.Container, b Binary) (containerEnvironment, []error) {
	env := containerEnvironment{values: map[string]string{}, fromEnv: map[string]bool{}}
	var problems []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("Deployment %s: container %s: "+format, append([]any{deployment, c.Name}, args...)...))
	}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := m.ConfigMaps[from.ConfigMapRef.Name]
			if cm == nil {
				add("envFrom ConfigMap %s is not in the manifests", from.ConfigMapRef.Name)
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
				if !anyDaemonReads(k) {
					add("ConfigMap %s sets %s, which no daemon reads", cm.Name, k)
				}
				env.values[from.Prefix+k] = cm.Data[k]
			}
		default:
			add("envFrom other than a ConfigMap is not checked")
		}
	}
	for _, e := range c.Env {
		env.fromEnv[e.Name] = true
		switch {
		case e.ValueFrom == nil:
			env.values[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			v, err := m.secretValue(e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			if err != nil {
				add("%s: %v", e.Name, err)
			}
			env.values[e.Name] = v
		case e.ValueFrom.ConfigMapKeyRef != nil:
			cm := m.ConfigMaps[e.ValueFrom.ConfigMapKeyRef.Name]
			v, ok := "", false
			if cm != nil {
				v, ok = cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]
			}
			if !ok {
				add("%s: ConfigMap %s has no key %s", e.Name, e.ValueFrom.ConfigMapKeyRef.Name, e.ValueFrom.ConfigMapKeyRef.Key)
			}
			env.values[e.Name] = v
		default:
			env.values[e.Name] = ""
		}
	}
	for _, name := range slices.Sorted(maps.Keys(env.values)) {
		if !strings.HasSuffix(name, "_FILE") || env.values[name] == "" || !b.Reads(name) {
			continue
		}
		local, err := m.mountedSecretFile(pod, c, env.values[name])
		if err != nil {
			add("%s=%s: %v", name, env.values[name], err)
			continue
		}
		env.values[name] = local
	}
	return env, problems
}

func anyDaemonReads(name string) bool {
	for _, b := range Binaries {
		if b.Reads(name) {
			return true
		}
	}
	return false
}

func (m Manifests) secretValue(name, key string) (string, error) {
	s := m.Secrets[name]
	if s == nil {
		return "", fmt.Errorf("no Secret %s in the manifests", name)
	}
	if v, ok := s.StringData[key]; ok {
		return v, nil
	}
	if v, ok := s.Data[key]; ok {
		return string(v), nil
	}
	return "", fmt.Errorf("no key %s in Secret %s", key, name)
}

// mountedSecretFile checks that file is a key of a Secret mounted into the
// container and returns a temporary file holding the key's value.
func (m Manifests) mountedSecretFile(pod corev1.PodSpec, c corev1.Container, file string) (string, error) {
	for _, mount := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path.Clean(file), strings.TrimSuffix(mount.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != mount.Name || v.Secret == nil {
				continue
			}
			key := rel
			if len(v.Secret.Items) > 0 {
				key = ""
				for _, item := range v.Secret.Items {
					if item.Path == rel {
						key = item.Key
					}
				}
				if key == "" {
					return "", fmt.Errorf("volume %s projects no item to %s", v.Name, rel)
				}
			}
			value, err := m.secretValue(v.Secret.SecretName, key)
			if err != nil {
				return "", err
			}
			f, err := os.CreateTemp(m.secretDir, "secret-")
			if err != nil {
				return "", err
			}
			defer f.Close()
			if _, err := f.WriteString(value); err != nil {
				return "", err
			}
			return f.Name(), nil
		}
		return "", fmt.Errorf("mount %s is not a Secret volume", mount.Name)
	}
	return "", errors.New("no volume of the container is mounted there")
}

func (m Manifests) checkService(s *corev1.Service, metricsPorts map[string]int) []error {
	var problems []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("Service %s: "+format, append([]any{s.Name}, args...)...))
	}
	var target *appsv1.Deployment
	for _, d := range m.Deployments {
		if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			if target != nil {
				add("selects the pods of more than one Deployment")
			}
			target = d
		}
	}
	if target == nil {
		add("selects no Deployment's pods")
		return problems
	}
	containers := target.Spec.Template.Spec.Containers
	if len(containers) == 0 {
		return problems // reported with the Deployment
	}
	c := containers[0]
	for _, p := range s.Spec.Ports {
		tp := p.TargetPort
		if tp.Type == intstr.Int && tp.IntValue() == 0 {
			tp = intstr.FromInt32(p.Port)
		}
		if containerPort(c, tp) == 0 {
			add("port %s targets %s, which container %s does not declare", p.Name, tp.String(), c.Name)
		}
	}
	want := map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(metricsPorts[target.Name]),
		"prometheus.io/path":   "/metrics",
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got := s.Annotations[k]; got != want[k] {
			add("annotation %s is %q: want %q", k, got, want[k])
		}
	}
	return problems
}
