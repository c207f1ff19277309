package winsim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The Services keys. Windows keeps each service's configuration under
// HKLM\SYSTEM\CurrentControlSet\Services\<Name> (CurrentControlSet being a
// link to ControlSet001). The simulator does not store these keys: reg
// query builds them from h.services each time it reaches a Services key,
// so a change of a service shows at once. The registry tree holds the two
// Services keys themselves (empty, so that they exist on every host), and
// writes at or below them are refused (svcRel).

// servicesKeyPaths are the Services keys (under HKEY_LOCAL_MACHINE) that
// list the services, ControlSet001 first as Windows lists it.
var servicesKeyPaths = [...]string{`SYSTEM\ControlSet001\Services`, `SYSTEM\CurrentControlSet\Services`}

// svcRel tells where a key (as splitKey returns it) lies relative to the
// Services keys: 1 at or below one, -1 above one (HKLM\SYSTEM,
// HKLM\SYSTEM\CurrentControlSet, HKLM itself), 0 elsewhere.
func svcRel(root string, parts []string) int {
	if root != "HKEY_LOCAL_MACHINE" {
		return 0
	}
	for i, p := range parts {
		switch {
		case i == 0 && strings.EqualFold(p, "SYSTEM"),
			i == 1 && (strings.EqualFold(p, "CurrentControlSet") || strings.EqualFold(p, "ControlSet001")),
			i == 2 && strings.EqualFold(p, "Services"):
		case i >= 3:
			return 1
		default:
			return 0
		}
	}
	if len(parts) >= 3 {
		return 1
	}
	return -1
}

// isServicesKey reports whether k is one of the registry tree's Services keys.
func (r *registry) isServicesKey(k *regKey) bool {
	for _, s := range r.services {
		if s == k {
			return true
		}
	}
	return false
}

// regKids returns k's subkeys as reg query shows them: for a Services key
// one key per service, in case-insensitive name order (h.mu held).
func (h *Host) regKids(k *regKey) []*regKey {
	if h.reg.isServicesKey(k) {
		return h.serviceKeys()
	}
	return k.subkeys
}

// regLookup finds key as reg query sees it (Services keys included); nil
// if it does not exist (h.mu held).
func (h *Host) regLookup(key string) *regKey {
	root, parts, ok := splitKey(key)
	if !ok {
		return nil
	}
	k := h.reg.roots[root]
	for _, p := range parts {
		var next *regKey
		for _, c := range h.regKids(k) {
			if strings.EqualFold(c.name, p) {
				next = c
				break
			}
		}
		if next == nil {
			return nil
		}
		k = next
	}
	return k
}

// serviceKeys builds the Services subkeys from h.services (h.mu held): a
// service listed twice (names differ in case only) shows once, as sc finds
// it (the first).
func (h *Host) serviceKeys() []*regKey {
	svcs := make([]*Service, len(h.services))
	for i := range h.services {
		svcs[i] = &h.services[i]
	}
	sort.SliceStable(svcs, func(i, j int) bool { return strings.ToLower(svcs[i].Name) < strings.ToLower(svcs[j].Name) })
	keys := make([]*regKey, 0, len(svcs))
	for _, s := range svcs {
		if n := len(keys); n > 0 && strings.EqualFold(keys[n-1].name, s.Name) {
			continue
		}
		keys = append(keys, serviceKey(s))
	}
	return keys
}

// serviceKey is one service's key: Type, Start, ErrorControl, ImagePath,
// DisplayName and ObjectName (omitted when the service has no start name).
func serviceKey(s *Service) *regKey {
	typ := "0x10" // SERVICE_WIN32_OWN_PROCESS
	if s.Shared {
		typ = "0x20" // SERVICE_WIN32_SHARE_PROCESS
	}
	st := s.StartType
	if st == "" {
		st = "AUTO_START"
	}
	k := &regKey{name: s.Name, values: make([]RegValue, 0, 6)}
	k.values = append(k.values,
		RegValue{Name: "Type", Type: "REG_DWORD", Data: []string{typ}},
		RegValue{Name: "Start", Type: "REG_DWORD", Data: []string{strconv.Itoa(startCodes[st])}},
		RegValue{Name: "ErrorControl", Type: "REG_DWORD", Data: []string{"1"}},
		RegValue{Name: "ImagePath", Type: "REG_EXPAND_SZ", Data: []string{s.BinaryPath}},
		RegValue{Name: "DisplayName", Type: "REG_SZ", Data: []string{s.DisplayName}},
	)
	if s.StartName != "" {
		k.values = append(k.values, RegValue{Name: "ObjectName", Type: "REG_SZ", Data: []string{s.StartName}})
	}
	return k
}

