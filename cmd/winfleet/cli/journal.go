package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/winfleet/winfleet/internal/atomicfile"
	"github.com/winfleet/winfleet/playbook"
	"github.com/winfleet/winfleet/reports"
)

// JournalSchema names the format of the write journal.
const JournalSchema = "winfleet.journal/v1"

// journalRecord is one line of the journal. Type says which fields are set:
//
//	start     the run: id, mode, playbook, inventory, tool, hosts, pid
//	sending   a host's writes, before they are sent (fsynced first)
//	answered  the same writes with their answers, or unanswered
//	host      a host's final result, as the report has it (fsynced)
//	end       the run finished; its reports were written
type journalRecord struct {
	Type   string                  `json:"type"`
	Schema string                  `json:"schema,omitempty"`
	Time   time.Time               `json:"time"`
	Run    *reports.Report         `json:"run,omitempty"` // start: the report's run keys, no hosts
	Hosts  []string                `json:"hosts,omitempty"`
	PID    int                     `json:"pid,omitempty"`
	Host   string                  `json:"host,omitempty"`
	Writes []playbook.JournalWrite `json:"writes,omitempty"`
	Result *reports.Host           `json:"result,omitempty"`
}

// journal is an append-only file of JSON lines in the state directory that
// records an apply's writes before they are sent and after they are
// answered, and every host's result. Records are written as they come and
// made durable with group commit: one fsync covers every record written
// before it, so concurrent hosts wait for one disk flush, not one each.
type journal struct {
	path string
	f    *os.File

	mu      sync.Mutex // orders appends
	written int64      // records appended
	err     error      // first write error

	syncMu sync.Mutex // one fsync at a time
	synced int64      // records known durable
}

// openJournal starts the journal of an apply over hosts in dir. Under the
// directory's lock it refuses to start when a running apply (a journal
// another live process holds locked) works on any of the same hosts, warns
// about the journals of applies that died, then creates and locks its own
// journal and writes its start record, durably, before any host is
// contacted. Scans and check runs write nothing and take no journal, so
// they are never blocked.
func openJournal(stdio Stdio, dir string, run reports.Run, hosts []string) (*journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	dl, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer dl.Close()
	if err := lockFile(dl); err != nil {
		return nil, fmt.Errorf("journal: lock %s: %w", dir, err)
	}
	if err := checkOtherApplies(stdio, dir, hosts); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, run.RunID+".journal")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("journal: lock %s: %w", path, err)
	}
	j := &journal{path: path, f: f}
	head := reports.FromRun(run, nil)
	head.Hosts = nil
	if err := j.append(journalRecord{Type: "start", Schema: JournalSchema, Time: time.Now().UTC(), Run: head, Hosts: hosts, PID: os.Getpid()}, true); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	atomicfile.SyncDir(dir)
	return j, nil
}

// errApplyRunning refuses an apply that overlaps a running one.
var errApplyRunning = errors.New("another apply is running on some of these hosts")

// checkOtherApplies looks at the journals in dir: one still locked belongs
// to a running apply, which must not share a host with this one; one
// without an end record that can be locked was left by an apply that died,
// and is reported.
func checkOtherApplies(stdio Stdio, dir string, hosts []string) error {
	mine := map[string]bool{}
	for _, h := range hosts {
		mine[h] = true
	}
	var conflicts []error
	for _, p := range journalFiles(dir) {
		start, ended, running, err := inspectJournal(p)
		if err != nil {
			continue
		}
		switch {
		case running && start != nil:
			var shared []string
			for _, h := range start.Hosts {
				if mine[h] {
					shared = append(shared, h)
				}
			}
			if len(shared) > 0 {
				conflicts = append(conflicts, fmt.Errorf("%w: run %s (pid %d, started %s, journal %s) is applying to %d of them: %s",
					errApplyRunning, start.Run.RunID, start.PID, start.Time.Format(time.RFC3339), p, len(shared), firstFew(shared, 5)))
			}
		case !running && !ended:
			fmt.Fprintf(stdio.Err, "winfleet: warning: an earlier apply did not finish; its record of writes is in %s (winfleet report recover %s -o json=PATH)\n", p, p)
		}
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("%w\nwait for it to finish, or narrow --limit to other hosts", errors.Join(conflicts...))
	}
	return nil
}

// inspectJournal reads a journal's start record, whether it has an end
// record, and whether a live apply holds it (running).
func inspectJournal(path string) (start *journalRecord, ended, running bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, false, err
	}
	defer f.Close()
	start, ended = journalHead(f)
	return start, ended, tryLock(f) == errLocked, nil
}

// journalHead reads a journal's start record and whether it has an end
// record.
func journalHead(f *os.File) (*journalRecord, bool) {
	var start *journalRecord
	ended := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxInputBytes)
	for sc.Scan() {
		var rec journalRecord
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		switch rec.Type {
		case "start":
			start = &rec
		case "end":
			ended = true
		}
	}
	return start, ended
}

// firstFew is the first n names, and how many more.
func firstFew(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// append writes one record; with durable it returns only once the record
// is on disk.
func (j *journal) append(rec journalRecord, durable bool) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	j.mu.Lock()
	if j.err == nil {
		_, j.err = j.f.Write(append(line, '\n'))
	}
	j.written++
	mine, err := j.written, j.err
	j.mu.Unlock()
	if err != nil || !durable {
		return err
	}
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= mine {
		return nil // an fsync since our write covered it
	}
	j.mu.Lock()
	upTo := j.written
	j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.synced = upTo
	return nil
}

