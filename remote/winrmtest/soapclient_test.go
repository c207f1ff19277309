package winrmtest_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/winfleet/winfleet/remote/winrmtest"
)

// rawClient speaks WS-Man by hand, for what masterzen cannot send.
type rawClient struct {
	t        testing.TB
	srv      *winrmtest.Server
	http     *http.Client
	user     string
	password string
	timeout  string // OperationTimeout
	maxEnv   int
}

func newRaw(t testing.TB, srv *winrmtest.Server) *rawClient {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: srv.ClientTLSConfig()}
	t.Cleanup(tr.CloseIdleConnections)
	return &rawClient{t: t, srv: srv, http: &http.Client{Transport: tr}, user: winrmtest.DefaultUser,
		password: winrmtest.DefaultPassword, timeout: "PT60S", maxEnv: 153600}
}

type rawResp struct {
	status int
	header http.Header
	body   string
}

var codeRE = regexp.MustCompile(`Code="(\d+)"`)

// faultCode returns the WSManFault Code, 0 if none.
func (r rawResp) faultCode() uint32 {
	m := codeRE.FindStringSubmatch(r.body)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseUint(m[1], 10, 32)
	return uint32(n)
}

func (r rawResp) find(re string) string {
	m := regexp.MustCompile(re).FindStringSubmatch(r.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func (c *rawClient) post(body string) rawResp {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.srv.Endpoint(), strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	return rawResp{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

const msgID = "uuid:11111111-2222-3333-4444-555555555555"

func (c *rawClient) envelope(action, shellID string, options map[string]string, body string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><env:Header>`)
	fmt.Fprintf(&b, `<a:To>%s</a:To><a:ReplyTo><a:Address mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>`, c.srv.Endpoint())
	fmt.Fprintf(&b, `<w:MaxEnvelopeSize mustUnderstand="true">%d</w:MaxEnvelopeSize><w:OperationTimeout>%s</w:OperationTimeout><a:MessageID>%s</a:MessageID>`, c.maxEnv, c.timeout, msgID)
	fmt.Fprintf(&b, `<a:Action mustUnderstand="true">%s</a:Action>`, action)
	if shellID != "" {
		fmt.Fprintf(&b, `<w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet>`, shellID)
	}
	b.WriteString(`<w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>`)
	if len(options) > 0 {
		b.WriteString(`<w:OptionSet>`)
		for k, v := range options {
			fmt.Fprintf(&b, `<w:Option Name="%s">%s</w:Option>`, k, v)
		}
		b.WriteString(`</w:OptionSet>`)
	}
	fmt.Fprintf(&b, `</env:Header><env:Body>%s</env:Body></env:Envelope>`, body)
	return b.String()
}

const (
	aCreate  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
	aDelete  = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
	aCommand = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"
	aReceive = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"
	aSend    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"
	aSignal  = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"
)

func (c *rawClient) create() rawResp {
	return c.post(c.envelope(aCreate, "", map[string]string{"WINRS_NOPROFILE": "TRUE", "WINRS_CODEPAGE": "437"},
		`<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`))
}

// mustCreate creates a shell and returns its ID.
func (c *rawClient) mustCreate() string {
	c.t.Helper()
	r := c.create()
	id := r.find(`<rsp:ShellId>([^<]+)</rsp:ShellId>`)
	if r.status != 200 || id == "" {
		c.t.Fatalf("Create: status %d, body %s", r.status, r.body)
	}
	return id
}

func (c *rawClient) command(shellID, line string, skipCmd bool) rawResp {
	skip := "FALSE"
	if skipCmd {
		skip = "TRUE"
	}
	return c.post(c.envelope(aCommand, shellID, map[string]string{"WINRS_CONSOLEMODE_STDIN": "TRUE", "WINRS_SKIP_CMD_SHELL": skip},
		`<rsp:CommandLine><rsp:Command><![CDATA[`+line+`]]></rsp:Command></rsp:CommandLine>`))
}

func (c *rawClient) mustCommand(shellID, line string) string {
	c.t.Helper()
	r := c.command(shellID, line, false)
	id := r.find(`<rsp:CommandId>([^<]+)</rsp:CommandId>`)
	if r.status != 200 || id == "" {
		c.t.Fatalf("Command: status %d, body %s", r.status, r.body)
	}
	return id
}

func (c *rawClient) receive(shellID, cmdID string) rawResp {
	return c.post(c.envelope(aReceive, shellID, nil,
		`<rsp:Receive><rsp:DesiredStream CommandId="`+cmdID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`))
}

func (c *rawClient) send(shellID, cmdID string, data []byte, end bool) rawResp {
	e := ""
	if end {
		e = ` End="true"`
	}
	return c.post(c.envelope(aSend, shellID, nil, `<rsp:Send><rsp:Stream Name="stdin" CommandId="`+cmdID+`"`+e+`>`+
		base64.StdEncoding.EncodeToString(data)+`</rsp:Stream></rsp:Send>`))
}

func (c *rawClient) signal(shellID, cmdID, code string) rawResp {
	return c.post(c.envelope(aSignal, shellID, nil, `<rsp:Signal CommandId="`+cmdID+
		`"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/`+code+`</rsp:Code></rsp:Signal>`))
}

func (c *rawClient) delete(shellID string) rawResp {
	return c.post(c.envelope(aDelete, shellID, nil, ``))
}

var streamRE = regexp.MustCompile(`<rsp:Stream Name="(stdout|stderr)" CommandId="[^"]+"( End="true")?>([^<]*)</rsp:Stream>`)

// receiveAll receives until Done and returns stdout, stderr, the exit code
// and the responses' sizes.
func (c *rawClient) receiveAll(shellID, cmdID string) (stdout, stderr []byte, exitCode int, sizes []int) {
	c.t.Helper()
	for range 10000 {
		r := c.receive(shellID, cmdID)
		if r.status != 200 {
			if r.faultCode() == winrmtest.CodeTimedOut {
				continue
			}
			c.t.Fatalf("Receive: status %d, body %s", r.status, r.body)
		}
		sizes = append(sizes, len(r.body))
		for _, m := range streamRE.FindAllStringSubmatch(r.body, -1) {
			b, err := base64.StdEncoding.DecodeString(m[3])
			if err != nil {
				c.t.Fatalf("Receive: bad base64 %q", m[3])
			}
			if m[1] == "stdout" {
				stdout = append(stdout, b...)
			} else {
				stderr = append(stderr, b...)
			}
		}
		if strings.Contains(r.body, "CommandState/Done") {
			code, err := strconv.Atoi(r.find(`<rsp:ExitCode>(-?\d+)</rsp:ExitCode>`))
			if err != nil {
				c.t.Fatalf("Receive: Done without ExitCode: %s", r.body)
			}
			return stdout, stderr, code, sizes
		}
	}
	c.t.Fatal("Receive: never Done")
	return
}
