package netspec

import (
	"fmt"
	"sort"
	"strings"
)

// HostError is one host a data plane could not bring to its spec, and why.
type HostError struct {
	Host string
	Err  string
}

// ApplyError is an Apply that left some hosts short of the spec. A data plane that returns it
// has made every other host match, and has closed the named hosts (they drop all traffic, or
// lack the links they could not get) rather than keep rules looser than the spec.
type ApplyError struct {
	Hosts []HostError // sorted by host
	Other string      // failures not tied to one host (services, …), if any
}

func (e *ApplyError) Error() string {
	var b strings.Builder
	for i, h := range e.Hosts {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more hosts", len(e.Hosts)-5)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "host %s: %s", h.Host, h.Err)
	}
	if e.Other != "" {
		b.WriteString("; " + e.Other)
	}
	return b.String()
}

// NewApplyError builds an ApplyError from per-host messages; nil when there are none.
func NewApplyError(hosts map[string]string) *ApplyError {
	if len(hosts) == 0 {
		return nil
	}
	e := &ApplyError{}
	for h, msg := range hosts {
		e.Hosts = append(e.Hosts, HostError{Host: h, Err: msg})
	}
	sort.Slice(e.Hosts, func(i, j int) bool { return e.Hosts[i].Host < e.Hosts[j].Host })
	return e
}
