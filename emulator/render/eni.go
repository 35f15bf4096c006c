package render

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// An instance's interfaces: the primary one is eth0 (see renderInstance); every other attached
// interface is eth<device index>, a link of its own into its subnet's bridge, with its own
// address, a policy rule that sends what leaves from that address out of that interface, and
// its own security groups (rules matched on its address, ahead of the primary's). Routes to an
// instance or an interface go via that interface's address; the instance forwards them only
// when that interface's source/destination check is off, as EC2 does.

// eniIfname is the interface name an attached interface has inside its instance.
func eniIfname(n *emulator.NetworkInterface) string {
	return fmt.Sprintf("eth%d", n.Attachment.DeviceIndex)
}

// eniTable is the kernel table of the policy rule for a secondary interface's address.
func eniTable(n *emulator.NetworkInterface) int { return 100 + n.Attachment.DeviceIndex }

// renderSecondaryENIs links an instance's other interfaces and gives them their security
// groups; it returns those interfaces.
func (r *renderer) renderSecondaryENIs(h *netspec.Host, i *emulator.Instance) []*emulator.NetworkInterface {
	tx := r.tx
	var out []*emulator.NetworkInterface
	for _, n := range tx.InstanceInterfaces(i.ID) {
		s := tx.Subnet(n.SubnetID)
		if n.Primary || s == nil {
			continue
		}
		out = append(out, n)
		ifn := eniIfname(n)
		r.link(&netspec.Link{
			A: netspec.End{Host: h.Name, Ifname: ifn, Addrs: []netip.Prefix{netip.PrefixFrom(n.PrivateIP, s.CIDR.Bits())}, Label: n.ID},
			B: netspec.End{Host: VPCHost(s.VPCID), Ifname: shortName("h", n.ID), Bridge: bridgeName(s.ID)},
		})
		t := eniTable(n)
		h.Routes = append(h.Routes,
			netspec.Route{Table: t, Dst: s.CIDR, Dev: ifn, Why: fmt.Sprintf("%s's subnet %s", n.ID, s.ID)},
			netspec.Route{Table: t, Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: s.GatewayAddr(), Dev: ifn, Why: fmt.Sprintf("what %s (%s) sends leaves by %s", n.ID, n.PrivateIP, ifn)})
		h.Rules = append(h.Rules, netspec.Rule{Priority: rulePriority + n.Attachment.DeviceIndex, Src: netip.PrefixFrom(n.PrivateIP, 32), Table: t})
		h.Aliases = append(h.Aliases, n.ID)
		r.own(h.Name, n.ID)
		r.own(h.Name, n.SecurityGroupIDs...)
	}
	return out
}

// secondaryENIRules returns the filter rules of one secondary interface for a chain: its
// groups' rules restricted to its address, then a drop of everything else to (from) it.
func (r *renderer) secondaryENIRules(i *emulator.Instance, n *emulator.NetworkInterface, egress bool) []netspec.FilterRule {
	self := netip.PrefixFrom(n.PrivateIP, 32)
	var out []netspec.FilterRule
	for _, gid := range n.SecurityGroupIDs {
		g := r.tx.SecurityGroup(gid)
		if g == nil {
			continue
		}
		rules := g.Ingress
		if egress {
			rules = g.Egress
		}
		for _, rule := range rules {
			for _, fr := range r.sgFilterRules(g, rule, egress) {
				if egress {
					fr.Src = self
				} else {
					fr.Dst = self
				}
				out = append(out, fr)
			}
		}
	}
	// The rule's text stays short: nftables keeps at most 256 bytes of comment per rule.
	dir, code, fr := "inbound", "SG_INGRESS_DENIED", netspec.FilterRule{Dst: self}
	if egress {
		dir, code, fr = "outbound", "SG_EGRESS_DENIED", netspec.FilterRule{Src: self}
	}
	fr.Verdict, fr.Code = netspec.Drop, code
	fr.Why = fmt.Sprintf("no %s rule of %s on %s (%s of %s) allows it", dir, strings.Join(n.SecurityGroupIDs, ", "), n.ID, n.PrivateIP, i.ID)
	return append(out, fr)
}

// routeTargets returns the interfaces (by id) that some route delivers to.
func (r *renderer) routeTargets() map[string]bool {
	if r.targets == nil {
		r.targets = map[string]bool{}
		for _, rt := range r.tx.RouteTables() {
			for _, route := range rt.Routes {
				if route.PrefixListID == "" && emulator.IsIPv6(route.Dst) {
					continue // not rendered: the data plane carries IPv4 only
				}
				if n := r.tx.RouteInterface(route); n != nil {
					r.targets[n.ID] = true
				}
			}
		}
	}
	return r.targets
}

// forwardChain makes an instance a router for the routes that point at its interfaces: it
// forwards, and each interface whose source/destination check is on drops what is not its own.
func (r *renderer) forwardChain(h *netspec.Host, i *emulator.Instance, enis []*emulator.NetworkInterface) {
	targeted, off := false, false
	for _, n := range enis {
		targeted = targeted || r.routeTargets()[n.ID]
		off = off || !n.SourceDestCheck
	}
	if !targeted && !off {
		return
	}
	h.Forwarding = true
	ch := netspec.Chain{Name: "forward", Hook: netspec.Forward, Policy: netspec.Accept}
	var outs []netspec.FilterRule
	for _, n := range enis {
		if !n.SourceDestCheck {
			continue
		}
		ifn := eniIfname(n)
		// What arrives is judged before what leaves.
		ch.Rules = append(ch.Rules, netspec.FilterRule{Iif: ifn, Verdict: netspec.Drop, Code: "SOURCE_DEST_CHECK",
			Why: fmt.Sprintf("source/destination check of %s (%s, %s) is on: it receives only packets for its own address", n.ID, i.ID, n.PrivateIP)})
		outs = append(outs, netspec.FilterRule{Oif: ifn, Verdict: netspec.Drop, Code: "SOURCE_DEST_CHECK",
			Why: fmt.Sprintf("source/destination check of %s (%s, %s) is on: it sends only packets from its own address", n.ID, i.ID, n.PrivateIP)})
	}
	ch.Rules = append(ch.Rules, outs...)
	h.Filter.Chains = append(h.Filter.Chains, ch)
}
