package winsim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"encoding/base64"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// streams are the three standard handles of a command.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// proc is one cmd.exe (or powershell.exe) instance: an environment, the
// ERRORLEVEL and the delayed-expansion switch.
type proc struct {
	h       *Host
	ctx     context.Context
	shell   winrmtest.ShellInfo
	env     env
	ownEnv  bool // env is this proc's own (else shared: copied before a set)
	delayed bool
	ps      bool
	cp      int // output code page (437, 850 or 65001)

	errorlevel   int
	lastNotFound bool
	exited       bool
	exitCode     int

	line *lineState // the received line, shared by child processes
}

func (h *Host) newProc(ctx context.Context, shell winrmtest.ShellInfo, delayed, ps bool) *proc {
	return &proc{h: h, ctx: ctx, shell: shell, env: h.startEnv(), delayed: delayed, ps: ps, cp: h.codePage(shell.Codepage)}
}

// child starts a cmd.exe (or powershell.exe) from p: it inherits p's
// environment, which both copy before they change it.
func (p *proc) child(delayed, ps bool) *proc {
	p.ownEnv = false
	return &proc{h: p.h, ctx: p.ctx, shell: p.shell, env: p.env, delayed: delayed, ps: ps, cp: p.cp, line: p.line}
}

// setEnv sets an environment variable of p, copying a shared environment
// first.
func (p *proc) setEnv(name, value string) {
	if !p.ownEnv {
		p.env, p.ownEnv = p.env.clone(), true
	}
	p.env.set(name, value)
}

// dyn resolves cmd.exe's pseudo variables.
func (p *proc) dyn(name string) (string, bool) {
	switch strings.ToUpper(name) {
	case "ERRORLEVEL":
		return strconv.Itoa(p.errorlevel), true
	case "CD":
		return p.h.homeDir(), true
	case "CMDEXTVERSION":
		return "2", true
	case "DATE":
		return "Thu 11/26/2026", true
	case "TIME":
		return "12:00:00.00", true
	case "RANDOM":
		return "4711", true
	}
	return "", false
}

