package explain

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spacelab-dev/spacelab/netspec"
)

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

func dnsInZone(zones []string, name string) bool {
	for _, z := range zones {
		if z == "." || name == z || strings.HasSuffix(name, "."+z) {
			return true
		}
	}
	return false
}