// Sending records writes before they are sent, durably.
func (j *journal) Sending(host string, ws []playbook.JournalWrite) error {
	return j.append(journalRecord{Type: "sending", Time: time.Now().UTC(), Host: host, Writes: ws}, true)
}

// Answered records the answers to writes, durably: what the host said is
// evidence too.
func (j *journal) Answered(host string, ws []playbook.JournalWrite) {
	_ = j.append(journalRecord{Type: "answered", Time: time.Now().UTC(), Host: host, Writes: ws}, true)
}

// Finished records a host's result, durably.
func (j *journal) Finished(r playbook.HostResult) {
	h := reports.FromRun(reports.Run{Mode: playbook.ModeApply}, []playbook.HostResult{r}).Hosts[0]
	_ = j.append(journalRecord{Type: "host", Time: time.Now().UTC(), Host: r.Host, Result: &h}, true)
}

// close ends the journal. When the run's reports were written (done) the
// journal has served its purpose and is removed; otherwise it stays, and
// the error says how to recover the record from it.
func (j *journal) close(done bool) error {
	if j == nil {
		return nil
	}
	if done {
		_ = j.append(journalRecord{Type: "end", Time: time.Now().UTC()}, true)
	}
	err := errors.Join(j.err, j.f.Close())
	if done && err == nil {
		err = os.Remove(j.path)
		atomicfile.SyncDir(filepath.Dir(j.path))
		return err
	}
	return fmt.Errorf("the write journal %s is kept: `winfleet report recover %s -o json=PATH` turns it into a report", j.path, j.path)
}

// recoverJournal rebuilds a run's report from its journal, for a run that
// did not finish: the hosts it finished keep their results; a host whose
// writes were sent and never answered is cancelled with those writes as
// sent (their effect is unknown: code write_unconfirmed); every other host
// is cancelled. The report says, in incomplete, that it was rebuilt.
func recoverJournal(path string, data []byte) (*reports.Report, error) {
	var (
		start    *journalRecord
		results  = map[string]reports.Host{}
		inFlight = map[string][]playbook.JournalWrite{}
		ended    bool
		last     time.Time
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxInputBytes)
	for n := 1; sc.Scan(); n++ {
		var rec journalRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			// A run killed mid-append leaves a torn last line; anything
			// else is damage.
			if !sc.Scan() {
				break
			}
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		last = rec.Time
		switch rec.Type {
		case "start":
			if rec.Schema != JournalSchema || rec.Run == nil {
				return nil, fmt.Errorf("%s:%d: not a %s start record", path, n, JournalSchema)
			}
			start = &rec
		case "sending", "answered":
			inFlight[rec.Host] = rec.Writes
		case "host":
			results[rec.Host] = *rec.Result
			delete(inFlight, rec.Host)
		case "end":
			ended = true
		default:
			return nil, fmt.Errorf("%s:%d: unknown record type %q", path, n, rec.Type)
		}
	}
	if start == nil {
		return nil, fmt.Errorf("%s: no start record: not a winfleet journal", path)
	}
	r := start.Run
	r.Hosts = []reports.Host{}
	r.FinishedAt = last
	unfinished := 0
	for _, name := range start.Hosts {
		h, ok := results[name]
		if !ok {
			unfinished++
			h = unfinishedHost(name, inFlight[name])
		}
		r.Hosts = append(r.Hosts, h)
	}
	sort.Slice(r.Hosts, func(i, j int) bool { return r.Hosts[i].Host < r.Hosts[j].Host })
	note := "the run finished"
	if !ended {
		note = fmt.Sprintf("the run ended at %s without finishing (killed or crashed); %d host(s) did not finish", last.Format(time.RFC3339), unfinished)
	}
	r.Incomplete = fmt.Sprintf("rebuilt from the write journal %s: %s", path, note)
	reports.Summarize(r)
	return r, nil
}

// unfinishedHost is a host the journal has no result for.
func unfinishedHost(name string, writes []playbook.JournalWrite) reports.Host {
	h := reports.Host{Host: name, Status: reports.StatusCancelled, Code: string(playbook.CodeCancelled),
		Reason: "the run ended before this host finished", Checks: []reports.Check{}}
	if len(writes) == 0 {
		return h
	}
	byCheck := map[string]*reports.Check{}
	var order []string
	sent := 0
	for _, w := range writes {
		c := byCheck[w.Check]
		if c == nil {
			c = &reports.Check{ID: w.Check, Name: w.Check, Status: reports.CheckError, Code: string(playbook.CodeWriteUnconfirmed),
				Actual: "unknown: the run ended after this write was sent", Commands: []string{}}
			byCheck[w.Check] = c
			order = append(order, w.Check)
		}
		rec := reports.WriteRecord{Command: w.Command, State: reports.WriteSent}
		if w.Answered {
			rec.State, rec.ExitCode, rec.Output = reports.WriteAnswered, w.ExitCode, w.Output
		} else {
			sent++
		}
		c.Commands = append(c.Commands, w.Command)
		c.Writes = append(c.Writes, rec)
	}
	for _, id := range order {
		h.Checks = append(h.Checks, *byCheck[id])
	}
	h.Code = string(playbook.CodeWriteUnconfirmed)
	h.Reason = fmt.Sprintf("the run ended while this host's %d write(s) were in flight (%d without an answer): their effect on the host is unknown, scan it",
		len(writes), sent)
	return h
}

// journalFiles lists the journals left in dir by runs that did not finish.
func journalFiles(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "*.journal"))
	sort.Strings(m)
	return m
}
