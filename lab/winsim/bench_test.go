package winsim

import (
	"context"
	"io"
	"testing"
)

// BenchmarkShowRuleAll measures one `show rule name=all verbose` on a host
// with Windows' built-in rules and the two SSIS rules.
func BenchmarkShowRuleAll(b *testing.B) {
	h := MustNew(Config{Version: Win2019, BuiltinRules: true, SSIS: []SSIS{{Version: 150}}})
	mustRunB(b, h, seedPort, `netsh advfirewall firewall add rule name="SSIS Service" dir=in action=allow program="C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MsDtsSrvr.exe" remoteip=localsubnet`)
	for b.Loop() {
		h.Exec(context.Background(), "netsh advfirewall firewall show rule name=all verbose", io.Discard, io.Discard)
	}
}

// BenchmarkBatchLine measures a product-style batch line of five commands.
func BenchmarkBatchLine(b *testing.B) {
	h := MustNew(Config{Version: Win2019, SSIS: []SSIS{{Version: 150}}, LogLimit: 100})
	line := `cmd /v:on /c "ver & echo ##WF n 0 !ERRORLEVEL! & echo ##WF n 0 1>&2 & net session & echo ##WF n 1 !ERRORLEVEL! & echo ##WF n 1 1>&2 & sc qc MsDtsServer150 & echo ##WF n 2 !ERRORLEVEL! & echo ##WF n 2 1>&2 & netsh advfirewall firewall show rule name="RPC (TCP/135)" verbose & echo ##WF n 3 !ERRORLEVEL! & echo ##WF n 3 1>&2"`
	for b.Loop() {
		h.Exec(context.Background(), line, io.Discard, io.Discard)
	}
}

// BenchmarkRegSearch measures the product's SSIS discovery search
// (reg query ... /s /f MsDtsSrvr.exe /d) on a host with two SSIS versions:
// cached is the answer a scan gets from an unchanged host, uncached a
// rendering after every change.
func BenchmarkRegSearch(b *testing.B) {
	const line = `reg query HKLM\SYSTEM\CurrentControlSet\Services /s /f MsDtsSrvr.exe /d`
	for _, cached := range []bool{true, false} {
		name := "cached"
		if !cached {
			name = "uncached"
		}
		b.Run(name, func(b *testing.B) {
			h := MustNew(Config{Version: Win2019, SSIS: []SSIS{{Version: 150}, {Version: 110}}, LogLimit: 100})
			for b.Loop() {
				if !cached {
					h.mu.Lock()
					h.changed()
					h.mu.Unlock()
				}
				if rc := h.Exec(context.Background(), line, io.Discard, io.Discard); rc != 0 {
					b.Fatalf("exit %d", rc)
				}
			}
		})
	}
}

func mustRunB(b *testing.B, h *Host, lines ...string) {
	for _, l := range lines {
		if rc := h.Exec(context.Background(), l, io.Discard, io.Discard); rc != 0 {
			b.Fatalf("%s: exit %d", l, rc)
		}
	}
}
