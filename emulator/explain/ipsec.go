package explain

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spacelab-dev/spacelab/netspec"
)

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

// intoTunnelFilter runs a forwarded packet that the host's IPsec would take (its device routes
// every tunnel's remote networks) through the host's forward chains, out of the device, as the
// kernel does before the packet reaches the TUN device.
func (w *walk) intoTunnelFilter(h *netspec.Host, iif string, pkt netspec.Packet) *Verdict {
	cfg := ipsecService(h)
	if iif == "" || cfg == nil {
		return nil
	}
	for _, t := range cfg.Tunnels {
		if containsAddr(t.RemoteNets, pkt.Dst) {
			p := pkt
			p.Iif, p.Oif = iif, deviceOf(cfg)
			return w.filter(h, netspec.Forward, p, "filter", "FILTERED")
		}
	}
	return nil
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
			w.hop(h.Name, "ipsec", "%s → %s into IPsec tunnel %s to %s%s", pkt.Src, pkt.Dst, t.Name, t.Peer, orStr(" ("+msg+")", "", msg != ""))
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
				w.hop(h.Name, "ipsec", "%s → %s into IPsec tunnel %s to %s%s", pkt.Src, pkt.Dst, t.Name, t.Local, orStr(" ("+msg+")", "", msg != ""))
				return other.Name, deviceOf(cfg), nil, true
			}
		}
	}
	if !ok {
		return "", "", nil, false
	}
	return "", "", &Verdict{Code: "TUNNEL_DOWN", At: h.Name, Reason: strings.Join(downs, "; ")}, true
}
