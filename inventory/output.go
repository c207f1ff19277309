package inventory

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// ListHost is one host in the JSON form of WriteList.
type ListHost struct {
	Name      string         `json:"name"`
	Address   string         `json:"address"`
	Port      int            `json:"port"`
	Scheme    string         `json:"scheme"`
	Transport string         `json:"transport"`
	Groups    []string       `json:"groups"`
	Vars      map[string]any `json:"vars"`
}

// ListDoc is the JSON form of WriteList: {"hosts": [...]}.
type ListDoc struct {
	Hosts []ListHost `json:"hosts"`
}

// Listing returns the resolved, masked view of hosts that WriteList prints.
func Listing(hosts []*Host) ListDoc {
	doc := ListDoc{Hosts: make([]ListHost, 0, len(hosts))}
	cache := map[*Group][]map[string]Var{}
	for _, h := range hosts {
		r := newResolverCached(h, cache)
		c, _ := r.settings() // Load has validated; on error the fields stay partial
		lh := ListHost{Name: h.Name, Address: c.Address, Port: c.Port, Scheme: string(c.Scheme), Transport: string(c.Transport),
			Groups: h.Groups(), Vars: map[string]any{}}
		if lh.Groups == nil {
			lh.Groups = []string{}
		}
		for k, v := range h.Vars() {
			switch {
			case v.Vault || IsSecretName(k):
				lh.Vars[k] = Masked
			default:
				lh.Vars[k] = jsonSafe(v.Value)
			}
		}
		doc.Hosts = append(doc.Hosts, lh)
	}
	return doc
}

// jsonSafe replaces values encoding/json cannot write (NaN, infinities).
func jsonSafe(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonSafe(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonSafe(e)
		}
		return out
	}
	return v
}

// WriteList prints hosts as a table (NAME ADDRESS PORT SCHEME TRANSPORT
// GROUPS) or as JSON ({"hosts": [...]}, keys in a fixed order, vars sorted,
// secrets masked).
func WriteList(w io.Writer, hosts []*Host, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(Listing(hosts))
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tADDRESS\tPORT\tSCHEME\tTRANSPORT\tGROUPS")
		cache := map[*Group][]map[string]Var{}
		for _, h := range hosts {
			r := newResolverCached(h, cache)
			c, _ := r.settings()
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", h.Name, c.Address, c.Port, c.Scheme, c.Transport, strings.Join(h.Groups(), ","))
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown list format %q (want table or json)", format)
}

// WriteGraph prints the group tree the way ansible-inventory --graph does:
// "@all:" then each child group indented "  |--@name:", and each group's
// own hosts under it (a group reachable twice is printed twice). Children
// and hosts are in definition order.
func WriteGraph(w io.Writer, inv *Inventory) error {
	bw := bufio.NewWriter(w)
	var walk func(g *Group, depth int)
	walk = func(g *Group, depth int) {
		bw.WriteString(graphName("@"+g.Name+":", depth))
		for _, c := range g.children {
			walk(c, depth+1)
		}
		if g.Name != "all" {
			for _, h := range g.hosts {
				bw.WriteString(graphName(h.Name, depth+1))
			}
		}
	}
	walk(inv.groupIdx["all"], 0)
	return bw.Flush()
}

func graphName(name string, depth int) string {
	if depth == 0 {
		return name + "\n"
	}
	return strings.Repeat("  |", depth) + "--" + name + "\n"
}