func (h *Host) homeDir() string {
	if h.cfg.Version.preVista() {
		return `C:\Documents and Settings\` + h.cfg.User
	}
	return `C:\Users\` + h.cfg.User
}

// result is the exit code of this cmd.exe instance.
func (p *proc) result() int {
	switch {
	case p.exited:
		return p.exitCode
	case p.lastNotFound:
		// ERRORLEVEL is 9009, but cmd /c exits with 1 when the last
		// command was not found.
		return 1
	}
	return p.errorlevel
}

// runCmdLine runs one line as `cmd /c LINE` would after its switches:
// %VAR% expansion (not in PowerShell mode), parsing, execution.
func (p *proc) runCmdLine(line string, s streams) int {
	if !p.ps {
		line = expandPercent(line, p.env, p.dyn)
	}
	tree, err := parseLine(line)
	if err != nil {
		p.emit(s.err, err.Error()+"\r\n")
		p.errorlevel = 255
		return 255
	}
	if tree != nil {
		p.run(tree, s)
	}
	return p.result()
}

// A node is a parsed command line: either a simple command or two nodes
// joined by an operator.
type node struct {
	op          string // "", "&", "&&", "||", "|"
	left, right *node
	cmd         *simple
}

type simple struct {
	text   string // command text: carets removed, redirections removed, quotes kept
	redirs []redir
}

type redir struct {
	fd     int    // 0, 1, 2
	dup    int    // handle to duplicate (n>&m), or -1
	target string // file name when dup < 0
}

// syntaxError is a cmd.exe parse error; its text is what cmd prints.
type syntaxError string

func (e syntaxError) Error() string { return string(e) }

// parseLine does cmd.exe's phase 2 on an expanded line: quotes protect
// operators, ^ escapes the next character outside quotes, & && || | split
// commands (| binds tightest, then && and ||, then &), n>x n>&m >>x <x are
// redirections.
func parseLine(line string) (*node, error) {
	type item struct {
		op  string
		cmd *simple
	}
	var items []item
	cur := &simple{}
	var buf strings.Builder
	inQuote := false
	flush := func() {
		cur.text = buf.String()
		items = append(items, item{cmd: cur})
		cur = &simple{}
		buf.Reset()
	}
	n := len(line)
	for i := 0; i < n; i++ {
		c := line[i]
		if inQuote {
			buf.WriteByte(c)
			if c == '"' {
				inQuote = false
			}
			continue
		}
		switch c {
		case '"':
			inQuote = true
			buf.WriteByte(c)
		case '^':
			if i+1 < n {
				i++
				buf.WriteByte(line[i])
			}
		case '\r', '\n':
			// A line break ends the line for cmd /c.
			i = n
		case '&', '|':
			flush()
			op := string(c)
			if i+1 < n && line[i+1] == c {
				op += string(c)
				i++
			}
			items = append(items, item{op: op})
		case '>', '<':
			fd := 1
			if c == '<' {
				fd = 0
			}
			t := buf.String()
			if k := len(t); k > 0 && t[k-1] >= '0' && t[k-1] <= '9' && (k == 1 || t[k-2] == ' ' || t[k-2] == '\t') {
				fd = int(t[k-1] - '0')
				buf.Reset()
				buf.WriteString(t[:k-1])
			}
			if c == '>' && i+1 < n && line[i+1] == '>' {
				i++
			}
			j := i + 1
			for j < n && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			r := redir{fd: fd, dup: -1}
			if j+1 < n && line[j] == '&' && line[j+1] >= '0' && line[j+1] <= '9' {
				r.dup = int(line[j+1] - '0')
				i = j + 1
			} else {
				var tb strings.Builder
				q := false
				for ; j < n; j++ {
					ch := line[j]
					if q {
						if ch == '"' {
							q = false
						} else {
							tb.WriteByte(ch)
						}
						continue
					}
					if ch == '"' {
						q = true
						continue
					}
					if ch == '^' && j+1 < n {
						j++
						tb.WriteByte(line[j])
						continue
					}
					if ch == ' ' || ch == '\t' || ch == '&' || ch == '|' || ch == '<' || ch == '>' {
						break
					}
					tb.WriteByte(ch)
				}
				if tb.Len() == 0 {
					return nil, syntaxError("The syntax of the command is incorrect.")
				}
				r.target = tb.String()
				i = j - 1
			}
			if fd > 2 || r.dup > 2 {
				return nil, syntaxError("The handle could not be duplicated\r\nduring redirection of handle " + strconv.Itoa(fd) + ".")
			}
			cur.redirs = append(cur.redirs, r)
		default:
			buf.WriteByte(c)
		}
	}
	flush()
	// Validate: an operator needs a command on its left (cmd reports
	// "X was unexpected at this time."); a trailing & is allowed.
	for k, it := range items {
		if it.op == "" {
			continue
		}
		left := items[k-1].cmd
		if strings.TrimSpace(left.text) == "" && len(left.redirs) == 0 {
			return nil, syntaxError(it.op + " was unexpected at this time.")
		}
		right := items[k+1].cmd
		if it.op != "&" && strings.TrimSpace(right.text) == "" && len(right.redirs) == 0 {
			return nil, syntaxError("The syntax of the command is incorrect.")
		}
	}
	// Precedence climbing over cmd, op, cmd, ...
	prec := map[string]int{"&": 1, "&&": 2, "||": 2, "|": 3}
	pos := 0
	var parse func(min int) *node
	parse = func(min int) *node {
		left := &node{cmd: items[pos].cmd}
		pos++
		for pos < len(items) && prec[items[pos].op] >= min {
			op := items[pos].op
			pos++
			right := parse(prec[op] + 1)
			left = &node{op: op, left: left, right: right}
		}
		return left
	}
	if len(items) == 1 && strings.TrimSpace(items[0].cmd.text) == "" && len(items[0].cmd.redirs) == 0 {
		return nil, nil
	}
	return parse(1), nil
}

// run executes a parsed line; it returns the node's own return code (what
// && and || test).
func (p *proc) run(n *node, s streams) int {
	if p.exited || (p.line != nil && p.line.cut) || p.ctx.Err() != nil {
		return p.errorlevel
	}
	switch n.op {
	case "":
		return p.runSimple(n.cmd, s)
	case "&":
		p.run(n.left, s)
		return p.run(n.right, s)
	case "&&":
		if rc := p.run(n.left, s); rc != 0 {
			return rc
		}
		return p.run(n.right, s)
	case "||":
		if rc := p.run(n.left, s); rc == 0 {
			return rc
		}
		return p.run(n.right, s)
	case "|":
		var buf bytes.Buffer
		p.run(n.left, streams{in: s.in, out: &buf, err: s.err})
		return p.run(n.right, streams{in: &buf, out: s.out, err: s.err})
	}
	return 0
}

func (p *proc) runSimple(c *simple, s streams) int {
	text := c.text
	if p.delayed {
		text = expandDelayed(text, p.env, p.dyn)
	}
	hs := s
	for _, r := range c.redirs {
		switch {
		case r.fd == 0:
			if !strings.EqualFold(r.target, "nul") {
				p.emit(s.err, "The system cannot find the file specified.\r\n")
				p.errorlevel = 1
				return 1
			}
			hs.in = strings.NewReader("")
		case r.dup == 1:
			setHandle(&hs, r.fd, hs.out)
		case r.dup == 2:
			setHandle(&hs, r.fd, hs.err)
		case r.dup == 0:
			setHandle(&hs, r.fd, io.Discard)
		default:
			// Files are not modelled: output redirected to a file (or nul)
			// is discarded.
			setHandle(&hs, r.fd, io.Discard)
		}
	}
	trimmed := strings.TrimLeft(text, " \t@;,=")
	if strings.TrimSpace(trimmed) == "" {
		return 0
	}
	if cn, ok := p.h.cannedFor(strings.TrimSpace(trimmed)); ok {
		rc := p.h.writeCanned(cn, hs.out, hs.err)
		p.h.record(Invocation{Line: strings.TrimSpace(trimmed), Program: "canned", Exit: rc})
		p.errorlevel, p.lastNotFound = rc, false
		return rc
	}
	name, rest := splitProgram(trimmed)
	prog := programName(name)
	if b, ok := builtins[prog]; ok && !strings.ContainsAny(name, `\"`) {
		p.lastNotFound = false
		return b(p, rest, hs)
	}
	ext, ok := p.h.program(prog)
	if !ok {
		shown := strings.Trim(name, `"`)
		if p.ps {
			p.emit(hs.err, psNotFound(shown))
			p.errorlevel, p.lastNotFound = 1, false
			return 1
		}
		p.emit(hs.err, "'"+shown+"' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n")
		p.errorlevel, p.lastNotFound = 9009, true
		return 9009
	}
	inv := &invocation{p: p, name: prog, raw: rest, args: splitArgs(rest), s: hs}
	write := p.line != nil && IsWriteProgram(p.h.cfg.Version, prog, inv.args)
	if write && !p.line.beforeWrite() {
		p.errorlevel, p.lastNotFound = 1, false
		return 1
	}
	rc := ext(inv)
	if write && p.line.afterWrite(inv.write) {
		// The answer is withheld: what the program printed never leaves.
		p.h.record(Invocation{Line: strings.TrimSpace(trimmed), Program: prog, Write: inv.write, Exit: rc})
		p.errorlevel, p.lastNotFound = rc, false
		return rc
	}
	inv.flush()
	p.h.record(Invocation{Line: strings.TrimSpace(trimmed), Program: prog, Write: inv.write, Exit: rc})
	p.errorlevel, p.lastNotFound = rc, false
	return rc
}

