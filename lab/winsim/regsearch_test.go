package winsim

import (
	"strings"
	"sync"
	"testing"
)

// The product's SSIS discovery line (playbook/netsh SSISSearchCommand).
const ssisSearch = `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr.exe /d`

const (
	svcKey       = `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services`
	ssis150Image = `"C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe"`
	ssis110Image = `"D:\Program Files\Microsoft SQL Server\110\DTS\Binn\MsDtsSrvr.exe"`
	msgQuerySyn  = "ERROR: Invalid syntax.\r\nType \"REG QUERY /?\" for usage.\r\n"
	noMatch      = "\r\nEnd of search: 0 match(es) found.\r\n"
)

func twoSSIS(v Version) Config {
	return Config{Version: v, SSIS: []SSIS{{Version: 150}, {Version: 110, Root: `D:\Program Files\Microsoft SQL Server`}}}
}

// wantSSISSearch is ssisSearch's answer on twoSSIS: the keys in name
// order, MsDtsServer110 before MsDtsServer150.
const wantSSISSearch = "\r\n" +
	svcKey + `\MsDtsServer110` + "\r\n" +
	"    ImagePath    REG_EXPAND_SZ    " + ssis110Image + "\r\n" +
	"\r\n" +
	svcKey + `\MsDtsServer150` + "\r\n" +
	"    ImagePath    REG_EXPAND_SZ    " + ssis150Image + "\r\n" +
	"\r\n" +
	"End of search: 2 match(es) found.\r\n"

type regCase struct {
	line     string
	out, err string
	rc       int
	note     string // why, when it fails
}

func checkReg(t *testing.T, h *Host, cases []regCase) {
	t.Helper()
	for _, c := range cases {
		o, e, rc := run(t, h, c.line)
		if o != c.out || e != c.err || rc != c.rc {
			t.Errorf("%s (%s):\n got stdout %q\n     stderr %q exit %d\nwant stdout %q\n     stderr %q exit %d",
				c.line, c.note, o, e, rc, c.out, c.err, c.rc)
		}
	}
}

// TestRegSearchSSIS: the product's discovery line on every reg.exe that can
// search, and on hosts without SSIS.
func TestRegSearchSSIS(t *testing.T) {
	for _, v := range Versions() {
		if v.preVista() {
			continue
		}
		checkReg(t, MustNew(twoSSIS(v)), []regCase{{line: ssisSearch, out: wantSSISSearch, note: v.String()}})
		checkReg(t, MustNew(Config{Version: v}), []regCase{{line: ssisSearch, out: noMatch, rc: 1, note: v.String() + " without SSIS"}})
	}
	// Under cmd /c, in a batch line, and with the path in another casing
	// (shown as typed, like reg query).
	h := MustNew(twoSSIS(Win2016))
	checkReg(t, h, []regCase{
		{line: `cmd /c "` + ssisSearch + `"`, out: wantSSISSearch},
		{line: `reg.exe query "HKEY_LOCAL_MACHINE\system\currentcontrolset\services" /s /f "MsDtsSrvr.exe" /d`,
			out: strings.ReplaceAll(wantSSISSearch, `SYSTEM\CurrentControlSet\Services`, `system\currentcontrolset\services`)},
		{line: `reg query HKLM\SYSTEM\ControlSet001\Services /d /f msdtssrvr.exe /s`,
			out: strings.ReplaceAll(wantSSISSearch, `CurrentControlSet`, `ControlSet001`), note: "alias, switches in any order"},
	})
	// Stopped or 2005 (MsDtsServer, NetworkService): still found.
	h = MustNew(Config{Version: Win2008R2, SSIS: []SSIS{{Version: 90, Stopped: true}}})
	checkReg(t, h, []regCase{{line: ssisSearch, out: "\r\n" + svcKey + `\MsDtsServer` + "\r\n" +
		`    ImagePath    REG_EXPAND_SZ    "C:\Program Files\Microsoft SQL Server\90\DTS\Binn\MsDtsSrvr.exe"` + "\r\n" +
		"\r\nEnd of search: 1 match(es) found.\r\n"}})
}

