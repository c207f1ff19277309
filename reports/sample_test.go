package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	return &Report{
		Schema:     Schema,
		RunID:      "20261126T020000Z-7f3a",
		Mode:       ModeScan,
		Playbook:   "ssis-firewall",
		Inventory:  "inventories/prod.yaml",
		StartedAt:  started,
		FinishedAt: started.Add(65*time.Second + 250*time.Millisecond),
		Summary:    map[HostStatus]int{StatusCompliant: 99}, // stale on purpose: writers recompute it
		Hosts: []Host{
			{
				Host: "sql03.corp.example", Address: "127.0.0.3", Status: StatusNoncompliant,
				Reason: `rule "SSIS Service" is open to ALL, playbook wants subnet`, WindowsVersion: "10.0.17763",
				Dialect: "advfirewall", DurationMS: 1840, Checks: []Check{rpcPass, ssisTooOpen},
			},
			{
				Host: "sql01.corp.example", Address: "127.0.0.1", Status: StatusCompliant,
				Reason: "all checks pass", WindowsVersion: "10.0.20348", Dialect: "advfirewall",
				DurationMS: 1312, Checks: []Check{rpcPass, ssisPass},
			},
			{
				Host: "sql02.corp.example", Address: "127.0.0.2", Status: StatusUnreachable,
				Reason: "connection refused", DurationMS: 3,
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
				Reason: "no answer within 30s", DurationMS: 30000,
				Error: "=HYPERLINK(\"http://x\") <script>alert(1)</script> | `x` *y*\r\nsecond line",
			},
			{
				Host: "sql06.corp.example", Address: "127.0.0.6", Status: StatusAuthFailed,
				Reason: "401 from WinRM: check user and password_env", DurationMS: 12,
				Error: "http 401 unauthorized",
			},
		},
	}
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
