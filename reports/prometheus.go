package reports

import (
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// PrometheusMetric describes one metric family of the prometheus format.
type PrometheusMetric struct {
	Name   string
	Labels []string // label names, in the order they are written
	Help   string
}

// PrometheusMetrics lists every metric family WritePrometheus writes, in
// the order it writes them. reports/README.md documents each, and a test
// holds the two in step.
func PrometheusMetrics() []PrometheusMetric {
	return []PrometheusMetric{
		{"winfleet_build_info", []string{"version", "revision"}, "The winfleet that made the report (its tool key); always 1."},
		{"winfleet_run_info", []string{"mode", "playbook", "shard"}, "The run's mode (scan, apply, check), playbook and shard (K/N, empty for a whole run); always 1."},
		{"winfleet_hosts", []string{"status"}, "Hosts in the run by status; every status is present, zeros included."},
		{"winfleet_checks_failing", []string{"check"}, "Hosts on which the check did not pass (fail, would_change or error), by check id; every check of the run is present, zeros included."},
		{"winfleet_checks_failing_by_code", []string{"code"}, "Failing checks (as in winfleet_checks_failing) by reason code; code \"none\" for checks without one."},
		{"winfleet_host_compliant", []string{"host", "group"}, "1 if the host is compliant or changed (in the desired state), else 0; one series per inventory group of the host (group \"\" when it has none)."},
		{"winfleet_run_duration_seconds", nil, "Wall-clock time of the run, from started_at to finished_at; 0 when either is unknown."},
		{"winfleet_last_run_timestamp_seconds", nil, "When the run finished (started, if the finish is unknown), in seconds since the Unix epoch; 0 when unknown."},
		{"winfleet_last_run_exit_code", nil, "The exit code of the run: 0 every host OK, 2 drift, 3 a host could not be checked."},
		{"winfleet_last_run_success", nil, "1 if the run's exit code is 0 (every host compliant or changed), else 0."},
	}
}

// promSample is one sample line: label values in the family's label order.
type promSample struct {
	labels []string
	value  float64
}

// WritePrometheus writes r as a node_exporter textfile-collector file
// (Prometheus text exposition format 0.0.4): every family of
// PrometheusMetrics, each with HELP and TYPE (all gauges), samples sorted
// by label values, label values escaped, no timestamps (the textfile
// collector refuses them). Use WriteFile for an atomic write into the
// collector's directory.
func WritePrometheus(w io.Writer, r *Report, o WriteOptions) error {
	if _, err := o.check(); err != nil {
		return err
	}
	n, err := normalize(r)
	if err != nil {
		return err
	}
	samples := promSamples(n, o.ExitCode)
	var b strings.Builder
	for _, m := range PrometheusMetrics() {
		b.WriteString("# HELP " + m.Name + " " + promEscapeHelp(m.Help) + "\n# TYPE " + m.Name + " gauge\n")
		ss := samples[m.Name]
		slices.SortFunc(ss, func(a, b promSample) int { return slices.Compare(a.labels, b.labels) })
		for _, s := range ss {
			b.WriteString(m.Name)
			if len(m.Labels) > 0 {
				b.WriteByte('{')
				for i, l := range m.Labels {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(l)
					b.WriteString(`="`)
					b.WriteString(promEscapeLabel(s.labels[i]))
					b.WriteByte('"')
				}
				b.WriteByte('}')
			}
			b.WriteByte(' ')
			b.WriteString(promValue(s.value))
			b.WriteByte('\n')
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

func promSamples(n *Report, code int) map[string][]promSample {
	out := map[string][]promSample{}
	add := func(name string, v float64, labels ...string) {
		out[name] = append(out[name], promSample{labels: labels, value: v})
	}
	var version, revision string
	if n.Tool != nil {
		version, revision = n.Tool.Version, n.Tool.Revision
	}
	add("winfleet_build_info", 1, version, revision)
	add("winfleet_run_info", 1, string(n.Mode), n.Playbook, n.Shard)
	for _, s := range HostStatuses {
		add("winfleet_hosts", float64(n.Summary[s]), string(s))
	}
	byCheck := map[string]int{}
	byCode := map[string]int{}
	for _, h := range n.Hosts {
		for _, c := range h.Checks {
			id := c.ID
			if id == "" {
				id = c.Name
			}
			if _, seen := byCheck[id]; !seen {
				byCheck[id] = 0
			}
			if !c.Status.Failing() {
				continue
			}
			byCheck[id]++
			code := c.Code
			if code == "" {
				code = "none"
			}
			byCode[code]++
		}
		compliant := 0.0
		if h.Status.OK() {
			compliant = 1
		}
		groups := slices.Compact(slices.Sorted(slices.Values(h.Groups)))
		if len(groups) == 0 {
			groups = []string{""}
		}
		for _, g := range groups {
			add("winfleet_host_compliant", compliant, h.Host, g)
		}
	}
	for id, v := range byCheck {
		add("winfleet_checks_failing", float64(v), id)
	}
	for code, v := range byCode {
		add("winfleet_checks_failing_by_code", float64(v), code)
	}
	add("winfleet_run_duration_seconds", max(n.Duration().Seconds(), 0))
	last := n.FinishedAt
	if last.IsZero() {
		last = n.StartedAt
	}
	ts := 0.0
	if !last.IsZero() {
		ts = float64(last.UnixMilli()) / 1000
	}
	add("winfleet_last_run_timestamp_seconds", ts)
	add("winfleet_last_run_exit_code", float64(code))
	success := 0.0
	if code == 0 {
		success = 1
	}
	add("winfleet_last_run_success", success)
	return out
}

// promValue formats a sample value: plain decimal, no exponent (timestamps
// stay readable), as the text format allows.
func promValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// promEscapeLabel escapes a label value as the text format requires:
// backslash, double quote and line feed.
func promEscapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// promEscapeHelp escapes HELP text: backslash and line feed.
func promEscapeHelp(s string) string {
	if !strings.ContainsAny(s, "\\\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
