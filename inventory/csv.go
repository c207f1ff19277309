package inventory

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
)

// parseCSV reads a spreadsheet export: a header row naming the columns, then
// one host per row. host is required; address and port become the address
// and port vars; groups is a ';'-separated list of groups; every other
// column becomes a string var of that name. Empty cells set nothing.
func parseCSV(inv *Inventory, file string, data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err == io.EOF {
		return &Error{File: file, Line: 1, Msg: "empty CSV inventory: want a header row with a host column"}
	}
	if err != nil {
		return csvErr(file, err)
	}
	hostCol := -1
	cols := make([]string, len(header))
	seen := map[string]int{}
	for i, h := range header {
		name := strings.TrimSpace(h)
		if name == "" {
			return &Error{File: file, Line: 1, Col: i + 1, Msg: "empty column name in header (column " + strconv.Itoa(i+1) + ")"}
		}
		key := strings.ToLower(name)
		if j, dup := seen[key]; dup {
			return &Error{File: file, Line: 1, Msg: "duplicate column " + quote(name) + " (columns " + strconv.Itoa(j+1) + " and " + strconv.Itoa(i+1) + ")"}
		}
		seen[key] = i
		switch key {
		case "host", "address", "port", "groups":
			name = key
		}
		if name == "host" {
			hostCol = i
		}
		cols[i] = name
	}
	if hostCol < 0 {
		return &Error{File: file, Line: 1, Msg: "CSV header has no host column"}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(file, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > len(cols) {
			return &Error{File: file, Line: line, Msg: strconv.Itoa(len(rec)) + " fields but the header has " + strconv.Itoa(len(cols))}
		}
		name := ""
		if hostCol < len(rec) {
			name = strings.TrimSpace(rec[hostCol])
		}
		if name == "" {
			return &Error{File: file, Line: line, Msg: "empty host name"}
		}
		if h := inv.hostIdx[name]; h != nil {
			return &Error{File: file, Line: line, Msg: "duplicate host " + quote(name) + " (first at line " + strconv.Itoa(h.Line) + ")"}
		}
		h := inv.addHost(name, nil, 0, file, line)
		for i, cell := range rec {
			if i == hostCol {
				continue
			}
			cell = strings.TrimSpace(cell)
			if cell == "" {
				continue
			}
			fline, fcol := r.FieldPos(i)
			switch cols[i] {
			case "groups":
				for _, gname := range strings.Split(cell, ";") {
					gname = strings.TrimSpace(gname)
					if gname == "" {
						continue
					}
					if gname == "all" || gname == "ungrouped" {
						return &Error{File: file, Line: fline, Col: fcol, Msg: "host " + name + ": group " + quote(gname) + " is implicit and cannot be listed"}
					}
					inv.addGroup(gname, file, fline).addHost(h)
				}
			case "port":
				p, err := strconv.Atoi(cell)
				if err != nil || p < 1 || p > 65535 {
					return &Error{File: file, Line: fline, Col: fcol, Msg: "host " + name + ": invalid port " + quote(cell) + " (want 1-65535)"}
				}
				h.setVar("port", Var{Value: p, File: file, Line: fline})
			default:
				h.setVar(cols[i], Var{Value: cell, File: file, Line: fline, Vault: isVaultString(cell)})
			}
		}
	}
}

func csvErr(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: file, Line: pe.Line, Col: pe.Column, Msg: pe.Err.Error()}
	}
	return &Error{File: file, Msg: "read CSV", Err: err}
}
