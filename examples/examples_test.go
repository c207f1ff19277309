// Package examples_test checks the scheduling examples (Kubernetes,
// systemd, cron, Windows Task Scheduler) without the tools that would run
// them: the manifests are parsed strictly and the fields that decide
// whether a scheduled scan works are checked, and held consistent with
// each other, with winfleet's own --shard parser and with its command line
// (every winfleet invocation is parsed by the real CLI). (kubeconform needs
// JSON schemas from the internet, which CI cannot reach.)
package examples_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/winfleet/winfleet/cmd/winfleet/cli"
	"github.com/winfleet/winfleet/inventory"
)

// The Kubernetes types below are the subset of the API the examples use,
// with the API's field names. Documents are decoded strictly: a field
// that is not here (a typo such as "completionsMode", or a field in the
// wrong place) fails the test, as the API server would refuse it.

type objectMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type header struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

type configMap struct {
	header `yaml:",inline"`
	Data   map[string]string `yaml:"data"`
}

type secret struct {
	header     `yaml:",inline"`
	Type       string            `yaml:"type"`
	StringData map[string]string `yaml:"stringData"`
}

type pvc struct {
	header `yaml:",inline"`
	Spec   struct {
		AccessModes []string `yaml:"accessModes"`
		Resources   struct {
			Requests map[string]string `yaml:"requests"`
		} `yaml:"resources"`
	} `yaml:"spec"`
}

type job struct {
	header `yaml:",inline"`
	Spec   jobSpec `yaml:"spec"`
}

type cronJob struct {
	header `yaml:",inline"`
	Spec   struct {
		Schedule                   string `yaml:"schedule"`
		TimeZone                   string `yaml:"timeZone"`
		ConcurrencyPolicy          string `yaml:"concurrencyPolicy"`
		StartingDeadlineSeconds    *int   `yaml:"startingDeadlineSeconds"`
		SuccessfulJobsHistoryLimit *int   `yaml:"successfulJobsHistoryLimit"`
		FailedJobsHistoryLimit     *int   `yaml:"failedJobsHistoryLimit"`
		JobTemplate                struct {
			Spec jobSpec `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
}

type jobSpec struct {
	CompletionMode        string            `yaml:"completionMode"`
	Completions           *int              `yaml:"completions"`
	Parallelism           *int              `yaml:"parallelism"`
	BackoffLimit          *int              `yaml:"backoffLimit"`
	BackoffLimitPerIndex  *int              `yaml:"backoffLimitPerIndex"`
	ActiveDeadlineSeconds *int              `yaml:"activeDeadlineSeconds"`
	PodFailurePolicy      *podFailurePolicy `yaml:"podFailurePolicy"`
	Template              struct {
		Metadata objectMeta `yaml:"metadata"`
		Spec     podSpec    `yaml:"spec"`
	} `yaml:"template"`
}

type podFailurePolicy struct {
	Rules []struct {
		Action      string `yaml:"action"`
		OnExitCodes *struct {
			ContainerName string `yaml:"containerName"`
			Operator      string `yaml:"operator"`
			Values        []int  `yaml:"values"`
		} `yaml:"onExitCodes"`
		OnPodConditions []struct {
			Type   string `yaml:"type"`
			Status string `yaml:"status"`
		} `yaml:"onPodConditions"`
	} `yaml:"rules"`
}

type podSpec struct {
	RestartPolicy   string `yaml:"restartPolicy"`
	SecurityContext struct {
		RunAsNonRoot   *bool  `yaml:"runAsNonRoot"`
		RunAsUser      *int64 `yaml:"runAsUser"`
		RunAsGroup     *int64 `yaml:"runAsGroup"`
		FSGroup        *int64 `yaml:"fsGroup"`
		SeccompProfile *struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	} `yaml:"securityContext"`
	InitContainers []container `yaml:"initContainers"`
	Containers     []container `yaml:"containers"`
	Volumes        []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
		EmptyDir *struct{} `yaml:"emptyDir"`
	} `yaml:"volumes"`
}

type container struct {
	Name         string   `yaml:"name"`
	Image        string   `yaml:"image"`
	Command      []string `yaml:"command"`
	Args         []string `yaml:"args"`
	Env          []envVar `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
	SecurityContext *struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             *struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	Resources *struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
}

type envVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		FieldRef *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

// manifests is every object of examples/kubernetes, by kind and name.
type manifests struct {
	configMaps map[string]configMap
	secrets    map[string]secret
	pvcs       map[string]pvc
	jobs       map[string]job
	cronJobs   map[string]cronJob
}

func decodeStrict(t *testing.T, where string, doc *yaml.Node, into any) {
	t.Helper()
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
}

// addObject decodes doc strictly into a T and files it under name; a second
// object of the same kind and name fails the test.
func addObject[T any](t *testing.T, where string, doc *yaml.Node, into map[string]T, name string) {
	t.Helper()
	if _, ok := into[name]; ok {
		t.Fatalf("%s: defined twice", where)
	}
	var o T
	decodeStrict(t, where, doc, &o)
	into[name] = o
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{configMaps: map[string]configMap{}, secrets: map[string]secret{}, pvcs: map[string]pvc{},
		jobs: map[string]job{}, cronJobs: map[string]cronJob{}}
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in examples/kubernetes: %v", err)
	}
	apiVersion := map[string]string{"ConfigMap": "v1", "Secret": "v1", "PersistentVolumeClaim": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 1; ; i++ {
			var doc yaml.Node
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: document %d: %v", f, i, err)
			}
			var h header
			if err := doc.Decode(&h); err != nil {
				t.Fatalf("%s: document %d: %v", f, i, err)
			}
			where := f + ": " + h.Kind + " " + h.Metadata.Name
			if want, ok := apiVersion[h.Kind]; !ok || h.APIVersion != want || h.Metadata.Name == "" {
				t.Fatalf("%s: document %d: apiVersion %q kind %q name %q: want a known kind, its apiVersion and a name",
					f, i, h.APIVersion, h.Kind, h.Metadata.Name)
			}
			switch h.Kind {
			case "ConfigMap":
				addObject(t, where, &doc, m.configMaps, h.Metadata.Name)
			case "Secret":
				addObject(t, where, &doc, m.secrets, h.Metadata.Name)
			case "PersistentVolumeClaim":
				addObject(t, where, &doc, m.pvcs, h.Metadata.Name)
			case "Job":
				addObject(t, where, &doc, m.jobs, h.Metadata.Name)
			case "CronJob":
				addObject(t, where, &doc, m.cronJobs, h.Metadata.Name)
			}
		}
	}
	return m
}

