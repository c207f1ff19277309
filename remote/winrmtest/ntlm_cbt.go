package winrmtest

import (
	"bytes"
	"crypto"
	"crypto/md5"
	_ "crypto/sha256" // certificate hashes for channel bindings
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"net/http"
)

// Channel binding tokens (Extended Protection for Authentication): over
// HTTPS an NTLM client may put in its AUTHENTICATE message an
// MsvAvChannelBindings AV pair, the MD5 of a GSS channel bindings structure
// whose application data is "tls-server-end-point:" followed by the RFC 5929
// hash of the server's certificate. Windows' CbtHardeningLevel decides what
// the service does with it: Relaxed (the default) checks it when a client
// sends one, Strict also refuses clients that send none.

const ntlmAvChannelBindings uint16 = 0x000a

var (
	errNTLMChannelBinding   = errors.New("ntlm: channel binding does not match the server certificate")
	errNTLMNoChannelBinding = errors.New("ntlm: channel binding required (CbtHardeningLevel=Strict) but not sent")
)

// ntlmServerCert returns the certificate the server presents on r's
// connection, or nil (plain HTTP, or a server this package did not start).
func ntlmServerCert(r *http.Request) *x509.Certificate {
	if r.TLS == nil {
		return nil
	}
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if hs == nil {
		return nil
	}
	s, _ := hs.Handler.(*Server)
	if s == nil || s.tlsConf == nil || len(s.tlsConf.Certificates) == 0 {
		return nil
	}
	c := s.tlsConf.Certificates[0]
	if c.Leaf != nil {
		return c.Leaf
	}
	if len(c.Certificate) == 0 {
		return nil
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil
	}
	return leaf
}

// ntlmChannelBindingHash is the MsvAvChannelBindings value a client computes
// for cert, or nil when RFC 5929 defines no binding for its signature
// algorithm.
func ntlmChannelBindingHash(cert *x509.Certificate) []byte {
	var h crypto.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, // RFC 5929 4.1: use SHA-256
		x509.SHA256WithRSA, x509.DSAWithSHA256, x509.ECDSAWithSHA256, x509.SHA256WithRSAPSS:
		h = crypto.SHA256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	default:
		return nil
	}
	d := h.New()
	d.Write(cert.Raw)
	app := append([]byte("tls-server-end-point:"), d.Sum(nil)...)
	// gss_channel_bindings_struct: initiator address type and address,
	// acceptor address type and address (all empty), application data.
	var st bytes.Buffer
	var u32 [4]byte
	for range 4 {
		st.Write(u32[:])
	}
	binary.LittleEndian.PutUint32(u32[:], uint32(len(app)))
	st.Write(u32[:])
	st.Write(app)
	sum := md5.Sum(st.Bytes())
	return sum[:]
}

// ntlmAvPair returns the value of AV pair id in the AV pairs that follow the
// 28-byte fixed part of an NTLMv2_CLIENT_CHALLENGE, and whether it is there.
func ntlmAvPair(temp []byte, id uint16) ([]byte, bool) {
	if len(temp) < 28 {
		return nil, false
	}
	b := temp[28:]
	for len(b) >= 4 {
		aid := binary.LittleEndian.Uint16(b)
		n := int(binary.LittleEndian.Uint16(b[2:]))
		if aid == ntlmAvEOL || len(b) < 4+n {
			return nil, false
		}
		if aid == id {
			return b[4 : 4+n], true
		}
		b = b[4+n:]
	}
	return nil, false
}

// checkChannelBinding applies the hardening level to the client's
// NTLMv2_CLIENT_CHALLENGE. want is the binding of the server certificate
// (nil over plain HTTP, where there is nothing to bind to). An all-zero
// value is what clients without channel binding support send: it counts as
// absent.
func checkChannelBinding(temp, want []byte, strict bool) error {
	if want == nil {
		return nil
	}
	got, ok := ntlmAvPair(temp, ntlmAvChannelBindings)
	if !ok || bytes.Equal(got, make([]byte, len(got))) {
		if strict {
			return errNTLMNoChannelBinding
		}
		return nil
	}
	if !bytes.Equal(got, want) {
		return errNTLMChannelBinding
	}
	return nil
}
