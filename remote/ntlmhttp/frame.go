package ntlmhttp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strconv"
)

// Message encryption framing, MS-WSMV 2.2.9.1.1 (Negotiate). The layout is
// fixed byte for byte; Windows, pywinrm and masterzen all write it this way:
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//	\tOriginalContent: type=<original Content-Type>;Length=<plaintext length>\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<uint32 LE signature length><signature><sealed message>--Encrypted Boundary--\r\n

const (
	protocolName = "application/HTTP-SPNEGO-session-encrypted"
	boundary     = "--Encrypted Boundary"

	// ContentType is the Content-Type of an encrypted WinRM message.
	ContentType = `multipart/encrypted;protocol="` + protocolName + `";boundary="Encrypted Boundary"`

	partOneStart = boundary + "\r\n\tContent-Type: " + protocolName + "\r\n\tOriginalContent: type="
	partTwoStart = boundary + "\r\n\tContent-Type: application/octet-stream\r\n"
	closing      = boundary + "--\r\n"
)

// errFraming is wrapped by every framing error.
var errFraming = errors.New("malformed encrypted message")

// encryptedContentType reports whether a response's Content-Type announces
// Negotiate message encryption.
func encryptedContentType(ct string) bool {
	mt, p, err := mime.ParseMediaType(ct)
	return err == nil && mt == "multipart/encrypted" && p["protocol"] == protocolName
}

// frame returns the encrypted body for a message of plainLen bytes whose
// sealed form and signature are given.
func frame(origType string, plainLen int, signature, sealed []byte) []byte {
	buf := make([]byte, 0, len(partOneStart)+len(origType)+32+len(partTwoStart)+4+len(signature)+len(sealed)+len(closing))
	buf = append(buf, partOneStart...)
	buf = append(buf, origType...)
	buf = append(buf, ";Length="...)
	buf = strconv.AppendInt(buf, int64(plainLen), 10)
	buf = append(buf, "\r\n"...)
	buf = append(buf, partTwoStart...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(signature)))
	buf = append(buf, signature...)
	buf = append(buf, sealed...)
	buf = append(buf, closing...)
	return buf
}

// unframe splits an encrypted body into the original Content-Type, the
// announced plaintext length, the signature and the sealed bytes. It checks
// every bound (a hostile body must give an error, never a panic) and, since
// RC4 keeps lengths, that exactly Length sealed bytes precede the closing
// boundary.
func unframe(body []byte) (origType string, length int, signature, sealed []byte, err error) {
	rest, ok := bytes.CutPrefix(body, []byte(partOneStart))
	if !ok {
		return "", 0, nil, nil, fmt.Errorf("%w: no first part", errFraming)
	}
	header, rest, ok := bytes.Cut(rest, []byte("\r\n"))
	if !ok {
		return "", 0, nil, nil, fmt.Errorf("%w: unterminated OriginalContent", errFraming)
	}
	at := bytes.LastIndex(header, []byte(";Length="))
	if at < 0 {
		return "", 0, nil, nil, fmt.Errorf("%w: no Length", errFraming)
	}
	length, err = strconv.Atoi(string(header[at+len(";Length="):]))
	if err != nil || length < 0 {
		return "", 0, nil, nil, fmt.Errorf("%w: bad Length", errFraming)
	}
	origType = string(header[:at])
	rest, ok = bytes.CutPrefix(rest, []byte(partTwoStart))
	if !ok {
		return "", 0, nil, nil, fmt.Errorf("%w: no second part", errFraming)
	}
	if len(rest) < 4 {
		return "", 0, nil, nil, fmt.Errorf("%w: no signature length", errFraming)
	}
	sigLen := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if sigLen != 16 || uint64(len(rest)) != uint64(sigLen)+uint64(length)+uint64(len(closing)) {
		return "", 0, nil, nil, fmt.Errorf("%w: sizes do not add up (signature %d, Length %d, %d bytes)", errFraming, sigLen, length, len(rest))
	}
	if !bytes.Equal(rest[int(sigLen)+length:], []byte(closing)) {
		return "", 0, nil, nil, fmt.Errorf("%w: no closing boundary", errFraming)
	}
	return origType, length, rest[:sigLen], rest[sigLen : int(sigLen)+length], nil
}
