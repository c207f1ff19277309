package remote

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxCmdLine is cmd.exe's command-line limit in characters.
const maxCmdLine = 8191

// markerPrefix starts every marker line the batch wrapper echoes.
const markerPrefix = "##WF "

// errUnbatchable says why a command cannot go into a batch; RunBatch then
// sends it on its own.
var errUnbatchable = errors.New("command cannot be batched")

// checkBatchable reports why cmd cannot be part of a batch: delayed
// expansion (/v:on) would eat a '!', an odd number of '"' would break the
// outer quotes, and a newline ends the cmd.exe command line.
func checkBatchable(cmd string) error {
	switch {
	case strings.ContainsRune(cmd, '!'):
		return fmt.Errorf("%w: contains '!' (delayed expansion)", errUnbatchable)
	case strings.Count(cmd, `"`)%2 != 0:
		return fmt.Errorf("%w: unbalanced '\"'", errUnbatchable)
	case strings.ContainsAny(cmd, "\r\n"):
		return fmt.Errorf("%w: contains a newline", errUnbatchable)
	case strings.TrimSpace(cmd) == "":
		return fmt.Errorf("%w: empty command", errUnbatchable)
	}
	return nil
}

// nonceLen is the length of a batch nonce in hex digits.
const nonceLen = 16

// newNonce returns 8 random bytes in hex, so that command output cannot
// forge a marker.
func newNonce() string {
	var b [nonceLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// The fixed parts of a batch line (see encodeBatch).
const (
	batchHead = `cmd /v:on /c "`
	batchTail = `"`
	batchSep  = " & "
)

// batchCmdLen is the length encodeBatch gives command i of cmdLen bytes
// with its two markers, separators excluded.
func batchCmdLen(i, cmdLen, nonceLen int) int {
	digits := len(strconv.Itoa(i))
	return cmdLen + len(" & echo ") + 2*(len(markerPrefix)+nonceLen+1+digits) + len(" !ERRORLEVEL! & echo ") + len(" 1>&2")
}

// encodeBatch builds the one command line that runs cmds in order under
// one cmd.exe, each followed by markers carrying its index and exit code:
//
//	cmd /v:on /c "C1 & echo ##WF N 0 !ERRORLEVEL! & echo ##WF N 0 1>&2 & C2 & …"
//
// It fails, before anything is sent, if a command is not batchable or the
// line would exceed cmd.exe's 8191 characters.
func encodeBatch(nonce string, cmds []string) (string, error) {
	n := len(batchHead) + len(batchTail)
	for i, c := range cmds {
		if err := checkBatchable(c); err != nil {
			return "", fmt.Errorf("command %d: %w", i, err)
		}
		if i > 0 {
			n += len(batchSep)
		}
		n += batchCmdLen(i, len(c), len(nonce))
	}
	if n > maxCmdLine {
		return "", fmt.Errorf("%w: batch line of %d characters exceeds cmd.exe's %d", errUnbatchable, n, maxCmdLine)
	}
	var b strings.Builder // one allocation: the line is n bytes
	b.Grow(n)
	b.WriteString(batchHead)
	for i, c := range cmds {
		if i > 0 {
			b.WriteString(batchSep)
		}
		idx := strconv.Itoa(i)
		b.WriteString(c)
		b.WriteString(" & echo " + markerPrefix)
		b.WriteString(nonce)
		b.WriteByte(' ')
		b.WriteString(idx)
		b.WriteString(" !ERRORLEVEL! & echo " + markerPrefix)
		b.WriteString(nonce)
		b.WriteByte(' ')
		b.WriteString(idx)
		b.WriteString(" 1>&2")
	}
	b.WriteString(batchTail)
	return b.String(), nil
}

// rawResult is one command's undecoded output.
type rawResult struct {
	stdout, stderr []byte
	exitCode       int
}

// decodeBatch splits the output of an encoded batch of n commands back into
// per-command output and exit codes. A marker may follow output that does
// not end in a newline, and trailing spaces before CRLF are tolerated. It
// returns the results it could recover and an error if markers are missing
// (a command ended the batch early, e.g. with "exit") or malformed.
func decodeBatch(nonce string, n int, stdout, stderr []byte) ([]rawResult, error) {
	res := make([]rawResult, n)
	out, errs := stdout, stderr
	var mbuf [64]byte
	for i := range n {
		marker := append(mbuf[:0], markerPrefix...)
		marker = append(marker, nonce...)
		marker = append(marker, ' ')
		marker = strconv.AppendInt(marker, int64(i), 10)
		marker = append(marker, ' ')
		// stdout: OUTPUT ##WF N i CODE\r\n
		j := bytes.Index(out, marker)
		if j < 0 {
			return res[:i], fmt.Errorf("batch output has no exit marker for command %d of %d (did a command end cmd.exe early?)", i, n)
		}
		res[i].stdout = out[:j]
		line, rest := cutLine(out[j+len(marker):])
		code, err := strconv.Atoi(strings.TrimSpace(string(line)))
		if err != nil {
			return res[:i], fmt.Errorf("batch marker for command %d has exit code %q", i, line)
		}
		res[i].exitCode = code
		out = rest
		// stderr: OUTPUT ##WF N i \r\n (the space before 1>&2 is echoed)
		trimmed := marker[:len(marker)-1]
		k := bytes.Index(errs, trimmed)
		if k < 0 {
			return res[:i], fmt.Errorf("batch stderr has no marker for command %d of %d", i, n)
		}
		res[i].stderr = errs[:k]
		tail, rest := cutLine(errs[k+len(trimmed):])
		if len(bytes.TrimSpace(tail)) != 0 {
			return res[:i], fmt.Errorf("batch stderr marker for command %d is followed by %q", i, tail)
		}
		errs = rest
	}
	return res, nil
}

// cutLine splits b after the first "\n", dropping the line ending.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b, nil
	}
	return bytes.TrimSuffix(b[:i], []byte("\r")), b[i+1:]
}
