package winsim

import (
	"bytes"
	"context"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// FuzzExec runs arbitrary command lines: the simulator must not panic and
// must answer the same line the same way on two identical hosts.
func FuzzExec(f *testing.F) {
	for _, s := range []string{
		seedPort, seedProgram, `cmd /v:on /c "ver & echo ##WF x 0 !ERRORLEVEL! & echo ##WF x 0 1>&2"`,
		`netsh advfirewall firewall add rule name="a" dir=in action=allow protocol=tcp localport=1-2,5 remoteip=10.0.0.0/255.0.0.0`,
		`netsh advfirewall firewall set rule name=all new enable=no`, `netsh firewall show config verbose=ENABLE`,
		`reg add HKLM\x /v "a b" /t REG_DWORD /d 0x10 /f`, `sc query type= service state= all | findstr /i "ms"`,
		`reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr.exe /d`, `reg query HKLM /s /f "x" /k /c /e`,
		`echo ^"a & b^" 2>&1 >nul`, `cmd /c ""a b" c"`, `powershell -enc AAAA`, `set "X=1" & echo %X% !X!`,
		`"unterminated`, `^`, `&&`, `a ||`, `echo 3>&1`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var o1, e1, o2, e2 bytes.Buffer
		cfg := Config{Version: Win2016, SSIS: []SSIS{{Version: 130}}}
		rc1 := MustNew(cfg).Exec(context.Background(), line, &o1, &e1)
		rc2 := MustNew(cfg).Exec(context.Background(), line, &o2, &e2)
		if rc1 != rc2 || o1.String() != o2.String() || e1.String() != e2.String() {
			t.Errorf("%q is not deterministic", line)
		}
	})
}
