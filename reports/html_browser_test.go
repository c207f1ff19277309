package reports

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winfleet/winfleet/playbook"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium returns the path of a Chromium (or Chrome) binary: $WINFLEET_CHROMIUM,
// else the first of chromium, chromium-browser, google-chrome on PATH.
// Under CI (CI set, where .ci/run installs Debian's chromium) a missing
// browser fails the test, so it can never pass as a skip; elsewhere it skips
// saying what to install.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("WINFLEET_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	const msg = "no Chromium found (install Debian's chromium: apt-get install -y chromium, or set WINFLEET_CHROMIUM)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser starts a headless Chromium with a fresh profile, as
// /work/.library/env/machines/go.md describes (no sandbox as root, no
// background networking), and returns a context for a first tab. Every
// step of the test runs under a two-minute deadline, so a hung browser
// fails the test instead of stalling it.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1400, 1000),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	return tab
}

// pageWatch records what a tab loads and what goes wrong in it: every
// request's URL, script exceptions and error messages of the browser log or
// console (a script or style that the Content-Security-Policy blocks is
// logged as an error).
type pageWatch struct {
	mu       sync.Mutex
	requests []string
	problems []string
}

// watch starts recording the events of the tab of ctx; call it before the
// navigation it is to see.
func watch(t *testing.T, ctx context.Context) *pageWatch {
	t.Helper()
	w := &pageWatch{}
	err := chromedp.Listen(ctx, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			w.requests = append(w.requests, ev.Request.URL)
		case *runtime.EventExceptionThrown:
			w.problems = append(w.problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				w.problems = append(w.problems, "log: "+ev.Entry.Text)
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				w.problems = append(w.problems, "console.error")
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, log.Enable, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *pageWatch) check(t *testing.T, page string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.requests) == 0 {
		t.Errorf("saw no request at all: the watch is not working")
	}
	for _, u := range w.requests {
		if u != page {
			t.Errorf("the page loaded %s: it must load nothing but itself", u)
		}
	}
	for _, p := range w.problems {
		t.Errorf("browser reported: %s", p)
	}
}

// visibleHosts is the script that lists the host names of the rows the
// browser renders, in page order.
const visibleHosts = `Array.from(document.querySelectorAll("#hosts-table > tbody"))
	.filter(b => b.getClientRects().length > 0)
	.map(b => b.rows[0].cells[0].textContent)`

func hostNames(hosts []Host, keep func(Host) bool) []string {
	var out []string
	for _, h := range hosts {
		if keep(h) {
			out = append(out, h.Host)
		}
	}
	return out
}

// screenshotDir is where the test leaves its screenshots:
// $WINFLEET_SCREENSHOT_DIR if set (for a person to look at), else the
// test's temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("WINFLEET_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestHTMLInBrowser loads the HTML report of the realistic 1,000-host
// apply --check run in headless Chromium from a loopback server, and checks
// what a person does with it: the page loads nothing else and raises no
// error; without script every host is listed and the controls are hidden;
// with it, filtering by a status (a click on its button or on the status in
// the summary) shows exactly the hosts of that status, a click on a cause
// exactly the hosts of that cause, a search exactly the matching hosts, and
// a click on a column header sorts the rows. It leaves two screenshots.
func TestHTMLInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := browser(t)
	r := labCheckReport(t)
	var page bytes.Buffer
	if err := WriteHTML(&page, r, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/report.html" {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page.Bytes())
	}))
	defer srv.Close()
	url := srv.URL + "/report.html"
	n, err := normalize(r)
	if err != nil {
		t.Fatal(err)
	}
	all := hostNames(n.Hosts, func(Host) bool { return true })

	// The first tab starts the browser; the second runs without script.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("without script", func(t *testing.T) {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}), chromedp.Navigate(url))
		if err != nil {
			t.Fatal(err)
		}
		shown, err := chromedp.Run(tab, chromedp.Evaluate[[]string](visibleHosts))
		if err != nil {
			t.Fatal(err)
		}
		controlsHidden, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("controls").getClientRects().length === 0`))
		if err != nil {
			t.Fatal(err)
		}
		if len(shown) != len(all) || !controlsHidden {
			t.Errorf("without script: %d of %d hosts shown, controls hidden %v; want all shown, controls hidden", len(shown), len(all), controlsHidden)
		}
	})

	w := watch(t, ctx)
	step := func(what string, want []string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](visibleHosts))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if d := gocmp.Diff(want, shown); d != "" {
			t.Errorf("%s: visible hosts differ (-want +got):\n%s", what, d)
		}
		counter, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("f-shown")))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if wantCounter := "showing " + strconv.Itoa(len(want)) + " of " + strconv.Itoa(len(all)) + " hosts"; counter != wantCounter {
			t.Errorf("%s: counter says %q, want %q", what, counter, wantCounter)
		}
	}
	status := func(s string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`#f-status button[data-f="` + s + `"]`))
	}
	step("load", all, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("controls")))
	for _, s := range []HostStatus{StatusWouldChange, StatusNoncompliant, StatusUnreachable, StatusError} {
		step("filter "+string(s), hostNames(n.Hosts, func(h Host) bool { return h.Status == s }), status(string(s)))
	}
	step("filter needs attention", hostNames(n.Hosts, func(h Host) bool { return h.Status.NeedsAttention() }), status("attention"))
	step("status link in the summary", hostNames(n.Hosts, func(h Host) bool { return h.Status == StatusAuthFailed }),
		chromedp.Click(chromedp.CSS(`a[data-f="auth_failed"]`)))
	step("cause link", hostNames(n.Hosts, func(h Host) bool { return hostCause(h) == string(playbook.CodeBlocked) }),
		chromedp.Click(chromedp.CSS(`a[data-fc="blocked"]`)))

	// "all" clears the cause filter too; a search is typed and erased key by key.
	typeSearch := func(text string) chromedp.Action[chromedp.Void] { return chromedp.SendKeys(chromedp.ID("f-q"), text) }
	erase := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(chromedp.ID("f-q"), strings.Repeat(kb.Backspace, len(text)))
	}
	step("search one host", []string{"sql0123.lab.example"}, status(""), typeSearch("SQL0123"))
	east := hostNames(n.Hosts, func(h Host) bool {
		return hostCode(h) == string(playbook.CodeTooOpen) && slices.Contains(h.Groups, "sql_east")
	})
	if len(east) == 0 {
		t.Fatal("the test report has no too_open host in group sql_east")
	}
	step("search two words", east, erase("SQL0123"), typeSearch("too_open sql_east"))
	step("search and status", hostNames(n.Hosts, func(h Host) bool {
		return h.Status == StatusWouldChange && hostCode(h) == string(playbook.CodeTooOpen) && slices.Contains(h.Groups, "sql_east")
	}), status(string(StatusWouldChange)))
	step("clear search", all, status(""), erase("too_open sql_east"))

	byDuration := slices.Clone(n.Hosts)
	slices.SortStableFunc(byDuration, func(a, b Host) int { return cmp.Compare(a.DurationMS, b.DurationMS) })
	durationHeader := chromedp.Click(chromedp.CSS(`#hosts-table th:nth-child(6) button`))
	step("sort by duration", hostNames(byDuration, func(Host) bool { return true }), durationHeader)
	// Descending; ties stay in host order, as the page keeps them.
	byDuration = slices.Clone(n.Hosts)
	slices.SortStableFunc(byDuration, func(a, b Host) int { return cmp.Compare(b.DurationMS, a.DurationMS) })
	step("sort by duration, descending", hostNames(byDuration, func(Host) bool { return true }), durationHeader)
	step("sort by host", all, chromedp.Click(chromedp.CSS(`#hosts-table th:nth-child(1) button`)))

	// The screenshots a person reviews: the summary at the top, and the
	// hosts that need attention with the first would_change host opened.
	dir := screenshotDir(t)
	first := anchorOf(n, n.Hosts[slices.IndexFunc(n.Hosts, func(h Host) bool { return h.Status == StatusWouldChange })].Host)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 1300), chromedp.ScrollIntoView(chromedp.CSS("h1"))); err != nil {
		t.Fatal(err)
	}
	top, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, status("attention"), chromedp.Click(chromedp.CSS("#"+first+" summary")),
		chromedp.ScrollIntoView(chromedp.ID("controls"))); err != nil {
		t.Fatal(err)
	}
	opened, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#`+first+` details").open`))
	if err != nil {
		t.Fatal(err)
	}
	if !opened {
		t.Errorf("a click on a host's summary did not open its details")
	}
	hosts, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	for name, png := range map[string][]byte{"report-summary.png": top, "report-hosts.png": hosts} {
		if !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	w.check(t, url)
}

// anchorOf is the id of a host's rows in the page (hosts sorted by name).
func anchorOf(n *Report, host string) string {
	return "host-" + strconv.Itoa(slices.IndexFunc(n.Hosts, func(h Host) bool { return h.Host == host }))
}
