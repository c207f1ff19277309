package playbook

import "github.com/winfleet/winfleet/playbook/netsh"

// HostFacts is what an earlier run's discovery found on a host, as a
// FactCache keeps it: enough to name the reads a host needs before it has
// answered, nothing that a result could be taken from.
type HostFacts struct {
	// Address is where the host was reached (Target.Address): facts of a
	// name that now points elsewhere are not used.
	Address string `json:"address,omitempty"`
	// Dialect is the netsh dialect the host's ver gave: advfirewall or
	// legacy.
	Dialect string `json:"dialect,omitempty"`
	// SSISKnown says SSISServices is the host's whole list; false when the
	// run did not look (no each: ssis item applied).
	SSISKnown bool `json:"ssis_known,omitempty"`
	// SSISServices are the SSIS services found (MsDtsServer150, …).
	SSISServices []string `json:"ssis_services,omitempty"`
}

// FactCache remembers each host's discovered facts from one run to the
// next, so that a host whose facts have not changed is read in one round
// trip instead of two (see hostRun.speculate). It is called from the
// workers' goroutines concurrently.
type FactCache interface {
	// Facts returns what an earlier run found on host.
	Facts(host string) (HostFacts, bool)
	// Remember stores what this run found on host.
	Remember(host string, f HostFacts)
}

// speculate returns the reads that a guess of the host's facts calls for,
// to be sent in the first round trip alongside discovery: a host whose
// facts match the guess needs no second round trip. The guess is what an
// earlier run found on the host (the fact cache), else the common case:
// an unknown dialect is advfirewall (every Windows since 2008), and the
// SSIS programs come from round trip 1's SSIS search. The guess only
// chooses what is read early: discovery runs as always, every check is
// planned from what the host answers now, and a wrong guess costs a few
// reads whose answers nothing uses (a Windows 2003 host is sent an
// advfirewall read it does not know). Nothing from the cache reaches a
// command line unchecked: the dialect must be one of the two, and service
// names go through the same checks as discovered ones. A cache entry the
// guess cannot use, or one about another address, is ignored.
func (h *hostRun) speculate() []string {
	if h.f.dialect != "" && h.f.known {
		return nil
	}
	guess, ok := h.cachedGuess()
	if ok && guess.dialect == netsh.Advfirewall && h.opts.BlockScan {
		// One advfirewall read serves every rule, and the service list
		// and the search are read anyway: the SSIS versions the cache
		// names add no read to the default guess, only planning.
		ok = false
	}
	if !ok {
		if h.f.dialect != "" {
			return nil // nothing to guess: the plan has every read
		}
		guess = h.f
		guess.dialect = netsh.Advfirewall
	}
	// An item the guess leaves unresolved (no SSIS installed) reads
	// nothing; the others' reads are still worth sending.
	p, err := planReads(h.x.pb, h.v, guess, h.opts, h.memo)
	if err != nil {
		return nil
	}
	return p.all()
}

// cachedGuess is the host's facts completed with what the fact cache holds
// for it; ok is false when there is no usable entry.
func (h *hostRun) cachedGuess() (facts, bool) {
	c := h.x.o.Facts
	if c == nil {
		return facts{}, false
	}
	hf, ok := c.Facts(h.t.Name)
	if !ok || hf.Address != h.t.Address {
		return facts{}, false
	}
	g := h.f
	if g.dialect == "" {
		d, err := netsh.ParseDialect(hf.Dialect)
		if err != nil {
			return facts{}, false
		}
		g.dialect = d
	}
	if !g.known && hf.SSISKnown {
		entries := make([]netsh.ServiceEntry, len(hf.SSISServices))
		for i, s := range hf.SSISServices {
			entries[i] = netsh.ServiceEntry{Name: s}
		}
		vs := ssisFromList(entries)
		if len(vs) != len(hf.SSISServices) {
			return facts{}, false // a name that is not an SSIS service
		}
		g.installs, g.known = installsOf(vs...), true
		if g.dialect == netsh.Advfirewall {
			// Windows 2008 and later: the SSIS search of round trip 1
			// gives the programs, sc qc is not needed. reg.exe 3.0
			// (2003, legacy) cannot search: sc qc is read with it.
			for i := range g.installs {
				g.installs[i].source = netsh.SSISSearchCommand
			}
		}
	}
	return g, true
}

// remember stores the facts this host's discovery found, once it is
// complete (the dialect known, the SSIS list read when it was asked).
func (h *hostRun) remember() {
	c := h.x.o.Facts
	if c == nil || h.f.dialect == "" {
		return
	}
	hf := HostFacts{Address: h.t.Address, Dialect: string(h.f.dialect), SSISKnown: h.f.known}
	for _, in := range h.f.installs {
		hf.SSISServices = append(hf.SSISServices, in.v.Service)
	}
	c.Remember(h.t.Name, hf)
}
