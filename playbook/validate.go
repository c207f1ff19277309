package playbook

import (
	"errors"

	"github.com/winfleet/winfleet/inventory"
	"github.com/winfleet/winfleet/playbook/netsh"
)

// staticCheck refuses, at load time, every item a run would refuse on any
// host: it resolves each item as the executor does, with the playbook's own
// vars and (for each: ssis items) a stand-in SSIS install, and renders its
// read and write commands in both dialects. An item gated by a when: var
// the playbook does not define is checked as if the var were true (the
// inventory may set it on any host). A value that depends on a var the
// playbook does not define is left for the run (it varies per host);
// everything else that fails (a rule named "all", a '&' in a name, port 0,
// an unsafe path or address) is a *ParseError at the item's line.
func staticCheck(pb *Playbook) error {
	gates := map[string]any{}
	for _, it := range pb.items() {
		if _, ok := pb.Vars[it.When]; it.When != "" && !ok {
			gates[it.When] = true
		}
	}
	v := vars{layers: []map[string]inventory.Var{inventory.VarsFrom("a when: var the inventory may set", gates), pb.Vars}}
	stand := installsOf(netsh.SSISVersions()[len(netsh.SSISVersions())-1])
	checks, err := expand(pb, v, stand, true, false, nil)
	if err != nil {
		return err // a playbook var that is not a boolean, named at its line
	}
	items := pb.items()
	var errs []error
	for _, c := range checks {
		pos := itemPos(items, c.base().id)
		if err := resolveErr(c); err != nil {
			var ve *VarError
			switch {
			case errors.As(err, &ve) && ve.Undefined:
				// a var the inventory defines per host
			case errors.As(err, &ve):
				errs = append(errs, ve) // names the playbook line itself
			default:
				errs = append(errs, &ParseError{Pos: pos, Msg: "item " + c.base().id + ": " + err.Error()})
			}
			continue
		}
		for _, d := range []netsh.Dialect{netsh.Advfirewall, netsh.Legacy} {
			o := netsh.Options{Dialect: d, Env: netsh.DefaultEnv(), BlockScan: true}
			_, rerr := c.readCommand(o)
			_, werr := c.worstCaseWrites(o)
			if err := errors.Join(rerr, werr); err != nil && !dialectLimit(err) {
				errs = append(errs, &ParseError{Pos: pos, Msg: "item " + c.base().id + ": " + err.Error()})
				break
			}
		}
	}
	return errors.Join(errs...)
}

// dialectLimit reports whether an error is a limit of one dialect (the
// legacy one opens single ports only), which a run reports per host.
func dialectLimit(err error) bool { return errors.Is(err, netsh.ErrLegacyPortRange) }

// itemPos is where the item with this check id (or id prefix, for each:
// ssis items) is in the source.
func itemPos(items []Item, id string) Pos {
	for _, it := range items {
		if it.ID == id || len(id) > len(it.ID) && id[:len(it.ID)] == it.ID && id[len(it.ID)] == '-' {
			return it.Pos
		}
	}
	return Pos{}
}
