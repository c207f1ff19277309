package winsim

import (
	"sort"
	"strings"
)

// env is one cmd.exe environment block; names are case-insensitive.
type env map[string][2]string // lower-case name -> {name, value}

func (e env) get(name string) (string, bool) {
	v, ok := e[strings.ToLower(name)]
	return v[1], ok
}

func (e env) set(name, value string) {
	if value == "" {
		delete(e, strings.ToLower(name))
		return
	}
	e[strings.ToLower(name)] = [2]string{name, value}
}

func (e env) clone() env {
	c := make(env, len(e))
	for k, v := range e {
		c[k] = v
	}
	return c
}

// sorted returns NAME=value lines in `set` order.
func (e env) sorted() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = e[k][0] + "=" + e[k][1]
	}
	return out
}

// systemRoot is %SystemRoot%: C:\WINDOWS on 2003, C:\Windows later.
func (h *Host) systemRoot() string {
	if h.cfg.Version.preVista() {
		return `C:\WINDOWS`
	}
	return `C:\Windows`
}

// startEnv is the environment a WinRM shell starts with, built once per
// host and shared: it must not be changed (proc.setEnv copies it first).
func (h *Host) startEnv() env {
	h.envOnce.Do(func() { h.env = h.baseEnv() })
	return h.env
}

// baseEnv builds the environment a WinRM shell starts with.
func (h *Host) baseEnv() env {
	root := h.systemRoot()
	e := env{}
	user := h.cfg.User
	domain := h.cfg.Domain
	if domain == "" {
		domain = h.cfg.ComputerName
	}
	profile := `C:\Users\` + user
	data := `C:\ProgramData`
	appData, temp, arch := profile+`\AppData\Roaming`, profile+`\AppData\Local\Temp`, "AMD64"
	if h.cfg.Version.preVista() {
		profile = `C:\Documents and Settings\` + user
		data = `C:\Documents and Settings\All Users\Application Data`
		appData, temp, arch = profile+`\Application Data`, profile+`\Local Settings\Temp`, "x86"
	}
	vars := [][2]string{
		{"ALLUSERSPROFILE", data},
		{"APPDATA", appData},
		{"CommonProgramFiles", `C:\Program Files\Common Files`},
		{"COMPUTERNAME", h.cfg.ComputerName},
		{"ComSpec", root + `\system32\cmd.exe`},
		{"NUMBER_OF_PROCESSORS", "2"},
		{"OS", "Windows_NT"},
		{"Path", root + `\system32;` + root + `;` + root + `\System32\Wbem`},
		{"PATHEXT", ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC"},
		{"PROCESSOR_ARCHITECTURE", arch},
		{"ProgramFiles", `C:\Program Files`},
		{"PROMPT", "$P$G"},
		{"SystemDrive", "C:"},
		{"SystemRoot", root},
		{"TEMP", temp},
		{"TMP", temp},
		{"USERDOMAIN", domain},
		{"USERNAME", user},
		{"USERPROFILE", profile},
		{"windir", root},
	}
	if h.cfg.Version.x64() {
		vars = append(vars,
			[2]string{"CommonProgramFiles(x86)", `C:\Program Files (x86)\Common Files`},
			[2]string{"CommonProgramW6432", `C:\Program Files\Common Files`},
			[2]string{"ProgramData", data},
			[2]string{"ProgramFiles(x86)", `C:\Program Files (x86)`},
			[2]string{"ProgramW6432", `C:\Program Files`},
			[2]string{"PUBLIC", `C:\Users\Public`},
		)
		if h.cfg.Version.HasAdvfirewall() {
			vars = append(vars, [2]string{"PSModulePath", root + `\system32\WindowsPowerShell\v1.0\Modules\`})
		}
	}
	if h.cfg.Domain != "" {
		vars = append(vars, [2]string{"USERDNSDOMAIN", strings.ToUpper(h.cfg.Domain) + ".EXAMPLE"})
	}
	for _, v := range vars {
		e.set(v[0], v[1])
	}
	return e
}

// expandEnv expands %VAR% with the host's base environment (no pseudo variables).
func (h *Host) expandEnv(s string) string {
	return expandPercent(s, h.startEnv(), nil)
}

// expandPercent does cmd.exe's phase-1 expansion of %VAR% on a command line.
// Undefined variables are left as typed (command-line, not batch, rules).
// dyn supplies the pseudo variables (ERRORLEVEL, CD, ...), which real
// variables of the same name override.
func expandPercent(s string, e env, dyn func(string) (string, bool)) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '%' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		name := s[i+1 : i+1+j]
		if v, ok := lookupVar(name, e, dyn); ok && name != "" {
			b.WriteString(v)
			i += j + 2
			continue
		}
		b.WriteByte('%')
		i++
	}
	return b.String()
}

// expandDelayed does delayed expansion of !VAR!.
func expandDelayed(s string, e env, dyn func(string) (string, bool)) string {
	if !strings.Contains(s, "!") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '!' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := strings.IndexByte(s[i+1:], '!')
		if j < 0 {
			// A lone "!" is removed by delayed expansion.
			b.WriteString(s[i+1:])
			break
		}
		name := s[i+1 : i+1+j]
		if v, ok := lookupVar(name, e, dyn); ok && name != "" {
			b.WriteString(v)
		}
		i += j + 2
	}
	return b.String()
}

func lookupVar(name string, e env, dyn func(string) (string, bool)) (string, bool) {
	if v, ok := e.get(name); ok {
		return v, true
	}
	if dyn != nil {
		return dyn(name)
	}
	return "", false
}
