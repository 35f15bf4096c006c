package explain

import (
	"net/netip"
	"sort"

	"github.com/spacelab-dev/spacelab/netspec"
)

// net is the spec indexed for walking.
type specIndex struct {
	spec   *netspec.Spec
	owner  map[netip.Addr]string                // address → host
	ifaces map[string]map[string][]netip.Prefix // host → ifname → addrs
	peer   map[string]map[string]linkPeer       // host → ifname → the other end
	bridge map[string]map[string][]linkPeer     // host → bridge → ports' far ends
	label  map[netip.Addr]string                // address → the label of its interface (an ENI's id)
}

type linkPeer struct {
	host, ifname string
}

func indexSpec(s *netspec.Spec) *specIndex {
	ix := &specIndex{spec: s, owner: map[netip.Addr]string{}, ifaces: map[string]map[string][]netip.Prefix{},
		peer: map[string]map[string]linkPeer{}, bridge: map[string]map[string][]linkPeer{}, label: map[netip.Addr]string{}}
	add := func(host, ifn string, ps []netip.Prefix) {
		if ix.ifaces[host] == nil {
			ix.ifaces[host] = map[string][]netip.Prefix{}
		}
		ix.ifaces[host][ifn] = append(ix.ifaces[host][ifn], ps...)
		for _, p := range ps {
			ix.owner[p.Addr()] = host
		}
	}
	for _, h := range s.Hosts {
		add(h.Name, "lo", h.Loopback)
		for _, b := range h.Bridges {
			add(h.Name, b.Name, b.Addrs)
		}
	}
	for _, l := range s.Links {
		for _, e := range [][2]netspec.End{{l.A, l.B}, {l.B, l.A}} {
			me, other := e[0], e[1]
			add(me.Host, me.Ifname, me.Addrs)
			if me.Label != "" {
				for _, p := range me.Addrs {
					ix.label[p.Addr()] = me.Label
				}
			}
			if ix.peer[me.Host] == nil {
				ix.peer[me.Host] = map[string]linkPeer{}
			}
			ix.peer[me.Host][me.Ifname] = linkPeer{other.Host, other.Ifname}
			if me.Bridge != "" {
				if ix.bridge[me.Host] == nil {
					ix.bridge[me.Host] = map[string][]linkPeer{}
				}
				ix.bridge[me.Host][me.Bridge] = append(ix.bridge[me.Host][me.Bridge], linkPeer{other.Host, other.Ifname})
			}
		}
	}
	return ix
}

// primaryAddr is the host's first non-loopback address.
func (ix *specIndex) primaryAddr(host string) netip.Addr {
	names := make([]string, 0, len(ix.ifaces[host]))
	for n := range ix.ifaces[host] {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "lo" {
			continue
		}
		for _, p := range ix.ifaces[host][n] {
			return p.Addr()
		}
	}
	return netip.Addr{}
}

// sourceFor picks the source address of a packet a host originates, as the kernel does: the
// preferred source of the route, else the first address of its output interface.
func (ix *specIndex) sourceFor(host string, dst netip.Addr) netip.Addr {
	h := ix.spec.Host(host)
	if ix.isLocal(host, dst) {
		return dst
	}
	if rt, ok := ix.lookup(h, "", netip.Addr{}, dst); ok {
		if rt.Src.IsValid() {
			return rt.Src
		}
		for _, p := range ix.ifaces[host][rt.Dev] {
			return p.Addr()
		}
	}
	return ix.primaryAddr(host)
}

func (ix *specIndex) isLocal(host string, a netip.Addr) bool {
	for _, ps := range ix.ifaces[host] {
		for _, p := range ps {
			if p.Addr() == a {
				return true
			}
		}
	}
	return a.IsLoopback()
}

// lookup does the kernel's route selection for a packet at host arriving on iif ("" for
// locally originated): policy rules by priority, then longest prefix, then metric, with
// connected routes in the main table.
func (ix *specIndex) lookup(h *netspec.Host, iif string, src, dst netip.Addr) (netspec.Route, bool) {
	type rule struct {
		prio  int
		table int
	}
	var rules []rule
	for _, r := range h.Rules {
		if r.Iif != "" && r.Iif != iif {
			continue
		}
		if r.Src.IsValid() && !r.Src.Contains(src) {
			continue
		}
		rules = append(rules, rule{r.Priority, r.Table})
	}
	sort.Slice(rules, func(i, j int) bool { return rules[i].prio < rules[j].prio })
	rules = append(rules, rule{32766, 0})
	for _, r := range rules {
		var best *netspec.Route
		consider := func(rt netspec.Route) {
			if !rt.Dst.Contains(dst) {
				return
			}
			if best == nil || rt.Dst.Bits() > best.Dst.Bits() || (rt.Dst.Bits() == best.Dst.Bits() && rt.Metric < best.Metric) {
				c := rt
				best = &c
			}
		}
		for _, rt := range h.Routes {
			if rt.Table == r.table {
				consider(rt)
			}
		}
		if r.table == 0 {
			for ifn, ps := range ix.ifaces[h.Name] {
				if ifn == "lo" {
					continue
				}
				for _, p := range ps {
					consider(netspec.Route{Dst: p.Masked(), Dev: ifn, Why: "connected " + ifn})
				}
			}
		}
		if best != nil {
			return *best, true
		}
	}
	return netspec.Route{}, false
}

// nextHop finds where a packet leaving host h by route rt for dst arrives: the host and the
// interface it arrives on.
func (ix *specIndex) nextHop(h string, rt netspec.Route, dst netip.Addr) (linkPeer, bool) {
	target := dst
	if rt.Via.IsValid() {
		target = rt.Via
	}
	if p, ok := ix.peer[h][rt.Dev]; ok {
		return p, true
	}
	for _, port := range ix.bridge[h][rt.Dev] {
		for _, p := range ix.ifaces[port.host][port.ifname] {
			if p.Addr() == target {
				return port, true
			}
		}
	}
	return linkPeer{}, false
}

// arrivalIface is the interface name the receiving host sees a packet on: the bridge when the
// port is enslaved to one.
func (ix *specIndex) arrivalIface(lp linkPeer) string {
	for _, l := range ix.spec.Links {
		for _, e := range []netspec.End{l.A, l.B} {
			if e.Host == lp.host && e.Ifname == lp.ifname && e.Bridge != "" {
				return e.Bridge
			}
		}
	}
	return lp.ifname
}

// named spells an address with the label of the interface that holds it, if any: an
// instance's address with its ENI's id, "10.0.1.5 (eni-0ab…)".
func (ix *specIndex) named(a netip.Addr) string {
	if l := ix.label[a]; l != "" {
		return a.String() + " (" + l + ")"
	}
	return a.String()
}
