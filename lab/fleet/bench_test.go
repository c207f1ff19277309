package fleet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLabHostScan measures what one host of a `winfleet scan` costs
// the lab: a new connection, then Create, one Command and Receive with the
// scan's batch line (discovery with the SSIS search and the playbook's
// advfirewall read: one round trip), and Delete, served by winrmtest and
// executed by winsim. The client is a raw HTTP
// client with ready-made envelopes, so the time and allocations are the
// lab's, plus a little net/http.
func BenchmarkLabHostScan(b *testing.B) {
	f := Generate(40, 11)
	lab, err := Serve(context.Background(), f, ServeOptions{Password: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer lab.Close()
	var hosts []LabHost
	for _, h := range lab.Hosts() {
		if a := lab.Answers()[h.Name]; a == "compliant" || a == "noncompliant" {
			hosts = append(hosts, h)
		}
	}
	b.ReportAllocs()
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		h := hosts[i%len(hosts)]
		i++
		if err := rawScan(h); err != nil {
			b.Fatalf("%s: %v", h.Name, err)
		}
		h.Server.ResetLog()
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The scan's batch line (as remote.RunBatch encodes it) for a 2008+ host.
const scanLine = `cmd /v:on /c "ver & echo ##WF 0123456789abcdef 0 !ERRORLEVEL! & echo ##WF 0123456789abcdef 0 1>&2 & net session & echo ##WF 0123456789abcdef 1 !ERRORLEVEL! & echo ##WF 0123456789abcdef 1 1>&2 & sc query type= service state= all & echo ##WF 0123456789abcdef 2 !ERRORLEVEL! & echo ##WF 0123456789abcdef 2 1>&2 & reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr.exe /d & echo ##WF 0123456789abcdef 3 !ERRORLEVEL! & echo ##WF 0123456789abcdef 3 1>&2 & netsh advfirewall firewall show rule name=all dir=in verbose & echo ##WF 0123456789abcdef 4 !ERRORLEVEL! & echo ##WF 0123456789abcdef 4 1>&2"`

func rawScan(h LabHost) error {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	post := func(action, selector, body string) (string, error) {
		env := `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><env:Header><a:To>` + h.URL + `/wsman</a:To><w:MaxEnvelopeSize>153600</w:MaxEnvelopeSize><w:OperationTimeout>PT20S</w:OperationTimeout><a:MessageID>uuid:00000000-0000-4000-8000-000000000000</a:MessageID><a:Action>` + action + `</a:Action>` + selector + `<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI></env:Header><env:Body>` + body + `</env:Body></env:Envelope>`
		req, err := http.NewRequest(http.MethodPost, h.URL+"/wsman", strings.NewReader(env))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
		req.SetBasicAuth(h.User, "bench")
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var out bytes.Buffer
		if _, err := io.Copy(&out, resp.Body); err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%s: http %d: %.300s", action, resp.StatusCode, out.String())
		}
		return out.String(), nil
	}
	between := func(s, open, end string) string {
		_, rest, _ := strings.Cut(s, open)
		v, _, _ := strings.Cut(rest, end)
		return v
	}
	out, err := post("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", "",
		`<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`)
	if err != nil {
		return err
	}
	shell := `<w:SelectorSet><w:Selector Name="ShellId">` + between(out, "<rsp:ShellId>", "<") + `</w:Selector></w:SelectorSet>`
	for _, line := range []string{scanLine} {
		out, err := post("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command", shell,
			`<rsp:CommandLine><rsp:Command><![CDATA[`+line+`]]></rsp:Command></rsp:CommandLine>`)
		if err != nil {
			return err
		}
		id := between(out, "<rsp:CommandId>", "<")
		for done := false; !done; {
			out, err := post("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive", shell,
				`<rsp:Receive><rsp:DesiredStream CommandId="`+id+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`)
			if err != nil {
				return err
			}
			done = strings.Contains(out, "CommandState/Done")
		}
	}
	_, err = post("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", shell, ``)
	return err
}