// TestRegSearchOptions: /k, /d, /e, /c, /s and their absence.
func TestRegSearchOptions(t *testing.T) {
	h := MustNew(twoSSIS(Win2019))
	key110, key150 := "\r\n"+svcKey+`\MsDtsServer110`+"\r\n", "\r\n"+svcKey+`\MsDtsServer150`+"\r\n"
	end := func(n string) string { return "\r\nEnd of search: " + n + " match(es) found.\r\n" }
	checkReg(t, h, []regCase{
		// Key names only, with or without /s (the services are direct subkeys).
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /f msdts /k`, out: key110 + key150 + end("2")},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDts /k`, out: key110 + key150 + end("2")},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr /k`, out: noMatch, rc: 1, note: "/k never reads data"},
		// Without /s only the start key's values and its subkeys' names.
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /f MsDtsSrvr.exe /d`, out: noMatch, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet /f services /k`, out: "\r\n" + svcKey + "\r\n" + end("1")},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet /f MsDts /k`, out: noMatch, rc: 1, note: "grandchildren need /s"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /f 15.0`,
			out: key150 + "    DisplayName    REG_SZ    SQL Server Integration Services 15.0\r\n" + end("1"), note: "start key's own values"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /f MsDtsServer150 /k`, out: noMatch, rc: 1,
			note: "the start key's own name is not searched"},
		// Neither /k nor /d: key names, value names and data. A key whose
		// name and a value match prints its path once and counts both.
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsServer150`,
			out: key150 + `    ObjectName    REG_SZ    NT Service\MsDtsServer150` + "\r\n" + end("2")},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer110 /f imagepath`,
			out: key110 + "    ImagePath    REG_EXPAND_SZ    " + ssis110Image + "\r\n" + end("1"), note: "value name"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer110 /f imagepath /d`, out: noMatch, rc: 1, note: "/d skips value names"},
		// /k and /d together: key names and data, not value names.
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsServer110 /k /d`,
			out: key110 + `    ObjectName    REG_SZ    NT Service\MsDtsServer110` + "\r\n" + end("2")},
		// /e: the whole name or data.
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsServer150 /e`, out: key150 + end("1")},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr.exe /d /e`, out: noMatch, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f "sql server integration services 11.0" /d /e`,
			out: key110 + "    DisplayName    REG_SZ    SQL Server Integration Services 11.0\r\n" + end("1")},
		// /c: case-sensitive.
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f msdtsserver150 /c`, out: noMatch, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsServer150 /c /e`, out: key150 + end("1")},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f "sql server integration services 11.0" /d /e /c`, out: noMatch, rc: 1},
		// DWORD data matches its shown text; * is an ordinary character.
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f 0x10 /d /e`,
			out: key110 + "    Type    REG_DWORD    0x10\r\n" + key150 + "    Type    REG_DWORD    0x10\r\n" + end("2")},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f * /k`, out: noMatch, rc: 1},
	})
	// REG_MULTI_SZ data matches on any element, also with /e; the line
	// shows the whole value. Plain keys are searched the same way.
	mustRun(t, h, `reg add HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Ports /t REG_MULTI_SZ /d "5000-5100\05984" /f`)
	checkReg(t, h, []regCase{
		{line: `reg query HKLM\SOFTWARE\Microsoft\Rpc /s /f 5984 /d /e`,
			out: "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Rpc\\Internet\r\n    Ports    REG_MULTI_SZ    5000-5100\\05984\r\n" + end("1")},
		{line: `reg query HKLM\SOFTWARE\Microsoft\Rpc /s /f 5100\05984 /d`, out: noMatch, rc: 1, note: "not the joined text"},
		{line: `reg query HKLM\SOFTWARE\Microsoft /s /f rpc`,
			out: "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Rpc\r\n" + end("1"), note: "key name"},
	})
}