func setHandle(s *streams, fd int, w io.Writer) {
	switch fd {
	case 1:
		s.out = w
	case 2:
		s.err = w
	}
}

// splitProgram splits a command into its program name and the rest.
func splitProgram(t string) (name, rest string) {
	if strings.HasPrefix(t, `"`) {
		if j := strings.IndexByte(t[1:], '"'); j >= 0 {
			return t[:j+2], t[j+2:]
		}
		return t, ""
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == ' ' || c == '\t' || c == '/' || c == ',' || c == ';' || c == '=' {
			return t[:i], t[i:]
		}
		if strings.EqualFold(t[:i], "echo") && strings.IndexByte(".:([+]\\", c) >= 0 {
			return t[:i], t[i:]
		}
	}
	return t, ""
}

// programName reduces "C:\Windows\System32\NETSH.EXE" to "netsh".
func programName(name string) string {
	n := strings.Trim(name, `"`)
	if i := strings.LastIndexByte(n, '\\'); i >= 0 {
		n = n[i+1:]
	}
	n = strings.ToLower(n)
	for _, ext := range []string{".exe", ".com"} {
		n = strings.TrimSuffix(n, ext)
	}
	return n
}

// splitArgs splits a command tail into argv the way the Microsoft C runtime
// (CommandLineToArgvW) does: whitespace separates, quotes group, 2n
// backslashes before a quote become n and the quote toggles, 2n+1
// backslashes become n and a literal quote, "" inside quotes is a quote.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	inArg, inQuote := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			j := i
			for j < len(s) && s[j] == '\\' {
				j++
			}
			nb := j - i
			if j < len(s) && s[j] == '"' {
				cur.WriteString(strings.Repeat(`\`, nb/2))
				if nb%2 == 1 {
					cur.WriteByte('"')
					i = j
				} else {
					i = j - 1
				}
			} else {
				cur.WriteString(strings.Repeat(`\`, nb))
				i = j - 1
			}
			inArg = true
		case c == '"':
			if inQuote && i+1 < len(s) && s[i+1] == '"' {
				cur.WriteByte('"')
				i++
			} else {
				inQuote = !inQuote
			}
			inArg = true
		case (c == ' ' || c == '\t') && !inQuote:
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// An invocation is one run of an external program.
type invocation struct {
	p     *proc
	name  string
	raw   string   // the command text after the program name
	args  []string // argv[1:]
	s     streams
	write bool // set by the program when it changed state

	stdout, stderr textBuf
}

// textBuf collects a program's output for one stream: a single piece (the
// usual case: netsh builds its whole answer) is kept as it is, several are
// joined.
type textBuf struct {
	first string
	more  strings.Builder
	n     int
}

func (t *textBuf) WriteString(s string) {
	if s == "" {
		return
	}
	switch t.n {
	case 0:
		t.first = s
	case 1:
		t.more.Grow(len(t.first) + len(s))
		t.more.WriteString(t.first)
		fallthrough
	default:
		t.more.WriteString(s)
	}
	t.n++
}

func (t *textBuf) String() string {
	if t.n <= 1 {
		return t.first
	}
	return t.more.String()
}

func (t *textBuf) Reset() { *t = textBuf{} }

// out and err buffer a program's output; runSimple writes each stream with
// one Write when the program ends (programs build their output under the
// host lock, and nothing is written to the network while it is held).
func (inv *invocation) out(text string) { inv.stdout.WriteString(text) }
func (inv *invocation) err(text string) { inv.stderr.WriteString(text) }

// flush writes what the program printed so far.
func (inv *invocation) flush() {
	inv.p.emit(inv.s.out, inv.stdout.String())
	inv.p.emit(inv.s.err, inv.stderr.String())
	inv.stdout.Reset()
	inv.stderr.Reset()
}

// builtins are cmd.exe's internal commands.
var builtins = map[string]func(p *proc, rest string, s streams) int{
	"echo":     builtinEcho,
	"ver":      builtinVer,
	"set":      builtinSet,
	"exit":     builtinExit,
	"cd":       builtinCd,
	"chdir":    builtinCd,
	"rem":      func(*proc, string, streams) int { return 0 },
	"cls":      func(*proc, string, streams) int { return 0 },
	"title":    func(*proc, string, streams) int { return 0 },
	"setlocal": func(*proc, string, streams) int { return 0 },
	"endlocal": func(*proc, string, streams) int { return 0 },
}

func builtinEcho(p *proc, rest string, s streams) int {
	if strings.TrimSpace(rest) == "" && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
		p.emit(s.out, "ECHO is on.\r\n")
		return 0
	}
	switch strings.ToLower(strings.TrimSpace(rest)) {
	case "on", "off":
		return 0
	}
	p.emit(s.out, rest[1:]+"\r\n")
	return 0
}

func builtinVer(p *proc, _ string, s streams) int {
	p.emit(s.out, "\r\nMicrosoft Windows [Version "+p.h.cfg.Version.Build()+"]\r\n")
	return 0
}

func builtinCd(p *proc, rest string, s streams) int {
	if strings.TrimSpace(rest) == "" {
		p.emit(s.out, p.h.homeDir()+"\r\n")
	}
	return 0
}

func builtinSet(p *proc, rest string, s streams) int {
	// set keeps trailing blanks in the value ("set X=1 & ..." sets "1 ").
	arg := strings.TrimLeft(rest, " \t")
	if strings.TrimSpace(arg) == "" {
		p.emit(s.out, strings.Join(p.env.sorted(), "\r\n")+"\r\n")
		return 0
	}
	if strings.HasPrefix(arg, `"`) {
		if j := strings.LastIndexByte(arg, '"'); j > 0 {
			arg = arg[1:j]
		}
	}
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		name = strings.TrimSpace(name)
		var out []string
		for _, kv := range p.env.sorted() {
			if len(kv) >= len(name) && strings.EqualFold(kv[:len(name)], name) {
				out = append(out, kv)
			}
		}
		if len(out) == 0 {
			p.emit(s.err, "Environment variable "+name+" not defined\r\n")
			p.errorlevel = 1
			return 1
		}
		p.emit(s.out, strings.Join(out, "\r\n")+"\r\n")
		return 0
	}
	p.setEnv(name, value)
	return 0
}

