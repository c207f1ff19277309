package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Format names an inventory file format.
type Format string

// Formats Load recognises.
const (
	FormatINI  Format = "ini"
	FormatYAML Format = "yaml" // also JSON, which is YAML
	FormatCSV  Format = "csv"
)

// DetectFormat picks a format from the file name, then from the content:
// .yml, .yaml and .json are YAML; .csv is CSV; .ini, .cfg and .txt are INI;
// any other file is YAML if it parses as a YAML mapping, else INI.
func DetectFormat(name string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yml", ".yaml", ".json":
		return FormatYAML
	case ".csv":
		return FormatCSV
	case ".ini", ".cfg", ".txt", ".hosts":
		return FormatINI
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 && deref(doc.Content[0]).Kind == yaml.MappingNode {
		return FormatYAML
	}
	return FormatINI
}

// Load reads an inventory file, or a directory of inventory files, with the
// group_vars/ and host_vars/ directories beside it (for a directory: inside
// it), and validates it. Errors are *Error values naming file and line;
// several validation errors come joined (errors.Join).
func Load(path string) (*Inventory, error) { return Loader{}.Load(path) }

// A Loader loads inventories.
type Loader struct {
	// ReadFile reads one inventory or vars file; nil means os.ReadFile.
	// The CLI passes a reader with a size cap that gives up on Ctrl-C.
	ReadFile func(path string) ([]byte, error)
}

// Load reads one or more inventory sources (files or directories) into one
// inventory, as Ansible does with several -i: hosts and groups merge, and
// the group_vars/ and host_vars/ beside each source are read, a later
// source's files overriding an earlier one's. Inventory.Path is the
// sources joined with commas.
func (l Loader) Load(paths ...string) (*Inventory, error) {
	if len(paths) == 0 {
		return nil, &Error{Msg: "no inventory given"}
	}
	inv := newInventory(strings.Join(paths, ","))
	var bases []string
	for _, path := range paths {
		base, err := l.parseSource(inv, path)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(bases, base) {
			bases = append(bases, base)
		}
	}
	if err := inv.finish(); err != nil {
		return nil, err
	}
	for _, base := range bases {
		if err := inv.loadVarsDirs(base, l.readFile); err != nil {
			return nil, err
		}
	}
	if err := inv.validate(); err != nil {
		return nil, err
	}
	return inv, nil
}

func (l Loader) readFile(path string) ([]byte, error) {
	if l.ReadFile != nil {
		return l.ReadFile(path)
	}
	return os.ReadFile(path)
}

// parseSource parses one -i source into inv and returns the directory its
// group_vars/ and host_vars/ are in.
func (l Loader) parseSource(inv *Inventory, path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", &Error{File: path, Msg: "read inventory", Err: err}
	}
	if !st.IsDir() {
		return filepath.Dir(path), parseFile(inv, path, l.readFile)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return "", &Error{File: path, Msg: "read inventory directory", Err: err}
	}
	n := 0
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || skipInvFile(name) {
			continue
		}
		if err := parseFile(inv, filepath.Join(path, name), l.readFile); err != nil {
			return "", err
		}
		n++
	}
	if n == 0 {
		return "", &Error{File: path, Msg: "no inventory file in directory"}
	}
	return path, nil
}

