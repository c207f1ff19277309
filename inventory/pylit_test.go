package inventory

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestINIGotchas(t *testing.T) {
	inv := mustParse(t, FormatINI, "[g]\nh u1=CORP\\svc u2='CORP\\svc' u3=\"CORP\\svc\" p=ab#c\n[g:vars]\nu4=CORP\\svc\n")
	got := map[string]any{}
	for k, v := range inv.Host("h").Vars() {
		got[k] = v.Value
	}
	want := map[string]any{"u1": "CORPsvc", "u2": `CORP\svc`, "u3": `CORP\svc`, "p": "ab", "u4": `CORP\svc`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("vars (-want +got):\n%s", d)
	}
}

func TestINIValue(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"5986", 5986}, {"-5", -5}, {"+5", 5}, {"0x1f", 31}, {"0o10", 8}, {"0b11", 3}, {"1_000", 1000},
		{"1.5", 1.5}, {"1.", 1.0}, {".5", 0.5}, {"1e3", 1000.0}, {"True", true}, {"False", false}, {"None", nil},
		{"true", "true"}, {"010", "010"}, {"007", "007"}, {"00", 0}, {"abc", "abc"}, {"", ""},
		{"'x'", "x"}, {`"a\tb"`, "a\tb"}, {`'a' "b"`, "ab"}, {`r'a\tb'`, `a\tb`}, {`"\u00e9"`, "é"},
		{"[1, 'a', None]", []any{1, "a", nil}}, {"(1,)", []any{1}}, {"(1)", 1}, {"()", []any{}},
		{"{'k': [1, 2], 3: True}", map[string]any{"k": []any{1, 2}, "3": true}},
		{"5 # comment", 5}, {"foo # comment", "foo # comment"}, {"[1,", "[1,"}, {"1_", "1_"}, {"--5", "--5"},
		{"99999999999999999999", "99999999999999999999"}, {"1e999", "1e999"}, {"1j", "1j"}, {"'''x'''", "'''x'''"},
	}
	for _, tt := range tests {
		if got := iniValue(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("iniValue(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}
