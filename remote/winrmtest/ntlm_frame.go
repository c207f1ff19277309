package winrmtest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"mime"
	"strconv"
)

// Message encryption framing of MS-WSMV 2.2.9.1.1 for the Negotiate (NTLM)
// protocol, byte for byte as Windows and pywinrm write it:
//
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
//	\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<n>\r\n
//	--Encrypted Boundary\r\n
//	\tContent-Type: application/octet-stream\r\n
//	<uint32 LE 16><16-byte signature><n sealed bytes>--Encrypted Boundary--\r\n
const (
	// EncryptedContentType is the Content-Type of an encrypted WinRM message.
	EncryptedContentType = `multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"`

	ntlmFrameProtocol = "application/HTTP-SPNEGO-session-encrypted"
	ntlmFrameBoundary = "--Encrypted Boundary"
	ntlmFrameHead     = ntlmFrameBoundary + "\r\n\tContent-Type: " + ntlmFrameProtocol + "\r\n" +
		"\tOriginalContent: type="
	ntlmFrameLength = ";Length="
	ntlmFrameMid    = "\r\n" + ntlmFrameBoundary + "\r\n\tContent-Type: application/octet-stream\r\n"
	ntlmFrameTail   = ntlmFrameBoundary + "--\r\n"
)

var errFrame = errors.New("malformed encrypted message")

// isEncryptedContentType reports whether a Content-Type header announces a
// Negotiate-encrypted WinRM message.
func isEncryptedContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	return err == nil && mt == "multipart/encrypted" &&
		params["protocol"] == ntlmFrameProtocol && params["boundary"] == "Encrypted Boundary"
}

// frameEncrypted builds the framed body for one sealed message.
func frameEncrypted(origType string, plainLen int, signature, sealed []byte) []byte {
	var b bytes.Buffer
	b.WriteString(ntlmFrameHead)
	b.WriteString(origType)
	b.WriteString(ntlmFrameLength)
	b.WriteString(strconv.Itoa(plainLen))
	b.WriteString(ntlmFrameMid)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(signature)))
	b.Write(n[:])
	b.Write(signature)
	b.Write(sealed)
	b.WriteString(ntlmFrameTail)
	return b.Bytes()
}

// unframeEncrypted parses a framed body strictly: exactly one part, the
// headers byte for byte, a 16-byte signature, as many sealed bytes as Length
// says, then the closing boundary and nothing else. It returns the original
// content type, the signature and the sealed bytes.
func unframeEncrypted(body []byte) (origType string, signature, sealed []byte, err error) {
	rest, ok := bytes.CutPrefix(body, []byte(ntlmFrameHead))
	if !ok {
		return "", nil, nil, fmt.Errorf("%w: first part header", errFrame)
	}
	line, rest, ok := bytes.Cut(rest, []byte(ntlmFrameMid))
	if !ok {
		return "", nil, nil, fmt.Errorf("%w: second part header", errFrame)
	}
	i := bytes.LastIndex(line, []byte(ntlmFrameLength))
	if i < 0 {
		return "", nil, nil, fmt.Errorf("%w: no Length", errFrame)
	}
	origType = string(line[:i])
	n, err := strconv.Atoi(string(line[i+len(ntlmFrameLength):]))
	if err != nil || n < 0 {
		return "", nil, nil, fmt.Errorf("%w: bad Length", errFrame)
	}
	if len(rest) < 4 {
		return "", nil, nil, fmt.Errorf("%w: truncated", errFrame)
	}
	sigLen := int(binary.LittleEndian.Uint32(rest))
	if sigLen != 16 {
		return "", nil, nil, fmt.Errorf("%w: signature length %d", errFrame, sigLen)
	}
	rest = rest[4:]
	if len(rest) != 16+n+len(ntlmFrameTail) {
		return "", nil, nil, fmt.Errorf("%w: %d bytes after the headers, want %d", errFrame, len(rest), 16+n+len(ntlmFrameTail))
	}
	if string(rest[16+n:]) != ntlmFrameTail {
		return "", nil, nil, fmt.Errorf("%w: closing boundary", errFrame)
	}
	return origType, rest[:16], rest[16 : 16+n], nil
}
