package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/winfleet/winfleet/playbook"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleReport is the fixed report behind every golden file. Its hosts are
// deliberately out of order and its times in a non-UTC zone, so the goldens
// show the writers' normalisation; sql04's error carries formula, HTML and
// Markdown injection attempts, so they show the escaping.
func sampleReport() *Report {
	cet := time.FixedZone("CET", 3600)
	started := time.Date(2026, 11, 26, 3, 0, 0, 0, cet)
	rpcPass := Check{
		ID: "rpc-tcp-135", Name: "RPC (TCP/135)", Status: CheckPass,
		Expected: "inbound allow TCP 135 scope subnet", Actual: "inbound allow TCP 135 scope subnet",
		Commands: []string{`netsh advfirewall firewall show rule name="RPC (TCP/135)" verbose`},
		Output:   "\r\nRule Name:                            RPC (TCP/135)\r\n----------------------------------------------------------------------\r\nEnabled:                              Yes\r\nDirection:                            In\r\nRemoteIP:                             LocalSubnet\r\nAction:                               Allow\r\nOk.\r\n\r\n",
	}
	ssisPass := Check{
		ID: "ssis-service", Name: "SSIS Service", Status: CheckPass,
		Expected: `inbound allow program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe scope subnet`,
		Actual:   `inbound allow program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe scope subnet`,
		Commands: []string{`netsh advfirewall firewall show rule name="SSIS Service" verbose`},
		Output:   "Ok.\r\n",
	}
	ssisTooOpen := ssisPass
	ssisTooOpen.Status = CheckFail
	ssisTooOpen.Actual = `inbound allow program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe scope ALL`
	ssisTooOpen.Code = string(playbook.CodeTooOpen)
	return &Report{
		Tool:           &Tool{Name: "winfleet", Version: "1.4.0", Revision: "3f2c1ab"},
		Operator:       "jdoe",
		Controller:     "ctl01.corp.example",
		CommandLine:    []string{"winfleet", "scan", "-i", "inventories/prod.yaml", "-l", "sql*:!sql05*", "-o", "json=run.json"},
		PlaybookDigest: "sha256:5f0c7a1e9d2b48c6a3e1f07b9d8c5e4a2b1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d",
		Schema:         Schema,
		RunID:          "20261126T020000Z-7f3a",
		Mode:           ModeScan,
		Playbook:       "ssis-firewall",
		Inventory:      "inventories/prod.yaml",
		StartedAt:      started,
		FinishedAt:     started.Add(65*time.Second + 250*time.Millisecond),
		Summary:        map[HostStatus]int{StatusCompliant: 99}, // stale on purpose: writers recompute it
		Hosts: []Host{
			{
				Host: "sql03.corp.example", Address: "127.0.0.3", Status: StatusNoncompliant,
				Reason: `rule "SSIS Service" is open to ALL, playbook wants subnet`, WindowsVersion: "10.0.17763",
				Dialect: "advfirewall", DurationMS: 1840, Checks: []Check{rpcPass, ssisTooOpen},
				Code: string(playbook.CodeTooOpen), Groups: []string{"sql", "sql_east"},
			},
			{
				Host: "sql01.corp.example", Address: "127.0.0.1", Status: StatusCompliant,
				Reason: "all checks pass", WindowsVersion: "10.0.20348", Dialect: "advfirewall",
				DurationMS: 1312, Checks: []Check{rpcPass, ssisPass}, Groups: []string{"sql", "sql_east"},
			},
			{
				Host: "sql02.corp.example", Address: "127.0.0.2", Status: StatusUnreachable,
				Reason: "connection refused", DurationMS: 3, Code: string(playbook.CodeUnreachable),
				Error: "dial tcp 127.0.0.2:5985: connect: connection refused",
			},
			{
				Host: "legacy01.corp.example", Address: "127.0.0.5", Status: StatusCompliant,
				Reason: "all checks pass", WindowsVersion: "5.2.3790", Dialect: "legacy", DurationMS: 2210,
				Checks: []Check{{
					ID: "rpc-tcp-135", Name: "RPC (TCP/135)", Status: CheckPass,
					Expected: "port TCP 135 enabled scope subnet", Actual: "port TCP 135 enabled scope subnet",
					Commands: []string{"netsh firewall show portopening verbose = ENABLE"},
					Output:   "\r\nPort configuration for Standard profile:\r\nPort   Protocol  Mode     Name\r\n-------------------------------------------------------------------\r\n135    TCP       Enable   RPC (TCP/135)\r\n",
				}},
			},
			{
				Host: "sql04.corp.example", Address: "127.0.0.4", Status: StatusTimeout,
				Reason: "no answer within 30s", DurationMS: 30000, Code: string(playbook.CodeTimeout),
				Error: "=HYPERLINK(\"http://x\") <script>alert(1)</script> | `x` *y*\r\nsecond line",
			},
			{
				Host: "sql06.corp.example", Address: "127.0.0.6", Status: StatusAuthFailed,
				Reason: "401 from WinRM: check user and password_env", DurationMS: 12, Code: string(playbook.CodeAuthFailed),
				Error: "http 401 unauthorized",
			},
		},
	}
}

