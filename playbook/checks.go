package playbook

import (
	"errors"
	"fmt"
	"strings"

	"github.com/winfleet/winfleet/playbook/netsh"
)

// A check is one playbook item resolved for one host (and, for each: ssis
// items, one SSIS version). Each kind of item is a type that knows how to
// read, judge and plan itself; the executor and Plan only call these
// methods.
type check interface {
	base() item
	// readCommand is the one command whose output the check is judged on.
	readCommand(o netsh.Options) (string, error)
	// judge evaluates the check on the host's answers.
	judge(r *readings, o netsh.Options) verdict
	// worstCaseWrites are the writes apply would send if a present item
	// were missing or an absent item existed: Plan's offline answer.
	worstCaseWrites(o netsh.Options) ([]string, error)
}

// item is what every check has: the id in reports and the resolved name.
type item struct{ id, name string }

func (i item) base() item { return i }

// verdict is one check's evaluation.
type verdict struct {
	res  netsh.Result
	err  error
	cmds []string // read commands
	out  string   // their raw output (an excerpt for block scans)
}

// fixable reports whether apply can converge the check by itself.
func (vd verdict) fixable() bool {
	return vd.err == nil && !vd.res.Compliant && !vd.res.NeedsHuman && len(vd.res.Commands) > 0
}

// readings are the answers a host gave, by command, with firewall output
// parsed once: with block_scan every rule check reads the same "show rule
// name=all" output.
type readings struct {
	out   map[string]netsh.Output
	shown map[string]parsedShow
	list  *parsedList // the service list, once parsed
}

type parsedShow struct {
	rules []netsh.Rule
	err   error
}

type parsedList struct {
	entries []netsh.ServiceEntry
	err     error
}

func newReadings() *readings {
	return &readings{out: map[string]netsh.Output{}, shown: map[string]parsedShow{}}
}

// record stores the answer to cmd, replacing an earlier one (a re-read).
func (r *readings) record(o netsh.Output) {
	r.out[o.Command] = o
	delete(r.shown, o.Command)
	if o.Command == netsh.ScListCommand {
		r.list = nil
	}
}

func (r *readings) has(cmd string) bool { _, ok := r.out[cmd]; return ok }

// answer returns the output of an answered command and its raw text.
func (r *readings) answer(cmd string) (netsh.Output, verdict, bool) {
	o, ok := r.out[cmd]
	return o, verdict{cmds: []string{cmd}, out: rawOutput(o)}, ok
}

// rules returns the parsed rules of a firewall show command.
func (r *readings) rules(cmd string, d netsh.Dialect) ([]netsh.Rule, error) {
	p, done := r.shown[cmd]
	if !done {
		p.rules, p.err = netsh.ParseShow(d, r.out[cmd])
		r.shown[cmd] = p
	}
	return p.rules, p.err
}

// services returns the parsed service list (ScListCommand's answer).
func (r *readings) services() ([]netsh.ServiceEntry, error) {
	if r.list == nil {
		l := parsedList{}
		l.entries, l.err = netsh.ParseScList(r.out[netsh.ScListCommand])
		r.list = &l
	}
	return r.list.entries, r.list.err
}

func rawOutput(o netsh.Output) string {
	if o.Stderr == "" {
		return o.Stdout
	}
	return o.Stdout + o.Stderr
}

// judgeRead is the common start of judge: the read command and its answer.
func judgeRead(c check, r *readings, o netsh.Options) (netsh.Output, verdict, bool) {
	cmd, err := c.readCommand(o)
	if err != nil {
		return netsh.Output{}, verdict{err: err}, false
	}
	out, vd, ok := r.answer(cmd)
	if !ok {
		vd.err = fmt.Errorf("internal error: %q was not read", cmd)
	}
	return out, vd, ok
}

// ruleCheck is a firewall rule.
type ruleCheck struct {
	item
	want netsh.Desired
}

// errDialectUnknown is a rule's read before the host's dialect is known.
var errDialectUnknown = errors.New("the host's netsh dialect is not known yet")

func (c ruleCheck) readCommand(o netsh.Options) (string, error) {
	if o.Dialect == "" {
		return "", errDialectUnknown
	}
	return netsh.ReadCommand(c.want, o)
}

func (c ruleCheck) judge(r *readings, o netsh.Options) verdict {
	cmd, err := c.readCommand(o)
	if err != nil {
		return verdict{err: err}
	}
	_, vd, ok := r.answer(cmd)
	if o.BlockScan && o.Dialect == netsh.Advfirewall {
		vd.out = netsh.ExcerptRules(vd.out, c.want.Name)
	}
	if !ok {
		vd.err = fmt.Errorf("internal error: %q was not read", cmd)
		return vd
	}
	rules, err := r.rules(cmd, o.Dialect)
	if err != nil {
		vd.err = err
		return vd
	}
	vd.res, vd.err = netsh.Evaluate(c.want, rules, o)
	return vd
}

