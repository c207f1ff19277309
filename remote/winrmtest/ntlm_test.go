package winrmtest

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	azntlm "github.com/Azure/go-ntlmssp"
	"github.com/bodgit/ntlmssp"
)

func testLookup(users map[string]string) func(string) (string, bool) {
	return func(u string) (string, bool) {
		p, ok := users[canonicalUser(u)]
		return p, ok
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNTLMSpecVectors checks the acceptor against the NTLMv2 example of
// MS-NLMP 4.2.4: the AUTHENTICATE message's NTProofStr and encrypted session
// key, and a message sealed by the client with the resulting keys.
func TestNTLMSpecVectors(t *testing.T) {
	a := newNTLMAcceptor(ntlmIdentity{Domain: "Domain", Computer: "Server"},
		testLookup(map[string]string{"user": "Password"}), nil)
	const flags = 0xe28a8233
	copy(a.srvChal[:], unhex(t, "0123456789abcdef"))
	a.flags = flags
	a.negotiate = []byte("unused")
	a.challenge = []byte("unused")

	var info bytes.Buffer
	ntlmPutAv(&info, ntlmAvNbDomainName, ntlmUTF16("Domain"))
	ntlmPutAv(&info, ntlmAvNbComputerName, ntlmUTF16("Server"))
	ntlmPutAv(&info, ntlmAvEOL, nil)
	temp := append(unhex(t, "0101 0000 00000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000"), info.Bytes()...)
	temp = append(temp, 0, 0, 0, 0)
	nt := append(unhex(t, "68cd0ab851e51c96aabc927bebef6a1c"), temp...)
	ersk := unhex(t, "c5dad2544fc9799094ce1ce90bc9d03e")

	auth := buildType3(flags, "Domain", "User", nt, ersk)
	if err := a.Authenticate(auth); err != nil {
		t.Fatalf("Authenticate(spec message) = %v", err)
	}
	if a.session == nil {
		t.Fatal("no session after KEY_EXCH|SEAL authentication")
	}
	sealed := unhex(t, "54e50165bf1936dc996020c1811b0f06fb5f")
	sig := unhex(t, "010000007fb38ec5c55d497600000000")
	got, err := a.session.Unseal(sealed, sig)
	if err != nil {
		t.Fatalf("Unseal(spec vector) = %v", err)
	}
	if want := ntlmUTF16("Plaintext"); !bytes.Equal(got, want) {
		t.Errorf("Unseal(spec vector) = %x, want %x", got, want)
	}

	// The same message under the wrong password fails.
	b := newNTLMAcceptor(a.id, testLookup(map[string]string{"user": "password"}), nil)
	b.srvChal, b.flags, b.negotiate, b.challenge = a.srvChal, a.flags, a.negotiate, a.challenge
	if err := b.Authenticate(auth); !errors.Is(err, errNTLMBadResponse) {
		t.Errorf("Authenticate(wrong password) = %v, want %v", err, errNTLMBadResponse)
	}
}

// buildType3 writes an AUTHENTICATE_MESSAGE with Version and no MIC.
func buildType3(flags uint32, domain, user string, nt, ersk []byte) []byte {
	d, u := ntlmUTF16(domain), ntlmUTF16(user)
	const fixed = 72
	msg := make([]byte, fixed)
	copy(msg, ntlmSignature)
	binary.LittleEndian.PutUint32(msg[8:], 3)
	off := fixed
	put := func(at int, b []byte) {
		ntlmPutField(msg[at:], len(b), off)
		off += len(b)
	}
	put(12, nil) // LM
	put(20, nt)
	put(28, d)
	put(36, u)
	put(44, nil) // workstation
	put(52, ersk)
	binary.LittleEndian.PutUint32(msg[60:], flags)
	for _, b := range [][]byte{nt, d, u, ersk} {
		msg = append(msg, b...)
	}
	return msg
}

// TestNTLMBodgitClient runs the handshake and session security against
// bodgit/ntlmssp, the library masterzen's Encryption uses.
func TestNTLMBodgitClient(t *testing.T) {
	users := map[string]string{"administrator": "S3cret!"}
	tests := []struct {
		name, user, domain, password string
		wantErr                      error
	}{
		{name: "plain", user: "Administrator", password: "S3cret!"},
		{name: "other case and domain", user: "ADMINISTRATOR", domain: "WINRMTEST", password: "S3cret!"},
		{name: "wrong password", user: "Administrator", password: "s3cret!", wantErr: errNTLMBadResponse},
		{name: "unknown user", user: "nobody", password: "S3cret!", wantErr: errNTLMUnknownUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo(tt.user, tt.password), ntlmssp.SetDomain(tt.domain))
			if err != nil {
				t.Fatal(err)
			}
			a := newNTLMAcceptor(ntlmIdentity{Domain: "WINRMTEST", Computer: "WINRMTEST"}, testLookup(users), nil)
			t1, err := c.Authenticate(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			t2, err := a.Challenge(t1)
			if err != nil {
				t.Fatalf("Challenge = %v", err)
			}
			if req, got := binary.LittleEndian.Uint32(t1[12:]), binary.LittleEndian.Uint32(t2[20:]); got&^(ntlmFlagRequestTgt|ntlmFlagTargetInfo|ntlmFlagTargetServer)&^req != 0 {
				t.Errorf("challenge flags %#x add %#x to the requested %#x", got, got&^req, req)
			}
			t3, err := c.Authenticate(t2, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = a.Authenticate(t3)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Authenticate = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if a.user != tt.user || a.domain != tt.domain {
				t.Errorf("user, domain = %q, %q, want %q, %q", a.user, a.domain, tt.user, tt.domain)
			}
			cs, ss := c.SecuritySession(), a.session
			if cs == nil || ss == nil {
				t.Fatalf("sessions: client %v, server %v", cs, ss)
			}
			for i := range 3 { // sequence numbers advance on both sides
				msg := []byte(strings.Repeat("request ", i+1))
				sealed, sig, err := cs.Wrap(msg)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ss.Unseal(sealed, sig)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("message %d: Unseal = %q, %v, want %q", i, got, err, msg)
				}
				reply := []byte(strings.Repeat("response ", i+1))
				sealed, sig = ss.Seal(reply)
				got, err = cs.Unwrap(sealed, sig)
				if err != nil || !bytes.Equal(got, reply) {
					t.Fatalf("reply %d: Unwrap = %q, %v, want %q", i, got, err, reply)
				}
			}
			// A replayed message has the wrong sequence number (and RC4 state).
			sealed, sig, _ := cs.Wrap([]byte("x"))
			if _, err := ss.Unseal(sealed, sig); err != nil {
				t.Fatal(err)
			}
			if _, err := ss.Unseal(sealed, sig); err == nil {
				t.Error("Unseal(replayed message) = nil error")
			}
		})
	}
}

// TestNTLMAzureClient runs the handshake against Azure/go-ntlmssp, the
// library of masterzen's ClientNTLM, which refuses KEY_EXCH and LM_KEY in the
// challenge and uses the challenge's TargetName as its domain.
func TestNTLMAzureClient(t *testing.T) {
	users := map[string]string{"vagrant": "vagrant"}
	for _, tt := range []struct {
		user, password string
		wantErr        error
	}{
		{"vagrant", "vagrant", nil},
		{`WINRMTEST\Vagrant`, "vagrant", nil},
		{"vagrant@winrmtest.local", "vagrant", nil},
		{"vagrant", "wrong", errNTLMBadResponse},
	} {
		t.Run(tt.user+"/"+tt.password, func(t *testing.T) {
			user, domain, domainNeeded := azntlm.GetDomain(tt.user)
			t1, err := azntlm.NewNegotiateMessage(domain, "")
			if err != nil {
				t.Fatal(err)
			}
			a := newNTLMAcceptor(ntlmIdentity{Domain: "WINRMTEST", Computer: "WINRMTEST"}, testLookup(users), time.Now)
			t2, err := a.Challenge(t1)
			if err != nil {
				t.Fatal(err)
			}
			if f := binary.LittleEndian.Uint32(t2[20:]); f&(ntlmFlagKeyExch|ntlmFlagLMKey|ntlmFlagSeal|ntlmFlagSign) != 0 {
				t.Errorf("challenge flags %#x carry KEY_EXCH/LM_KEY/SIGN/SEAL the client did not ask for", f)
			}
			t3, err := azntlm.ProcessChallenge(t2, user, tt.password, domainNeeded)
			if err != nil {
				t.Fatalf("ProcessChallenge = %v", err)
			}
			if err := a.Authenticate(t3); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Authenticate = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestNTLMMIC: bodgit adds a MIC (the challenge carries a timestamp); the
// acceptor checks it, so an altered AUTHENTICATE message is refused.
func TestNTLMMIC(t *testing.T) {
	c, err := ntlmssp.NewClient(ntlmssp.SetUserInfo("vagrant", "vagrant"))
	if err != nil {
		t.Fatal(err)
	}
	a := newNTLMAcceptor(ntlmIdentity{Domain: "WINRMTEST", Computer: "WINRMTEST"}, testLookup(map[string]string{"vagrant": "vagrant"}), nil)
	t1, _ := c.Authenticate(nil, nil)
	t2, err := a.Challenge(t1)
	if err != nil {
		t.Fatal(err)
	}
	t3, err := c.Authenticate(t2, nil)
	if err != nil {
		t.Fatal(err)
	}
	nt, err := ntlmField(t3, 20)
	if err != nil || len(nt) < 16 || !ntlmMICProvided(nt[16:]) {
		t.Fatal("bodgit sent no MIC; the test needs one")
	}
	bad := bytes.Clone(t3)
	bad[80] ^= 0xff // inside the MIC
	if err := a.Authenticate(bad); !errors.Is(err, errNTLMMIC) {
		t.Errorf("Authenticate(altered MIC) = %v, want %v", err, errNTLMMIC)
	}
}

func TestNTLMMalformed(t *testing.T) {
	a := newNTLMAcceptor(ntlmIdentity{Domain: "D", Computer: "C"}, testLookup(nil), nil)
	if err := a.Authenticate(buildType3(0, "", "u", nil, nil)); !errors.Is(err, errNTLMState) {
		t.Errorf("type 3 before type 1: %v, want %v", err, errNTLMState)
	}
	for _, b := range [][]byte{nil, []byte("NTLMSSP\x00"), []byte("NTLMSSP\x00\x03\x00\x00\x00"), make([]byte, 64)} {
		if _, err := a.Challenge(b); err == nil {
			t.Errorf("Challenge(%x) = nil error", b)
		}
	}
	t1, _ := azntlm.NewNegotiateMessage("", "")
	if _, err := a.Challenge(t1); err != nil {
		t.Fatal(err)
	}
	bad := buildType3(ntlmFlagUnicode, "", "u", make([]byte, 40), nil)
	binary.LittleEndian.PutUint32(bad[24:], 0xffff) // NT response offset out of range
	if err := a.Authenticate(bad); !errors.Is(err, errNTLMMalformed) {
		t.Errorf("out-of-range field: %v, want %v", err, errNTLMMalformed)
	}
}

func TestFrameEncrypted(t *testing.T) {
	// The framing of pywinrm's test_encrypt_message, byte for byte.
	sig := []byte("1234567890abcdef")
	got := frameEncrypted("application/soap+xml;charset=UTF-8", 19, sig, []byte("unencrypted message"))
	want := "--Encrypted Boundary\r\n" +
		"\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=19\r\n" +
		"--Encrypted Boundary\r\n" +
		"\tContent-Type: application/octet-stream\r\n" +
		"\x10\x00\x00\x001234567890abcdefunencrypted message--Encrypted Boundary--\r\n"
	if string(got) != want {
		t.Fatalf("frameEncrypted =\n%q\nwant\n%q", got, want)
	}
	ct, s, sealed, err := unframeEncrypted(got)
	if err != nil || ct != "application/soap+xml;charset=UTF-8" || string(s) != string(sig) || string(sealed) != "unencrypted message" {
		t.Errorf("unframeEncrypted = %q, %q, %q, %v", ct, s, sealed, err)
	}
	// Sealed bytes may contain anything, boundaries included.
	tricky := []byte("--Encrypted Boundary\r\n--Encrypted Boundary--\r\n")
	if _, _, sealed, err := unframeEncrypted(frameEncrypted("t", len(tricky), sig, tricky)); err != nil || !bytes.Equal(sealed, tricky) {
		t.Errorf("boundary inside the payload: %q, %v", sealed, err)
	}
	for i := range len(got) {
		if _, _, _, err := unframeEncrypted(got[:i]); err == nil {
			t.Errorf("unframeEncrypted(first %d bytes) = nil error", i)
		}
	}
	if !isEncryptedContentType(EncryptedContentType) || isEncryptedContentType("application/soap+xml;charset=UTF-8") {
		t.Error("isEncryptedContentType is wrong")
	}
}

func FuzzUnframeEncrypted(f *testing.F) {
	f.Add(frameEncrypted("application/soap+xml;charset=UTF-8", 3, make([]byte, 16), []byte("abc")))
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, sig, sealed, err := unframeEncrypted(b)
		if err != nil {
			return
		}
		if again := frameEncrypted(ct, len(sealed), sig, sealed); !bytes.Equal(again, b) {
			t.Errorf("re-framing %q gives %q", b, again)
		}
	})
}
