package emulator

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/spacelab-dev/spacelab/netspec"
)

// Explain answers "would this get through, and if not, where does it stop and why" by walking
// a packet through the rendered network the way the kernel will: filters on the way out, policy
// rules and longest-prefix routes at every hop, filters on the way in, a listening service at the
// end, and for TCP the reply's own way back. Each step names the model object behind it (route
// table, peering, security group), so a refusal reads like "route 10.0.0.0/16 → pcx-… in rtb-…
// is blackhole: pcx-… is deleted".
//
// It reasons about the same netspec.Spec the data plane applies, so its verdict can be checked
// against what real packets did (see lab.Check).

// Flow is what to explain: from a host (name or alias), to an address or host name, on a
// protocol and port.
type Flow struct {
	From  string
	To    string // address, or a name to resolve through the source's resolver
	Proto uint8  // netspec.TCP, UDP, ICMP
	Port  uint16
	// HTTPHost is the Host header, for flows to an HTTP router (defaults to To).
	HTTPHost string
}

// Verdict is Explain's answer.
type Verdict struct {
	// Reachable means the client gets an answer (for HTTP, any response, even a router's 404).
	Reachable bool
	// Code classifies a refusal: NO_ROUTE, BLACKHOLE, FILTERED, NO_LISTENER, NO_RETURN_ROUTE,
	// RETURN_FILTERED, NAME_NOT_RESOLVED, NO_HOST, LOOP; or qualifies an answer from an HTTP
	// router: NO_SUCH_APP (404), APP_ERROR (503, the app's dynos cannot be reached).
	Code string
	// Reason is one sentence for people.
	Reason string
	// At is the host where the packet stopped.
	At string
	// Hops is the path, one line per step.
	Hops []Hop
}

// Hop is one step of a path.
type Hop struct {
	Host   string
	Step   string // originated, filter-out, route, filter-in, forward, delivered, resolved
	Detail string
}

func (v Verdict) String() string {
	if v.Reachable {
		return "reachable"
	}
	return v.Code + ": " + v.Reason
}

// Path renders the hops for a person.
func (v Verdict) Path() string {
	var b strings.Builder
	for i, h := range v.Hops {
		fmt.Fprintf(&b, "%2d. %-40s %-10s %s\n", i+1, h.Host, h.Step, h.Detail)
	}
	return b.String()
}

// net is the spec indexed for walking.
type specIndex struct {
	spec   *netspec.Spec
	owner  map[netip.Addr]string                // address → host
	ifaces map[string]map[string][]netip.Prefix // host → ifname → addrs
	peer   map[string]map[string]linkPeer       // host → ifname → the other end
	bridge map[string]map[string][]linkPeer     // host → bridge → ports' far ends
}

type linkPeer struct {
	host, ifname string
}

