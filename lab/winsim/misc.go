package winsim

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// progNet implements `net session` (the elevation probe): elevated prints
// "There are no entries in the list.", otherwise System error 5 (exit 2).
func progNet(inv *invocation) int {
	h := inv.p.h
	if len(inv.args) == 0 {
		inv.out(crlf("The syntax of this command is:", "", "NET", "    [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |",
			"      HELPMSG | LOCALGROUP | PAUSE | SESSION | SHARE | START |", "      STATISTICS | STOP | TIME | USE | USER | VIEW ]", ""))
		return 1
	}
	switch strings.ToLower(inv.args[0]) {
	case "session", "sessions", "sess":
		if h.cfg.Faults.NotElevated {
			inv.err("System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n")
			return 2
		}
		inv.out("There are no entries in the list.\r\n\r\n")
		return 0
	}
	inv.out(crlf("The syntax of this command is:", "", "NET", "    [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |",
		"      HELPMSG | LOCALGROUP | PAUSE | SESSION | SHARE | START |", "      STATISTICS | STOP | TIME | USE | USER | VIEW ]", ""))
	return 1
}

func progWhoami(inv *invocation) int {
	h := inv.p.h
	dom := h.cfg.Domain
	if dom == "" {
		dom = h.cfg.ComputerName
	}
	inv.out(strings.ToLower(dom+`\`+h.cfg.User) + "\r\n")
	return 0
}

func progHostname(inv *invocation) int {
	inv.out(inv.p.h.cfg.ComputerName + "\r\n")
	return 0
}

// progFindstr implements findstr/find for pipes: literal strings (words are
// alternatives for findstr, /C:"..." a literal with spaces), /I, /V.
func progFindstr(inv *invocation) int {
	var pats []string
	ci, invert := false, false
	for _, a := range inv.args {
		l := strings.ToLower(a)
		switch {
		case l == "/i":
			ci = true
		case l == "/v":
			invert = true
		case strings.HasPrefix(l, "/c:"):
			pats = append(pats, a[3:])
		case strings.HasPrefix(l, "/"):
		default:
			if inv.name == "find" {
				pats = append(pats, a)
			} else {
				pats = append(pats, strings.Fields(a)...)
			}
		}
	}
	if len(pats) == 0 {
		inv.err("FINDSTR: Bad command line\r\n")
		return 2
	}
	sc := bufio.NewScanner(io.LimitReader(inv.s.in, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var b strings.Builder
	found := false
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		hit := false
		for _, p := range pats {
			if (ci && strings.Contains(strings.ToLower(line), strings.ToLower(p))) || (!ci && strings.Contains(line, p)) {
				hit = true
				break
			}
		}
		if hit != invert {
			found = true
			b.WriteString(line + "\r\n")
		}
	}
	inv.out(b.String())
	if found {
		return 0
	}
	return 1
}

// progChcp prints or sets the code page of the current cmd and its later
// commands (437, 850, 65001; other pages are accepted and written as UTF-8).
func progChcp(inv *invocation) int {
	p := inv.p
	if len(inv.args) == 0 {
		inv.out("Active code page: " + strconv.Itoa(p.cp) + "\r\n")
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSuffix(inv.args[0], "."))
	if err != nil || n <= 0 {
		inv.err("Parameter format not correct - " + inv.args[0] + "\r\n")
		return 1
	}
	if h := p.h; h.cfg.Faults.OEMCodePage == 0 {
		p.cp = n
	}
	inv.out("Active code page: " + strconv.Itoa(n) + "\r\n")
	return 0
}
