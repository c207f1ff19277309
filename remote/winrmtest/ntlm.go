package winrmtest

// This file is a small, test-only NTLMv2 acceptor (the server side of
// MS-NLMP), written from the specification with golang.org/x/crypto/md4 and
// the standard library. It is deliberately independent of the product's
// client (remote/ntlmhttp): the two are checked against each other and
// against third-party clients (masterzen's ClientNTLM and Encryption,
// pywinrm), so a shared misreading of the spec cannot hide.
//
// It implements exactly what WinRM clients use: NTLMv2 responses, extended
// session security (ESS), 128/56-bit keys, optional key exchange, signing and
// sealing with one RC4 handle per direction for the life of the context.

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/crypto/md4"
)

// NTLM negotiate flags (MS-NLMP 2.2.2.5).
const (
	ntlmFlagUnicode      uint32 = 0x00000001
	ntlmFlagOEM          uint32 = 0x00000002
	ntlmFlagRequestTgt   uint32 = 0x00000004
	ntlmFlagSign         uint32 = 0x00000010
	ntlmFlagSeal         uint32 = 0x00000020
	ntlmFlagDatagram     uint32 = 0x00000040
	ntlmFlagLMKey        uint32 = 0x00000080
	ntlmFlagNTLM         uint32 = 0x00000200
	ntlmFlagAnonymous    uint32 = 0x00000800
	ntlmFlagAlwaysSign   uint32 = 0x00008000
	ntlmFlagTargetDomain uint32 = 0x00010000
	ntlmFlagTargetServer uint32 = 0x00020000
	ntlmFlagESS          uint32 = 0x00080000
	ntlmFlagTargetInfo   uint32 = 0x00800000
	ntlmFlagVersion      uint32 = 0x02000000
	ntlmFlag128          uint32 = 0x20000000
	ntlmFlagKeyExch      uint32 = 0x40000000
	ntlmFlag56           uint32 = 0x80000000
)

// ntlmEchoable are the client-requested flags the acceptor may echo in its
// challenge. Everything else a client asks for (LM_KEY, DATAGRAM, IDENTITY,
// OEM when Unicode is possible) is dropped: the acceptor speaks NTLMv2 with
// extended session security only. SIGN, SEAL and KEY_EXCH are echoed only
// when requested (Azure/go-ntlmssp refuses a challenge that carries KEY_EXCH).
const ntlmEchoable = ntlmFlagUnicode | ntlmFlagOEM | ntlmFlagRequestTgt | ntlmFlagSign | ntlmFlagSeal |
	ntlmFlagNTLM | ntlmFlagAlwaysSign | ntlmFlagESS | ntlmFlagVersion | ntlmFlag128 | ntlmFlagKeyExch | ntlmFlag56

// AV_PAIR ids (MS-NLMP 2.2.2.1).
const (
	ntlmAvEOL             uint16 = 0
	ntlmAvNbComputerName  uint16 = 1
	ntlmAvNbDomainName    uint16 = 2
	ntlmAvDNSComputerName uint16 = 3
	ntlmAvDNSDomainName   uint16 = 4
	ntlmAvFlags           uint16 = 6
	ntlmAvTimestamp       uint16 = 7
)

var ntlmSignature = []byte("NTLMSSP\x00")

// Errors of the acceptor. They never carry a password.
var (
	errNTLMMalformed   = errors.New("ntlm: malformed message")
	errNTLMState       = errors.New("ntlm: message out of order")
	errNTLMUnknownUser = errors.New("ntlm: unknown user")
	errNTLMBadResponse = errors.New("ntlm: wrong password (NTProofStr mismatch)")
	errNTLMNotV2       = errors.New("ntlm: only NTLMv2 responses are accepted")
	errNTLMMIC         = errors.New("ntlm: MIC mismatch")
	errNTLMAnonymous   = errors.New("ntlm: anonymous authentication refused")
)

// ntlmIdentity is the server's name as it appears in the challenge.
type ntlmIdentity struct {
	Domain   string // NetBIOS domain (or workgroup computer) name, also the TargetName
	Computer string // NetBIOS computer name
	DNSName  string // DNS computer name
	DNSZone  string // DNS domain name
}