// applySampleReport is a fixed apply run with one host per outcome of a
// write: changed (answered, exit 0), a write that failed (exit 1), a write
// sent without answer and the one after it not sent, a blocked rule apply
// leaves to a person, a verify that failed, and a host cancelled before
// its write was sent.
func applySampleReport() *Report {
	r := sampleReport()
	r.Mode = ModeApply
	r.RunID = "20261126T030000Z-a11c"
	r.CommandLine = []string{"winfleet", "apply", "-i", "inventories/prod.yaml", "--serial", "10%"}
	open := `enabled, in, allow, program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe, from Any`
	subnet := `enabled, in, allow, program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe, from LocalSubnet`
	want := `enabled, in, allow, program C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe, from LocalSubnet`
	setScope := `netsh advfirewall firewall set rule name="SSIS Service" dir=in new remoteip=localsubnet`
	addRPC := `netsh advfirewall firewall add rule name="RPC (TCP/135)" dir=in action=allow protocol=TCP localport=135 remoteip=localsubnet profile=any`
	read := []string{`netsh advfirewall firewall show rule name=all dir=in verbose`}
	ssis := func(st CheckStatus, code, before, actual string, w ...WriteRecord) Check {
		return Check{ID: "ssis-service-150", Name: "SSIS Service", Status: st, Code: code, Expected: want,
			Before: before, Actual: actual, Commands: read, Output: "Ok.\r\n", Writes: w}
	}
	rpc := func(st CheckStatus, code, actual string, w ...WriteRecord) Check {
		return Check{ID: "rpc-135", Name: "RPC (TCP/135)", Status: st, Code: code,
			Expected: "enabled, in, allow, TCP/135, from LocalSubnet", Actual: actual, Commands: read, Output: "No rules match the specified criteria.\r\n", Writes: w}
	}
	rpcOK := rpc(CheckPass, "", "enabled, in, allow, TCP/135, from LocalSubnet")
	r.Hosts = []Host{
		{Host: "app01.corp.example", Address: "127.0.1.1", Status: StatusChanged, Reason: "changed: ssis-service-150: scope is Any, want LocalSubnet (too open)",
			WindowsVersion: "10.0.20348", Dialect: "advfirewall", DurationMS: 2400,
			Checks: []Check{rpcOK, ssis(CheckChanged, "", open, subnet, WriteRecord{Command: setScope, State: WriteAnswered, Output: "Updated 1 rule(s).\r\nOk.\r\n"})}},
		{Host: "app02.corp.example", Address: "127.0.1.2", Status: StatusFailed, Code: string(playbook.CodeWriteFailed), Reason: "changes failed: rpc-135: exit code 1",
			WindowsVersion: "10.0.17763", Dialect: "advfirewall", DurationMS: 2100,
			Checks: []Check{rpc(CheckError, string(playbook.CodeWriteFailed), "(none)", WriteRecord{Command: addRPC, State: WriteAnswered, ExitCode: 1,
				Output: "The requested operation requires elevation (Run as administrator).\r\n\r\n"}), ssis(CheckPass, "", "", subnet)}},
		{Host: "app03.corp.example", Address: "127.0.1.3", Status: StatusFailed, Code: string(playbook.CodeWriteUnconfirmed), Reason: "connection dropped after a write was sent: its effect is unknown",
			WindowsVersion: "10.0.20348", Dialect: "advfirewall", DurationMS: 30000,
			Checks: []Check{rpc(CheckError, string(playbook.CodeWriteUnconfirmed), "(none)", WriteRecord{Command: addRPC, State: WriteSent}),
				ssis(CheckError, string(playbook.CodeWriteUnconfirmed), "", open, WriteRecord{Command: setScope, State: WriteNotSent})}},
		{Host: "app04.corp.example", Address: "127.0.1.4", Status: StatusCompliant, Reason: "2 checks pass",
			WindowsVersion: "10.0.20348", Dialect: "advfirewall", DurationMS: 900, Checks: []Check{rpcOK, ssis(CheckPass, "", "", subnet)}},
		{Host: "app05.corp.example", Address: "127.0.1.5", Status: StatusFailed, Code: string(playbook.CodeBlocked),
			Reason:         `apply cannot fix: rpc-135: blocked by rule "Block RPC" (enabled, in, block, TCP/135, from Any), which the playbook does not name: remove or change it by hand`,
			WindowsVersion: "10.0.14393", Dialect: "advfirewall", DurationMS: 1100, Checks: []Check{rpc(CheckFail, string(playbook.CodeBlocked), "enabled, in, allow, TCP/135, from LocalSubnet"), ssis(CheckPass, "", "", subnet)}},
		{Host: "app06.corp.example", Address: "127.0.1.6", Status: StatusCancelled, Code: string(playbook.CodeCancelled), Reason: "cancelled before changes were sent",
			WindowsVersion: "10.0.20348", Dialect: "advfirewall", DurationMS: 400,
			Checks: []Check{rpcOK, ssis(CheckSkipped, "", "", open, WriteRecord{Command: setScope, State: WriteNotSent})}},
		{Host: "app07.corp.example", Address: "127.0.1.7", Status: StatusFailed, Code: string(playbook.CodeVerifyFailed), Reason: "not compliant after apply: ssis-service-150: scope is Any, want LocalSubnet (too open)",
			WindowsVersion: "10.0.20348", Dialect: "advfirewall", DurationMS: 2600,
			Checks: []Check{rpcOK, ssis(CheckFail, string(playbook.CodeVerifyFailed), open, open, WriteRecord{Command: setScope, State: WriteAnswered, Output: "Updated 1 rule(s).\r\nOk.\r\n"})}},
	}
	return r
}

