package winrmtest

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Causes of a command's ctx cancellation (context.Cause(ctx) in a Handler).
var (
	// ErrSignalTerminate: the client sent Signal terminate.
	ErrSignalTerminate = errors.New("winrmtest: signal terminate")
	// ErrSignalCtrlC: the client sent Signal ctrl_c.
	ErrSignalCtrlC = errors.New("winrmtest: signal ctrl_c")
	// ErrShellDeleted: the command's shell was deleted (Delete or idle timeout).
	ErrShellDeleted = errors.New("winrmtest: shell deleted")
	// ErrServerClosed: the server is closing.
	ErrServerClosed = errors.New("winrmtest: server closed")
)

// A ProgramChecker is an optional interface of a Handler. When a Command asks
// to skip cmd.exe (WINRS_SKIP_CMD_SHELL=TRUE) the server asks it whether the
// program exists; if not, the Command gets the InternalError fault 2147942402
// ("The system cannot find the file specified.") and Run is not called. With
// cmd.exe in between (masterzen always sends FALSE) a missing program is the
// handler's business: cmd.exe prints "'x' is not recognized ..." and exits 1.
type ProgramChecker interface {
	ProgramExists(shell ShellInfo, line string, args []string) bool
}

// maxPending bounds the output a command buffers before its writes block,
// like a full pipe on Windows.
const maxPending = 4 << 20

// minEnvelope is the smallest MaxEnvelopeSize honoured (WinRM's minimum).
const minEnvelope = 8192

type shell struct {
	info     ShellInfo
	canon    string // canonical user
	lastUsed time.Time
	cmds     map[string]*command
	ops      int
}

func (sh *shell) cancelAll(cause error) {
	for _, c := range sh.cmds {
		c.cancel(cause)
	}
}

type chunk struct {
	stream string
	data   []byte
}

type command struct {
	id     string
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu        sync.Mutex
	changed   chan struct{} // closed and cleared on every state change; nil while nobody waits (changedLocked)
	out       []chunk
	pending   int
	finished  bool
	exitCode  int
	finalSent bool
	stdin     []byte
	stdinEOF  bool

	// withheld is how the handler asked the server not to answer
	// (Command.DropAnswer, Command.HangAnswer); onAnswered is
	// Command.OnAnswered's function.
	withheld   withhold
	onAnswered func()
}

// withhold is what Receives of a command get instead of an answer.
type withhold int

const (
	withholdNone withhold = iota
	withholdDrop
	withholdHang
)

func newCommand(parent context.Context, id string) *command {
	ctx, cancel := context.WithCancelCause(parent)
	return &command{id: id, ctx: ctx, cancel: cancel}
}

// notifyLocked wakes whoever waits for a change of c. The channel exists
// only while someone waits (changedLocked makes it): most chunks of output
// are written while no Receive waits, and need no new channel each.
func (c *command) notifyLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// changedLocked returns a channel closed at the next change of c.
func (c *command) changedLocked() <-chan struct{} {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	return c.changed
}

func (c *command) isFinished() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.finished
}

func (c *command) finish(code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.finished = true
	c.exitCode = code
	c.notifyLocked()
}

// write appends one chunk, blocking while too much output is pending.
func (c *command) write(stream string, p []byte, delay time.Duration) (int, error) {
	return writeChunk(c, stream, p, delay)
}

// writeChunk is command.write for bytes or a string.
func writeChunk[T string | []byte](c *command, stream string, p T, delay time.Duration) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return 0, context.Cause(c.ctx)
		}
	}
	for {
		c.mu.Lock()
		if c.finished {
			c.mu.Unlock()
			return 0, errors.New("winrmtest: write after Run returned")
		}
		if c.pending < maxPending {
			c.out = append(c.out, chunk{stream: stream, data: append([]byte(nil), p...)})
			c.pending += len(p)
			c.notifyLocked()
			c.mu.Unlock()
			return len(p), nil
		}
		ch := c.changedLocked()
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
			return 0, context.Cause(c.ctx)
		}
	}
}

type streamWriter struct {
	c      *command
	stream string
	srv    *Server
}

