package ntlmhttp

import (
	"bytes"
	"errors"
	"testing"
)

func TestFrame(t *testing.T) {
	// The body of pywinrm's test_encrypt_message, with a 16-byte signature.
	sig := []byte("0123456789abcdef")
	got := frame("application/soap+xml;charset=UTF-8", 19, sig, []byte("unencrypted message"))
	want := "--Encrypted Boundary\r\n" +
		"\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n" +
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=19\r\n" +
		"--Encrypted Boundary\r\n" +
		"\tContent-Type: application/octet-stream\r\n" +
		"\x10\x00\x00\x000123456789abcdefunencrypted message--Encrypted Boundary--\r\n"
	if string(got) != want {
		t.Fatalf("frame =\n%q\nwant\n%q", got, want)
	}
	ct, n, s, sealed, err := unframe(got)
	if err != nil || ct != "application/soap+xml;charset=UTF-8" || n != 19 || !bytes.Equal(s, sig) || string(sealed) != "unencrypted message" {
		t.Errorf("unframe = %q, %d, %q, %q, %v", ct, n, s, sealed, err)
	}
}

func TestUnframeRejects(t *testing.T) {
	good := frame("application/soap+xml;charset=UTF-8", 5, make([]byte, 16), []byte("hello"))
	for i := range len(good) {
		if _, _, _, _, err := unframe(good[:i]); !errors.Is(err, errFraming) {
			t.Errorf("unframe(first %d bytes) = %v, want %v", i, err, errFraming)
		}
	}
	bad := map[string][]byte{
		"long Length":       frame("t", 6, make([]byte, 16), []byte("hello")),
		"short signature":   frame("t", 5, make([]byte, 8), []byte("hello")),
		"trailing bytes":    append(bytes.Clone(good), 'x'),
		"negative Length":   bytes.Replace(good, []byte("Length=5"), []byte("Length=-5"), 1),
		"no Length":         bytes.Replace(good, []byte("Length=5"), []byte("Size=5"), 1),
		"other protocol":    bytes.Replace(good, []byte("SPNEGO"), []byte("CredSSP"), 1),
		"huge Length":       bytes.Replace(good, []byte("Length=5"), []byte("Length=99999999999999999999"), 1),
		"missing part two":  bytes.Replace(good, []byte("octet-stream"), []byte("text/plain"), 1),
		"closing boundary":  bytes.Replace(good, []byte("Boundary--"), []byte("Boundary++"), 1),
		"signature 2^32-1":  bytes.Replace(good, []byte("\x10\x00\x00\x00"), []byte("\xff\xff\xff\xff"), 1),
		"empty body":        nil,
		"just the boundary": []byte(boundary + "--\r\n"),
	}
	for name, b := range bad {
		if _, _, _, _, err := unframe(b); !errors.Is(err, errFraming) {
			t.Errorf("%s: unframe = %v, want %v", name, err, errFraming)
		}
	}
}

func TestEncryptedContentType(t *testing.T) {
	for ct, want := range map[string]bool{
		ContentType: true,
		`multipart/encrypted; protocol="application/HTTP-SPNEGO-session-encrypted"; boundary="Encrypted Boundary"`: true,
		"application/soap+xml;charset=UTF-8": false,
		`multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"`: false,
		"": false,
	} {
		if got := encryptedContentType(ct); got != want {
			t.Errorf("encryptedContentType(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestSplitUser(t *testing.T) {
	for _, tt := range []struct{ user, domain, wantUser, wantDomain string }{
		{"admin", "", "admin", ""},
		{`CORP\admin`, "", "admin", "CORP"},
		{"admin@corp.example", "", "admin", "corp.example"},
		{`CORP\admin`, "OTHER", "admin", "OTHER"},
	} {
		u, d := splitUser(tt.user, tt.domain)
		if u != tt.wantUser || d != tt.wantDomain {
			t.Errorf("splitUser(%q, %q) = %q, %q, want %q, %q", tt.user, tt.domain, u, d, tt.wantUser, tt.wantDomain)
		}
	}
}

func FuzzUnframe(f *testing.F) {
	f.Add(frame("application/soap+xml;charset=UTF-8", 3, make([]byte, 16), []byte("abc")))
	f.Add([]byte(partOneStart + "x;Length=0\r\n" + partTwoStart))
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, n, sig, sealed, err := unframe(b)
		if err != nil {
			return
		}
		if len(sealed) != n || !bytes.Equal(frame(ct, n, sig, sealed), b) {
			t.Errorf("unframe(%q) accepted a body it would not write back", b)
		}
	})
}