// container returns the named container (or init container) of a pod.
func findContainer(t *testing.T, where string, ps podSpec, name string) container {
	t.Helper()
	for _, c := range append(slices.Clone(ps.InitContainers), ps.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("%s: no container %q", where, name)
	return container{}
}

// flagValue returns the value of --name=VALUE in args ("" if absent); the
// examples always use the = form, so a value is never the next argument.
func flagValues(args []string, name string) []string {
	var out []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// reportPaths returns the PATH of every --report=FORMAT=PATH.
func reportPaths(t *testing.T, where string, args []string) []string {
	t.Helper()
	var out []string
	for _, v := range flagValues(args, "report") {
		_, p, ok := strings.Cut(v, "=")
		if !ok || p == "" {
			t.Errorf("%s: --report=%s is not FORMAT=PATH", where, v)
			continue
		}
		out = append(out, p)
	}
	return out
}

var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// checkPod checks what every winfleet pod needs: restartPolicy Never, a
// non-root hardened context, every $(VAR) in args defined, secrets only
// from Secrets that exist, written paths on writable mounts of volumes
// that exist, read paths on mounts too.
func checkPod(t *testing.T, m manifests, where string, spec jobSpec) {
	t.Helper()
	ps := spec.Template.Spec
	if ps.RestartPolicy != "Never" {
		t.Errorf("%s: restartPolicy %q, want Never (podFailurePolicy needs it)", where, ps.RestartPolicy)
	}
	if sc := ps.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext must set runAsNonRoot and a non-root runAsUser", where)
	}
	volumes := map[string]int{}
	for i, v := range ps.Volumes {
		volumes[v.Name] = i
		switch {
		case v.PersistentVolumeClaim != nil:
			claim, ok := m.pvcs[v.PersistentVolumeClaim.ClaimName]
			if !ok {
				t.Errorf("%s: volume %s: no PersistentVolumeClaim %q in the examples", where, v.Name, v.PersistentVolumeClaim.ClaimName)
			} else if !slices.Contains(claim.Spec.AccessModes, "ReadWriteMany") {
				t.Errorf("%s: claim %s is not ReadWriteMany: shard pods on several nodes write to it", where, claim.Metadata.Name)
			}
		case v.ConfigMap != nil:
			if _, ok := m.configMaps[v.ConfigMap.Name]; !ok {
				t.Errorf("%s: volume %s: no ConfigMap %q in the examples", where, v.Name, v.ConfigMap.Name)
			}
		case v.EmptyDir != nil:
		default:
			t.Errorf("%s: volume %s of an unchecked type", where, v.Name)
		}
	}
	for _, c := range append(slices.Clone(ps.InitContainers), ps.Containers...) {
		cw := where + " container " + c.Name
		if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
			t.Errorf("%s: want allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop ALL", cw)
		}
		env := map[string]bool{"JOB_COMPLETION_INDEX": true} // set by the Job controller
		for _, e := range c.Env {
			if e.Name == "JOB_COMPLETION_INDEX" {
				t.Errorf("%s: sets JOB_COMPLETION_INDEX itself; the Job controller sets it", cw)
			}
			env[e.Name] = true
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				ref := e.ValueFrom.SecretKeyRef
				if s, ok := m.secrets[ref.Name]; !ok {
					t.Errorf("%s: env %s: no Secret %q", cw, e.Name, ref.Name)
				} else if _, ok := s.StringData[ref.Key]; !ok {
					t.Errorf("%s: env %s: Secret %q has no key %q", cw, e.Name, ref.Name, ref.Key)
				}
			}
			if e.Name == "JOB_NAME" && (e.ValueFrom == nil || e.ValueFrom.FieldRef == nil ||
				e.ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/job-name']") {
				t.Errorf("%s: JOB_NAME must come from the pod's batch.kubernetes.io/job-name label", cw)
			}
			if strings.Contains(strings.ToLower(e.Name), "password") && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
				t.Errorf("%s: env %s: a password must come from a Secret", cw, e.Name)
			}
		}
		for _, a := range c.Args {
			for _, ref := range envRef.FindAllStringSubmatch(a, -1) {
				if !env[ref[1]] {
					t.Errorf("%s: argument %q uses $(%s), which the container does not define", cw, a, ref[1])
				}
			}
			if strings.Contains(strings.ToLower(a), "password=") {
				t.Errorf("%s: a password on the command line: %q", cw, a)
			}
		}
		for _, vm := range c.VolumeMounts {
			if _, ok := volumes[vm.Name]; !ok {
				t.Errorf("%s: mounts volume %q, which the pod does not define", cw, vm.Name)
			}
		}
	}
}

