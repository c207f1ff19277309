package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/winfleet/winfleet/reports"
)

// identity is what winfleet knows about its own build, read from the build
// information the Go toolchain embeds in every binary (runtime/debug). No
// value comes from -ldflags -X: "go install", "go build", goreleaser and the
// Dockerfile all get the same answers without build scripts.
type identity struct {
	Name string `json:"name"`
	// Version is the main module's version: the tag ("v1.2.0") for
	// "go install github.com/winfleet/winfleet/cmd/winfleet@v1.2.0" or a
	// build of a tagged checkout, a pseudo-version
	// ("v0.0.0-20261206173527-7380c9422970", "+dirty" when modified) for a
	// build of an untagged checkout, "(devel)" when the toolchain stamped
	// no version (-buildvcs=false, no .git, a test binary).
	Version string `json:"version"`
	// Revision is the full VCS commit ("" when the build has no VCS
	// stamp), Modified whether the work tree had uncommitted changes, and
	// Time the commit's time.
	Revision string     `json:"revision"`
	Modified bool       `json:"modified"`
	Time     *time.Time `json:"vcs_time,omitempty"`
	// GoVersion is the toolchain that built the binary, Platform its
	// GOOS/GOARCH.
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// readIdentity turns build information into an identity. It is pure so
// tests can feed it any build information; currentIdentity feeds it the
// running binary's.
func readIdentity(bi *debug.BuildInfo, ok bool) identity {
	id := identity{Name: "winfleet", Version: "(devel)", GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || bi == nil {
		return id
	}
	if v := bi.Main.Version; v != "" {
		id.Version = v
	}
	if bi.GoVersion != "" {
		id.GoVersion = bi.GoVersion
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			id.Revision = s.Value
		case "vcs.modified":
			id.Modified = s.Value == "true"
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				t = t.UTC()
				id.Time = &t
			}
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		id.Platform = goos + "/" + goarch
	}
	return id
}

func currentIdentity() identity {
	return readIdentity(debug.ReadBuildInfo())
}

// shortRevision is the revision reports carry: the first 12 hex digits of
// the commit (as in Go pseudo-versions), with "-dirty" appended when the
// work tree had uncommitted changes, so a report made by a locally modified
// binary says so. "" when the build has no VCS stamp.
func (id identity) shortRevision() string {
	if id.Revision == "" {
		return ""
	}
	r := id.Revision
	if len(r) > 12 {
		r = r[:12]
	}
	if id.Modified {
		r += "-dirty"
	}
	return r
}

// tool is the identity as reports record it.
func (id identity) tool() *reports.Tool {
	return &reports.Tool{Name: id.Name, Version: id.Version, Revision: id.shortRevision()}
}

// line is the one-line form printed by --version:
// "winfleet v1.2.0 (7380c9422970, go1.26.8 linux/amd64)".
func (id identity) line() string {
	parts := []string{}
	if r := id.shortRevision(); r != "" {
		parts = append(parts, r)
	}
	parts = append(parts, id.GoVersion+" "+id.Platform)
	return fmt.Sprintf("%s %s (%s)", id.Name, id.Version, strings.Join(parts, ", "))
}

// writeText prints the identity for a human, one fact per line.
func (id identity) writeText(w io.Writer) error {
	rev := id.Revision
	switch {
	case rev == "":
		rev = "unknown (built without VCS information, e.g. -buildvcs=false or outside a git checkout)"
	case id.Modified:
		rev += " (modified)"
	}
	committed := "unknown"
	if id.Time != nil {
		committed = id.Time.Format(time.RFC3339)
	}
	_, err := fmt.Fprintf(w, "%s %s\nrevision:  %s\ncommitted: %s\ngo:        %s %s\n",
		id.Name, id.Version, rev, committed, id.GoVersion, id.Platform)
	return err
}

// reportTool returns the program that makes this run's reports, for
// Report.Tool: name "winfleet", the module version, and the short revision
// (12 hex digits, "-dirty" when built from a modified work tree; "" when
// the binary has no VCS stamp).
func reportTool() *reports.Tool {
	return currentIdentity().tool()
}

type versionOptions struct {
	JSON bool
}

func newVersionCmd(stdio Stdio) *cobra.Command {
	var opts versionOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print winfleet's version, VCS revision and Go version",
		Long: `Print what winfleet knows about its own build, from the build information
the Go toolchain embeds: the module version ("(devel)" for a build without a
version stamp), the VCS revision and whether the work tree was modified, the
commit time, and the Go version and platform. Reports record the same in
their "tool" key.`,
		Example: `  winfleet version
  winfleet version --json | jq -r .revision
  winfleet --version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(stdio.Out, currentIdentity(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON object (name, version, revision, modified, vcs_time, go_version, platform)")
	return cmd
}

func runVersion(w io.Writer, id identity, opts versionOptions) error {
	if opts.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(id)
	}
	return id.writeText(w)
}

// addVersion gives root the version subcommand and a --version flag that
// prints the one-line form. The flag is declared here, without cobra's
// default -v shorthand: -v means verbose everywhere else.
func addVersion(root *cobra.Command, stdio Stdio) {
	root.Version = currentIdentity().line()
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().Bool("version", false, "print winfleet's version and exit")
	root.AddCommand(newVersionCmd(stdio))
}