// A regFinder is reg query's /f search: pattern and what to search.
type regFinder struct {
	pattern, lower    string
	keys, names, data bool // search key names, value names, value data
	caseSensitive     bool // /c
	exact             bool // /e
}

func newRegFinder(a regArgs) *regFinder {
	f := &regFinder{pattern: a.pattern, lower: strings.ToLower(a.pattern), caseSensitive: a.sc, exact: a.se}
	if !a.sk && !a.sd {
		f.keys, f.names, f.data = true, true, true
	} else {
		f.keys, f.data = a.sk, a.sd
	}
	return f
}

// match is a substring match (whole string with /e), case-insensitive
// unless /c. A * in the pattern is an ordinary character.
func (f *regFinder) match(s string) bool {
	switch {
	case f.exact && f.caseSensitive:
		return s == f.pattern
	case f.exact:
		return strings.EqualFold(s, f.pattern)
	case f.caseSensitive:
		return strings.Contains(s, f.pattern)
	}
	return strings.Contains(strings.ToLower(s), f.lower)
}

// matchValue matches a value's name and data: REG_MULTI_SZ data on any
// element, other types on the text reg query shows (0x10 for a DWORD).
func (f *regFinder) matchValue(v RegValue) bool {
	if f.names && f.match(v.Name) {
		return true
	}
	if !f.data {
		return false
	}
	if v.Type == "REG_MULTI_SZ" {
		for _, e := range v.Data {
			if f.match(e) {
				return true
			}
		}
		return false
	}
	return f.match(v.display(false))
}

// regSearch renders reg query KEY /f PATTERN [/s] [/k] [/d] [/c] [/e]
// (Vista+ reg.exe; h.mu held). found is false for a missing start key (out
// is then the stderr message). For each key with a hit, depth first in the
// order of reg query /s: a blank line, the key path, the matching values;
// a key whose name matched shows its path even without a matching value.
// Then "End of search: N match(es) found." with N = key-name hits + value
// hits; exit 1 when N is 0. Without /s only the start key's values and
// its direct subkeys' names are searched; the start key's own name never
// is.
func (h *Host) regSearch(a regArgs, shown string) (out string, rc int, found bool) {
	k := h.regLookup(a.key)
	if k == nil {
		return msgRegMissing, 1, false
	}
	f := newRegFinder(a)
	var b strings.Builder
	n := 0
	// visit searches k: its name if nameHit says it matched, its values if
	// values, its subkeys if kids.
	var visit func(k *regKey, path string, nameHit, values, kids bool)
	visit = func(k *regKey, path string, nameHit, values, kids bool) {
		head := false
		header := func() {
			if !head {
				b.WriteString("\r\n" + path + "\r\n")
				head = true
			}
		}
		if nameHit {
			header()
			n++
		}
		if values && (f.names || f.data) {
			for _, v := range k.values {
				if f.matchValue(v) {
					header()
					regValueLine(&b, v, false)
					n++
				}
			}
		}
		if !kids {
			return
		}
		for _, c := range h.regKids(k) {
			hit := f.keys && f.match(c.name)
			if a.rec {
				visit(c, path+`\`+c.name, hit, true, true)
			} else if hit {
				visit(c, path+`\`+c.name, true, false, false)
			}
		}
	}
	visit(k, shown, false, true, true)
	fmt.Fprintf(&b, "\r\nEnd of search: %d match(es) found.\r\n", n)
	if n == 0 {
		return b.String(), 1, true
	}
	return b.String(), 0, true
}