func builtinExit(p *proc, rest string, _ streams) int {
	f := strings.Fields(rest)
	if len(f) > 0 && strings.EqualFold(f[0], "/b") {
		f = f[1:]
	}
	code := p.errorlevel
	if len(f) > 0 {
		if n, err := strconv.Atoi(f[0]); err == nil {
			code = n
		} else {
			code = 0
		}
	}
	p.exited, p.exitCode, p.errorlevel = true, code, code
	return code
}

// program returns the handler of an external program available on this host.
func (h *Host) program(name string) (func(*invocation) int, bool) {
	switch name {
	case "cmd":
		return progCmd, true
	case "netsh":
		return progNetsh, true
	case "sc":
		return progSc, true
	case "reg":
		return progReg, true
	case "net", "net1":
		return progNet, true
	case "whoami":
		return progWhoami, true
	case "hostname":
		return progHostname, true
	case "chcp":
		return progChcp, true
	case "findstr", "find":
		return progFindstr, true
	case "powershell":
		if h.cfg.Version.preVista() {
			return nil, false
		}
		return progPowerShell, true
	}
	return nil, false
}

// progCmd is cmd.exe: /c (or /k) runs the rest of the line, /v:on turns on
// delayed expansion, /s forces the quote-stripping rule.
func progCmd(inv *invocation) int {
	rest := inv.raw
	delayed, strip := inv.p.delayed, false
	for {
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "/") {
			break
		}
		end := strings.IndexAny(rest, " \t\"")
		if end < 0 {
			end = len(rest)
		}
		sw := strings.ToLower(rest[:end])
		// cmd accepts "/c" glued to the command ("/cecho hi").
		if len(sw) > 2 && (sw[:2] == "/c" || sw[:2] == "/k") && !strings.HasPrefix(sw, "/v") {
			rest = rest[2:]
			goto run
		}
		rest = rest[end:]
		switch {
		case sw == "/c" || sw == "/k":
			goto run
		case sw == "/v:on" || sw == "/v":
			delayed = true
		case sw == "/v:off":
			delayed = false
		case sw == "/s":
			strip = true
		}
	}
	// Without /c, cmd would start an interactive shell reading stdin; WinRM
	// commands never do that in practice, so it prints the banner and exits.
	inv.out("Microsoft Windows [Version " + inv.p.h.cfg.Version.Build() + "]\r\n")
	return 0