// mountFor returns the mount of a container that holds path.
func mountFor(c container, p string) (name string, readOnly, ok bool) {
	for _, vm := range c.VolumeMounts {
		if p == vm.MountPath || strings.HasPrefix(p, strings.TrimSuffix(vm.MountPath, "/")+"/") {
			return vm.Name, vm.ReadOnly, true
		}
	}
	return "", false, false
}

func checkWritable(t *testing.T, where string, c container, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, ro, ok := mountFor(c, p); !ok || ro {
			t.Errorf("%s: %s is not on a writable volume mount (the root file system is read-only)", where, p)
		}
	}
}

// firstAction is the action of the first podFailurePolicy rule that
// matches a container's exit code (rules are evaluated in order).
func firstAction(p *podFailurePolicy, containerName string, code int) string {
	if p == nil {
		return ""
	}
	for _, r := range p.Rules {
		e := r.OnExitCodes
		if e == nil || (e.ContainerName != "" && e.ContainerName != containerName) {
			continue
		}
		if slices.Contains(e.Values, code) == (e.Operator == "In") {
			return r.Action
		}
	}
	return ""
}

func checkFailurePolicy(t *testing.T, where string, p *podFailurePolicy) {
	t.Helper()
	if p == nil {
		t.Fatalf("%s: no podFailurePolicy", where)
	}
	disruption := false
	for _, r := range p.Rules {
		if r.OnExitCodes != nil {
			if r.OnExitCodes.Operator != "In" && r.OnExitCodes.Operator != "NotIn" {
				t.Errorf("%s: onExitCodes operator %q", where, r.OnExitCodes.Operator)
			}
			if r.OnExitCodes.Operator == "In" && slices.Contains(r.OnExitCodes.Values, 0) {
				t.Errorf("%s: onExitCodes In with 0 (the API refuses it)", where)
			}
		}
		for _, c := range r.OnPodConditions {
			if c.Type == "DisruptionTarget" && r.Action == "Ignore" {
				disruption = true
			}
		}
	}
	if !disruption {
		t.Errorf("%s: no Ignore rule for DisruptionTarget: an evicted pod would count as a failure", where)
	}
}