func (w streamWriter) Write(p []byte) (int, error) {
	return w.c.write(w.stream, p, w.srv.Faults().SlowOutput)
}

// WriteString is Write without converting s first (io.WriteString uses
// it); the chunk is copied once either way.
func (w streamWriter) WriteString(s string) (int, error) {
	return writeChunk(w.c, w.stream, s, w.srv.Faults().SlowOutput)
}

type stdinReader struct{ c *command }

func (r stdinReader) Read(p []byte) (int, error) {
	c := r.c
	for {
		c.mu.Lock()
		if len(c.stdin) > 0 {
			n := copy(p, c.stdin)
			c.stdin = c.stdin[n:]
			c.mu.Unlock()
			return n, nil
		}
		if c.stdinEOF {
			c.mu.Unlock()
			return 0, io.EOF
		}
		ch := c.changedLocked()
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
			return 0, context.Cause(c.ctx)
		}
	}
}

// dispatch carries out one SOAP request. It returns nil when the connection
// was hung up instead of answered.
func (s *Server) dispatch(ctx context.Context, user string, conn *Conn, body []byte, rec *Request, f Faults) (*soapResponse, string) {
	env, err := parseEnvelope(body)
	if err != nil {
		// Windows answers malformed input with an empty 500 and closes.
		return &soapResponse{Response: Response{Status: http.StatusInternalServerError,
			Header: http.Header{"Connection": {"close"}}}}, "malformed envelope: " + err.Error()
	}
	msgID := env.Header.MessageID
	op, known := opByAction[strings.TrimSpace(env.Header.Action)]
	if !known {
		op = OpUnknown
	}
	shellID := env.selector("ShellId")
	s.logUpdate(rec, func(q *Request) { q.Op = op; q.ShellID = shellID })
	if !known {
		return s.faultResponse(faultActionNotSupported(env.Header.Action), msgID), "unsupported action " + env.Header.Action
	}
	if uri := strings.TrimSpace(env.Header.ResourceURI); uri != resourceCmd {
		return s.faultResponse(faultBadResource(uri), msgID), "resource URI " + uri
	}
	if s.cfg.restricted[canonicalUser(user)] {
		return s.faultResponse(faultAccessDenied(), msgID), "user not allowed"
	}
	if f.UnauthorizedOn[op] {
		return &soapResponse{Response: Response{Status: http.StatusUnauthorized, Header: s.challenge()}}, "fault UnauthorizedOn"
	}
	if code, ok := f.FaultOn[op]; ok {
		return s.faultResponse(faultForCode(code), msgID), "injected fault"
	}
	timeout := s.cfg.maxTimeout
	if v := strings.TrimSpace(env.Header.OperationTimeout); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return s.faultResponse(faultInvalidTimeout(v), msgID), "bad OperationTimeout"
		}
		timeout = min(d, s.cfg.maxTimeout)
	}
	maxEnv := 153600
	if v := strings.TrimSpace(env.Header.MaxEnvelopeSize); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			maxEnv = max(n, minEnvelope)
		}
	}

	switch op {
	case OpCreate:
		return s.create(env, conn, user, msgID)
	case OpCommand:
		return s.command(env, user, shellID, msgID, rec)
	case OpReceive:
		return s.receive(ctx, env, user, shellID, msgID, timeout, maxEnv, rec, f)
	case OpSend:
		return s.send(env, user, shellID, msgID, rec)
	case OpSignal:
		return s.signal(env, user, shellID, msgID, rec)
	case OpDelete:
		return s.delete(user, shellID, msgID)
	}
	return s.faultResponse(faultActionNotSupported(env.Header.Action), msgID), "unsupported action"
}

// soapResponse is a response with the fault code it carries, for the log,
// and what to do once it was written in full (sent).
type soapResponse struct {
	Response
	faultCode uint32
	sent      func()
}

func (s *Server) faultResponse(f *fault, msgID string) *soapResponse {
	return &soapResponse{
		Response:  Response{Status: http.StatusInternalServerError, Header: http.Header{"Content-Type": {soapType}}, Body: renderFault(f, msgID, s.Host())},
		faultCode: f.code,
	}
}