func indexSpec(s *netspec.Spec) *specIndex {
	ix := &specIndex{spec: s, owner: map[netip.Addr]string{}, ifaces: map[string]map[string][]netip.Prefix{},
		peer: map[string]map[string]linkPeer{}, bridge: map[string]map[string][]linkPeer{}}
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

type walk struct {
	ix   *specIndex
	opts ExplainOptions
	hops []Hop
	// nat remembers source translations, as conntrack does: host → translated address →
	// original source; dnat remembers destination translations: host → new destination →
	// original destination.
	nat  map[string]map[netip.Addr]netip.Addr
	dnat map[string]map[netip.Addr]netip.Addr
}

func remember(m *map[string]map[netip.Addr]netip.Addr, host string, k, v netip.Addr) {
	if *m == nil {
		*m = map[string]map[netip.Addr]netip.Addr{}
	}
	if (*m)[host] == nil {
		(*m)[host] = map[netip.Addr]netip.Addr{}
	}
	(*m)[host][k] = v
}

func (w *walk) hop(host, step, format string, args ...any) {
	w.hops = append(w.hops, Hop{Host: host, Step: step, Detail: fmt.Sprintf(format, args...)})
}

// forward walks one packet from its origin to the host that owns dst. It returns that host and
// the interface it arrived on, or a refusal.
func (w *walk) forward(from string, pkt netspec.Packet) (string, string, netspec.Packet, *Verdict) {
	ix := w.ix
	host := ix.spec.Host(from)
	w.hop(host.Name, "originated", "%s → %s %s", pkt.Src, pkt.Dst, protoPort(pkt))
	if v, why := host.Filter.Evaluate(netspec.Output, pkt); v == netspec.Drop {
		return "", "", pkt, &Verdict{Code: "FILTERED", At: host.Name, Reason: fmt.Sprintf("%s: %s", host.Name, why)}
	}
	iif := ""
	for range 32 {
		if orig, ok := w.nat[host.Name][pkt.Dst]; ok && pkt.Established {
			w.hop(host.Name, "un-nat", "%s → %s", pkt.Dst, orig)
			pkt.Dst = orig
		}
		if iif != "" && !pkt.Established {
			if d, ok := host.Filter.DNATFor(iif, pkt.Dst); ok {
				remember(&w.dnat, host.Name, d.To, d.Dst)
				w.hop(host.Name, "dnat", "%s → %s (%s)", d.Dst, d.To, d.Why)
				pkt.Dst = d.To
			}
		}
		if ix.isLocal(host.Name, pkt.Dst) {
			return host.Name, iif, pkt, nil
		}
		if iif != "" && !host.Forwarding {
			return "", "", pkt, &Verdict{Code: "NO_ROUTE", At: host.Name, Reason: host.Name + " does not forward packets"}
		}
		if far, farIif, v, ok := w.ipsecOut(host, pkt); ok {
			if v != nil {
				return "", "", pkt, v
			}
			host, iif = ix.spec.Host(far), farIif
			continue
		}
		rt, ok := ix.lookup(host, iif, pkt.Src, pkt.Dst)
		if !ok {
			return "", "", pkt, &Verdict{Code: "NO_ROUTE", At: host.Name, Reason: fmt.Sprintf("%s has no route to %s", host.Name, pkt.Dst)}
		}
		if rt.Type != netspec.Unicast {
			w.hop(host.Name, "route", "%s %s (%s)", rt.Type, rt.Dst, rt.Why)
			return "", "", pkt, &Verdict{Code: "BLACKHOLE", At: host.Name, Reason: rt.Why}
		}
		w.hop(host.Name, "route", "%s via %s (%s)", rt.Dst, orStr(rt.Via.String(), rt.Dev, rt.Via.IsValid()), rt.Why)
		next, ok := ix.nextHop(host.Name, rt, pkt.Dst)
		if !ok {
			return "", "", pkt, &Verdict{Code: "NO_ROUTE", At: host.Name, Reason: fmt.Sprintf("%s: nothing answers for %s on %s", host.Name, pkt.Dst, rt.Dev)}
		}
		if iif != "" {
			p := pkt
			p.Iif, p.Oif = iif, rt.Dev
			if v, why := host.Filter.Evaluate(netspec.Forward, p); v == netspec.Drop {
				return "", "", pkt, &Verdict{Code: "FILTERED", At: host.Name, Reason: fmt.Sprintf("%s: %s", host.Name, why)}
			}
		}
		if orig, ok := w.dnat[host.Name][pkt.Src]; ok && pkt.Established {
			w.hop(host.Name, "un-dnat", "%s → %s", pkt.Src, orig)
			pkt.Src = orig
		}
		if nat, ok := host.Filter.SNATFor(rt.Dev, pkt.Src); ok && !pkt.Established {
			remember(&w.nat, host.Name, nat.To, pkt.Src)
			w.hop(host.Name, "snat", "%s → %s (%s)", pkt.Src, nat.To, nat.Why)
			pkt.Src = nat.To
		}
		host = ix.spec.Host(next.host)
		iif = ix.arrivalIface(next)
	}
	return "", "", pkt, &Verdict{Code: "LOOP", At: host.Name, Reason: "routing loop"}
}

func orStr(a, b string, useA bool) string {
	if useA {
		return a
	}
	return b
}

func protoPort(p netspec.Packet) string {
	switch p.Proto {
	case netspec.TCP:
		return fmt.Sprintf("tcp/%d", p.DstPort)
	case netspec.UDP:
		return fmt.Sprintf("udp/%d", p.DstPort)
	case netspec.ICMP:
		return "icmp"
	}
	return fmt.Sprintf("proto %d", p.Proto)
}

// ExplainOptions refine an explanation with what only the running data plane knows.
type ExplainOptions struct {
	// Tunnel reports whether an IPsec tunnel (by host and tunnel name) is up, and why not;
	// known is false when the data plane has no word on it. Nil (or unknown) treats a tunnel
	// whose two ends are both configured as up, and one whose far end runs outside spacelab
	// (a strongSwan started by hand) as down.
	Tunnel func(host, tunnel string) (up bool, msg string, known bool)
}

// Explain traces flow through spec.
func Explain(spec *netspec.Spec, f Flow) Verdict { return ExplainWith(spec, f, ExplainOptions{}) }

// ExplainWith is Explain with options.
func ExplainWith(spec *netspec.Spec, f Flow, o ExplainOptions) Verdict {
	ix := indexSpec(spec)
	w := &walk{ix: ix, opts: o}
	src := spec.Resolve(f.From)
	if src == nil {
		return Verdict{Code: "NO_HOST", Reason: fmt.Sprintf("no host %q", f.From)}
	}
	dst, err := netip.ParseAddr(f.To)
	if err != nil {
		addrs, v := w.resolve(src, f.To)
		if v != nil {
			v.Hops = w.hops
			return *v
		}
		dst = addrs[0]
		if f.HTTPHost == "" {
			f.HTTPHost = f.To
		}
	}
	v := w.connect(src.Name, dst, f.Proto, f.Port, f.HTTPHost, 0)
	v.Hops = w.hops
	return v
}

// connect traces a connection attempt and, for TCP/ICMP, its reply; through an HTTP router it
// continues to a backend.
func (w *walk) connect(from string, dst netip.Addr, proto uint8, port uint16, httpHost string, depth int) Verdict {
	ix := w.ix
	src := ix.sourceFor(from, dst)
	pkt := netspec.Packet{Src: src, Dst: dst, Proto: proto, DstPort: port}
	if proto == netspec.ICMP {
		pkt.ICMPType = 8
	}
	at, iif, got, v := w.forward(from, pkt)
	if v != nil {
		return *v
	}
	h := ix.spec.Host(at)
	in := got
	in.Iif = iif
	if v, why := h.Filter.Evaluate(netspec.Input, in); v == netspec.Drop {
		return Verdict{Code: "FILTERED", At: at, Reason: fmt.Sprintf("%s: %s", at, why)}
	}
	w.hop(at, "delivered", "%s %s", dst, protoPort(pkt))
	var svc *netspec.Service
	if proto == netspec.TCP || proto == netspec.UDP {
		svc = listener(h, got.Dst, port)
		if svc == nil {
			return Verdict{Code: "NO_LISTENER", At: at, Reason: fmt.Sprintf("nothing listens on %s %s in %s", got.Dst, protoPort(pkt), at)}
		}
	}
	// The reply: a fresh routing decision from the destination back to the source.
	if proto == netspec.TCP || proto == netspec.ICMP || proto == netspec.UDP {
		reply := netspec.Packet{Src: got.Dst, Dst: got.Src, Proto: proto, Established: true}
		if proto == netspec.ICMP {
			reply.ICMPType = 0
		}
		back, biif, _, v := w.forward(at, reply)
		if v != nil {
			v.Code = "NO_RETURN_ROUTE"
			if strings.HasPrefix(v.Reason, at+": ") || v.At != at {
				v.Reason = "the reply cannot get back: " + v.Reason
			}
			return *v
		}
		bh := ix.spec.Host(back)
		rin := reply
		rin.Iif = biif
		if v, why := bh.Filter.Evaluate(netspec.Input, rin); v == netspec.Drop {
			return Verdict{Code: "RETURN_FILTERED", At: back, Reason: fmt.Sprintf("the reply is dropped at %s: %s", back, why)}
		}
	}
	if svc != nil && svc.Kind == "proxy" && depth < 3 {
		host := strings.ToLower(httpHost)
		// The router always answers; what it answers depends on the app behind it.
		backends := svc.Proxy.Backends[host]
		if len(backends) == 0 {
			return Verdict{Reachable: true, Code: "NO_SUCH_APP", At: at, Reason: fmt.Sprintf("the router in %s answers 404: it serves no app named %q", at, host)}
		}
		w.hop(at, "forward", "router relays to %d backend(s) of %s", len(backends), host)
		var last Verdict
		for _, b := range backends {
			last = w.connect(at, b.Addr(), netspec.TCP, b.Port(), host, depth+1)
			if last.Reachable {
				return last
			}
		}
		return Verdict{Reachable: true, Code: "APP_ERROR", At: at, Reason: "the router answers 503: " + last.Reason}
	}
	return Verdict{Reachable: true, At: at}
}

func listener(h *netspec.Host, a netip.Addr, port uint16) *netspec.Service {
	for i := range h.Services {
		for _, l := range h.Services[i].Listen {
			if (l.Addr() == a || l.Addr().IsUnspecified()) && l.Port() == port {
				return &h.Services[i]
			}
		}
	}
	return nil
}

// resolve follows a name through the host's resolver and whatever it forwards to.
func (w *walk) resolve(h *netspec.Host, name string) ([]netip.Addr, *Verdict) {
	if len(h.Resolvers) == 0 {
		return nil, &Verdict{Code: "NAME_NOT_RESOLVED", At: h.Name, Reason: h.Name + " has no resolver"}
	}
	fqdn := strings.ToLower(strings.TrimSuffix(name, ".")) + "."
	from, server := h.Name, h.Resolvers[0]
	for range 4 {
		src := w.ix.sourceFor(from, server)
		v := w.connect(from, server, netspec.UDP, 53, "", 3)
		if !v.Reachable {
			v.Code = "NAME_NOT_RESOLVED"
			v.Reason = fmt.Sprintf("cannot ask %s about %s: %s", server, name, v.Reason)
			return nil, &v
		}
		sh := w.ix.spec.Host(v.At)
		svc := listener(sh, server, 53)
		cfg := svc.DNS
		if cfg == nil {
			return nil, &Verdict{Code: "NAME_NOT_RESOLVED", At: v.At, Reason: fmt.Sprintf("%s:53 in %s is not a DNS server", server, v.At)}
		}
		if !allowedSrc(cfg.AllowedSources, src) {
			return nil, &Verdict{Code: "NAME_NOT_RESOLVED", At: v.At, Reason: fmt.Sprintf("%s refuses queries from %s", server, src)}
		}
		if dnsInZone(cfg.Zones, fqdn) {
			var out []netip.Addr
			for _, r := range cfg.Records {
				if r.Name == fqdn {
					out = append(out, r.Addr)
				}
			}
			if len(out) == 0 {
				return nil, &Verdict{Code: "NAME_NOT_RESOLVED", At: v.At, Reason: fmt.Sprintf("%s: NXDOMAIN from %s", name, server)}
			}
			w.hop(v.At, "resolved", "%s → %v", name, out)
			return out, nil
		}
		if len(cfg.Forwarders) == 0 {
			return nil, &Verdict{Code: "NAME_NOT_RESOLVED", At: v.At, Reason: fmt.Sprintf("%s refuses %s", server, name)}
		}
		from, server = v.At, cfg.Forwarders[0].Addr()
	}
	return nil, &Verdict{Code: "NAME_NOT_RESOLVED", Reason: "resolution loops"}
}

func allowedSrc(ps []netip.Prefix, a netip.Addr) bool {
	if len(ps) == 0 {
		return true
	}
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func dnsInZone(zones []string, name string) bool {
	for _, z := range zones {
		if z == "." || name == z || strings.HasSuffix(name, "."+z) {
			return true
		}
	}
	return false
}

// ExplainResolve explains resolving a name from a host, through its resolver (or server when
// valid), following forwarders.
func ExplainResolve(spec *netspec.Spec, from, name string, server netip.Addr) Verdict {
	return ExplainResolveWith(spec, from, name, server, ExplainOptions{})
}

// ExplainResolveWith is ExplainResolve with options.
func ExplainResolveWith(spec *netspec.Spec, from, name string, server netip.Addr, o ExplainOptions) Verdict {
	ix := indexSpec(spec)
	w := &walk{ix: ix, opts: o}
	src := spec.Resolve(from)
	if src == nil {
		return Verdict{Code: "NO_HOST", Reason: fmt.Sprintf("no host %q", from)}
	}
	h := *src
	if server.IsValid() {
		h.Resolvers = []netip.Addr{server}
	}
	addrs, v := w.resolve(&h, name)
	if v != nil {
		v.Hops = w.hops
		return *v
	}
	return Verdict{Reachable: true, At: src.Name, Reason: fmt.Sprintf("%s → %v", name, addrs), Hops: w.hops}
}

// ipsecService returns a host's IPsec service, if it runs one.
func ipsecService(h *netspec.Host) *netspec.IPsecConfig {
	for i := range h.Services {
		if h.Services[i].Kind == "ipsec" && h.Services[i].IPsec != nil {
			return h.Services[i].IPsec
		}
	}
	return nil
}

func deviceOf(c *netspec.IPsecConfig) string {
	if c != nil && c.Device != "" {
		return c.Device
	}
	return "ipsec0"
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// tunnelUp asks the options about a tunnel; unknown tunnels count as up when both ends are
// configured here.
func (w *walk) tunnelUp(host, name string, bothEnds bool) (bool, string) {
	if w.opts.Tunnel != nil {
		if up, msg, known := w.opts.Tunnel(host, name); known {
			return up, msg
		}
	}
	if bothEnds {
		return true, ""
	}
	return false, "the far end runs outside spacelab and its state is unknown"
}

// ipsecOut decides whether a packet at host leaves through an IPsec tunnel, and where it comes
// out: the far gateway's host and the device it arrives on. ok is false when no tunnel covers
// the packet. A tunnel that is down gives a verdict instead.
func (w *walk) ipsecOut(h *netspec.Host, pkt netspec.Packet) (far, farIif string, v *Verdict, ok bool) {
	ix := w.ix
	var downs []string
	// The host runs spacelab's IPsec: its tunnels' remote networks are routed into its device.
	if cfg := ipsecService(h); cfg != nil {
		for _, t := range cfg.Tunnels {
			if !containsAddr(t.RemoteNets, pkt.Dst) {
				continue
			}
			ok = true
			if !containsAddr(t.LocalNets, pkt.Src) {
				downs = append(downs, fmt.Sprintf("no IPsec SA of %s covers %s → %s (traffic selectors %v === %v)", t.Name, pkt.Src, pkt.Dst, t.LocalNets, t.RemoteNets))
				continue
			}
			peerHost := ix.owner[t.Peer]
			var peerCfg *netspec.IPsecConfig
			if peerHost != "" {
				peerCfg = ipsecService(ix.spec.Host(peerHost))
			}
			up, msg := w.tunnelUp(h.Name, t.Name, peerCfg != nil)
			if !up {
				downs = append(downs, fmt.Sprintf("IPsec tunnel %s from %s to %s is down: %s", t.Name, t.Local, t.Peer, orStr(msg, "no security association yet", msg != "")))
				continue
			}
			w.hop(h.Name, "ipsec", "%s → %s into tunnel %s to %s", pkt.Src, pkt.Dst, t.Name, t.Peer)
			return peerHost, deviceOf(peerCfg), nil, true
		}
	} else {
		// A gateway outside spacelab's control (strongSwan by hand): a tunnel spacelab runs
		// towards one of its addresses tells what it routes into the tunnel while it is up.
		for _, other := range ix.spec.Hosts {
			cfg := ipsecService(other)
			if cfg == nil {
				continue
			}
			for _, t := range cfg.Tunnels {
				if ix.owner[t.Peer] != h.Name || !containsAddr(t.LocalNets, pkt.Dst) {
					continue
				}
				ok = true
				up, msg := w.tunnelUp(other.Name, t.Name, false)
				if !up {
					downs = append(downs, fmt.Sprintf("IPsec tunnel %s between %s and %s is down: %s", t.Name, t.Peer, t.Local, orStr(msg, "no security association yet", msg != "")))
					continue
				}
				w.hop(h.Name, "ipsec", "%s → %s into the tunnel to %s (%s)", pkt.Src, pkt.Dst, t.Local, t.Name)
				return other.Name, deviceOf(cfg), nil, true
			}
		}
	}
	if !ok {
		return "", "", nil, false
	}
	return "", "", &Verdict{Code: "TUNNEL_DOWN", At: h.Name, Reason: strings.Join(downs, "; ")}, true
}