// TestRegSearchErrors: syntax, missing keys, reg.exe 3.0, elevation.
func TestRegSearchErrors(t *testing.T) {
	h := MustNew(twoSSIS(Win2019))
	checkReg(t, h, []regCase{
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f`, err: msgQuerySyn, rc: 1, note: "no pattern"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f /d`, err: msgQuerySyn, rc: 1, note: "no pattern"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /k`, err: msgQuerySyn, rc: 1, note: "/k without /f"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /v ImagePath /f x`, err: msgQuerySyn, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f x /q`, err: msgQuerySyn, rc: 1},
		{line: `reg query HKLM\SOFTWARE\NoSuchKey /s /f MsDtsSrvr.exe /d`, err: msgRegMissing, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer130 /f x`, err: msgRegMissing, rc: 1},
	})
	// reg.exe 3.0 cannot search; its plain query sees the service keys.
	xp := MustNew(Config{Version: Win2003, SSIS: []SSIS{{Version: 90}}})
	checkReg(t, xp, []regCase{
		{line: ssisSearch, err: msgQuerySyn, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr.exe`, err: msgQuerySyn, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer /v ImagePath`,
			out: "\r\n! REG.EXE VERSION 3.0\r\n\r\n" + svcKey + "\\MsDtsServer\r\n" +
				"    ImagePath\tREG_EXPAND_SZ\t\"C:\\Program Files\\Microsoft SQL Server\\90\\DTS\\Binn\\MsDtsSrvr.exe\"\r\n\r\n"},
	})
	// Not elevated: reading the registry is allowed, as for reg query.
	ne := MustNew(Config{Version: Win2019, SSIS: twoSSIS(Win2019).SSIS, Faults: Faults{NotElevated: true}})
	checkReg(t, ne, []regCase{{line: ssisSearch, out: wantSSISSearch}})
}