func (s *Server) okResponse(action, msgID, body string) *soapResponse {
	return &soapResponse{Response: Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {soapType}}, Body: renderResponse(action, msgID, body)}}
}

// lookupLocked returns user's shell id and marks it used. Another user's
// shell is not found, as on Windows, where shells belong to their creator.
func (s *Server) lookupLocked(user, id string, now time.Time) *shell {
	s.reapIdleLocked(now)
	sh := s.shells[strings.ToUpper(id)]
	if sh == nil || sh.canon != canonicalUser(user) {
		return nil
	}
	sh.lastUsed = now
	return sh
}

func (s *Server) reapIdleLocked(now time.Time) {
	for id, sh := range s.shells {
		if now.Sub(sh.lastUsed) >= s.cfg.idleTimeout {
			s.removeShellLocked(id, sh)
		}
	}
}

func (s *Server) removeShellLocked(id string, sh *shell) {
	sh.cancelAll(ErrShellDeleted)
	s.ops[sh.canon] -= sh.ops
	if s.ops[sh.canon] <= 0 {
		delete(s.ops, sh.canon)
	}
	delete(s.shells, id)
	s.stats.shellsDeleted.Add(1)
}

func (s *Server) create(env *envelope, conn *Conn, user, msgID string) (*soapResponse, string) {
	now := time.Now()
	canon := canonicalUser(user)
	s.mu.Lock()
	s.reapIdleLocked(now)
	n := 0
	for _, sh := range s.shells {
		if sh.canon == canon {
			n++
		}
	}
	if n >= s.cfg.maxShells {
		s.mu.Unlock()
		return s.faultResponse(faultShellQuota(s.cfg.maxShells), msgID), "over MaxShellsPerUser"
	}
	codepage, _ := env.option("WINRS_CODEPAGE")
	noprofile, _ := env.option("WINRS_NOPROFILE")
	id := newGUID()
	sh := &shell{
		info:     ShellInfo{ID: id, User: user, Codepage: codepage, NoProfile: noprofile},
		canon:    canon,
		lastUsed: now,
		cmds:     make(map[string]*command),
	}
	s.shells[id] = sh
	s.mu.Unlock()
	s.stats.shellsCreated.Add(1)

	in, outStreams := "stdin", "stdout stderr"
	if env.Body.Shell != nil {
		if v := strings.TrimSpace(env.Body.Shell.InputStreams); v != "" {
			in = v
		}
		if v := strings.TrimSpace(env.Body.Shell.OutputStreams); v != "" {
			outStreams = v
		}
	}
	address := strings.TrimSpace(env.Header.To)
	if address == "" {
		address = s.Endpoint()
	}
	clientIP := conn.RemoteAddr
	if h, _, err := net.SplitHostPort(clientIP); err == nil {
		clientIP = h
	}
	body := `<x:ResourceCreated><a:Address>` + xmlEscape(address) + `</a:Address><a:ReferenceParameters><w:ResourceURI>` + resourceCmd +
		`</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">` + id + `</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` +
		`<rsp:Shell xmlns:rsp="` + nsShell + `"><rsp:ShellId>` + id + `</rsp:ShellId><rsp:ResourceUri>` + resourceCmd +
		`</rsp:ResourceUri><rsp:Owner>` + xmlEscape(user) + `</rsp:Owner><rsp:ClientIP>` + xmlEscape(clientIP) +
		`</rsp:ClientIP><rsp:IdleTimeOut>` + formatDuration(s.cfg.idleTimeout) + `</rsp:IdleTimeOut><rsp:InputStreams>` + xmlEscape(in) +
		`</rsp:InputStreams><rsp:OutputStreams>` + xmlEscape(outStreams) +
		`</rsp:OutputStreams><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`
	resp := s.okResponse("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", msgID, body)
	return resp, ""
}

