package explain

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spacelab-dev/spacelab/netspec"
)

type walk struct {
	ix   *specIndex
	opts Options
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
	w.hop(host.Name, "originated", "%s → %s %s", ix.named(pkt.Src), pkt.Dst, protoPort(pkt))
	if v := w.filter(host, netspec.Output, pkt, "filter-out", "FILTERED"); v != nil {
		return "", "", pkt, v
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
			return "", "", pkt, &Verdict{Code: "NO_ROUTE", Explanation: "NO_ROUTE", At: host.Name, Reason: host.Name + " does not forward packets"}
		}
		if v := w.intoTunnelFilter(host, iif, pkt); v != nil {
			return "", "", pkt, v
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
			v := &Verdict{Code: "NO_ROUTE", Explanation: "NO_ROUTE", At: host.Name, Reason: fmt.Sprintf("%s has no route to %s", host.Name, pkt.Dst)}
			if iif != "" {
				v.Drop = routeDrop(host.Name, pkt)
			}
			return "", "", pkt, v
		}
		if rt.Type != netspec.Unicast {
			w.hop(host.Name, "route", "%s %s (%s)", rt.Type, rt.Dst, rt.Why)
			v := &Verdict{Code: "BLACKHOLE", Explanation: orStr(rt.Code, "ROUTE_BLACKHOLE", rt.Code != ""), At: host.Name, Reason: rt.Why}
			if iif != "" {
				v.Drop = routeDrop(host.Name, pkt)
			}
			if rt.Code == "NO_TRANSITIVE_PEERING" {
				w.intoPeering(v, iif, pkt)
			}
			if o := ix.spec.Host(ix.owner[pkt.Dst]); rt.Code == "PRIVATE_ADDRESS_ON_INTERNET" && o != nil && o.Kind == "app-router" {
				v.Explanation = "INTERNAL_ROUTING_ONLY"
				v.Reason = fmt.Sprintf("%s is the router of an internal-routing app (%s): it is reached only from inside its space and the networks peered or connected by VPN to it, never from the internet (%s)",
					pkt.Dst, strings.Join(o.Aliases, ", "), v.Reason)
			}
			return "", "", pkt, v
		}
		w.hop(host.Name, "route", "%s via %s (%s)", rt.Dst, orStr(rt.Via.String(), rt.Dev, rt.Via.IsValid()), rt.Why)
		next, ok := ix.nextHop(host.Name, rt, pkt.Dst)
		if !ok {
			return "", "", pkt, &Verdict{Code: "NO_ROUTE", At: host.Name, Reason: fmt.Sprintf("%s: nothing answers for %s on %s", host.Name, pkt.Dst, rt.Dev)}
		}
		if iif != "" {
			p := pkt
			p.Iif, p.Oif = iif, rt.Dev
			if v := w.filter(host, netspec.Forward, p, "filter", "FILTERED"); v != nil {
				return "", "", pkt, v
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
	return "", "", pkt, &Verdict{Code: "LOOP", Explanation: "LOOP", At: host.Name, Reason: "routing loop"}
}

// filter runs a packet through a host's chains on hook. A drop is a verdict naming the rule
// (and, when the default policy dropped it, what the chain allows); an accept by a rule that
// means something is a hop.
func (w *walk) filter(h *netspec.Host, hook netspec.Hook, p netspec.Packet, step, code string) *Verdict {
	d := h.Filter.Decide(hook, p)
	if d.Verdict == netspec.Drop {
		v := &Verdict{Code: code, Explanation: orStr(d.Code, "FILTERED", d.Code != ""), At: h.Name, Reason: fmt.Sprintf("%s: %s", h.Name, d.Why),
			Drop: &netspec.DropPoint{Host: h.Name, Rule: d.Why}}
		if d.ByPolicy && d.Chain != nil {
			for _, r := range d.Chain.Rules {
				if r.Verdict == netspec.Accept && !r.Established && r.Iif != "lo" && r.Oif != "lo" {
					v.Rules = append(v.Rules, r.Why)
				}
			}
			if len(v.Rules) == 0 {
				v.Rules = []string{"(no rules)"}
			}
		}
		if !d.ByPolicy && d.Chain != nil {
			v.Rules = scopedAllows(d.Chain, d.Why)
		}
		return v
	}
	for _, why := range d.Allowed {
		if why != "loopback" {
			w.hop(h.Name, step, "allowed: %s", why)
		}
	}
	return nil
}

// routeDrop is the drop point of a packet a host's routing discards.
func routeDrop(host string, p netspec.Packet) *netspec.DropPoint {
	return &netspec.DropPoint{Host: host, Dst: p.Dst, Proto: p.Proto, Port: p.DstPort}
}

// intoPeering refines a refusal by a VPC's edge table (traffic that came over a peering and is
// not for the VPC itself): it names the route that sent the packet into the peering, and tells
// a route to the wrong peering (another peering of the sender's VPC leads to the destination)
// from a hope of transitive routing.
func (w *walk) intoPeering(v *Verdict, iif string, p netspec.Packet) {
	ix := w.ix
	pcx, sender := "", ""
	for _, l := range ix.spec.Links {
		for _, e := range [][2]netspec.End{{l.A, l.B}, {l.B, l.A}} {
			if e[0].Host == v.At && e[0].Ifname == iif && strings.HasPrefix(e[0].Label, "pcx-") {
				pcx, sender = e[0].Label, e[1].Host
			}
		}
	}
	if pcx == "" {
		return
	}
	// The sender's route into the peering.
	route := ""
	for i := len(w.hops) - 1; i >= 0; i-- {
		if h := w.hops[i]; h.Host == sender && h.Step == "route" {
			if _, why, ok := strings.Cut(h.Detail, "("); ok {
				route = strings.TrimSuffix(why, ")")
			}
			break
		}
	}
	// A peering of the sender's VPC whose far VPC holds the destination.
	right, rightVPC := "", ""
	for _, l := range ix.spec.Links {
		for _, e := range [][2]netspec.End{{l.A, l.B}, {l.B, l.A}} {
			if e[0].Host != sender || !strings.HasPrefix(e[0].Label, "pcx-") || e[0].Label == pcx {
				continue
			}
			for _, b := range ix.spec.Host(e[1].Host).Bridges {
				for _, a := range b.Addrs {
					if a.Masked().Contains(p.Dst) {
						right, rightVPC = e[0].Label, strings.TrimPrefix(e[1].Host, "vpc/")
					}
				}
			}
		}
	}
	here := strings.TrimPrefix(v.At, "vpc/")
	// "rtb-…: 10.0.0.0/16 → pcx-…" reads better as "route 10.0.0.0/16 → pcx-… in rtb-… (of vpc-…)".
	if rtb, rest, ok := strings.Cut(route, ": "); ok && strings.HasPrefix(rtb, "rtb-") {
		route = fmt.Sprintf("route %s in %s of %s", rest, rtb, strings.TrimPrefix(sender, "vpc/"))
	} else {
		route = "the route of " + strings.TrimPrefix(sender, "vpc/")
	}
	edge := v.Reason
	if right != "" {
		v.Explanation = "WRONG_PEERING_ROUTE"
		v.Reason = fmt.Sprintf("%s sends %s over %s to %s, which does not hold it (%s); %s leads to %s, which does",
			route, p.Dst, pcx, here, edge, right, rightVPC)
		return
	}
	v.Reason = fmt.Sprintf("%s sends %s over %s to %s, which does not pass it on to another network (no transitive peering: %s)",
		route, p.Dst, pcx, here, edge)
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

// ephemeralPort is the client port replies are explained with: the first of Linux's default
// ip_local_port_range (32768–60999), which the sandbox's namespaces keep.
const ephemeralPort = 32768

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
	if v := w.filter(h, netspec.Input, in, "filter-in", "FILTERED"); v != nil {
		return *v
	}
	shown := dst.String()
	if got.Dst == dst {
		shown = ix.named(dst)
	}
	w.hop(at, "delivered", "%s %s", shown, protoPort(pkt))
	var svc *netspec.Service
	if proto == netspec.TCP || proto == netspec.UDP {
		svc = listener(h, got.Dst, port)
		if svc == nil {
			return Verdict{Code: "NO_LISTENER", Explanation: "NO_LISTENER", At: at, Reason: fmt.Sprintf("nothing listens on %s %s in %s", got.Dst, protoPort(pkt), at)}
		}
	}
	// The reply: a fresh routing decision from the destination back to the source.
	if proto == netspec.TCP || proto == netspec.ICMP || proto == netspec.UDP {
		// It goes to the client's source port: an ephemeral port, which stateless filters
		// (network ACLs) must allow; the lowest of Linux's default range stands for it.
		reply := netspec.Packet{Src: got.Dst, Dst: got.Src, Proto: proto, Established: true}
		if proto == netspec.TCP || proto == netspec.UDP {
			reply.DstPort = ephemeralPort
		}
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
		if v := w.filter(bh, netspec.Input, rin, "filter-in", "RETURN_FILTERED"); v != nil {
			v.Reason = fmt.Sprintf("the reply is dropped at %s", v.Reason)
			return *v
		}
	}
	if svc != nil && svc.Kind == "proxy" && depth < 3 {
		host := strings.ToLower(httpHost)
		// The router always answers; what it answers depends on the app behind it.
		backends, known := svc.Proxy.Backends[host]
		if !known {
			return Verdict{Reachable: true, Code: "NO_SUCH_APP", At: at, Reason: fmt.Sprintf("the router in %s answers 404: it serves no app named %q", at, host)}
		}
		if len(backends) == 0 {
			return Verdict{Reachable: true, Code: "NO_WEB_DYNOS", At: at, Reason: fmt.Sprintf("the router in %s answers 503 (H14): %s has no web dyno running", at, host)}
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

// scopedAllows lists what a drop rule scoped to one address (a second ENI's "nothing else to
// this address") lets through: the accept rules before it with the same address. Nil for other
// drop rules.
func scopedAllows(c *netspec.Chain, why string) []string {
	at := -1
	for i, r := range c.Rules {
		if r.Verdict == netspec.Drop && r.Why == why {
			at = i
			break
		}
	}
	if at < 0 {
		return nil
	}
	drop := c.Rules[at]
	if drop.Code == "" || !drop.Dst.IsValid() && !drop.Src.IsValid() {
		return nil
	}
	out := []string{}
	for _, r := range c.Rules[:at] {
		if r.Verdict == netspec.Accept && !r.Established && (drop.Dst.IsValid() && r.Dst == drop.Dst || drop.Src.IsValid() && r.Src == drop.Src) {
			out = append(out, r.Why)
		}
	}
	if len(out) == 0 {
		out = []string{"(no rules)"}
	}
	return out
}
