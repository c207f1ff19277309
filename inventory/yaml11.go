package inventory

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// PyYAML's implicit resolvers (YAML 1.1), which Ansible uses: a plain
// scalar is typed by these, not by YAML 1.2's rules, so "1e3" stays a
// string, "0o17" stays a string, "0644" is octal 420 and "12:30" is 750.
var (
	reYAML11Float = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reYAML11Int   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
)

// yaml11Plain types a plain (unquoted, untagged) scalar as PyYAML does.
// ok is false when it is not a bool, int or float; the caller then uses the
// YAML 1.2 result for null and timestamps, or the text.
func yaml11Plain(s string) (v any, ok bool) {
	switch s {
	case "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE":
		return true, true
	case "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE":
		return false, true
	}
	if s == "" || !strings.ContainsAny(s[:1], "+-.0123456789") {
		return nil, false
	}
	if reYAML11Int.MatchString(s) {
		return yaml11Int(s)
	}
	if reYAML11Float.MatchString(s) {
		if strings.Contains(s, "inf") || strings.Contains(s, "Inf") || strings.Contains(s, "INF") ||
			strings.Contains(s, "nan") || strings.Contains(s, "NaN") || strings.Contains(s, "NAN") {
			return s, true // JSON cannot carry them; keep the text
		}
		return yaml11Float(s)
	}
	return s, true // looks numeric but PyYAML does not type it: a string
}

func yaml11Int(s string) (any, bool) {
	t := strings.ReplaceAll(s, "_", "")
	neg := false
	if t[0] == '-' || t[0] == '+' {
		neg, t = t[0] == '-', t[1:]
	}
	var n int64
	var err error
	switch {
	case strings.HasPrefix(t, "0b"):
		n, err = strconv.ParseInt(t[2:], 2, 64)
	case strings.HasPrefix(t, "0x"):
		n, err = strconv.ParseInt(t[2:], 16, 64)
	case strings.Contains(t, ":"):
		for _, part := range strings.Split(t, ":") {
			d, e := strconv.ParseInt(part, 10, 64)
			if e != nil || n > math.MaxInt64/60 {
				return s, true
			}
			n = n*60 + d
		}
	case len(t) > 1 && t[0] == '0':
		n, err = strconv.ParseInt(t[1:], 8, 64)
	default:
		n, err = strconv.ParseInt(t, 10, 64)
	}
	if err != nil {
		return s, true // beyond int64: keep the text
	}
	if neg {
		n = -n
	}
	return int(n), true
}

func yaml11Float(s string) (any, bool) {
	t := strings.ReplaceAll(s, "_", "")
	if strings.Contains(t, ":") {
		neg := t[0] == '-'
		t = strings.TrimLeft(t, "+-")
		f := 0.0
		for _, part := range strings.Split(t, ":") {
			d, err := strconv.ParseFloat(part, 64)
			if err != nil {
				return s, true
			}
			f = f*60 + d
		}
		if neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) {
		return s, true
	}
	return f, true
}