func (s *Server) command(env *envelope, user, shellID, msgID string, rec *Request) (*soapResponse, string) {
	if env.Body.CommandLine == nil {
		return s.faultResponse(faultInvalidParameter(), msgID), "Command without rsp:CommandLine"
	}
	line := env.Body.CommandLine.Command
	args := env.Body.CommandLine.Arguments
	s.logUpdate(rec, func(q *Request) { q.CommandLine = line })
	skip, _ := env.option("WINRS_SKIP_CMD_SHELL")
	skipCmd := strings.EqualFold(skip, "TRUE")

	s.mu.Lock()
	sh := s.lookupLocked(user, shellID, time.Now())
	if sh == nil {
		s.mu.Unlock()
		return s.faultResponse(faultUnknownShell(), msgID), "unknown shell"
	}
	if s.ops[sh.canon] >= s.cfg.maxOps {
		s.mu.Unlock()
		return s.faultResponse(faultOperationQuota(s.cfg.maxOps), msgID), "over MaxConcurrentOperationsPerUser"
	}
	info := sh.info
	s.mu.Unlock()

	if utf8.RuneCountInString(line) > MaxCommandLine {
		return s.faultResponse(faultTooLong(), msgID), "command line too long"
	}
	if pc, ok := s.handler.(ProgramChecker); ok && skipCmd && !pc.ProgramExists(info, line, args) {
		return s.faultResponse(faultFileNotFound(), msgID), "program not found"
	}

	id := newGUID()
	c := newCommand(s.baseCtx, id)
	s.mu.Lock()
	if s.closed || s.shells[sh.info.ID] != sh {
		s.mu.Unlock()
		c.cancel(ErrShellDeleted)
		return s.faultResponse(faultUnknownShell(), msgID), "shell deleted meanwhile"
	}
	sh.cmds[id] = c
	sh.ops++
	s.ops[sh.canon]++
	s.cmdWG.Add(1)
	s.mu.Unlock()
	s.stats.commands.Add(1)
	s.logUpdate(rec, func(q *Request) { q.CommandID = id })

	cmd := &Command{
		Shell:        info,
		Line:         line,
		Args:         args,
		SkipCmdShell: skipCmd,
		Stdin:        stdinReader{c},
		Stdout:       streamWriter{c: c, stream: "stdout", srv: s},
		Stderr:       streamWriter{c: c, stream: "stderr", srv: s},
		c:            c,
	}
	go s.run(c, cmd)
	return s.okResponse("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse", msgID,
		`<rsp:CommandResponse><rsp:CommandId>`+id+`</rsp:CommandId></rsp:CommandResponse>`), ""
}

func (s *Server) run(c *command, cmd *Command) {
	defer s.cmdWG.Done()
	code := s.handler.Run(c.ctx, cmd)
	if n := s.Faults().HugeOutput; n > 0 {
		writeHuge(c, n)
	}
	c.finish(code)
}

// hugeLine is the line Faults.HugeOutput repeats.
const hugeLine = "winrmtest huge output: the quick brown fox jumps over the lazy dog 0123456789\r\n"

// writeHuge writes the n bytes of HugeOutputBytes(n) to c's stdout, 4096
// bytes at a time, generating them as it goes: a lab host printing
// gigabytes holds no more than the pending-output window (maxPending).
func writeHuge(c *command, n int) {
	const chunk = 4096
	var buf [chunk + len(hugeLine)]byte
	for i := 0; i < len(buf); i += copy(buf[i:], hugeLine) {
	}
	for off := 0; off < n && c.ctx.Err() == nil; {
		k := min(n-off, chunk)
		start := off % len(hugeLine)
		if _, err := c.write("stdout", buf[start:start+k], 0); err != nil {
			return
		}
		off += k
	}
}

// findCommand looks up a shell's command under s.mu.
func (s *Server) findCommand(user, shellID, cmdID string) (*command, *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.lookupLocked(user, shellID, time.Now())
	if sh == nil {
		return nil, faultUnknownShell()
	}
	if cmdID == "" {
		return nil, faultInvalidParameter()
	}
	c := sh.cmds[strings.ToUpper(cmdID)]
	if c == nil {
		return nil, faultUnknownCommand()
	}
	return c, nil
}

