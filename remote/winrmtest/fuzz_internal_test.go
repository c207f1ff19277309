package winrmtest

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const fuzzEnvelope = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><env:Header><a:To>http://127.0.0.1:5985/wsman</a:To><w:MaxEnvelopeSize mustUnderstand="true">%s</w:MaxEnvelopeSize><w:OperationTimeout>%s</w:OperationTimeout><a:MessageID>uuid:0</a:MessageID><a:Action mustUnderstand="true">%s</a:Action><w:SelectorSet><w:Selector Name="ShellId">%s</w:Selector></w:SelectorSet><w:ResourceURI mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><w:OptionSet><w:Option Name="WINRS_SKIP_CMD_SHELL">TRUE</w:Option></w:OptionSet></env:Header><env:Body>%s</env:Body></env:Envelope>`

func fuzzSeed(maxEnv, timeout, action, shell, body string) string {
	r := strings.NewReplacer("%s", "\x00")
	parts := strings.Split(r.Replace(fuzzEnvelope), "\x00")
	vals := []string{maxEnv, timeout, action, shell, body}
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(p)
		if i < len(vals) {
			b.WriteString(vals[i])
		}
	}
	return b.String()
}

// FuzzServeSOAP feeds arbitrary request bodies to the server: it must never
// panic, and everything it answers with a body must be well-formed XML.
func FuzzServeSOAP(f *testing.F) {
	f.Add([]byte(fuzzSeed("153600", "PT60S", actionCreate, "", `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams></rsp:Shell>`)))
	f.Add([]byte(fuzzSeed("8192", "PT0.001S", actionCommand, "X", `<rsp:CommandLine><rsp:Command><![CDATA[dir & echo <x>]]></rsp:Command><rsp:Arguments>a</rsp:Arguments></rsp:CommandLine>`)))
	f.Add([]byte(fuzzSeed("1", "P0DT0H0M1S", actionReceive, "X", `<rsp:Receive><rsp:DesiredStream CommandId="Y">stdout stderr</rsp:DesiredStream></rsp:Receive>`)))
	f.Add([]byte(fuzzSeed("x", "PT-1S", actionSend, "X", `<rsp:Send><rsp:Stream Name="stdin" CommandId="Y" End="true">aGk=</rsp:Stream></rsp:Send>`)))
	f.Add([]byte(fuzzSeed("153600", "PT5M0S", actionSignal, "X", `<rsp:Signal CommandId="Y"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c</rsp:Code></rsp:Signal>`)))
	f.Add([]byte(fuzzSeed("153600", "PT1M30S", actionDelete, "X", ``)))
	f.Add([]byte(`<not xml`))
	f.Add([]byte{})

	srv, err := Start(HandlerFunc(func(ctx context.Context, c *Command) int {
		_, _ = io.WriteString(c.Stdout, c.Line)
		return 0
	}), WithMaxTimeout(time.Millisecond), WithMaxEnvelopeSizeKB(16))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/wsman", bytes.NewReader(body))
		req.SetBasicAuth(DefaultUser, DefaultPassword)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("request still unanswered after 5s: %q", body)
		}
		switch rec.Code {
		case http.StatusOK, http.StatusInternalServerError, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Body.Len() == 0 {
			return
		}
		d := xml.NewDecoder(rec.Body)
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("response is not XML (%v) for %q", err, body)
			}
		}
	})
}

// unmarshalEnvelope is the reference parseEnvelope must agree with: the
// request decoded by xml.Unmarshal into the same struct tags.
func unmarshalEnvelope(b []byte) (*envelope, error) {
	var env envelope
	if err := xml.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	return &env, nil
}

// FuzzParseEnvelope: parseEnvelope reads every request as xml.Unmarshal
// does, and fails where it fails.
func FuzzParseEnvelope(f *testing.F) {
	for _, s := range envelopeSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseEnvelope(b)
		want, refErr := unmarshalEnvelope(b)
		if (err != nil) != (refErr != nil) {
			t.Fatalf("parseEnvelope error %v, xml.Unmarshal error %v\n%q", err, refErr, b)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("parseEnvelope = %+v\nxml.Unmarshal = %+v\n%q", got, want, b)
		}
	})
}

func envelopeSeeds() []string {
	return []string{
		fuzzSeed("153600", "PT60S", actionCreate, "", `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`),
		fuzzSeed("8192", "PT0.001S", actionCommand, "X", `<rsp:CommandLine><rsp:Command><![CDATA[dir & echo <x>]]></rsp:Command><rsp:Arguments>a</rsp:Arguments><rsp:Arguments>b<x/>c</rsp:Arguments></rsp:CommandLine>`),
		fuzzSeed("1", "P0DT0H0M1S", actionReceive, "X", `<rsp:Receive><rsp:DesiredStream CommandId="Y">stdout stderr</rsp:DesiredStream></rsp:Receive>`),
		fuzzSeed("x", "PT-1S", actionSend, "X", `<rsp:Send><rsp:Stream Name="stdin" CommandId="Y" End="true">aGk=</rsp:Stream><rsp:Stream Name="stdin">Cg==</rsp:Stream></rsp:Send>`),
		fuzzSeed("153600", "PT5M0S", actionSignal, "X", `<rsp:Signal CommandId="Y"><rsp:Code>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c</rsp:Code></rsp:Signal>`),
		fuzzSeed("153600", "PT1M30S", actionDelete, "X", ``),
		`<?xml version="1.0"?><!--c--><Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header><To xmlns="http://schemas.xmlsoap.org/ws/2004/08/addressing">t</To></Header><Body/></Envelope>trailing`,
		`<Envelope/>`, `<not xml`, ``,
	}
}

// TestParseEnvelopeSeeds runs the comparison on the seeds in every test run.
func TestParseEnvelopeSeeds(t *testing.T) {
	for _, s := range envelopeSeeds() {
		got, err := parseEnvelope([]byte(s))
		want, refErr := unmarshalEnvelope([]byte(s))
		if (err != nil) != (refErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("parseEnvelope(%.80q) = %+v, %v; xml.Unmarshal = %+v, %v", s, got, err, want, refErr)
		}
	}
}