func (c ruleCheck) worstCaseWrites(o netsh.Options) ([]string, error) {
	if c.want.State == netsh.StateAbsent {
		cmd, err := netsh.DeleteCommand(c.want, o)
		if err != nil {
			return nil, err
		}
		return []string{cmd}, nil
	}
	r, err := netsh.Evaluate(c.want, nil, o)
	return r.Commands, err
}

// registryCheck is a set of registry values (the DCOM port range).
type registryCheck struct {
	item
	want netsh.RegistryWant
}

func (c registryCheck) readCommand(netsh.Options) (string, error) {
	return netsh.RegQueryCommand(c.want.Key)
}

func (c registryCheck) judge(r *readings, o netsh.Options) verdict {
	out, vd, ok := judgeRead(c, r, o)
	if !ok {
		return vd
	}
	key, err := netsh.ParseRegQuery(out)
	if err != nil {
		vd.err = err
		return vd
	}
	vd.res, vd.err = netsh.EvaluateRegistry(c.want, key)
	return vd
}

func (c registryCheck) worstCaseWrites(netsh.Options) ([]string, error) {
	key := netsh.RegKey{Path: c.want.Key}
	if c.want.State == netsh.StateAbsent {
		key.Exists = true
		key.Values = c.want.Values
	}
	r, err := netsh.EvaluateRegistry(c.want, key)
	return r.Commands, err
}

// serviceCheck is a service that must be running (or stopped). It only
// reads: apply never starts or stops a service.
type serviceCheck struct {
	item
	service string
	running bool
	// listed: the host's discovery reads the service list, which shows
	// every service's state as "sc query NAME" would, so the check is
	// judged from it (its block is the evidence) and needs no read of its
	// own; that keeps a host without sql_version at one round trip.
	listed bool
}

func (c serviceCheck) readCommand(netsh.Options) (string, error) {
	if c.listed {
		return netsh.ScListCommand, nil
	}
	return netsh.ScQueryCommand(c.service)
}

func (c serviceCheck) judge(r *readings, o netsh.Options) verdict {
	out, vd, ok := judgeRead(c, r, o)
	if !ok {
		return vd
	}
	var st netsh.ServiceStatus
	var err error
	if c.listed {
		vd.out = netsh.ExcerptService(vd.out, c.service)
		st, err = c.fromList(r)
	} else {
		st, err = netsh.ParseScQuery(out)
	}
	if err != nil {
		vd.err = err
		return vd
	}
	if st.Name == "" {
		st.Name = c.service
	}
	vd.res = netsh.EvaluateService(st, c.running)
	return vd
}

// fromList finds the service in the service list; a service the list does
// not show is not installed, as "sc query NAME" would say (FAILED 1060).
func (c serviceCheck) fromList(r *readings) (netsh.ServiceStatus, error) {
	entries, err := r.services()
	if err != nil {
		return netsh.ServiceStatus{}, err
	}
	for _, e := range entries {
		if strings.EqualFold(e.Name, c.service) {
			return e.Status(), nil
		}
	}
	return netsh.ServiceStatus{Name: c.service}, nil
}

func (serviceCheck) worstCaseWrites(netsh.Options) ([]string, error) { return nil, nil }

// unresolved is an item that could not be resolved for the host (an
// undefined var, an unsafe value, no SSIS installed): it reads nothing and
// judges to its error.
type unresolved struct {
	item
	err error
}

func (c unresolved) readCommand(netsh.Options) (string, error) { return "", c.err }

func (c unresolved) judge(*readings, netsh.Options) verdict { return verdict{err: c.err} }

func (c unresolved) worstCaseWrites(netsh.Options) ([]string, error) { return nil, c.err }

// errNoSSIS is the error of an each: ssis check on a host with no SSIS.
var errNoSSIS = errors.New("no SSIS service (MsDtsServer*) is installed on the host")

// judgeAll evaluates every check.
func judgeAll(checks []check, r *readings, o netsh.Options) []verdict {
	vs := make([]verdict, len(checks))
	for i, c := range checks {
		vs[i] = c.judge(r, o)
	}
	return vs
}

// readCommands returns the deduplicated read commands of checks, in order.
// A check whose command cannot be rendered has none; judge reports it.
func readCommands(checks []check, o netsh.Options) []string {
	var cmds []string
	for _, c := range checks {
		if cmd, err := c.readCommand(o); err == nil && cmd != "" {
			cmds = appendNew(cmds, cmd)
		}
	}
	return cmds
}
