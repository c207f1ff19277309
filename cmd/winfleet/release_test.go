package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The release is described three times: .goreleaser.yaml (archives),
// the Dockerfile (the container image) and .ci/run (the cross-build CI
// runs instead of goreleaser, which is not installable here). These tests
// parse all three and check they build the same static binary for the
// same targets, so one cannot drift from the others unnoticed.

// goreleaserConfig is the part of GoReleaser's v2 schema that winfleet's
// file uses. It is decoded strictly: a key that is not here (a typo, or
// v1's singular "format") fails the test, as "goreleaser check" would.
type goreleaserConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Ignore       []target `yaml:"ignore"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		NameTemplate string   `yaml:"name_template"`
		Files        []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
	Changelog struct {
		Sort string `yaml:"sort"`
	} `yaml:"changelog"`
}

// target is one GOOS/GOARCH pair of a goreleaser ignore list.
type target struct {
	Goos   string `yaml:"goos"`
	Goarch string `yaml:"goarch"`
}

func repoFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func loadGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(repoFile(t, ".goreleaser.yaml")))
	dec.KnownFields(true)
	var c goreleaserConfig
	if err := dec.Decode(&c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return c
}

// goreleaserTargets is every GOOS/GOARCH pair the build produces: goos ×
// goarch, less the ignored pairs.
func goreleaserTargets(c goreleaserConfig) []string {
	var out []string
	b := c.Builds[0]
	for _, os := range b.Goos {
		for _, arch := range b.Goarch {
			if !slices.Contains(b.Ignore, target{Goos: os, Goarch: arch}) {
				out = append(out, os+"/"+arch)
			}
		}
	}
	slices.Sort(out)
	return out
}

// ciRelease is what .ci/run's release cross-build does.
type ciRelease struct {
	targets []string
	build   []string // the go build command line in the loop, as words
}

var ciTargetsLine = regexp.MustCompile(`^release_targets=\(([^()]*)\)$`)

// parseCIRun finds the release_targets array (exactly one assignment), the
// for loop over it and the go build command inside that loop.
func parseCIRun(t *testing.T, script string) ciRelease {
	t.Helper()
	var rel ciRelease
	lines := strings.Split(script, "\n")
	assignments, loop := 0, -1
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "release_targets=") {
			assignments++
			m := ciTargetsLine.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf(".ci/run:%d: release_targets is not a one-line bash array: %q", i+1, l)
			}
			rel.targets = strings.Fields(m[1])
		}
		if l == `for target in "${release_targets[@]}"; do` {
			loop = i
		}
	}
	if assignments != 1 {
		t.Fatalf(".ci/run: %d release_targets assignments, want exactly 1", assignments)
	}
	if loop < 0 {
		t.Fatalf(`.ci/run: no loop 'for target in "${release_targets[@]}"; do'`)
	}
	for i := loop + 1; i < len(lines) && strings.TrimSpace(lines[i]) != "done"; i++ {
		words := shellWords(t, lines[i])
		if slices.Contains(words, "go") && slices.Contains(words, "build") {
			if rel.build != nil {
				t.Fatalf(".ci/run:%d: a second go build in the release loop", i+1)
			}
			rel.build = words
		}
	}
	if rel.build == nil {
		t.Fatal(".ci/run: no go build in the release loop")
	}
	slices.Sort(rel.targets)
	return rel
}

// shellWords splits a command line into words the way a POSIX shell does
// for the simple lines used here: blanks separate, single and double
// quotes group, a backslash escapes the next character; no expansion.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else if r == '\\' && quote == '"' && i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case r == '#' && !inWord:
			rs = rs[:i] // comment to the end of the line
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unterminated quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// goBuild is a go build command line taken apart.
type goBuild struct {
	env     map[string]string // VAR=value words before the command
	flags   map[string]string // -flag [value] ("" for booleans)
	pkg     string
	outPath string
}

func parseGoBuild(t *testing.T, words []string) goBuild {
	t.Helper()
	gb := goBuild{env: map[string]string{}, flags: map[string]string{}}
	i := 0
	for ; i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-"); i++ {
		k, v, _ := strings.Cut(words[i], "=")
		gb.env[k] = v
	}
	if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
		t.Fatalf("not a go build command: %q", words)
	}
	withValue := map[string]bool{"-o": true, "-ldflags": true, "-tags": true, "-gcflags": true}
	for i += 2; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") {
			if gb.pkg != "" {
				t.Fatalf("go build with two packages: %q", words)
			}
			gb.pkg = w
			continue
		}
		name, val, hasVal := strings.Cut(w, "=")
		if !hasVal && withValue[name] {
			if i+1 >= len(words) {
				t.Fatalf("%s without a value in %q", name, words)
			}
			i++
			val = words[i]
		}
		gb.flags[name] = val
	}
	gb.outPath = gb.flags["-o"]
	return gb
}

// dockerInstr is one Dockerfile instruction with continuation lines
// joined.
type dockerInstr struct {
	line int
	cmd  string // upper case
	args string
}

func parseDockerfile(t *testing.T, data []byte) []dockerInstr {
	t.Helper()
	var out []dockerInstr
	var cur *dockerInstr
	for i, l := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // comments and parser directives; blank lines inside a continuation too
		}
		cont := strings.HasSuffix(trimmed, "\\")
		trimmed = strings.TrimSuffix(trimmed, "\\")
		if cur == nil {
			cmd, args, _ := strings.Cut(trimmed, " ")
			cur = &dockerInstr{line: i + 1, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		} else {
			cur.args += " " + strings.TrimSpace(trimmed)
		}
		if !cont {
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		t.Fatalf("Dockerfile:%d: continuation at the end of the file", cur.line)
	}
	return out
}

// dockerStage is one FROM ... [AS name] and its instructions.
type dockerStage struct {
	name, image string
	platform    string
	instrs      []dockerInstr
}

func dockerStages(t *testing.T, instrs []dockerInstr) []dockerStage {
	t.Helper()
	var stages []dockerStage
	for _, in := range instrs {
		if in.cmd == "FROM" {
			words := strings.Fields(in.args)
			var st dockerStage
			for len(words) > 0 && strings.HasPrefix(words[0], "--") {
				if p, ok := strings.CutPrefix(words[0], "--platform="); ok {
					st.platform = p
				}
				words = words[1:]
			}
			switch {
			case len(words) == 1:
			case len(words) == 3 && strings.EqualFold(words[1], "AS"):
				st.name = words[2]
			default:
				t.Fatalf("Dockerfile:%d: FROM %s: want IMAGE [AS NAME]", in.line, in.args)
			}
			st.image = words[0]
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				continue
			}
			t.Fatalf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
	}
	return stages
}

func TestReleaseTargetsAgree(t *testing.T) {
	c := loadGoreleaser(t)
	if c.Version != 2 {
		t.Errorf(".goreleaser.yaml: version %d, want 2", c.Version)
	}
	if len(c.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: %d builds, want 1", len(c.Builds))
	}
	want := []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}
	got := goreleaserTargets(c)
	if !slices.Equal(got, want) {
		t.Errorf(".goreleaser.yaml targets = %v, want %v", got, want)
	}
	ci := parseCIRun(t, string(repoFile(t, ".ci/run")))
	if !slices.Equal(ci.targets, got) {
		t.Errorf(".ci/run release_targets = %v, .goreleaser.yaml builds %v", ci.targets, got)
	}
}

func TestReleaseBuildIsStatic(t *testing.T) {
	c := loadGoreleaser(t)
	if len(c.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: %d builds, want 1", len(c.Builds))
	}
	b := c.Builds[0]
	if b.Main != "./cmd/winfleet" || b.Binary != "winfleet" {
		t.Errorf(".goreleaser.yaml: main %q binary %q, want ./cmd/winfleet and winfleet", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf(".goreleaser.yaml: env %v, want CGO_ENABLED=0 (static binaries)", b.Env)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf(".goreleaser.yaml: flags %v, want -trimpath", b.Flags)
	}
	for _, l := range b.Ldflags {
		if strings.Contains(l, "-X") {
			t.Errorf(".goreleaser.yaml: ldflags %q set a variable; version data comes from the build info", l)
		}
	}
	if len(c.Archives) != 1 || !slices.Equal(c.Archives[0].Formats, []string{"tar.gz"}) {
		t.Errorf(".goreleaser.yaml: archives %+v, want one tar.gz archive", c.Archives)
	} else {
		a := c.Archives[0]
		if len(a.FormatOverrides) != 1 || a.FormatOverrides[0].Goos != "windows" || !slices.Equal(a.FormatOverrides[0].Formats, []string{"zip"}) {
			t.Errorf(".goreleaser.yaml: format_overrides %+v, want zip for windows", a.FormatOverrides)
		}
		if !slices.Contains(a.Files, "LICENSE") {
			t.Errorf(".goreleaser.yaml: archive files %v, want LICENSE in every archive", a.Files)
		}
	}
	if c.Checksum.NameTemplate == "" || c.Checksum.Algorithm != "sha256" {
		t.Errorf(".goreleaser.yaml: checksum %+v, want a sha256 checksum file", c.Checksum)
	}

	ci := parseCIRun(t, string(repoFile(t, ".ci/run")))
	cb := parseGoBuild(t, ci.build)
	if cb.env["CGO_ENABLED"] != "0" || cb.env["GOOS"] != "${target%/*}" || cb.env["GOARCH"] != "${target#*/}" {
		t.Errorf(".ci/run: go build environment %v, want CGO_ENABLED=0 and GOOS/GOARCH from $target", cb.env)
	}
	if _, ok := cb.flags["-trimpath"]; !ok {
		t.Errorf(".ci/run: go build flags %v, want -trimpath", cb.flags)
	}
	if cb.pkg != b.Main {
		t.Errorf(".ci/run builds %q, .goreleaser.yaml %q", cb.pkg, b.Main)
	}
}

func TestDockerfileBuildsTheReleaseBinary(t *testing.T) {
	c := loadGoreleaser(t)
	b := c.Builds[0]
	stages := dockerStages(t, parseDockerfile(t, repoFile(t, "Dockerfile")))
	if len(stages) != 2 {
		t.Fatalf("Dockerfile: %d stages, want 2 (build, final)", len(stages))
	}
	build, final := stages[0], stages[1]

	// The build stage uses the Go of go.mod (major.minor).
	gomod := string(repoFile(t, "go.mod"))
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod: no go line")
	}
	if build.image != "golang:"+m[1] && !strings.HasPrefix(build.image, "golang:"+m[1]+".") && !strings.HasPrefix(build.image, "golang:"+m[1]+"-") {
		t.Errorf("Dockerfile: build stage FROM %s, want golang:%s (go.mod)", build.image, m[1])
	}
	var gb *goBuild
	for _, in := range build.instrs {
		if in.cmd != "RUN" {
			continue
		}
		words := shellWords(t, in.args)
		if slices.Contains(words, "go") && slices.Contains(words, "build") {
			if gb != nil {
				t.Fatalf("Dockerfile:%d: a second go build", in.line)
			}
			parsed := parseGoBuild(t, words)
			gb = &parsed
		}
	}
	if gb == nil {
		t.Fatal("Dockerfile: no RUN go build in the build stage")
	}
	for _, e := range b.Env {
		k, v, _ := strings.Cut(e, "=")
		if gb.env[k] != v {
			t.Errorf("Dockerfile: go build has %s=%q, .goreleaser.yaml %s", k, gb.env[k], e)
		}
	}
	if gb.env["GOOS"] != "$TARGETOS" || gb.env["GOARCH"] != "$TARGETARCH" {
		t.Errorf("Dockerfile: go build GOOS=%q GOARCH=%q, want $TARGETOS/$TARGETARCH (buildx cross-compiles)", gb.env["GOOS"], gb.env["GOARCH"])
	}
	if _, ok := gb.flags["-trimpath"]; !ok {
		t.Errorf("Dockerfile: go build without -trimpath")
	}
	if got, want := gb.flags["-ldflags"], strings.Join(b.Ldflags, " "); got != want {
		t.Errorf("Dockerfile: -ldflags %q, .goreleaser.yaml %q", got, want)
	}
	if gb.pkg != b.Main || gb.outPath == "" {
		t.Errorf("Dockerfile: go build %q -o %q, want %s and an output path", gb.pkg, gb.outPath, b.Main)
	}

	// The final stage: distroless static, the binary copied from the build
	// stage, a non-root numeric user, exec-form entrypoint on the binary.
	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") {
		t.Errorf("Dockerfile: final stage FROM %s, want gcr.io/distroless/static", final.image)
	}
	var dest, user string
	var entry []string
	for _, in := range final.instrs {
		switch in.cmd {
		case "COPY":
			words := strings.Fields(in.args)
			if len(words) == 3 && words[0] == "--from="+build.name && words[1] == gb.outPath {
				dest = words[2]
			}
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.args), &entry); err != nil {
				t.Errorf("Dockerfile:%d: ENTRYPOINT is not exec form (a JSON array): %v", in.line, err)
			}
		case "RUN":
			t.Errorf("Dockerfile:%d: RUN in the distroless stage (it has no shell)", in.line)
		}
	}
	if dest == "" {
		t.Errorf("Dockerfile: final stage does not COPY --from=%s %s", build.name, gb.outPath)
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" || uid == "root" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("Dockerfile: USER %q, want a numeric non-root user", user)
	}
	if len(entry) == 0 || entry[0] != dest {
		t.Errorf("Dockerfile: ENTRYPOINT %v, want the copied binary %s", entry, dest)
	}
}

// TestShellWords pins the splitter the checks above rely on.
func TestShellWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`a b  c`, []string{"a", "b", "c"}},
		{`go build -ldflags "-s -w" -o /out/x ./cmd/x`, []string{"go", "build", "-ldflags", "-s -w", "-o", "/out/x", "./cmd/x"}},
		{`X='a b' y=c\ d # comment`, []string{"X=a b", "y=c d"}},
		{`a#b "c\"d"`, []string{"a#b", `c"d`}},
	}
	for _, tt := range tests {
		if got := shellWords(t, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("shellWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