// ntlmAcceptor holds the state of one NTLM security context on one TCP
// connection. It is not safe for concurrent use: the caller serializes per
// connection (HTTP/1.1 has one request at a time per connection anyway).
type ntlmAcceptor struct {
	id     ntlmIdentity
	lookup func(user string) (password string, ok bool)
	now    func() time.Time

	negotiate []byte // raw type 1, for the MIC
	challenge []byte // raw type 2, for the MIC
	srvChal   [8]byte
	flags     uint32 // flags sent in the challenge

	// channelBinding is the MsvAvChannelBindings value the server expects
	// (nil over plain HTTP); strictCBT refuses clients that send none.
	channelBinding []byte
	strictCBT      bool

	// Set once the type 3 message verified.
	user    string // UserName as sent in type 3
	domain  string // DomainName as sent in type 3
	session *ntlmSession
}

func newNTLMAcceptor(id ntlmIdentity, lookup func(string) (string, bool), now func() time.Time) *ntlmAcceptor {
	if now == nil {
		now = time.Now
	}
	return &ntlmAcceptor{id: id, lookup: lookup, now: now}
}

// ntlmMessageType reports the MessageType of an NTLMSSP token, or 0 if b is
// not one.
func ntlmMessageType(b []byte) uint32 {
	if len(b) < 12 || !bytes.Equal(b[:8], ntlmSignature) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[8:12])
}

// Challenge consumes a NEGOTIATE_MESSAGE and returns the CHALLENGE_MESSAGE.
// It resets the context: a new handshake on a connection replaces the old one.
func (a *ntlmAcceptor) Challenge(negotiate []byte) ([]byte, error) {
	if ntlmMessageType(negotiate) != 1 || len(negotiate) < 16 {
		return nil, errNTLMMalformed
	}
	a.user, a.domain, a.session = "", "", nil
	a.negotiate = append([]byte(nil), negotiate...)
	req := binary.LittleEndian.Uint32(negotiate[12:16])

	flags := req & ntlmEchoable
	if flags&ntlmFlagUnicode != 0 {
		flags &^= ntlmFlagOEM
	}
	if flags&(ntlmFlagUnicode|ntlmFlagOEM) == 0 {
		flags |= ntlmFlagOEM
	}
	if flags&ntlmFlagESS == 0 {
		// Without ESS the session keys derive from LM material this
		// acceptor does not implement: offer authentication only.
		flags &^= ntlmFlagSign | ntlmFlagSeal | ntlmFlagKeyExch | ntlmFlagAlwaysSign
	}
	// Flags only a server sets: like Windows it always returns a TargetName
	// and TargetInfo (NTLMv2 needs it) and says what kind of target the name
	// is. (REQUEST_TARGET is also what keeps python ntlm-auth, which
	// subtracts the OEM bit without checking it, from clearing SIGN.)
	flags |= ntlmFlagRequestTgt | ntlmFlagTargetInfo | ntlmFlagTargetServer
	a.flags = flags

	if _, err := rand.Read(a.srvChal[:]); err != nil {
		return nil, err
	}

	target := ntlmEncodeString(a.id.Domain, flags)
	ts := make([]byte, 8)
	binary.LittleEndian.PutUint64(ts, ntlmFiletime(a.now()))
	var info bytes.Buffer
	ntlmPutAv(&info, ntlmAvNbDomainName, ntlmUTF16(a.id.Domain))
	ntlmPutAv(&info, ntlmAvNbComputerName, ntlmUTF16(a.id.Computer))
	ntlmPutAv(&info, ntlmAvDNSDomainName, ntlmUTF16(a.id.DNSZone))
	ntlmPutAv(&info, ntlmAvDNSComputerName, ntlmUTF16(a.id.DNSName))
	ntlmPutAv(&info, ntlmAvTimestamp, ts)
	ntlmPutAv(&info, ntlmAvEOL, nil)

	const fixed = 56 // header with Version
	msg := make([]byte, fixed, fixed+len(target)+info.Len())
	copy(msg, ntlmSignature)
	binary.LittleEndian.PutUint32(msg[8:], 2)
	ntlmPutField(msg[12:], len(target), fixed)
	binary.LittleEndian.PutUint32(msg[20:], flags)
	copy(msg[24:32], a.srvChal[:])
	ntlmPutField(msg[40:], info.Len(), fixed+len(target))
	if flags&ntlmFlagVersion != 0 {
		// Windows Server 2019 (10.0.17763), NTLM revision 15.
		copy(msg[48:56], []byte{10, 0, 0x63, 0x45, 0, 0, 0, 15})
	}
	msg = append(msg, target...)
	msg = append(msg, info.Bytes()...)
	a.challenge = msg
	return msg, nil
}

