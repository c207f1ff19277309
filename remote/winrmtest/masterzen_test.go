package winrmtest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

func TestMasterzenRunsCommands(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := "http"
		if tls {
			name = "https"
		}
		t.Run(name, func(t *testing.T) {
			var srv *winrmtest.Server
			if tls {
				srv = winrmtest.NewTLSServer(testHost())
			} else {
				srv = winrmtest.NewServer(testHost())
			}
			defer srv.Close()
			c := newClient(t, srv, "PT5S")
			tests := []struct {
				cmd      string
				wantOut  string
				wantErr  string
				wantCode int
			}{
				{"echo hello", "hello\r\n", "", 0},
				{"fail 3 boom", "", "boom\r\n", 3},
				{"both", "out \r\n", "err \r\n", 1},
				{"chunks a b c", "abc", "", 0},
				{"hex 8182ff00", "\x81\x82\xff\x00", "", 0},
				{"nosuch", "", "'nosuch' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 1},
			}
			for _, tt := range tests {
				srv.ResetLog()
				out, errOut, code, err := c.RunCmdWithContext(testCtx(t), tt.cmd)
				if err != nil {
					t.Fatalf("Run(%q) error = %v", tt.cmd, err)
				}
				if out != tt.wantOut || errOut != tt.wantErr || code != tt.wantCode {
					t.Errorf("Run(%q) = (%q, %q, %d), want (%q, %q, %d)", tt.cmd, out, errOut, code, tt.wantOut, tt.wantErr, tt.wantCode)
				}
				log := srv.Log()
				var ops []winrmtest.Op
				for _, r := range log {
					ops = append(ops, r.Op)
					if r.ConnID != log[0].ConnID {
						t.Errorf("Run(%q): request %d (%s) on connection %d, want all on %d", tt.cmd, r.Seq, r.Op, r.ConnID, log[0].ConnID)
					}
					if r.Status != 200 {
						t.Errorf("Run(%q): %s status %d, want 200", tt.cmd, r.Op, r.Status)
					}
				}
				want := []winrmtest.Op{winrmtest.OpCreate, winrmtest.OpCommand, winrmtest.OpReceive, winrmtest.OpSignal, winrmtest.OpDelete}
				if tt.cmd == "chunks a b c" {
					// Output may arrive over several Receives.
					ops = compactReceives(ops)
				}
				if diff := cmp.Diff(want, ops); diff != "" {
					t.Errorf("Run(%q) request sequence (-want +got):\n%s", tt.cmd, diff)
				}
				if log[1].CommandLine != tt.cmd {
					t.Errorf("Run(%q): logged command line %q", tt.cmd, log[1].CommandLine)
				}
				if n := srv.OpenShells(); n != 0 {
					t.Errorf("Run(%q): OpenShells() = %d after Delete, want 0", tt.cmd, n)
				}
			}
		})
	}
}

func compactReceives(ops []winrmtest.Op) []winrmtest.Op {
	var out []winrmtest.Op
	for i, op := range ops {
		if op == winrmtest.OpReceive && i > 0 && ops[i-1] == winrmtest.OpReceive {
			continue
		}
		out = append(out, op)
	}
	return out
}