// skipInvFile mirrors Ansible's INVENTORY_IGNORE_EXTS and hidden files.
func skipInvFile(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return true
	}
	for _, ext := range []string{".orig", ".ini.example", ".cfg", ".retry", ".pyc", ".pyo", ".md", ".rst"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func parseFile(inv *Inventory, file string, readFile func(string) ([]byte, error)) error {
	data, err := readFile(file)
	if err != nil {
		return &Error{File: file, Msg: "read inventory", Err: err}
	}
	if isVaultString(string(data[:min(len(data), 64)])) {
		return &Error{File: file, Line: 1, Msg: "inventory is encrypted with Ansible Vault, which winfleet cannot decrypt; keep the inventory in plain text and give passwords with password_env"}
	}
	return parseAs(inv, file, DetectFormat(file, data), data)
}

func parseAs(inv *Inventory, file string, f Format, data []byte) error {
	switch f {
	case FormatYAML:
		return parseYAMLInv(inv, file, data)
	case FormatCSV:
		return parseCSV(inv, file, data)
	case FormatINI:
		return parseINI(inv, file, data)
	}
	return &Error{File: file, Msg: fmt.Sprintf("unknown inventory format %q", f)}
}

// Parse reads one inventory file's content in the given format and
// validates it, without group_vars/ or host_vars/. file is used in errors.
func Parse(file string, f Format, data []byte) (*Inventory, error) {
	inv := newInventory(file)
	if err := parseAs(inv, file, f, data); err != nil {
		return nil, err
	}
	if err := inv.finish(); err != nil {
		return nil, err
	}
	if err := inv.validate(); err != nil {
		return nil, err
	}
	return inv, nil
}

// ParseINI is Parse(file, FormatINI, data).
func ParseINI(file string, data []byte) (*Inventory, error) { return Parse(file, FormatINI, data) }

// finish applies Ansible's reconcile_inventory rules (every group under
// "all"; hosts in no group in "ungrouped", and only those), rejects child
// cycles and computes group depths.
func (inv *Inventory) finish() error {
	all, ung := inv.groupIdx["all"], inv.groupIdx["ungrouped"]
	for _, g := range inv.groups {
		if g != all && len(g.parents) == 0 {
			all.addChild(g, pos{})
		}
	}
	for _, h := range inv.hosts {
		inUng, other := false, false
		for _, g := range h.groups {
			switch g {
			case ung:
				inUng = true
			case all:
			default:
				other = true
			}
		}
		if inUng && other {
			ung.removeHost(h)
		} else if !inUng && !other {
			ung.addHost(h)
		}
	}
	if err := inv.checkCycles(); err != nil {
		return err
	}
	for _, g := range inv.groups {
		g.depth = -1
	}
	for _, g := range inv.groups {
		computeDepth(g)
	}
	for _, g := range inv.groups {
		if _, isHost := inv.hostIdx[g.Name]; isHost && g.Name != "all" && g.Name != "ungrouped" {
			inv.warn(g.File, g.Line, "", "%q is both a group and a host", g.Name)
		}
	}
	return nil
}

func computeDepth(g *Group) int {
	if g.depth >= 0 {
		return g.depth
	}
	d := 0
	for _, p := range g.parents {
		d = max(d, computeDepth(p)+1)
	}
	g.depth = d
	return d
}

func (inv *Inventory) checkCycles() error {
	const (
		white = iota
		grey
		black
	)
	color := make(map[*Group]int, len(inv.groups))
	var stack []*Group
	var visit func(g *Group) error
	visit = func(g *Group) error {
		color[g] = grey
		stack = append(stack, g)
		for i, c := range g.children {
			switch color[c] {
			case grey:
				j := slices.Index(stack, c)
				names := []string{}
				for _, s := range stack[j:] {
					names = append(names, s.Name)
				}
				names = append(names, c.Name)
				p := g.childPos[i]
				return &Error{File: p.file, Line: p.line, Msg: "group cycle: " + strings.Join(names, " -> ")}
			case white:
				if err := visit(c); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[g] = black
		return nil
	}
	for _, g := range inv.groups {
		if color[g] == white {
			if err := visit(g); err != nil {
				return err
			}
		}
	}
	return nil
}

// loadVarsDirs reads base/group_vars and base/host_vars as Ansible's
// host_group_vars plugin does: for an entity NAME, the first of NAME,
// NAME.yml, NAME.yaml, NAME.json that exists; if it is a directory, every
// file in it (recursively, sorted, hidden and backup files and other
// extensions skipped), later files overriding earlier ones.
func (inv *Inventory) loadVarsDirs(base string, readFile func(string) ([]byte, error)) error {
	gdir := filepath.Join(base, "group_vars")
	ents, err := readDirNames(gdir)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, g := range inv.groups {
		files, used1, err := findVarsFiles(gdir, g.Name, ents)
		if err != nil {
			return err
		}
		for _, f := range files {
			if g.fileVars == nil {
				g.fileVars = map[string]Var{}
			}
			if err := inv.readVarsFile(f, g.fileVars, readFile); err != nil {
				return err
			}
		}
		if used1 != "" {
			used[used1] = true
		}
	}
	for _, e := range ents {
		if !used[e] && !strings.HasPrefix(e, ".") && !strings.HasSuffix(e, "~") {
			inv.warn(filepath.Join(gdir, e), 0, "", "no group %q in the inventory; file ignored", strings.TrimSuffix(e, filepath.Ext(e)))
		}
	}
	hdir := filepath.Join(base, "host_vars")
	hents, err := readDirNames(hdir)
	if err != nil {
		return err
	}
	if len(hents) == 0 {
		return nil
	}
	for _, h := range inv.hosts {
		files, _, err := findVarsFiles(hdir, h.Name, hents)
		if err != nil {
			return err
		}
		for _, f := range files {
			if h.fileVars == nil {
				h.fileVars = map[string]Var{}
			}
			if err := inv.readVarsFile(f, h.fileVars, readFile); err != nil {
				return err
			}
		}
	}
	return nil
}

var varsExts = []string{"", ".yml", ".yaml", ".json"}

// readDirNames lists dir as a set of names; a missing dir is empty.
func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{File: dir, Msg: "read vars directory", Err: err}
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}

func findVarsFiles(dir, name string, ents []string) (files []string, used string, err error) {
	if len(ents) == 0 {
		return nil, "", nil
	}
	for _, ext := range varsExts {
		cand := name + ext
		if _, ok := slices.BinarySearch(ents, cand); !ok {
			continue
		}
		full := filepath.Join(dir, cand)
		st, err := os.Stat(full)
		if err != nil {
			return nil, "", &Error{File: full, Msg: "read vars", Err: err}
		}
		if st.IsDir() {
			files, err := dirVarsFiles(full)
			return files, cand, err
		}
		return []string{full}, cand, nil
	}
	return nil, "", nil
}

func dirVarsFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{File: dir, Msg: "read vars directory", Err: err}
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") {
			continue
		}
		ext := filepath.Ext(n)
		full := filepath.Join(dir, n)
		if e.IsDir() {
			if ext == "" {
				sub, err := dirVarsFiles(full)
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
			}
			continue
		}
		if slices.Contains(varsExts, ext) {
			out = append(out, full)
		}
	}
	return out, nil
}