// TestServicesKeys: the Services keys as plain reg query shows them.
func TestServicesKeys(t *testing.T) {
	h := MustNew(Config{Version: Win2019, SSIS: []SSIS{{Version: 150}}, Services: []Service{
		{Name: "pythonIpMailService", DisplayName: "pythonIpMailService", BinaryPath: `C:\Python\python.exe C:\svc.py`, StartType: "DEMAND_START"},
		{Name: "Legacy", DisplayName: "Legacy", BinaryPath: `C:\legacy.exe`, StartName: "LocalSystem", StartType: "DISABLED", Shared: true},
	}})
	checkReg(t, h, []regCase{
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150`, out: "\r\n" + svcKey + `\MsDtsServer150` + "\r\n" +
			"    Type    REG_DWORD    0x10\r\n" +
			"    Start    REG_DWORD    0x2\r\n" +
			"    ErrorControl    REG_DWORD    0x1\r\n" +
			"    ImagePath    REG_EXPAND_SZ    " + ssis150Image + "\r\n" +
			"    DisplayName    REG_SZ    SQL Server Integration Services 15.0\r\n" +
			`    ObjectName    REG_SZ    NT Service\MsDtsServer150` + "\r\n" +
			"\r\n"},
		{line: `reg query hklm\system\currentcontrolset\services\PYTHONIPMAILSERVICE`, out: "\r\n" + `HKEY_LOCAL_MACHINE\system\currentcontrolset\services\PYTHONIPMAILSERVICE` + "\r\n" +
			"    Type    REG_DWORD    0x10\r\n" +
			"    Start    REG_DWORD    0x3\r\n" +
			"    ErrorControl    REG_DWORD    0x1\r\n" +
			`    ImagePath    REG_EXPAND_SZ    C:\Python\python.exe C:\svc.py` + "\r\n" +
			"    DisplayName    REG_SZ    pythonIpMailService\r\n" +
			"\r\n", note: "no ObjectName without a start name; the path as typed"},
		{line: `reg query HKLM\SYSTEM\ControlSet001\Services\Legacy`, out: "\r\n" + `HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Legacy` + "\r\n" +
			"    Type    REG_DWORD    0x20\r\n" +
			"    Start    REG_DWORD    0x4\r\n" +
			"    ErrorControl    REG_DWORD    0x1\r\n" +
			`    ImagePath    REG_EXPAND_SZ    C:\legacy.exe` + "\r\n" +
			"    DisplayName    REG_SZ    Legacy\r\n" +
			"    ObjectName    REG_SZ    LocalSystem\r\n" +
			"\r\n"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /v ImagePath`,
			out: "\r\n" + svcKey + `\MsDtsServer150` + "\r\n    ImagePath    REG_EXPAND_SZ    " + ssis150Image + "\r\n\r\n"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /v Description`, err: msgRegMissing, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150\Parameters`, err: msgRegMissing, rc: 1},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services\NoSuchService`, err: msgRegMissing, rc: 1},
		// The Services key has no values; its subkeys in name order.
		{line: `reg query HKLM\SYSTEM\CurrentControlSet\Services`, out: "\r\n" + svcKey + "\r\n\r\n" +
			svcKey + "\\Dnscache\r\n" + svcKey + "\\EventLog\r\n" + svcKey + "\\LanmanServer\r\n" + svcKey + "\\Legacy\r\n" +
			svcKey + "\\MpsSvc\r\n" + svcKey + "\\MsDtsServer150\r\n" + svcKey + "\\pythonIpMailService\r\n" +
			svcKey + "\\RpcSs\r\n" + svcKey + "\\WinRM\r\n\r\n"},
		{line: `reg query HKLM\SYSTEM\CurrentControlSet`, out: "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\r\n\r\n" + svcKey + "\r\n\r\n"},
	})
	// /s walks into them like into any key.
	o, _, rc := run(t, h, `reg query HKLM\SYSTEM /s`)
	if rc != 0 || !strings.Contains(o, "\r\n"+svcKey+"\\MsDtsServer150\r\n    Type    REG_DWORD    0x10\r\n") ||
		!strings.Contains(o, "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\WinRM\r\n") {
		t.Errorf("reg query HKLM\\SYSTEM /s: exit %d\n%q", rc, o)
	}
	if v, ok := h.RegistryValue(svcKey+`\msdtsserver150`, "imagepath"); !ok || v.Type != "REG_EXPAND_SZ" || len(v.Data) != 1 || v.Data[0] != ssis150Image {
		t.Errorf("RegistryValue(ImagePath) = %+v, %v", v, ok)
	}
}

// TestServicesKeysReadOnly: reg add/delete cannot change the Services
// keys (nor remove the keys above them), and Config.Registry cannot name
// them; the rest of the tree is writable.
func TestServicesKeysReadOnly(t *testing.T) {
	h := MustNew(twoSSIS(Win2019))
	for _, line := range []string{
		`reg add HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /v ImagePath /t REG_EXPAND_SZ /d C:\x.exe /f`,
		`reg add HKLM\SYSTEM\CurrentControlSet\Services\NewService /f`,
		`reg add HKLM\SYSTEM\ControlSet001\Services /v X /d y /f`,
		`reg delete HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /f`,
		`reg delete HKLM\SYSTEM\CurrentControlSet\Services\MsDtsServer150 /v ImagePath /f`,
		`reg delete HKLM\SYSTEM\CurrentControlSet /f`,
		`reg delete HKLM\SYSTEM /f`,
	} {
		if o, e, rc := run(t, h, line); rc != 1 || e != msgRegDenied || o != "" {
			t.Errorf("%s: stdout %q stderr %q exit %d, want access denied", line, o, e, rc)
		}
	}
	if n := h.Writes(); n != 0 {
		t.Errorf("refused writes counted as applied: %d", n)
	}
	checkReg(t, h, []regCase{{line: ssisSearch, out: wantSSISSearch, note: "unchanged by refused writes"}})
	mustRun(t, h, `reg add HKLM\SYSTEM\CurrentControlSet /v Probe /d 1 /f`, `reg add HKLM\SYSTEM\Setup /v Probe /d 1 /f`,
		`reg delete HKLM\SYSTEM\CurrentControlSet /va /f`, `reg delete HKLM\SYSTEM\Setup /f`)

	if _, err := New(Config{Version: Win2019, Registry: []RegValue{{Key: svcKey + `\Foo`, Name: "ImagePath", Type: "REG_EXPAND_SZ", Data: []string{`C:\foo.exe`}}}}); err == nil {
		t.Error("Config.Registry under the Services key accepted")
	}
	// A host rebuilt from another's RegistryValues (lab fleet setup) works.
	mustRun(t, h, `reg add HKLM\SOFTWARE\Microsoft\Rpc\Internet /v Ports /t REG_MULTI_SZ /d 5000-6000 /f`)
	cfg := twoSSIS(Win2019)
	cfg.Registry = h.RegistryValues()
	for _, v := range cfg.Registry {
		if root, parts, _ := splitKey(v.Key); svcRel(root, parts) > 0 {
			t.Errorf("RegistryValues lists %s", v.Key)
		}
	}
	twin, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkReg(t, twin, []regCase{{line: ssisSearch, out: wantSSISSearch}})
	if _, err := New(Config{Version: Win2019, Registry: []RegValue{{Key: svcKey}}}); err != nil {
		t.Errorf("naming the Services key itself: %v", err)
	}
}

// TestRegSearchCache: the search is cached per argument list and every
// change of the host shows on the next search.
func TestRegSearchCache(t *testing.T) {
	for _, pool := range []*RenderPool{nil, NewRenderPool()} {
		h := MustNew(Config{Version: Win2019, SSIS: []SSIS{{Version: 150}}, Renders: pool})
		only150 := "\r\n" + svcKey + `\MsDtsServer150` + "\r\n    ImagePath    REG_EXPAND_SZ    " + ssis150Image + "\r\n\r\nEnd of search: 1 match(es) found.\r\n"
		checkReg(t, h, []regCase{{line: ssisSearch, out: only150}, {line: ssisSearch, out: only150, note: "cached"}})
		h.mu.Lock()
		_, _, cached := h.cached("reg\x00query\x00" + `HKLM\SYSTEM\CurrentControlSet\Services` + "\x00/s\x00/f\x00MsDtsSrvr.exe\x00/d")
		h.mu.Unlock()
		if !cached {
			t.Error("the search is not cached")
		}

		// A change of the service (as sc config would make it) shows at once.
		h.mu.Lock()
		s, _ := h.service("MsDtsServer150")
		s.BinaryPath = `"E:\SQL\150\DTS\Binn\MsDtsSrvr.exe"`
		h.changed()
		h.mu.Unlock()
		moved := strings.Replace(only150, ssis150Image, `"E:\SQL\150\DTS\Binn\MsDtsSrvr.exe"`, 1)
		checkReg(t, h, []regCase{{line: ssisSearch, out: moved, note: "after the service moved"}})

		// sc stop changes no value of the key: same bytes, from a fresh rendering.
		mustRun(t, h, `sc stop MsDtsServer150`)
		checkReg(t, h, []regCase{{line: ssisSearch, out: moved, note: "after sc stop"}})

		// A reg add elsewhere invalidates too: a search of HKLM sees it, and
		// its delete.
		const wide = `reg query HKLM /s /f MsDtsSrvr.exe /d`
		before := execOut(t, h, wide)
		mustRun(t, h, `reg add HKLM\SOFTWARE\Probe /v Exe /d C:\MsDtsSrvr.exe /f`)
		after := execOut(t, h, wide)
		if !strings.Contains(after, "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Probe\r\n    Exe    REG_SZ    C:\\MsDtsSrvr.exe\r\n") ||
			!strings.HasSuffix(after, "\r\nEnd of search: 3 match(es) found.\r\n") {
			t.Errorf("after reg add:\n%q", after)
		}
		mustRun(t, h, `reg delete HKLM\SOFTWARE\Probe /f`)
		if again := execOut(t, h, wide); again != before {
			t.Errorf("after reg delete:\n%q\nwant\n%q", again, before)
		}
	}
}

// TestRegSearchCacheKeys: answers to different argument lists (casing
// included, which the output echoes) are kept apart, and more of them than
// the cache holds still answer like an uncached host.
func TestRegSearchCacheKeys(t *testing.T) {
	lines := []string{
		ssisSearch,
		`reg query hklm\system\currentcontrolset\services /s /f MsDtsSrvr.exe /d`,
		`reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsServer150`,
		`reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsServer150 /e`,
		`reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f msdtsserver150 /c`,
		`reg query HKLM\SYSTEM\CurrentControlSet\Services /f MsDts /k`,
		`sc query type= service state= all`,
		`reg query HKLM\SOFTWARE\NoSuchKey /s /f x`,
	}
	want := make([]string, len(lines))
	for i, l := range lines {
		want[i] = execOut(t, MustNew(twoSSIS(Win2019)), l)
	}
	h := MustNew(twoSSIS(Win2019))
	for round := range 3 {
		for i, l := range lines {
			if got := execOut(t, h, l); got != want[i] {
				t.Errorf("round %d: %q:\n got %q\nwant %q", round, l, got, want[i])
			}
		}
	}
}

// TestRegSearchConcurrent: searches while services start and stop (-race).
func TestRegSearchConcurrent(t *testing.T) {
	h := MustNew(twoSSIS(Win2022))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if i%2 == 0 {
					run(t, h, `sc stop MsDtsServer150 & sc start MsDtsServer150`)
					continue
				}
				if o, _, rc := run(t, h, ssisSearch); o != wantSSISSearch || rc != 0 {
					t.Errorf("concurrent search: %q %d", o, rc)
					return
				}
			}
		}()
	}
	wg.Wait()
}