run:
	line := strings.TrimLeft(rest, " \t")
	line = stripCmdQuotes(line, strip, func(s string) bool {
		_, ok := inv.p.h.program(programName(s))
		return ok || strings.HasSuffix(strings.ToLower(s), ".exe")
	})
	c := inv.p.child(delayed, false)
	return c.runCmdLine(line, inv.s)
}

// stripCmdQuotes applies `cmd /c`'s rule (see cmd /?): quotes are kept only
// when there are exactly two, nothing special between them, whitespace
// between them and the quoted text names an executable; otherwise a leading
// quote is removed together with the last quote of the line.
func stripCmdQuotes(line string, forceStrip bool, isExe func(string) bool) string {
	if !strings.HasPrefix(line, `"`) {
		return line
	}
	if !forceStrip && strings.Count(line, `"`) == 2 {
		end := strings.IndexByte(line[1:], '"') + 1
		inner := line[1:end]
		if !strings.ContainsAny(inner, "&<>()@^|") && strings.ContainsAny(inner, " \t") && isExe(inner) {
			return line
		}
	}
	last := strings.LastIndexByte(line, '"')
	if last == 0 {
		return line[1:]
	}
	return line[1:last] + line[last+1:]
}

// progPowerShell models `powershell -EncodedCommand <base64 UTF-16LE>` and
// `-Command`: the script is run statement by statement as plain command
// lines (no %VAR% expansion, as PowerShell does none).
func progPowerShell(inv *invocation) int {
	var script string
	have := false
	args := inv.args
	for i := 0; i < len(args); i++ {
		a := strings.ToLower(args[i])
		switch {
		case a == "-e" || a == "-ec" || (len(a) >= 3 && strings.HasPrefix("-encodedcommand", a)):
			if i+1 >= len(args) {
				inv.err("Missing argument for parameter EncodedCommand.\r\n")
				return 1
			}
			b, err := base64.StdEncoding.DecodeString(args[i+1])
			if err != nil || len(b)%2 != 0 {
				inv.err("Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.\r\n")
				return 1
			}
			u := make([]uint16, len(b)/2)
			for k := range u {
				u[k] = uint16(b[2*k]) | uint16(b[2*k+1])<<8
			}
			script, have = string(utf16.Decode(u)), true
			i = len(args)
		case a == "-c" || (len(a) >= 3 && strings.HasPrefix("-command", a)):
			script, have = strings.Join(args[i+1:], " "), true
			i = len(args)
		case a == "-ep" || a == "-ex" || strings.HasPrefix(a, "-exec") ||
			strings.HasPrefix(a, "-inputf") || strings.HasPrefix(a, "-outputf") ||
			strings.HasPrefix(a, "-windows") || a == "-w" || strings.HasPrefix(a, "-vers") ||
			strings.HasPrefix(a, "-config") || strings.HasPrefix(a, "-psc"):
			i++
		case strings.HasPrefix(a, "-"):
			// -NoProfile, -NonInteractive, -NoLogo, -Sta, -Mta ...
		default:
			script, have = strings.Join(args[i:], " "), true
			i = len(args)
		}
	}
	if !have {
		inv.out("Windows PowerShell\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n")
		return 0
	}
	return runPowerShellScript(inv.p.child(false, true), script, inv.s)
}