// scanShards checks the sharded scan Job and returns its shard count.
func checkScanJob(t *testing.T, m manifests, where string, spec jobSpec) int {
	t.Helper()
	checkPod(t, m, where, spec)
	c := findContainer(t, where, spec.Template.Spec, "winfleet")
	if len(c.Args) == 0 || c.Args[0] != "scan" {
		t.Fatalf("%s: winfleet args %q, want scan ...", where, c.Args)
	}
	checkCLI(t, where, c.Args)
	if spec.CompletionMode != "Indexed" {
		t.Errorf("%s: completionMode %q, want Indexed (JOB_COMPLETION_INDEX)", where, spec.CompletionMode)
	}
	shards := flagValues(c.Args, "shard")
	if len(shards) != 1 {
		t.Fatalf("%s: --shard given %d times, want once", where, len(shards))
	}
	if spec.Completions == nil {
		t.Fatalf("%s: no completions", where)
	}
	n := *spec.Completions
	// Every pod index must parse to its own shard, with winfleet's parser;
	// an index past the end must not.
	seen := map[inventory.Shard]bool{}
	for idx := 0; idx <= n; idx++ {
		env := func(k string) (string, bool) {
			if k == inventory.JobIndexEnv {
				return strconv.Itoa(idx), true
			}
			return "", false
		}
		s, err := inventory.ParseShard(shards[0], env)
		if idx == n {
			if err == nil {
				t.Errorf("%s: --shard=%s accepts index %d: completions (%d) and the shard count differ", where, shards[0], idx, n)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: pod index %d: %v", where, idx, err)
			continue
		}
		if s.N != n || seen[s] {
			t.Errorf("%s: pod index %d gets shard %s; want one of %d distinct shards", where, idx, s, n)
		}
		seen[s] = true
	}
	if spec.Parallelism == nil || *spec.Parallelism < 1 || *spec.Parallelism > n {
		t.Errorf("%s: parallelism must be 1..completions", where)
	}
	if spec.BackoffLimitPerIndex == nil {
		t.Errorf("%s: no backoffLimitPerIndex: one crashing shard would use up the whole Job's retries, and FailIndex needs it", where)
	}
	checkFailurePolicy(t, where, spec.PodFailurePolicy)
	for _, code := range []int{2, 3} {
		if a := firstAction(spec.PodFailurePolicy, c.Name, code); a != "FailIndex" {
			t.Errorf("%s: exit code %d → %q, want FailIndex (no retry, the other shards go on)", where, code, a)
		}
	}
	if a := firstAction(spec.PodFailurePolicy, c.Name, 1); a != "FailJob" {
		t.Errorf("%s: exit code 1 → %q, want FailJob (fatal for every shard)", where, a)
	}
	reports := reportPaths(t, where, c.Args)
	if len(reports) == 0 {
		t.Fatalf("%s: no --report", where)
	}
	checkWritable(t, where, c, reports...)
	for _, p := range reports {
		if !strings.Contains(p, "$(JOB_COMPLETION_INDEX)") || !strings.Contains(p, "$(JOB_NAME)") {
			t.Errorf("%s: report %s must name the run ($(JOB_NAME)) and the shard ($(JOB_COMPLETION_INDEX))", where, p)
		}
	}
	for _, inv := range flagValues(c.Args, "inventory") {
		name, _, ok := mountFor(c, inv)
		if !ok {
			t.Errorf("%s: inventory %s is not on a volume mount", where, inv)
			continue
		}
		for _, v := range spec.Template.Spec.Volumes {
			if v.Name == name && v.ConfigMap != nil {
				if _, ok := m.configMaps[v.ConfigMap.Name].Data[path.Base(inv)]; !ok {
					t.Errorf("%s: ConfigMap %s has no key %s", where, v.ConfigMap.Name, path.Base(inv))
				}
			}
		}
	}
	return n
}

// waitScript is the merge's init container script and its environment.
func waitScript(t *testing.T, where string, spec jobSpec) (container, map[string]string) {
	t.Helper()
	c := findContainer(t, where, spec.Template.Spec, "wait-for-shards")
	if len(c.Command) != 2 || c.Command[1] != "-c" || len(c.Args) != 1 {
		t.Fatalf("%s: wait-for-shards: want command [sh, -c] and the script as the one argument", where)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return c, env
}

func checkMergeJob(t *testing.T, m manifests, where string, spec jobSpec, scan jobSpec, shards int) {
	t.Helper()
	checkPod(t, m, where, spec)
	c := findContainer(t, where, spec.Template.Spec, "winfleet")
	if len(c.Args) < 2 || c.Args[0] != "report" || c.Args[1] != "merge" {
		t.Fatalf("%s: winfleet args %q, want report merge ...", where, c.Args)
	}
	checkCLI(t, where, c.Args)
	var inputs []string
	for _, a := range c.Args[2:] {
		if !strings.HasPrefix(a, "-") {
			inputs = append(inputs, a)
		}
	}
	w, env := waitScript(t, where, spec)
	if got, _ := strconv.Atoi(env["SHARDS"]); got != shards {
		t.Errorf("%s: SHARDS=%q, the scan has %d shards", where, env["SHARDS"], shards)
	}
	var want []string
	for i := range shards {
		want = append(want, path.Join(env["WORK_DIR"], "shard-"+strconv.Itoa(i)+".json"))
	}
	if d := cmp.Diff(want, inputs); d != "" {
		t.Errorf("%s: merge inputs (-want +got):\n%s", where, d)
	}
	// The init container reads the scan's reports from the same volume at
	// the path the scan writes them, and hands them over on a shared
	// emptyDir.
	scanC := findContainer(t, where, scan.Template.Spec, "winfleet")
	scanReport := reportPaths(t, where, scanC.Args)[0]
	scanVol, _, _ := mountFor(scanC, scanReport)
	if want := env["REPORTS_DIR"] + "/$(JOB_NAME)-shard-$(JOB_COMPLETION_INDEX).json"; scanReport != want {
		t.Errorf("%s: the scan writes %s, the merge waits for REPORTS_DIR/<run>-shard-<i>.json = %s", where, scanReport, want)
	}
	claim := func(ps podSpec, vol string) string {
		for _, v := range ps.Volumes {
			if v.Name == vol && v.PersistentVolumeClaim != nil {
				return v.PersistentVolumeClaim.ClaimName
			}
		}
		return ""
	}
	waitVol, _, ok := mountFor(w, env["REPORTS_DIR"]+"/x")
	if !ok || claim(spec.Template.Spec, waitVol) == "" || claim(spec.Template.Spec, waitVol) != claim(scan.Template.Spec, scanVol) {
		t.Errorf("%s: REPORTS_DIR %s is not on the scan's reports claim", where, env["REPORTS_DIR"])
	}
	workW, roW, okW := mountFor(w, env["WORK_DIR"]+"/x")
	workC, _, okC := mountFor(c, inputs[0])
	if !okW || roW || !okC || workW != workC {
		t.Errorf("%s: WORK_DIR %s must be a volume writable by wait-for-shards and mounted in winfleet", where, env["WORK_DIR"])
	}
	checkWritable(t, where, c, reportPaths(t, where, c.Args)...)
	checkWritable(t, where, c, flagValues(c.Args, "history")...)

	checkFailurePolicy(t, where, spec.PodFailurePolicy)
	for _, code := range []int{1, 2, 3} {
		if a := firstAction(spec.PodFailurePolicy, c.Name, code); a != "FailJob" {
			t.Errorf("%s: exit code %d → %q, want FailJob (the verdict is final)", where, code, a)
		}
	}
	if a := firstAction(spec.PodFailurePolicy, w.Name, 1); a != "FailJob" {
		t.Errorf("%s: wait-for-shards exit 1 → %q, want FailJob (a retry would wait again)", where, a)
	}
}

func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t)
	scan, ok := m.jobs["winfleet-scan"]
	if !ok {
		t.Fatal("no Job winfleet-scan")
	}
	shards := checkScanJob(t, m, "scan-job.yaml", scan.Spec)
	merge, ok := m.jobs["winfleet-merge"]
	if !ok {
		t.Fatal("no Job winfleet-merge")
	}
	checkMergeJob(t, m, "merge-job.yaml", merge.Spec, scan.Spec, shards)
	if _, env := waitScript(t, "merge-job.yaml", merge.Spec); env["SCAN_JOB"] != scan.Metadata.Name {
		t.Errorf("merge-job.yaml: SCAN_JOB=%q, the scan Job is %q", env["SCAN_JOB"], scan.Metadata.Name)
	}

	scanCron, ok1 := m.cronJobs["winfleet-scan"]
	mergeCron, ok2 := m.cronJobs["winfleet-merge"]
	if !ok1 || !ok2 {
		t.Fatal("want CronJobs winfleet-scan and winfleet-merge")
	}
	for _, cj := range []cronJob{scanCron, mergeCron} {
		if cj.Spec.ConcurrencyPolicy != "Forbid" {
			t.Errorf("CronJob %s: concurrencyPolicy %q, want Forbid", cj.Metadata.Name, cj.Spec.ConcurrencyPolicy)
		}
	}
	// The merge finds the scan of the same scheduled time by job name:
	// the schedules, zones and deadlines must be equal.
	if scanCron.Spec.Schedule != mergeCron.Spec.Schedule || scanCron.Spec.TimeZone != mergeCron.Spec.TimeZone ||
		!cmp.Equal(scanCron.Spec.StartingDeadlineSeconds, mergeCron.Spec.StartingDeadlineSeconds) {
		t.Errorf("CronJobs: scan %q %q, merge %q %q: schedules, time zones and deadlines must be equal",
			scanCron.Spec.Schedule, scanCron.Spec.TimeZone, mergeCron.Spec.Schedule, mergeCron.Spec.TimeZone)
	}
	if d := cmp.Diff(scan.Spec, scanCron.Spec.JobTemplate.Spec); d != "" {
		t.Errorf("the scan CronJob's job differs from scan-job.yaml (-job +cronjob):\n%s", d)
	}
	// merge-job.yaml without SCAN_JOB is the merge CronJob's job.
	oneOff := merge.Spec
	oneOff.Template.Spec.InitContainers = slices.Clone(oneOff.Template.Spec.InitContainers)
	for i, c := range oneOff.Template.Spec.InitContainers {
		c.Env = slices.DeleteFunc(slices.Clone(c.Env), func(e envVar) bool { return e.Name == "SCAN_JOB" })
		oneOff.Template.Spec.InitContainers[i] = c
	}
	if d := cmp.Diff(oneOff, mergeCron.Spec.JobTemplate.Spec); d != "" {
		t.Errorf("the merge CronJob's job differs from merge-job.yaml without SCAN_JOB (-job +cronjob):\n%s", d)
	}
	checkMergeJob(t, m, "cronjob.yaml winfleet-merge", mergeCron.Spec.JobTemplate.Spec, scanCron.Spec.JobTemplate.Spec, shards)
	w, _ := waitScript(t, "cronjob.yaml", mergeCron.Spec.JobTemplate.Spec)
	if !strings.Contains(w.Args[0], `${SCAN_JOB:-`+scanCron.Metadata.Name+`-${JOB_NAME##*-}}`) {
		t.Errorf("cronjob.yaml: the merge must derive the scan job's name as %s-<scheduled minutes>", scanCron.Metadata.Name)
	}
}