// readVarsFile reads one vars file into m. A file encrypted whole with
// Ansible Vault (often group_vars/all/vault.yml) is skipped with a warning:
// winfleet cannot decrypt it, and the rest of the inventory is still usable.
func (inv *Inventory) readVarsFile(file string, m map[string]Var, readFile func(string) ([]byte, error)) error {
	data, err := readFile(file)
	if err != nil {
		return &Error{File: file, Msg: "read vars", Err: err}
	}
	if isVaultString(string(data[:min(len(data), 64)])) {
		inv.warn(file, 1, "", "file is encrypted with Ansible Vault, which winfleet cannot decrypt; its variables are ignored (give passwords with password_env instead)")
		return nil
	}
	return parseVarsFile(file, data, m)
}

// maxValidationErrors bounds how many errors validate reports at once.
const maxValidationErrors = 20

// validate checks every host's connection settings and warns about hosts
// that share an address and port.
func (inv *Inventory) validate() error {
	var errs []error
	type ap struct {
		addr string
		port int
	}
	seen := make(map[ap]*Host, len(inv.hosts))
	cache := map[*Group][]map[string]Var{}
	for _, h := range inv.hosts {
		if strings.Contains(h.Name, "@") {
			errs = append(errs, &Error{File: h.File, Line: h.Line, Msg: fmt.Sprintf("host %s: %s", MaskUserinfo(h.Name), errUserinfo)})
			continue
		}
		r := newResolverCached(h, cache)
		c, err := r.settings()
		if err != nil {
			errs = append(errs, err)
			if len(errs) >= maxValidationErrors {
				errs = append(errs, fmt.Errorf("too many errors; stopped after %d", maxValidationErrors))
				break
			}
			continue
		}
		k := ap{strings.ToLower(c.Address), c.Port}
		if first := seen[k]; first != nil {
			inv.warn(h.File, h.Line, h.Name, "same address and port (%s) as host %s (%s:%d)",
				joinHostPort(c.Address, c.Port), first.Name, first.File, first.Line)
		} else {
			seen[k] = h
		}
	}
	return errors.Join(errs...)
}

func joinHostPort(a string, p int) string {
	if strings.Contains(a, ":") {
		return "[" + a + "]:" + strconv.Itoa(p)
	}
	return a + ":" + strconv.Itoa(p)
}
