package winsim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// regKey is one registry key; names are case-insensitive and keep the
// casing they were created with.
type regKey struct {
	name    string
	values  []RegValue // Key unset; Name "" is the default value
	subkeys []*regKey
}

type registry struct {
	roots map[string]*regKey
	// services are the Services keys (servicesKeyPaths): empty here, reg
	// query shows the services under them (regsearch.go).
	services []*regKey
}

var regRoots = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
	"HKCU": "HKEY_CURRENT_USER", "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
	"HKCR": "HKEY_CLASSES_ROOT", "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
	"HKU": "HKEY_USERS", "HKEY_USERS": "HKEY_USERS",
	"HKCC": "HKEY_CURRENT_CONFIG", "HKEY_CURRENT_CONFIG": "HKEY_CURRENT_CONFIG",
}

func newRegistry() *registry {
	r := &registry{roots: map[string]*regKey{}}
	for _, full := range regRoots {
		r.roots[full] = &regKey{name: full}
	}
	// Keys that exist on every Windows; the Rpc\Internet key does not.
	_ = r.set(RegValue{Key: `HKLM\SOFTWARE\Microsoft\Rpc`})
	_ = r.set(RegValue{Key: `HKLM\SOFTWARE\Microsoft\Command Processor`})
	_ = r.set(RegValue{Key: `HKCU\Software\Microsoft\Command Processor`})
	for _, p := range servicesKeyPaths {
		k, _ := r.find(`HKLM\`+p, true)
		r.services = append(r.services, k)
	}
	return r
}

// splitKey returns the full root name and the path parts; ok is false for
// an unknown root.
func splitKey(key string) (root string, parts []string, ok bool) {
	key = strings.Trim(key, `\`)
	head, rest, _ := strings.Cut(key, `\`)
	root, ok = regRoots[strings.ToUpper(head)]
	if !ok {
		return "", nil, false
	}
	for _, p := range strings.Split(rest, `\`) {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return root, parts, true
}

func (k *regKey) child(name string, create bool) *regKey {
	for _, c := range k.subkeys {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	if !create {
		return nil
	}
	c := &regKey{name: name}
	k.subkeys = append(k.subkeys, c)
	return c
}

func (r *registry) find(key string, create bool) (*regKey, bool) {
	root, parts, ok := splitKey(key)
	if !ok {
		return nil, false
	}
	k := r.roots[root]
	for _, p := range parts {
		if k = k.child(p, create); k == nil {
			return nil, true
		}
	}
	return k, true
}

func (k *regKey) value(name string) (int, bool) {
	for i, v := range k.values {
		if strings.EqualFold(v.Name, name) {
			return i, true
		}
	}
	return 0, false
}

func validRegType(t string) bool {
	switch t {
	case "REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY", "REG_NONE":
		return true
	}
	return false
}

// set creates the key and, if v names a value or has a type, sets it.
func (r *registry) set(v RegValue) error {
	k, ok := r.find(v.Key, true)
	if !ok {
		return fmt.Errorf("invalid key name %q", v.Key)
	}
	if v.Name == "" && v.Type == "" {
		return nil
	}
	v.Type = strings.ToUpper(v.Type)
	if v.Type == "" {
		v.Type = "REG_SZ"
	}
	if !validRegType(v.Type) {
		return fmt.Errorf("invalid value type %q", v.Type)
	}
	if v.Type == "REG_DWORD" || v.Type == "REG_QWORD" {
		if len(v.Data) != 1 {
			return fmt.Errorf("%s needs one number", v.Type)
		}
		if _, err := parseRegNumber(v.Data[0], v.Type); err != nil {
			return err
		}
	}
	v.Key = ""
	v.Data = append([]string(nil), v.Data...)
	if i, ok := k.value(v.Name); ok {
		k.values[i] = v
	} else {
		k.values = append(k.values, v)
	}
	return nil
}

func (r *registry) get(key, name string) (RegValue, bool) {
	k, _ := r.find(key, false)
	return k.copyValue(key, name)
}

// copyValue returns a copy of k's value name, with Key set to key; false
// when k is nil or has no such value.
func (k *regKey) copyValue(key, name string) (RegValue, bool) {
	if k == nil {
		return RegValue{}, false
	}
	i, ok := k.value(name)
	if !ok {
		return RegValue{}, false
	}
	v := k.values[i]
	v.Key = key
	v.Data = append([]string(nil), v.Data...)
	return v, true
}

func parseRegNumber(s, typ string) (uint64, error) {
	bits := 32
	if typ == "REG_QWORD" {
		bits = 64
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 0, bits)
	if err != nil {
		return 0, fmt.Errorf("invalid %s data %q", typ, s)
	}
	return n, nil
}

// display is the data column of reg query.
func (v RegValue) display(xp bool) string {
	switch v.Type {
	case "REG_MULTI_SZ":
		s := strings.Join(v.Data, `\0`)
		if xp {
			s += `\0\0`
		}
		return s
	case "REG_DWORD", "REG_QWORD":
		n, _ := parseRegNumber(v.Data[0], v.Type)
		return fmt.Sprintf("0x%x", n)
	}
	return strings.Join(v.Data, "")
}

const (
	msgRegMissing = "ERROR: The system was unable to find the specified registry key or value.\r\n"
	msgRegOK      = "The operation completed successfully.\r\n\r\n"
	msgRegDenied  = "ERROR: Access is denied.\r\n"
)

type regArgs struct {
	key              string
	name             string
	hasV, ve, va     bool
	typ, data, sep   string
	hasD, force, rec bool
	// reg query's search: /f PATTERN, /k, /d, /c, /e
	find           bool
	pattern        string
	sk, sd, sc, se bool
}

// parseRegArgs reads the arguments after the operation. For QUERY (query
// set) /f takes the search pattern, /d, /k, /c, /e are search switches and
// /s always recurses; for ADD and DELETE /f forces, /d takes the data and
// /s may take the REG_MULTI_SZ separator.
func parseRegArgs(args []string, query bool) (regArgs, bool) {
	var a regArgs
	a.sep = `\0`
	for i := 0; i < len(args); i++ {
		s := args[i]
		l := strings.ToLower(s)
		need := func() (string, bool) {
			if i+1 >= len(args) {
				return "", false
			}
			i++
			return args[i], true
		}
		var ok bool
		if query {
			switch l {
			case "/f":
				// A pattern cannot start with / (choice): "/f /d" lacks one.
				if i+1 >= len(args) || strings.HasPrefix(args[i+1], "/") {
					return a, false
				}
				a.find, a.pattern = true, args[i+1]
				i++
				continue
			case "/k", "/d", "/c", "/e":
				a.sk = a.sk || l == "/k"
				a.sd = a.sd || l == "/d"
				a.sc = a.sc || l == "/c"
				a.se = a.se || l == "/e"
				continue
			case "/s":
				a.rec = true
				continue
			}
		}
		switch l {
		case "/v":
			a.hasV = true
			if a.name, ok = need(); !ok {
				return a, false
			}
		case "/ve":
			a.ve = true
		case "/va":
			a.va = true
		case "/t":
			if a.typ, ok = need(); !ok {
				return a, false
			}
		case "/d":
			a.hasD = true
			if a.data, ok = need(); !ok {
				return a, false
			}
		case "/s":
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "/") && a.key != "" {
				a.sep, _ = need()
			} else {
				a.rec = true
			}
		case "/f", "/reg:64", "/reg:32":
			a.force = a.force || l == "/f"
		default:
			if strings.HasPrefix(s, "/") || a.key != "" {
				return a, false
			}
			a.key = s
		}
	}
	if query && !a.find && (a.sk || a.sd || a.sc || a.se) {
		return a, false // search switches without /f
	}
	if a.find && (a.hasV || a.ve) {
		return a, false // /v and /ve with /f are not modelled (choice)
	}
	return a, a.key != ""
}

// progReg implements reg query, reg add and reg delete.
func progReg(inv *invocation) int {
	h := inv.p.h
	if len(inv.args) == 0 {
		inv.err("ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n")
		return 1
	}
	op := strings.ToUpper(inv.args[0])
	a, ok := parseRegArgs(inv.args[1:], op == "QUERY")
	// reg.exe 3.0 (XP/2003) has no search.
	if !ok || a.find && h.cfg.Version.preVista() {
		inv.err("ERROR: Invalid syntax.\r\nType \"REG " + op + " /?\" for usage.\r\n")
		return 1
	}
	root, parts, ok := splitKey(a.key)
	if !ok {
		inv.err("ERROR: Invalid key name.\r\nType \"REG " + op + " /?\" for usage.\r\n")
		return 1
	}
	shown := root
	if len(parts) > 0 {
		shown += `\` + strings.Join(parts, `\`)
	}
	name := a.name
	switch op {
	case "QUERY":
		if a.find {
			return h.progRegSearch(inv, a, shown)
		}
		h.mu.Lock()
		out, rc := h.regQuery(a, shown)
		h.mu.Unlock()
		if rc != 0 {
			inv.err(out)
		} else {
			inv.out(out)
		}
		return rc
	case "ADD":
		typ := strings.ToUpper(a.typ)
		if typ == "" {
			typ = "REG_SZ"
		}
		if !validRegType(typ) {
			inv.err("ERROR: Invalid syntax.\r\nType \"REG ADD /?\" for usage.\r\n")
			return 1
		}
		v := RegValue{Key: a.key, Name: name, Type: typ, Data: []string{a.data}}
		if typ == "REG_MULTI_SZ" {
			v.Data = strings.Split(a.data, a.sep)
		}
		if (typ == "REG_DWORD" || typ == "REG_QWORD") && a.data == "" {
			v.Data = []string{"0"}
		}
		if !a.hasV && !a.ve {
			v.Name, v.Type = "", ""
		}
		if h.cfg.Faults.NotElevated && root == "HKEY_LOCAL_MACHINE" || svcRel(root, parts) > 0 {
			inv.err(msgRegDenied)
			return 1
		}
		h.mu.Lock()
		_, exists := h.reg.get(a.key, name)
		h.mu.Unlock()
		if exists && (a.hasV || a.ve) && !a.force {
			if !inv.confirm("Value " + displayName(name) + " exists, overwrite(Yes/No)? ") {
				inv.out("The operation was canceled by the user.\r\n")
				return 0
			}
		}
		h.mu.Lock()
		err := h.reg.set(v)
		if err == nil {
			h.changed()
		}
		h.mu.Unlock()
		if err != nil {
			inv.err("ERROR: Invalid syntax.\r\nType \"REG ADD /?\" for usage.\r\n")
			return 1
		}
		inv.write = true
		inv.out(msgRegOK)
		return 0
	case "DELETE":
		// The Services keys are read-only, and so is the path to them.
		keyDelete := !a.hasV && !a.ve && !a.va && len(parts) > 0
		if h.cfg.Faults.NotElevated && root == "HKEY_LOCAL_MACHINE" || svcRel(root, parts) > 0 || keyDelete && svcRel(root, parts) < 0 {
			inv.err(msgRegDenied)
			return 1
		}
		h.mu.Lock()
		k, _ := h.reg.find(a.key, false)
		found := k != nil
		if found && a.hasV {
			_, found = k.value(name)
		}
		h.mu.Unlock()
		if !found {
			inv.err(msgRegMissing)
			return 1
		}
		if !a.force {
			q := "Permanently delete the registry key " + shown + " (Yes/No)? "
			if a.hasV {
				q = "Delete the registry value " + name + " (Yes/No)? "
			} else if a.va {
				q = "Delete all values under the registry key " + shown + " (Yes/No)? "
			}
			if !inv.confirm(q) {
				return 0
			}
		}
		h.mu.Lock()
		h.reg.delete(a, parts, root)
		h.changed()
		h.mu.Unlock()
		inv.write = true
		inv.out(msgRegOK)
		return 0
	}
	inv.err("ERROR: Invalid syntax.\r\nType \"REG /?\" for usage.\r\n")
	return 1
}

func displayName(n string) string {
	if n == "" {
		return "(Default)"
	}
	return n
}

// confirm prints a prompt and reads a Yes/No answer from stdin; EOF or a
// cancelled command counts as No.
func (inv *invocation) confirm(prompt string) bool {
	inv.out(prompt)
	inv.flush()
	ans := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(io.LimitReader(inv.s.in, 4096)).ReadString('\n')
		ans <- line
	}()
	select {
	case l := <-ans:
		return strings.HasPrefix(strings.ToLower(strings.TrimSpace(l)), "y")
	case <-inv.p.ctx.Done():
		return false
	}
}

func (r *registry) delete(a regArgs, parts []string, root string) {
	k, _ := r.find(a.key, false)
	if k == nil {
		return
	}
	switch {
	case a.hasV || a.ve:
		if i, ok := k.value(a.name); ok {
			k.values = append(k.values[:i], k.values[i+1:]...)
		}
	case a.va:
		k.values = nil
	default:
		if len(parts) == 0 {
			return
		}
		parent := r.roots[root]
		for _, p := range parts[:len(parts)-1] {
			parent = parent.child(p, false)
		}
		for i, c := range parent.subkeys {
			if c == k {
				parent.subkeys = append(parent.subkeys[:i], parent.subkeys[i+1:]...)
				break
			}
		}
	}
}

// regQuery renders reg query (Vista+ format; reg.exe 3.0 format on 2003).
func (h *Host) regQuery(a regArgs, shown string) (string, int) {
	k := h.regLookup(a.key)
	if k == nil {
		return msgRegMissing, 1
	}
	xp := h.cfg.Version.preVista()
	var b strings.Builder
	if xp {
		b.WriteString("\r\n! REG.EXE VERSION 3.0\r\n")
	}
	line := func(v RegValue) { regValueLine(&b, v, xp) }
	if a.hasV || a.ve {
		i, ok := k.value(a.name)
		if !ok {
			return msgRegMissing, 1
		}
		b.WriteString("\r\n" + shown + "\r\n")
		line(k.values[i])
		b.WriteString("\r\n")
		return b.String(), 0
	}
	var walk func(k *regKey, path string)
	walk = func(k *regKey, path string) {
		b.WriteString("\r\n" + path + "\r\n")
		for _, v := range k.values {
			line(v)
		}
		kids := h.regKids(k)
		if a.rec {
			for _, c := range kids {
				walk(c, path+`\`+c.name)
			}
			return
		}
		if len(kids) > 0 {
			b.WriteString("\r\n")
			for _, c := range kids {
				b.WriteString(path + `\` + c.name + "\r\n")
			}
		}
	}
	walk(k, shown)
	b.WriteString("\r\n")
	return b.String(), 0
}

// regValueLine writes one value line of reg query: 4 spaces, then name,
// type and data separated by 4 spaces (a tab each for reg.exe 3.0, xp).
func regValueLine(b *strings.Builder, v RegValue, xp bool) {
	if xp {
		fmt.Fprintf(b, "    %s\t%s\t%s\r\n", displayName(v.Name), v.Type, v.display(true))
		return
	}
	fmt.Fprintf(b, "    %s    %s    %s\r\n", displayName(v.Name), v.Type, v.display(false))
}

// progRegSearch runs reg query with /f: the answer is cached per argument
// list until the host's state changes (render.go). A missing start key
// prints the usual error on stderr.
func (h *Host) progRegSearch(inv *invocation, a regArgs, shown string) int {
	key := "reg\x00" + strings.Join(inv.args, "\x00")
	h.mu.Lock()
	out, rc, ok := h.cached(key)
	found := true
	if !ok {
		out, rc, found = h.regSearch(a, shown)
		if found {
			h.keep(key, out, rc)
		}
	}
	h.mu.Unlock()
	if !found {
		inv.err(out)
		return rc
	}
	inv.out(out)
	return rc
}