// TestWaitForShardsScript runs the merge's init container script with sh
// against a directory of shard reports named as the scan writes them.
func TestWaitForShardsScript(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the script is for the busybox image")
	}
	m := loadManifests(t)
	cj := m.cronJobs["winfleet-merge"]
	w, env := waitScript(t, "cronjob.yaml", cj.Spec.JobTemplate.Spec)
	script := w.Args[0]
	run := func(t *testing.T, extra ...string) (string, error) {
		t.Helper()
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(os.Environ(), extra...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	setup := func(t *testing.T, present ...int) (reports, work string) {
		reports, work = t.TempDir(), t.TempDir()
		for _, i := range present {
			os.WriteFile(filepath.Join(reports, "winfleet-scan-29377860-shard-"+strconv.Itoa(i)+".json"), []byte(`{"shard": "`+strconv.Itoa(i+1)+`/3"}`), 0o644)
		}
		// another night's reports, never taken
		os.WriteFile(filepath.Join(reports, "winfleet-scan-29376420-shard-1.json"), []byte("old"), 0o644)
		return reports, work
	}
	t.Run("all shards", func(t *testing.T) {
		reports, work := setup(t, 0, 1, 2)
		out, err := run(t, "SHARDS="+env["SHARDS"], "WAIT_SECONDS=0", "REPORTS_DIR="+reports, "WORK_DIR="+work, "JOB_NAME=winfleet-merge-29377860")
		if err != nil {
			t.Fatalf("script: %v\n%s", err, out)
		}
		for i := range 3 {
			b, err := os.ReadFile(filepath.Join(work, "shard-"+strconv.Itoa(i)+".json"))
			if err != nil || !strings.Contains(string(b), strconv.Itoa(i+1)+"/3") {
				t.Errorf("shard-%d.json = %q, %v", i, b, err)
			}
		}
		if !strings.Contains(out, "3 shard reports of winfleet-scan-29377860") {
			t.Errorf("output %q", out)
		}
	})
	t.Run("a shard missing", func(t *testing.T) {
		reports, work := setup(t, 0, 2)
		out, err := run(t, "SHARDS=3", "WAIT_SECONDS=0", "REPORTS_DIR="+reports, "WORK_DIR="+work, "JOB_NAME=winfleet-merge-29377860")
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(out, "no report in "+reports+" for: winfleet-scan-29377860-shard-1.json") {
			t.Errorf("script = %v, %q; want exit 1 naming shard-1", err, out)
		}
		if des, _ := os.ReadDir(work); len(des) != 0 {
			t.Errorf("copied %d files with a shard missing", len(des))
		}
	})
	t.Run("one-off scan job", func(t *testing.T) {
		reports, work := t.TempDir(), t.TempDir()
		for i := range 3 {
			os.WriteFile(filepath.Join(reports, "winfleet-scan-shard-"+strconv.Itoa(i)+".json"), []byte("{}"), 0o644)
		}
		out, err := run(t, "SHARDS=3", "WAIT_SECONDS=0", "REPORTS_DIR="+reports, "WORK_DIR="+work, "JOB_NAME=winfleet-merge", "SCAN_JOB=winfleet-scan")
		if err != nil {
			t.Fatalf("script: %v\n%s", err, out)
		}
	})
}

// unit is a systemd unit file: section → key → values in order (a key
// may repeat).
type unit map[string]map[string][]string

func parseUnit(t *testing.T, file string) unit {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	u := unit{}
	section := ""
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";") {
			continue
		}
		if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") {
			section = l[1 : len(l)-1]
			u[section] = map[string][]string{}
			continue
		}
		for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
			i++
			l = strings.TrimSuffix(l, `\`) + " " + strings.TrimSpace(lines[i])
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok || section == "" {
			t.Fatalf("%s:%d: not KEY=VALUE in a section: %q", file, i+1, l)
		}
		u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
	}
	return u
}

func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	v := u[section][key]
	if len(v) != 1 {
		t.Errorf("[%s] %s: %d values, want 1", section, key, len(v))
		return ""
	}
	return v[0]
}

func TestSystemdUnits(t *testing.T) {
	svc := parseUnit(t, filepath.Join("systemd", "winfleet-scan.service"))
	timer := parseUnit(t, filepath.Join("systemd", "winfleet-scan.timer"))

	if v := svc.one(t, "Service", "Type"); v != "oneshot" {
		t.Errorf("Type=%s, want oneshot", v)
	}
	codes := strings.Fields(svc.one(t, "Service", "SuccessExitStatus"))
	slices.Sort(codes)
	if !slices.Equal(codes, []string{"2", "3"}) {
		t.Errorf("SuccessExitStatus=%v, want 2 3", codes)
	}
	exec := strings.Fields(svc.one(t, "Service", "ExecStart"))
	if len(exec) < 2 || path.Base(exec[0]) != "winfleet" || !path.IsAbs(exec[0]) || exec[1] != "scan" {
		t.Fatalf("ExecStart=%q, want /abs/path/winfleet scan ...", exec)
	}
	checkCLI(t, "ExecStart", exec[1:])
	for _, want := range [][2]string{
		{"NoNewPrivileges", "yes"}, {"ProtectSystem", "strict"}, {"ProtectHome", "yes"}, {"PrivateTmp", "yes"},
		{"DynamicUser", "yes"}, {"CapabilityBoundingSet", ""}, {"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
	} {
		if v := svc.one(t, "Service", want[0]); v != want[1] {
			t.Errorf("%s=%q, want %q", want[0], v, want[1])
		}
	}
	// ProtectSystem=strict makes everything read-only but the state
	// directory and ReadWritePaths: every path the scan writes must be in
	// one of them.
	writable := []string{"/var/lib/" + svc.one(t, "Service", "StateDirectory")}
	for _, v := range svc["Service"]["ReadWritePaths"] {
		writable = append(writable, strings.Fields(v)...)
	}
	var written []string
	written = append(written, reportPaths(t, "ExecStart", exec)...)
	written = append(written, flagValues(exec, "history")...)
	written = append(written, flagValues(exec, "state-dir")...)
	if len(written) == 0 {
		t.Error("ExecStart writes no report")
	}
	for _, p := range written {
		if !slices.ContainsFunc(writable, func(dir string) bool { return strings.HasPrefix(p, dir+"/") }) {
			t.Errorf("ExecStart writes %s, outside the writable paths %v", p, writable)
		}
	}

	if v := timer.one(t, "Timer", "Unit"); v != "winfleet-scan.service" {
		t.Errorf("timer Unit=%s", v)
	}
	if v := timer.one(t, "Timer", "Persistent"); v != "true" {
		t.Errorf("timer Persistent=%s, want true (run after a missed night)", v)
	}
	if timer.one(t, "Timer", "OnCalendar") == "" {
		t.Error("timer has no OnCalendar")
	}
	if v := timer.one(t, "Install", "WantedBy"); v != "timers.target" {
		t.Errorf("timer WantedBy=%s", v)
	}
}

// TestSystemdAnalyzeVerify runs systemd's own checker on the units, with
// ExecStart pointed at a stand-in executable (verify wants it to exist).
// systemd is in CI's image; elsewhere the test skips without it.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		const msg = "systemd-analyze not found (Debian package systemd)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	stand := filepath.Join(dir, "winfleet")
	if err := os.WriteFile(stand, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"winfleet-scan.service", "winfleet-scan.timer"} {
		b, err := os.ReadFile(filepath.Join("systemd", f))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("/usr/local/bin/winfleet"), []byte(stand))
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(sa, "verify", filepath.Join(dir, "winfleet-scan.service"), filepath.Join(dir, "winfleet-scan.timer")).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestCronLine(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("cron", "winfleet"))
	if err != nil {
		t.Fatal(err)
	}
	var jobs []string
	mailto := false
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case regexp.MustCompile(`^[A-Z_]+=`).MatchString(l):
			mailto = mailto || strings.HasPrefix(l, "MAILTO=")
		default:
			jobs = append(jobs, l)
		}
	}
	if !mailto {
		t.Error("no MAILTO: the --quiet design relies on cron mailing the output")
	}
	if len(jobs) != 1 {
		t.Fatalf("%d cron lines, want 1", len(jobs))
	}
	f := strings.Fields(jobs[0])
	field := regexp.MustCompile(`^(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*$`)
	if len(f) < 7 {
		t.Fatalf("cron line %q: want 5 time fields, a user and a command (/etc/cron.d format)", jobs[0])
	}
	for _, tf := range f[:5] {
		if !field.MatchString(tf) {
			t.Errorf("cron time field %q", tf)
		}
	}
	cmd := f[6:]
	i := slices.Index(cmd, "winfleet")
	if i < 0 || i+1 >= len(cmd) || cmd[i+1] != "scan" {
		t.Fatalf("cron command %q does not run winfleet scan", cmd)
	}
	args := cmd[i+1:]
	checkCLI(t, "cron", args)
	for _, want := range []string{"--quiet", "--no-progress"} {
		if !slices.Contains(args, want) {
			t.Errorf("cron command lacks %s", want)
		}
	}
}

type task struct {
	XMLName  struct{} `xml:"http://schemas.microsoft.com/windows/2004/02/mit/task Task"`
	Version  string   `xml:"version,attr"`
	Triggers struct {
		Calendar []struct {
			StartBoundary string `xml:"StartBoundary"`
			Enabled       string `xml:"Enabled"`
			DaysInterval  int    `xml:"ScheduleByDay>DaysInterval"`
		} `xml:"CalendarTrigger"`
	} `xml:"Triggers"`
	Principals []struct {
		ID        string `xml:"id,attr"`
		UserID    string `xml:"UserId"`
		LogonType string `xml:"LogonType"`
		RunLevel  string `xml:"RunLevel"`
	} `xml:"Principals>Principal"`
	Settings struct {
		MultipleInstancesPolicy string `xml:"MultipleInstancesPolicy"`
		ExecutionTimeLimit      string `xml:"ExecutionTimeLimit"`
		StartWhenAvailable      string `xml:"StartWhenAvailable"`
		Enabled                 string `xml:"Enabled"`
	} `xml:"Settings"`
	Actions struct {
		Context string `xml:"Context,attr"`
		Exec    []struct {
			Command   string `xml:"Command"`
			Arguments string `xml:"Arguments"`
		} `xml:"Exec"`
	} `xml:"Actions"`
}

func TestWindowsTask(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("windows", "winfleet-scan.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var tk task
	if err := decodeXML(data, &tk); err != nil {
		t.Fatalf("winfleet-scan.xml: %v", err)
	}
	if len(tk.Triggers.Calendar) != 1 || tk.Triggers.Calendar[0].DaysInterval != 1 || tk.Triggers.Calendar[0].Enabled != "true" {
		t.Errorf("triggers %+v, want one enabled daily calendar trigger", tk.Triggers)
	}
	if len(tk.Principals) != 1 || tk.Principals[0].ID != tk.Actions.Context || tk.Principals[0].LogonType != "Password" || tk.Principals[0].RunLevel != "LeastPrivilege" {
		t.Errorf("principals %+v (actions context %q): want the actions' principal, logon type Password (the task runs logged off), least privilege",
			tk.Principals, tk.Actions.Context)
	}
	if s := tk.Settings; s.MultipleInstancesPolicy != "IgnoreNew" || s.ExecutionTimeLimit == "" || s.StartWhenAvailable != "true" {
		t.Errorf("settings %+v: want IgnoreNew (no overlapping scans), a time limit, start when available", s)
	}
	if len(tk.Actions.Exec) != 1 {
		t.Fatalf("%d Exec actions, want 1", len(tk.Actions.Exec))
	}
	ex := tk.Actions.Exec[0]
	if !strings.HasSuffix(strings.ToLower(ex.Command), `\winfleet.exe`) {
		t.Errorf("Command %q, want ...\\winfleet.exe", ex.Command)
	}
	args := strings.Fields(ex.Arguments)
	if len(args) == 0 || args[0] != "scan" || !slices.Contains(args, "--no-progress") || len(reportPaths(t, "Arguments", args)) == 0 {
		t.Errorf("Arguments %q, want scan --no-progress with a --report", ex.Arguments)
	}
	checkCLI(t, "Arguments", args)
}

// checkCLI parses an example's winfleet arguments with winfleet's own
// command line (adding --help, so nothing runs): a flag the CLI does not
// have, or a value of the wrong type, fails the test.
func checkCLI(t *testing.T, where string, args []string) {
	t.Helper()
	var out, errOut bytes.Buffer
	stdio := cli.Stdio{Out: &out, Err: &errOut, In: strings.NewReader(""),
		Getenv: func(string) (string, bool) { return "", false }, IsTerminal: func(any) bool { return false }}
	if code := cli.Main(t.Context(), append(slices.Clip(args), "--help"), stdio); code != 0 {
		t.Errorf("%s: winfleet %s: exit %d: %s", where, strings.Join(args, " "), code, errOut.String())
	}
}

// decodeXML decodes strictly (encoding/xml's default): well-formed XML,
// the declared namespace on the root.
func decodeXML(data []byte, v any) error {
	return xml.Unmarshal(data, v)
}
