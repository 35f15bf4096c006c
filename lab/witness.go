package lab

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/netspec"
)

// dropPoint turns the model's refusal into the hop a probe watches: the filter rule that drops
// the packets, or the host whose routing discards them, with the packet as it arrives there.
// It is nil for refusals no hop witnesses (a tunnel that is down, a name that does not resolve).
func dropPoint(spec *netspec.Spec, v explain.Verdict) *netspec.DropPoint {
	if v.Reachable || v.At == "" {
		return nil
	}
	h := spec.Resolve(v.At)
	if h == nil {
		return nil
	}
	reason := strings.TrimPrefix(v.Reason, "the reply cannot get back: ")
	switch v.Code {
	case "FILTERED", "NO_RETURN_ROUTE":
		if rule, ok := strings.CutPrefix(reason, v.At+": "); ok {
			return &netspec.DropPoint{Host: h.Name, Rule: rule}
		}
		if v.Code == "FILTERED" {
			return nil
		}
	case "RETURN_FILTERED":
		if rule, ok := strings.CutPrefix(reason, "the reply is dropped at "+v.At+": "); ok {
			return &netspec.DropPoint{Host: h.Name, Rule: rule}
		}
		return nil
	case "BLACKHOLE", "NO_ROUTE":
	default:
		return nil
	}
	// A routing drop: the packet the walk last sent, as translated on its way.
	pkt, ok := lastPacket(v.Hops)
	if !ok {
		return nil
	}
	if len(v.Hops) > 0 && v.Hops[len(v.Hops)-1].Step == "originated" {
		return nil // dropped where it was sent: the sender learns it at once
	}
	pkt.Host = h.Name
	return &pkt
}

// lastPacket reads the destination, protocol and port of the last packet a walk originated,
// following destination translations after it.
func lastPacket(hops []explain.Hop) (netspec.DropPoint, bool) {
	start := -1
	for i, hp := range hops {
		if hp.Step == "originated" {
			start = i
		}
	}
	if start < 0 {
		return netspec.DropPoint{}, false
	}
	// "SRC → DST tcp/80"
	f := strings.Fields(hops[start].Detail)
	if len(f) < 4 {
		return netspec.DropPoint{}, false
	}
	dst, err := netip.ParseAddr(f[2])
	if err != nil {
		return netspec.DropPoint{}, false
	}
	d := netspec.DropPoint{Dst: dst}
	proto, port, _ := strings.Cut(f[3], "/")
	switch proto {
	case "tcp":
		d.Proto = netspec.TCP
	case "udp":
		d.Proto = netspec.UDP
	case "icmp":
		d.Proto = netspec.ICMP
	}
	if n, err := strconv.Atoi(port); err == nil {
		d.Port = uint16(n)
	}
	for _, hp := range hops[start+1:] {
		if hp.Step == "dnat" {
			// "DST → NEW (why)"
			if g := strings.Fields(hp.Detail); len(g) >= 3 {
				if a, err := netip.ParseAddr(g[2]); err == nil {
					d.Dst = a
				}
			}
		}
	}
	return d, true
}