func (s *Server) receive(ctx context.Context, env *envelope, user, shellID, msgID string, timeout time.Duration, maxEnv int, rec *Request, f Faults) (*soapResponse, string) {
	if env.Body.Receive == nil {
		return s.faultResponse(faultInvalidParameter(), msgID), "Receive without rsp:Receive"
	}
	cmdID := strings.TrimSpace(env.Body.Receive.DesiredStream.CommandID)
	s.logUpdate(rec, func(q *Request) { q.CommandID = cmdID })
	c, flt := s.findCommand(user, shellID, cmdID)
	if flt != nil {
		return s.faultResponse(flt, msgID), "receive: " + flt.reason
	}
	switch {
	case f.DropReceive:
		return nil, "fault DropReceive"
	case f.HangReceive:
		s.hang(ctx)
		return nil, "fault HangReceive"
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case <-s.closing:
			// Close answers parked Receives this way, even if the command
			// ended (it was cancelled by Close).
			return s.faultResponse(faultTimedOut(), msgID), "server closing"
		default:
		}
		c.mu.Lock()
		switch c.withheld {
		case withholdDrop:
			c.mu.Unlock()
			return nil, "answer withheld (Command.DropAnswer)"
		case withholdHang:
			c.mu.Unlock()
			s.hang(ctx)
			return nil, "answer withheld (Command.HangAnswer)"
		}
		if len(c.out) > 0 || c.finished {
			const action = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse"
			first := !c.finalSent
			budget := maxEnv - envelopeOverhead - len(xmlEscape(msgID))
			b := make([]byte, 0, envelopeHeadSize+len(msgID)+min(budget, base64.StdEncoding.EncodedLen(c.pending)+100*len(c.out))+600)
			b = appendEnvelopeHead(b, respNS, action, msgID)
			b = c.takeLocked(b, budget)
			var sent func()
			if first && c.finalSent {
				sent = s.answered(c.onAnswered)
			}
			c.mu.Unlock()
			b = append(b, envelopeTail...)
			return &soapResponse{Response: Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {soapType}}, Body: b}, sent: sent}, ""
		}
		ch := c.changedLocked()
		c.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return s.faultResponse(faultTimedOut(), msgID), ""
		case <-s.closing:
			return s.faultResponse(faultTimedOut(), msgID), "server closing"
		case <-ctx.Done():
			return nil, "client went away during Receive"
		}
	}
}

// envelopeOverhead is what a ReceiveResponse spends besides its data
// streams and the echoed MessageID: the envelope (about 650 bytes), the End
// markers, CommandState and ExitCode (about 450), with room to spare.
const envelopeOverhead = 1536

// takeLocked appends a ReceiveResponse body built from pending output to
// b, with at most budget bytes of rsp:Stream elements. The final response
// (all output taken and the command finished) carries the End markers and
// the exit code.
func (c *command) takeLocked(b []byte, budget int) []byte {
	b = append(b, `<rsp:ReceiveResponse>`...)
	taken := 0
	for len(c.out) > 0 {
		ch := &c.out[0]
		const closeTag = `</rsp:Stream>`
		open := len(`<rsp:Stream Name="" CommandId="">`) + len(ch.stream) + len(c.id)
		avail := budget - open - len(closeTag)
		if avail < 4 {
			break
		}
		n := len(ch.data)
		if base64.StdEncoding.EncodedLen(n) > avail {
			n = avail / 4 * 3
		}
		b = append(b, `<rsp:Stream Name="`...)
		b = append(b, ch.stream...)
		b = append(b, `" CommandId="`...)
		b = append(b, c.id...)
		b = append(b, `">`...)
		b = base64.StdEncoding.AppendEncode(b, ch.data[:n])
		b = append(b, closeTag...)
		budget -= open + len(closeTag) + base64.StdEncoding.EncodedLen(n)
		taken += n
		if n == len(ch.data) {
			c.out[0] = chunk{}
			c.out = c.out[1:]
		} else {
			ch.data = ch.data[n:]
			break
		}
	}
	if len(c.out) == 0 {
		c.out = nil
	}
	c.pending -= taken
	if taken > 0 {
		c.notifyLocked()
	}
	if c.finished && len(c.out) == 0 {
		code := c.exitCode
		if c.finalSent {
			code = 0
		}
		c.finalSent = true
		b = append(b, `<rsp:Stream Name="stdout" CommandId="`+c.id+`" End="true"></rsp:Stream>`...)
		b = append(b, `<rsp:Stream Name="stderr" CommandId="`+c.id+`" End="true"></rsp:Stream>`...)
		b = append(b, `<rsp:CommandState CommandId="`+c.id+`" State="`+stateDone+`"><rsp:ExitCode>`...)
		b = strconv.AppendInt(b, int64(code), 10)
		b = append(b, `</rsp:ExitCode></rsp:CommandState>`...)
	} else {
		b = append(b, `<rsp:CommandState CommandId="`+c.id+`" State="`+stateRunning+`"></rsp:CommandState>`...)
	}
	return append(b, `</rsp:ReceiveResponse>`...)
}