// Authenticate verifies an AUTHENTICATE_MESSAGE against the challenge sent on
// this connection. On success the context holds the user and, when signing or
// sealing was negotiated, a session for message security.
func (a *ntlmAcceptor) Authenticate(auth []byte) error {
	if a.challenge == nil {
		return errNTLMState
	}
	if ntlmMessageType(auth) != 3 || len(auth) < 64 {
		return errNTLMMalformed
	}
	lm, err1 := ntlmField(auth, 12)
	nt, err2 := ntlmField(auth, 20)
	dom, err3 := ntlmField(auth, 28)
	usr, err4 := ntlmField(auth, 36)
	ersk, err5 := ntlmField(auth, 52)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return err
	}
	_ = lm
	flags := binary.LittleEndian.Uint32(auth[60:64])
	unicode := flags&ntlmFlagUnicode != 0
	user, domain := ntlmDecodeString(usr, unicode), ntlmDecodeString(dom, unicode)
	if user == "" && len(nt) == 0 {
		return errNTLMAnonymous
	}
	if len(nt) <= 24 {
		return errNTLMNotV2
	}
	password, ok := a.lookup(user)
	if !ok {
		return &LogonError{User: user, Err: errNTLMUnknownUser}
	}

	// MS-NLMP 3.3.2: NTOWFv2 with the user and domain as the client sent them.
	responseKeyNT := ntlmHMAC(ntlmMD4(ntlmUTF16(password)), ntlmUTF16(strings.ToUpper(user)+domain))
	proof, temp := nt[:16], nt[16:]
	want := ntlmHMAC(responseKeyNT, a.srvChal[:], temp)
	if !hmac.Equal(proof, want) {
		return &LogonError{User: user, Err: errNTLMBadResponse}
	}
	// The AV pairs are covered by NTProofStr, so they can be trusted now.
	if err := checkChannelBinding(temp, a.channelBinding, a.strictCBT); err != nil {
		return err
	}
	keyExchangeKey := ntlmHMAC(responseKeyNT, proof) // SessionBaseKey
	negotiated := flags & a.flags
	exported := keyExchangeKey
	if negotiated&ntlmFlagKeyExch != 0 && len(ersk) == 16 {
		exported = ntlmRC4Once(keyExchangeKey, ersk)
	}

	// The MIC is present when the client flagged it in the AV pairs of its
	// response (MsvAvFlags bit 0x2). It sits after the Version field.
	if ntlmMICProvided(temp) {
		if len(auth) < 88 {
			return errNTLMMalformed
		}
		zeroed := append([]byte(nil), auth...)
		clear(zeroed[72:88])
		mic := ntlmHMAC(exported, a.negotiate, a.challenge, zeroed)
		if !hmac.Equal(mic, auth[72:88]) {
			return errNTLMMIC
		}
	}

	a.user, a.domain, a.session = user, domain, nil
	if negotiated&(ntlmFlagSign|ntlmFlagSeal) != 0 {
		a.session = newNTLMSession(negotiated, exported)
	}
	return nil
}

// ntlmMICProvided reports whether the client flagged a MIC: MsvAvFlags bit
// 0x2 in the AV pairs of its NTLMv2_CLIENT_CHALLENGE.
func ntlmMICProvided(temp []byte) bool {
	v, ok := ntlmAvPair(temp, ntlmAvFlags)
	return ok && len(v) == 4 && binary.LittleEndian.Uint32(v)&0x2 != 0
}

// ntlmSession is the server side of NTLM session security with ESS
// (MS-NLMP 3.4.4.2): one RC4 handle per direction for the life of the
// security context, and a sequence number per direction.
type ntlmSession struct {
	flags           uint32
	inSign, outSign []byte
	in, out         *rc4.Cipher
	inSeq, outSeq   uint32
}

func newNTLMSession(flags uint32, exported []byte) *ntlmSession {
	const (
		c2sSign = "session key to client-to-server signing key magic constant\x00"
		s2cSign = "session key to server-to-client signing key magic constant\x00"
		c2sSeal = "session key to client-to-server sealing key magic constant\x00"
		s2cSeal = "session key to server-to-client sealing key magic constant\x00"
	)
	sealBase := exported
	switch {
	case flags&ntlmFlag128 != 0:
	case flags&ntlmFlag56 != 0:
		sealBase = exported[:7]
	default:
		sealBase = exported[:5]
	}
	in, _ := rc4.NewCipher(ntlmMD5(sealBase, []byte(c2sSeal)))
	out, _ := rc4.NewCipher(ntlmMD5(sealBase, []byte(s2cSeal)))
	return &ntlmSession{
		flags:   flags,
		inSign:  ntlmMD5(exported, []byte(c2sSign)),
		outSign: ntlmMD5(exported, []byte(s2cSign)),
		in:      in,
		out:     out,
	}
}