// checkSampleReport is the apply --check run before applySampleReport:
// what apply would send to each host.
func checkSampleReport() *Report {
	r := applySampleReport()
	r.Mode = ModeCheck
	r.RunID = "20261126T025500Z-c4e0"
	r.CommandLine = []string{"winfleet", "apply", "-C", "-D", "-i", "inventories/prod.yaml"}
	for i := range r.Hosts {
		h := &r.Hosts[i]
		for j := range h.Checks {
			c := &h.Checks[j]
			if c.Before != "" {
				c.Actual = c.Before
			}
			c.Before = ""
			if len(c.Writes) == 0 {
				continue
			}
			c.Status = CheckWouldChange
			c.Code = string(playbook.CodeTooOpen)
			if c.ID == "rpc-135" {
				c.Code = string(playbook.CodeMissing)
			}
			for k := range c.Writes {
				c.Writes[k] = WriteRecord{Command: c.Writes[k].Command, State: WriteWouldSend}
			}
		}
		switch h.Status {
		case StatusChanged, StatusCancelled, StatusFailed:
			h.Status, h.Code = StatusWouldChange, h.Checks[0].Code
			if h.Checks[0].Status.OK() {
				h.Code = h.Checks[1].Code
			}
			h.Reason = "would change"
		}
		if h.Host == "app05.corp.example" {
			h.Status, h.Code, h.Reason = StatusNoncompliant, string(playbook.CodeBlocked), "rpc-135: blocked by a rule the playbook does not name"
		}
	}
	return r
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}