func (s *Server) send(env *envelope, user, shellID, msgID string, rec *Request) (*soapResponse, string) {
	if env.Body.Send == nil || len(env.Body.Send.Streams) == 0 {
		return s.faultResponse(faultInvalidParameter(), msgID), "Send without rsp:Stream"
	}
	for _, st := range env.Body.Send.Streams {
		cmdID := strings.TrimSpace(st.CommandID)
		end := strings.EqualFold(st.End, "true")
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st.Data))
		s.logUpdate(rec, func(q *Request) { q.CommandID = cmdID; q.End = q.End || end; q.Bytes += len(data) })
		if err != nil || st.Name != "stdin" {
			return s.faultResponse(faultInvalidParameter(), msgID), "bad stdin stream"
		}
		c, flt := s.findCommand(user, shellID, cmdID)
		if flt != nil {
			return s.faultResponse(flt, msgID), "send: " + flt.reason
		}
		c.mu.Lock()
		if !c.stdinEOF {
			c.stdin = append(c.stdin, data...)
			c.stdinEOF = end
			c.notifyLocked()
		}
		c.mu.Unlock()
	}
	return s.okResponse("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse", msgID, `<rsp:SendResponse/>`), ""
}

func (s *Server) signal(env *envelope, user, shellID, msgID string, rec *Request) (*soapResponse, string) {
	if env.Body.Signal == nil {
		return s.faultResponse(faultInvalidParameter(), msgID), "Signal without rsp:Signal"
	}
	cmdID := strings.TrimSpace(env.Body.Signal.CommandID)
	code := strings.TrimSpace(env.Body.Signal.Code)
	name := code[strings.LastIndexByte(code, '/')+1:]
	s.logUpdate(rec, func(q *Request) { q.CommandID = cmdID; q.Signal = name })
	c, flt := s.findCommand(user, shellID, cmdID)
	if flt != nil {
		return s.faultResponse(flt, msgID), "signal: " + flt.reason
	}
	switch name {
	case "terminate":
		c.cancel(ErrSignalTerminate)
	case "ctrl_c", "crtl_c", "ctrl_break":
		c.cancel(ErrSignalCtrlC)
	default:
		return s.faultResponse(faultInvalidParameter(), msgID), "unknown signal " + code
	}
	return s.okResponse("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse", msgID, `<rsp:SignalResponse/>`), ""
}

func (s *Server) delete(user, shellID, msgID string) (*soapResponse, string) {
	s.mu.Lock()
	sh := s.lookupLocked(user, shellID, time.Now())
	if sh == nil {
		s.mu.Unlock()
		return s.faultResponse(faultUnknownShell(), msgID), "unknown shell"
	}
	s.removeShellLocked(sh.info.ID, sh)
	s.mu.Unlock()
	return s.okResponse("http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", msgID, ``), ""
}

// answered returns what runs once a command's final ReceiveResponse was
// written: the count, then the handler's OnAnswered function.
func (s *Server) answered(fn func()) func() {
	return func() {
		s.stats.commandsAnswered.Add(1)
		if fn != nil {
			fn()
		}
	}
}

// withhold makes the command's Receives, parked ones included, get w
// instead of an answer.
func (c *command) withhold(w withhold) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.withheld = w
	c.notifyLocked()
}

func (c *command) setOnAnswered(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onAnswered = fn
}