// Seal encrypts msg for the client and returns the sealed bytes and the
// 16-byte signature (GSS_WrapEx).
func (s *ntlmSession) Seal(msg []byte) (sealed, signature []byte) {
	sealed = make([]byte, len(msg))
	if s.flags&ntlmFlagSeal != 0 {
		s.out.XORKeyStream(sealed, msg)
	} else {
		copy(sealed, msg)
	}
	signature = s.mac(s.out, s.outSign, s.outSeq, msg)
	s.outSeq++
	return sealed, signature
}

// Unseal decrypts a client message and verifies its signature and sequence
// number (GSS_UnwrapEx).
func (s *ntlmSession) Unseal(sealed, signature []byte) ([]byte, error) {
	if len(signature) != 16 {
		return nil, fmt.Errorf("ntlm: signature is %d bytes, want 16", len(signature))
	}
	msg := make([]byte, len(sealed))
	if s.flags&ntlmFlagSeal != 0 {
		s.in.XORKeyStream(msg, sealed)
	} else {
		copy(msg, sealed)
	}
	want := s.mac(s.in, s.inSign, s.inSeq, msg)
	if !hmac.Equal(want[4:12], signature[4:12]) {
		return nil, errors.New("ntlm: message signature does not verify")
	}
	if !bytes.Equal(want[12:16], signature[12:16]) {
		return nil, fmt.Errorf("ntlm: sequence number %d, want %d",
			binary.LittleEndian.Uint32(signature[12:16]), s.inSeq)
	}
	s.inSeq++
	return msg, nil
}

// mac is the ESS message signature (MS-NLMP 3.4.4.2): version 1, the first 8
// bytes of HMAC_MD5(SigningKey, SeqNum || Message) (RC4-encrypted with the
// sealing handle when KEY_EXCH was negotiated), and the sequence number.
func (s *ntlmSession) mac(handle *rc4.Cipher, key []byte, seq uint32, msg []byte) []byte {
	var seqb [4]byte
	binary.LittleEndian.PutUint32(seqb[:], seq)
	checksum := ntlmHMAC(key, seqb[:], msg)[:8]
	if s.flags&ntlmFlagKeyExch != 0 {
		handle.XORKeyStream(checksum, checksum)
	}
	sig := make([]byte, 16)
	binary.LittleEndian.PutUint32(sig, 1)
	copy(sig[4:12], checksum)
	copy(sig[12:], seqb[:])
	return sig
}

func ntlmHMAC(key []byte, parts ...[]byte) []byte {
	h := hmac.New(md5.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func ntlmMD5(parts ...[]byte) []byte {
	h := md5.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func ntlmMD4(b []byte) []byte {
	h := md4.New()
	h.Write(b)
	return h.Sum(nil)
}

func ntlmRC4Once(key, b []byte) []byte {
	c, _ := rc4.NewCipher(key)
	out := make([]byte, len(b))
	c.XORKeyStream(out, b)
	return out
}

func ntlmUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return b
}

func ntlmEncodeString(s string, flags uint32) []byte {
	if flags&ntlmFlagUnicode != 0 {
		return ntlmUTF16(s)
	}
	return []byte(s)
}

func ntlmDecodeString(b []byte, unicode bool) string {
	if !unicode {
		return string(b)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func ntlmPutAv(w *bytes.Buffer, id uint16, v []byte) {
	var h [4]byte
	binary.LittleEndian.PutUint16(h[:], id)
	binary.LittleEndian.PutUint16(h[2:], uint16(len(v)))
	w.Write(h[:])
	w.Write(v)
}

// ntlmPutField writes a Len/MaxLen/Offset field.
func ntlmPutField(b []byte, n, offset int) {
	binary.LittleEndian.PutUint16(b, uint16(n))
	binary.LittleEndian.PutUint16(b[2:], uint16(n))
	binary.LittleEndian.PutUint32(b[4:], uint32(offset))
}

// ntlmField reads the payload a Len/MaxLen/Offset field at off points to.
func ntlmField(msg []byte, off int) ([]byte, error) {
	if len(msg) < off+8 {
		return nil, errNTLMMalformed
	}
	n := int(binary.LittleEndian.Uint16(msg[off:]))
	at := int(binary.LittleEndian.Uint32(msg[off+4:]))
	if n == 0 {
		return nil, nil
	}
	if at < 0 || at > len(msg) || n > len(msg)-at {
		return nil, errNTLMMalformed
	}
	return msg[at : at+n], nil
}

// ntlmFiletime converts t to a Windows FILETIME (100 ns since 1601).
func ntlmFiletime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}
