package winrmtest

import (
	"context"
	"io"
)

// A Handler runs the commands that clients send to a Server. It plays the part
// of the Windows host behind the WinRM service: the server does the protocol,
// the handler decides what a command line prints and which exit code it ends
// with.
//
// Run is called once per Command request, in its own goroutine. It must return
// when ctx is done (the command was signalled, its shell deleted or the server
// closed). Every Write on cmd.Stdout or cmd.Stderr becomes one base64 chunk in a
// ReceiveResponse, in write order; the bytes are sent as written (they need not
// be UTF-8).
//
// context.Cause(ctx) tells why ctx ended: ErrSignalTerminate, ErrSignalCtrlC,
// ErrShellDeleted or ErrServerClosed. A Handler may also implement
// ProgramChecker to make the Command itself fail for a missing program when
// the client skips cmd.exe.
type Handler interface {
	Run(ctx context.Context, cmd *Command) (exitCode int)
}

// HandlerFunc adapts a function to the Handler interface.
type HandlerFunc func(ctx context.Context, cmd *Command) int

// Run calls f(ctx, cmd).
func (f HandlerFunc) Run(ctx context.Context, cmd *Command) int { return f(ctx, cmd) }

// A Command is one command line received by the server.
type Command struct {
	// Shell describes the shell the command runs in.
	Shell ShellInfo
	// Line is the command line exactly as received in rsp:Command (it has not
	// been through cmd.exe: the handler models cmd.exe).
	Line string
	// Args are the rsp:Arguments values, if the client sent any.
	Args []string
	// SkipCmdShell reports that the client asked to run the program without
	// cmd.exe (WINRS_SKIP_CMD_SHELL=TRUE); masterzen/winrm never does.
	SkipCmdShell bool
	// Stdin yields what the client sends with Send requests; it reaches EOF
	// after a Send with End="true".
	Stdin io.Reader
	// Stdout and Stderr are the command's output streams.
	Stdout io.Writer
	Stderr io.Writer

	c *command // nil for a Command not made by a Server
}

// DropAnswer makes the server close the connection of every Receive for
// this command, from now on and including a Receive parked at that moment,
// instead of answering it (Faults.DropReceive for one command): the client
// sees the connection drop and never learns the command's result. Output
// not yet received is lost. A handler calls it before or after doing the
// command's work, to model a connection lost before or after the work
// happened. It does nothing on a Command not made by a Server.
func (cmd *Command) DropAnswer() {
	if cmd.c != nil {
		cmd.c.withhold(withholdDrop)
	}
}

// HangAnswer makes the server park every Receive for this command without
// an answer until the client leaves or the server closes, as DropAnswer
// does with a hang-up (Faults.HangReceive for one command).
func (cmd *Command) HangAnswer() {
	if cmd.c != nil {
		cmd.c.withhold(withholdHang)
	}
}

// OnAnswered sets fn to be called once, when the ReceiveResponse carrying
// the command's final state (CommandState Done and its exit code) has been
// written to a connection in full and flushed. It is not called when that
// answer was dropped, withheld, cut short by a fault or could not be
// written. fn runs on the server's request goroutine, after the client may
// already have read the answer (a later request on the same connection is
// served after it); it must not block. Set it before Run returns. It does
// nothing on a Command not made by a Server.
func (cmd *Command) OnAnswered(fn func()) {
	if cmd.c != nil {
		cmd.c.setOnAnswered(fn)
	}
}

// ShellInfo is what the server knows of a shell when a command arrives.
type ShellInfo struct {
	ID        string // upper-case GUID
	User      string // authenticated user name as the client sent it
	Codepage  string // WINRS_CODEPAGE option, "" if not sent
	NoProfile string // WINRS_NOPROFILE option, "" if not sent
}