// runPowerShellScript runs a decoded script. It understands the statements
// winrm clients wrap around a command: masterzen's
// "$ProgressPreference = 'SilentlyContinue';" prefix, Ansible's
// Set-StrictMode line and its "If (-not $?) { ... exit $LASTEXITCODE ... }"
// rc-preserving trailer, "exit N", and the call operator "& ".
func runPowerShellScript(p *proc, script string, s streams) int {
	last, lastOK := 0, true
	for _, line := range strings.Split(strings.ReplaceAll(script, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(strings.ToLower(t), "if (-not $?)") {
			if !lastOK {
				if last == 0 {
					return 1
				}
				return last
			}
			continue
		}
		for _, st := range splitStatements(line) {
			st = strings.TrimSpace(st)
			lower := strings.ToLower(st)
			switch {
			case st == "" || strings.HasPrefix(st, "#"):
				continue
			case strings.HasPrefix(st, "$") && strings.Contains(st, "="):
				continue
			case strings.HasPrefix(lower, "set-strictmode"):
				continue
			case lower == "exit" || strings.HasPrefix(lower, "exit "):
				arg := strings.TrimSpace(st[4:])
				if strings.EqualFold(arg, "$LASTEXITCODE") {
					return last
				}
				n, _ := strconv.Atoi(arg)
				return n
			}
			st = strings.TrimPrefix(st, "& ")
			p.exited, p.lastNotFound = false, false
			rc := p.runCmdLine(st, s)
			last, lastOK = rc, rc == 0
		}
	}
	if lastOK {
		return 0
	}
	return 1
}

// splitStatements splits a PowerShell line at ; outside quotes.
func splitStatements(line string) []string {
	var out []string
	var q byte
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == ';':
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}

func psNotFound(name string) string {
	return fmt.Sprintf("%s : The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program. "+
		"Check the spelling of the name, or if a path was included, verify that the path is correct and try again.\r\n"+
		"At line:1 char:1\r\n+ %s\r\n+ %s\r\n    + CategoryInfo          : ObjectNotFound: (%s:String) [], CommandNotFoundException\r\n"+
		"    + FullyQualifiedErrorId : CommandNotFoundException\r\n \r\n", name, name, name, strings.Repeat("~", len(name)), name)
}
