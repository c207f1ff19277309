package winsim

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// A catalog holds the strings a localized Windows prints. Only advfirewall
// output (show rule, no match, Ok., Deleted/Updated, the elevation error) is
// localized; everything else stays en-US.
type catalog struct {
	tag      string
	ok       string
	noMatch  string
	deleted  string // format with %d
	updated  string // format with %d
	elevate  string
	labels   map[string]string // en label (without colon) -> localized
	values   map[string]string // en value -> localized (Yes, No, In, Allow, Any, ...)
	profiles [3]string         // Domain, Private, Public
}

var english = &catalog{
	tag:      "en-US",
	ok:       "Ok.",
	noMatch:  "No rules match the specified criteria.",
	deleted:  "Deleted %d rule(s).",
	updated:  "Updated %d rule(s).",
	elevate:  "The requested operation requires elevation (Run as administrator).",
	profiles: [3]string{"Domain", "Private", "Public"},
}

// german is reconstructed from German Windows Server output as best known;
// see the README for provenance.
var german = &catalog{
	tag:     "de-DE",
	ok:      "OK.",
	noMatch: "Es wurden keine Regeln gefunden, die den angegebenen Kriterien entsprechen.",
	deleted: "%d Regel(n) gelöscht.",
	updated: "%d Regel(n) aktualisiert.",
	elevate: "Für den angeforderten Vorgang sind erhöhte Rechte erforderlich (Als Administrator ausführen).",
	labels: map[string]string{
		"Rule Name":      "Regelname",
		"Description":    "Beschreibung",
		"Enabled":        "Aktiviert",
		"Direction":      "Richtung",
		"Profiles":       "Profile",
		"Grouping":       "Gruppierung",
		"LocalIP":        "Lokale IP",
		"RemoteIP":       "Remote-IP",
		"Protocol":       "Protokoll",
		"LocalPort":      "Lokaler Port",
		"RemotePort":     "Remoteport",
		"Edge traversal": "Edgeausnahme",
		"Program":        "Programm",
		"Service":        "Dienst",
		"InterfaceTypes": "Schnittstellentypen",
		"Security":       "Sicherheit",
		"Rule source":    "Regelquelle",
		"Action":         "Aktion",
	},
	values: map[string]string{
		"Yes":           "Ja",
		"No":            "Nein",
		"In":            "Eingehend",
		"Out":           "Ausgehend",
		"Allow":         "Zulassen",
		"Block":         "Blockieren",
		"Bypass":        "Umgehen",
		"Any":           "Beliebig",
		"Local Setting": "Lokale Einstellung",
		"NotRequired":   "Nicht erforderlich",
	},
	profiles: [3]string{"Domäne", "Privat", "Öffentlich"},
}

func languageFor(tag string) (*catalog, error) {
	switch strings.ToLower(tag) {
	case "", "en", "en-us":
		return english, nil
	case "de", "de-de":
		return german, nil
	}
	return nil, fmt.Errorf("unsupported language %q (want en-US or de-DE)", tag)
}

func (c *catalog) label(en string) string {
	if l, ok := c.labels[en]; ok {
		return l
	}
	return en
}

func (c *catalog) value(en string) string {
	if v, ok := c.values[en]; ok {
		return v
	}
	return en
}

func (c *catalog) profileList(p Profiles) string {
	var parts []string
	for i, bit := range []Profiles{Domain, Private, Public} {
		if p&bit != 0 {
			parts = append(parts, c.profiles[i])
		}
	}
	return strings.Join(parts, ",")
}

// codePage is the code page a shell's programs write in: the host's
// OEMCodePage fault if set, else the WINRS_CODEPAGE the client asked for
// (437, 850; 65001 or anything else means UTF-8).
func (h *Host) codePage(shell string) int {
	if cp := h.cfg.Faults.OEMCodePage; cp != 0 {
		return cp
	}
	switch strings.TrimSpace(shell) {
	case "437":
		return 437
	case "850":
		return 850
	}
	return 65001
}

// emit writes text to w in one Write, encoded in the process's code page.
func (p *proc) emit(w io.Writer, text string) {
	if text == "" || w == nil {
		return
	}
	var b []byte
	switch p.cp {
	case 437:
		b = encodeCP(charmap.CodePage437, text)
	case 850:
		b = encodeCP(charmap.CodePage850, text)
	default:
		_, _ = io.WriteString(w, text) // the emulator's writers copy from the string
		return
	}
	_, _ = w.Write(b)
}

func encodeCP(cm *charmap.Charmap, s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		if b, ok := cm.EncodeRune(r); ok {
			out = append(out, b)
		} else {
			out = append(out, '?')
		}
	}
	return out
}
