package remote

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeOutput(t *testing.T) {
	tests := []struct {
		name     string
		codePage int
		in       []byte
		want     string
	}{
		{"ascii", 850, []byte("Ok.\r\n"), "Ok.\r\n"},
		{"utf-8 kept", 850, []byte("Règle activée こんにちは\r\n"), "Règle activée こんにちは\r\n"},
		{"cp850 fallback", 850, []byte("R\x8agle activ\x82e\r\n"), "Règle activée\r\n"},
		{"cp850 box and umlaut", 850, []byte("Gr\x94\xe1e \xc9\xcd\xbb"), "Größe ╔═╗"},
		{"cp437 fallback", 437, []byte("R\x8agle \xe1"), "Règle ß"},
		{"cp850 differs from cp437", 850, []byte{0x9b}, "ø"},
		{"cp437 same byte", 437, []byte{0x9b}, "¢"},
		{"empty", 850, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newDecoder(tt.codePage).decodeOutput(tt.in); got != tt.want {
				t.Errorf("decodeOutput(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeStderrCLIXML(t *testing.T) {
	clixml := "#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">` +
		`<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV></PR></MS></Obj>` +
		`<S S="Error">Get-Item : Cannot find path 'C:\nope' because it does not exist._x000D__x000A_</S>` +
		`<S S="Error">At line:1 char:1_x000D__x000A_</S>` +
		`<S S="Warning">careful _x0026_ more: _xD83D__xDE00_</S>` +
		`</Objs>`
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain stderr", "'x' is not recognized as an internal or external command,\r\n", "'x' is not recognized as an internal or external command,\r\n"},
		{"clixml", clixml, "Get-Item : Cannot find path 'C:\\nope' because it does not exist.\r\nAt line:1 char:1\r\ncareful & more: 😀"},
		{"clixml after text, tail kept", "warn\r\n" + clixml + "\r\nafter", "warn\r\nGet-Item : Cannot find path 'C:\\nope' because it does not exist.\r\nAt line:1 char:1\r\ncareful & more: 😀\r\nafter"},
		{"broken clixml kept raw", "#< CLIXML\r\n<Objs><S S=\"Error\">half", "#< CLIXML\r\n<Objs><S S=\"Error\">half"},
		{"bad escape left alone", "#< CLIXML\r\n<Objs><S S=\"Error\">a_xZZZZ_b</S></Objs>", "a_xZZZZ_b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newDecoder(850).decodeStderr([]byte(tt.in)); got != tt.want {
				t.Errorf("decodeStderr = %q\nwant          %q", got, tt.want)
			}
		})
	}
}

func TestEncodeBatch(t *testing.T) {
	got, err := encodeBatch("ab12", []string{"netsh advfirewall show currentprofile", `sc qc "MsDtsServer130"`})
	if err != nil {
		t.Fatal(err)
	}
	want := `cmd /v:on /c "netsh advfirewall show currentprofile & echo ##WF ab12 0 !ERRORLEVEL! & echo ##WF ab12 0 1>&2 & ` +
		`sc qc "MsDtsServer130" & echo ##WF ab12 1 !ERRORLEVEL! & echo ##WF ab12 1 1>&2"`
	if got != want {
		t.Errorf("encodeBatch =\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"echo hi!", `echo "x`, "echo a\r\necho b", "  ", strings.Repeat("x", maxCmdLine)} {
		if _, err := encodeBatch("ab12", []string{"ver", bad}); err == nil {
			t.Errorf("encodeBatch accepted %q", bad)
		}
	}
}

func TestDecodeBatch(t *testing.T) {
	const n = "ab12"
	tests := []struct {
		name           string
		k              int
		stdout, stderr string
		want           []rawResult
		wantErr        bool
	}{
		{
			name:   "two commands",
			k:      2,
			stdout: "Ok.\r\n\r\n##WF ab12 0 0 \r\nline1\r\nline2\r\n##WF ab12 1 5 \r\n",
			stderr: "##WF ab12 0 \r\nAccess is denied.\r\n##WF ab12 1 \r\n",
			want: []rawResult{
				{stdout: []byte("Ok.\r\n\r\n"), stderr: []byte{}, exitCode: 0},
				{stdout: []byte("line1\r\nline2\r\n"), stderr: []byte("Access is denied.\r\n"), exitCode: 5},
			},
		},
		{
			name:   "no trailing newline before marker, no trailing spaces, ten and more",
			k:      11,
			stdout: "a##WF ab12 0 0\r\n##WF ab12 1 1\r\n##WF ab12 2 2\r\n##WF ab12 3 3\r\n##WF ab12 4 4\r\n##WF ab12 5 5\r\n##WF ab12 6 6\r\n##WF ab12 7 7\r\n##WF ab12 8 8\r\n##WF ab12 9 9\r\nten##WF ab12 10 10\r\n",
			stderr: "##WF ab12 0\r\n##WF ab12 1\r\n##WF ab12 2\r\n##WF ab12 3\r\n##WF ab12 4\r\n##WF ab12 5\r\n##WF ab12 6\r\n##WF ab12 7\r\n##WF ab12 8\r\n##WF ab12 9\r\nerr10\r\n##WF ab12 10 \r\n",
			want: []rawResult{
				{stdout: []byte("a"), stderr: []byte{}, exitCode: 0},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 1},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 2},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 3},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 4},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 5},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 6},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 7},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 8},
				{stdout: []byte{}, stderr: []byte{}, exitCode: 9},
				{stdout: []byte("ten"), stderr: []byte("err10\r\n"), exitCode: 10},
			},
		},
		{
			name:    "second marker missing (exit in command 1)",
			k:       2,
			stdout:  "x\r\n##WF ab12 0 0 \r\n",
			stderr:  "##WF ab12 0 \r\n",
			want:    []rawResult{{stdout: []byte("x\r\n"), stderr: []byte{}, exitCode: 0}},
			wantErr: true,
		},
		{
			name:    "marker of another nonce is output",
			k:       1,
			stdout:  "##WF ffff 0 0 \r\n",
			stderr:  "##WF ab12 0 \r\n",
			want:    []rawResult{},
			wantErr: true,
		},
		{
			name:    "bad exit code",
			k:       1,
			stdout:  "##WF ab12 0 !ERRORLEVEL! \r\n",
			stderr:  "##WF ab12 0 \r\n",
			want:    []rawResult{},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeBatch(n, tt.k, []byte(tt.stdout), []byte(tt.stderr))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeBatch error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(rawResult{}), cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" {
				t.Errorf("decodeBatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanBatch(t *testing.T) {
	long := strings.Repeat("x", 4100)
	tests := []struct {
		name string
		cmds []string
		want [][]int
	}{
		{"all batchable", []string{"a", "b", "c"}, [][]int{{0, 1, 2}}},
		{"bang runs alone", []string{"a", "echo hi!", "c", "d"}, [][]int{{0}, {1}, {2, 3}}},
		{"length splits", []string{long, long, long}, [][]int{{0}, {1}, {2}}},
		{"too long alone", []string{"a", strings.Repeat("y", 9000), "b"}, [][]int{{0}, {1}, {2}}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, planBatch(tt.cmds)); diff != "" {
				t.Errorf("planBatch (-want +got):\n%s", diff)
			}
		})
	}
}

// planBatchByEncoding is the plan planBatch must agree with: it encodes
// every prefix (quadratic, the first implementation).
func planBatchByEncoding(cmds []string) [][]int {
	dummy := strings.Repeat("0", nonceLen)
	var groups [][]int
	var cur []int
	var curCmds []string
	flush := func() {
		if len(cur) > 0 {
			groups = append(groups, cur)
		}
		cur, curCmds = nil, nil
	}
	for i, cmd := range cmds {
		if checkBatchable(cmd) != nil {
			flush()
			groups = append(groups, []int{i})
			continue
		}
		if _, err := encodeBatch(dummy, append(curCmds, cmd)); err != nil {
			flush()
			if _, err := encodeBatch(dummy, []string{cmd}); err != nil {
				groups = append(groups, []int{i})
				continue
			}
		}
		cur = append(cur, i)
		curCmds = append(curCmds, cmd)
	}
	flush()
	return groups
}

// TestPlanBatchAgreesWithEncoding: the added-up lengths split batches
// exactly where encoding them would, around the 8191-character limit and
// past ten commands (two-digit indexes).
func TestPlanBatchAgreesWithEncoding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		cmds := make([]string, r.IntN(30))
		for i := range cmds {
			switch r.IntN(10) {
			case 0:
				cmds[i] = "echo hi!"
			case 1:
				cmds[i] = strings.Repeat("y", 8000+r.IntN(300))
			default:
				cmds[i] = strings.Repeat("x", 1+r.IntN(900))
			}
		}
		want := planBatchByEncoding(cmds)
		if got := planBatch(cmds); !cmp.Equal(want, got) {
			t.Fatalf("planBatch(%d commands of lengths %v) = %v, want %v", len(cmds), lengths(cmds), got, want)
		}
		for _, g := range want {
			if len(g) < 2 {
				continue
			}
			part := make([]string, len(g))
			for i, idx := range g {
				part[i] = cmds[idx]
			}
			line, err := encodeBatch(newNonce(), part)
			if err != nil || len(line) > maxCmdLine {
				t.Fatalf("group %v encodes to %d characters, %v", g, len(line), err)
			}
		}
	}
}

func lengths(cmds []string) []int {
	out := make([]int, len(cmds))
	for i, c := range cmds {
		out[i] = len(c)
	}
	return out
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(2, []byte("Ok.\r\n##WF ab12 0 0 \r\nx##WF ab12 1 5\r\n"), []byte("##WF ab12 0 \r\n##WF ab12 1 \r\n"))
	f.Fuzz(func(t *testing.T, k int, stdout, stderr []byte) {
		if k < 0 || k > 50 {
			return
		}
		res, err := decodeBatch("ab12", k, stdout, stderr)
		if err == nil && len(res) != k {
			t.Fatalf("decodeBatch returned %d results for %d commands without error", len(res), k)
		}
	})
}

func FuzzDecodeStderr(f *testing.F) {
	f.Add([]byte("#< CLIXML\r\n<Objs><S S=\"Error\">x_x000D__x000A_</S></Objs>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = newDecoder(850).decodeStderr(b)
	})
}
