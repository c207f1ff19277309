package cli

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/reports"
)

func stampedBuild(version string, modified bool) *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "github.com/winfleet/winfleet/cmd/winfleet",
		Main:      debug.Module{Path: "github.com/winfleet/winfleet", Version: version},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "CGO_ENABLED", Value: "0"},
			{Key: "GOARCH", Value: "arm64"},
			{Key: "GOOS", Value: "windows"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "7380c94229708c4f34515cf9e6bd1cfd5c4508d6"},
			{Key: "vcs.time", Value: "2026-12-06T17:35:27Z"},
			{Key: "vcs.modified", Value: map[bool]string{true: "true", false: "false"}[modified]},
		},
	}
}

func TestReadIdentity(t *testing.T) {
	vcsTime := time.Date(2026, 12, 6, 17, 35, 27, 0, time.UTC)
	host := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name     string
		bi       *debug.BuildInfo
		ok       bool
		want     identity
		wantTool reports.Tool
		wantLine string
	}{
		{
			name:     "tagged release",
			bi:       stampedBuild("v1.2.0", false),
			ok:       true,
			want:     identity{Name: "winfleet", Version: "v1.2.0", Revision: "7380c94229708c4f34515cf9e6bd1cfd5c4508d6", Time: &vcsTime, GoVersion: "go1.26.8", Platform: "windows/arm64"},
			wantTool: reports.Tool{Name: "winfleet", Version: "v1.2.0", Revision: "7380c9422970"},
			wantLine: "winfleet v1.2.0 (7380c9422970, go1.26.8 windows/arm64)",
		},
		{
			name:     "modified work tree",
			bi:       stampedBuild("v0.0.0-20261206173527-7380c9422970+dirty", true),
			ok:       true,
			want:     identity{Name: "winfleet", Version: "v0.0.0-20261206173527-7380c9422970+dirty", Revision: "7380c94229708c4f34515cf9e6bd1cfd5c4508d6", Modified: true, Time: &vcsTime, GoVersion: "go1.26.8", Platform: "windows/arm64"},
			wantTool: reports.Tool{Name: "winfleet", Version: "v0.0.0-20261206173527-7380c9422970+dirty", Revision: "7380c9422970-dirty"},
			wantLine: "winfleet v0.0.0-20261206173527-7380c9422970+dirty (7380c9422970-dirty, go1.26.8 windows/arm64)",
		},
		{
			name:     "no vcs stamp",
			bi:       &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/winfleet/winfleet", Version: "(devel)"}},
			ok:       true,
			want:     identity{Name: "winfleet", Version: "(devel)", GoVersion: "go1.26.8", Platform: host},
			wantTool: reports.Tool{Name: "winfleet", Version: "(devel)"},
			wantLine: "winfleet (devel) (go1.26.8 " + host + ")",
		},
		{
			name:     "no build info",
			ok:       false,
			want:     identity{Name: "winfleet", Version: "(devel)", GoVersion: runtime.Version(), Platform: host},
			wantTool: reports.Tool{Name: "winfleet", Version: "(devel)"},
			wantLine: "winfleet (devel) (" + runtime.Version() + " " + host + ")",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readIdentity(tt.bi, tt.ok)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("readIdentity (-want +got):\n%s", d)
			}
			if d := cmp.Diff(&tt.wantTool, got.tool()); d != "" {
				t.Errorf("tool() (-want +got):\n%s", d)
			}
			if l := got.line(); l != tt.wantLine {
				t.Errorf("line() = %q, want %q", l, tt.wantLine)
			}
		})
	}
}

func TestRunVersion(t *testing.T) {
	id := readIdentity(stampedBuild("v1.2.0", true), true)
	var b bytes.Buffer
	if err := runVersion(&b, id, versionOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "winfleet v1.2.0\n" +
		"revision:  7380c94229708c4f34515cf9e6bd1cfd5c4508d6 (modified)\n" +
		"committed: 2026-12-06T17:35:27Z\n" +
		"go:        go1.26.8 windows/arm64\n"
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("version text (-want +got):\n%s", d)
	}

	b.Reset()
	if err := runVersion(&b, id, versionOptions{JSON: true}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("version --json: %v\n%s", err, b.String())
	}
	wantJSON := map[string]any{"name": "winfleet", "version": "v1.2.0", "revision": "7380c94229708c4f34515cf9e6bd1cfd5c4508d6",
		"modified": true, "vcs_time": "2026-12-06T17:35:27Z", "go_version": "go1.26.8", "platform": "windows/arm64"}
	if d := cmp.Diff(wantJSON, got); d != "" {
		t.Errorf("version --json (-want +got):\n%s", d)
	}
}

// TestToolIsThisBinary checks Tool against the test binary's own build
// information: the same module version, and no revision unless stamped.
func TestToolIsThisBinary(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("test binary has no build information")
	}
	tool := reportTool()
	if tool.Name != "winfleet" || tool.Version == "" {
		t.Fatalf("reportTool() = %+v, want name winfleet and a version", tool)
	}
	if bi.Main.Version != "" && tool.Version != bi.Main.Version {
		t.Errorf("reportTool().Version = %q, build info says %q", tool.Version, bi.Main.Version)
	}
	if err := reports.Validate(&reports.Report{Mode: reports.ModeScan, Tool: tool}); err != nil {
		t.Errorf("a report with reportTool() is invalid: %v", err)
	}
	if strings.ContainsAny(tool.Revision, " \n") {
		t.Errorf("reportTool().Revision = %q, want one word", tool.Revision)
	}
}
