package emulator

import "net/netip"

// IPv6 in the model: security group rules (SGRule.CIDR), network ACL entries (NACLEntry.CIDR)
// and routes (Route.Dst) may hold IPv6 prefixes. They are stored, described and round-tripped
// as EC2 does; the data plane carries IPv4 only, so the renderer leaves them out (no instance
// has an IPv6 address for them to match), and what would give an instance an IPv6 address is
// refused.

// AllIPv6 is ::/0.
var AllIPv6 = netip.MustParsePrefix("::/0")

// IsIPv6 reports whether a prefix is an IPv6 one (not an IPv4-mapped address).
func IsIPv6(p netip.Prefix) bool { return p.IsValid() && p.Addr().Is6() && !p.Addr().Is4In6() }

// VPCHasIPv6 reports whether a VPC has an IPv6 block associated.
func (tx *Tx) VPCHasIPv6(vpcID string) bool { return len(tx.ipv6Of(vpcID)) > 0 }

// LocalIPv6Routes returns the local routes of a table for its VPC's IPv6 blocks
// (destinationIpv6CidrBlock = the /56, gatewayId local), one per block.
func (tx *Tx) LocalIPv6Routes(rt *RouteTable) []*Route {
	var out []*Route
	for _, a := range tx.ipv6Of(rt.VPCID) {
		out = append(out, &Route{Dst: a.CIDR, Kind: TargetLocal, Target: "local", Origin: "CreateRouteTable"})
	}
	return out
}

// ipv6Defaults gives a VPC that just got an IPv6 block the rules EC2 adds then: an outbound
// ::/0 rule in its default security group, and rules 101 allowing ::/0 in each direction of
// its default network ACL, unless that direction's rules were changed from the default ones.
func (tx *Tx) ipv6Defaults(v *VPC) {
	if g := tx.w.sgs[v.DefaultSecurityGroupID]; g != nil {
		has := false
		for _, r := range g.Egress {
			has = has || (r.Group == nil && r.PrefixListID == "" && r.CIDR == AllIPv6 && r.Protocol == "-1")
		}
		if !has {
			g.Egress = append(g.Egress, &SGRule{ID: tx.NewID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: AllIPv6})
		}
	}
	n := tx.w.nacls[v.DefaultNetworkACLID]
	if n == nil {
		return
	}
	for _, egress := range []bool{false, true} {
		var mine []*NACLEntry
		for _, e := range n.Entries {
			if e.Egress == egress {
				mine = append(mine, e)
			}
		}
		untouched := len(mine) == 1 && mine[0].RuleNumber == 100 && mine[0].Allow && mine[0].Protocol == "-1" && mine[0].CIDR == netip.MustParsePrefix("0.0.0.0/0")
		if untouched {
			n.Entries = append(n.Entries, &NACLEntry{RuleNumber: 101, Egress: egress, Protocol: "-1", Allow: true, CIDR: AllIPv6})
		}
	}
	sortEntries(n.Entries)
}

// checkIPv6RouteDst refuses an IPv6 destination inside one of the VPC's IPv6 blocks (the local
// route covers it), unless it is a whole subnet's /64 sent to an interface or an instance.
func (tx *Tx) checkIPv6RouteDst(rt *RouteTable, dst netip.Prefix, t RouteTarget) error {
	if !IsIPv6(dst) {
		return nil
	}
	for _, a := range tx.ipv6Of(rt.VPCID) {
		if !a.CIDR.Overlaps(dst) || dst.Bits() < a.CIDR.Bits() {
			continue
		}
		if t.InstanceID != "" || t.NetworkInterfaceID != "" {
			for _, s := range tx.w.subnets {
				for _, sa := range tx.ipv6Of(s.ID) {
					if s.VPCID == rt.VPCID && sa.CIDR == dst {
						return nil
					}
				}
			}
		}
		return AWSErr("InvalidParameterValue", "The destination CIDR block %s is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.", dst)
	}
	return nil
}
