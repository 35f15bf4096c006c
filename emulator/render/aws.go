package render

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

func (r *renderer) renderVPC(v *emulator.VPC) {
	tx := r.tx
	h := r.addHost(&netspec.Host{
		Name: VPCHost(v.ID), Kind: "vpc-router", Aliases: []string{v.ID}, Hostname: v.ID, Forwarding: true,
		Resolvers: []netip.Addr{r.publicDNS},
	})
	r.own(h.Name, v.ID, v.SpaceID)
	if name := v.Tags["Name"]; name != "" && vpcNameUnique(tx, name) {
		h.Aliases = append(h.Aliases, name)
	}
	subnets := tx.SubnetsOf(v.ID)
	blocks := v.IPv4CIDRs()
	// The wan link: the VPC's way to AWS's own services and (through an internet gateway) out.
	wanKey := "wan|" + v.ID
	inet, vpcSide := p2p(r.linkIndex(wanKey))
	r.link(&netspec.Link{
		A: netspec.End{Host: HostInternet, Ifname: shortName("w", v.ID), Addrs: []netip.Prefix{inet}, Label: "wan-" + v.ID},
		B: netspec.End{Host: h.Name, Ifname: wanIf, Addrs: []netip.Prefix{vpcSide}},
	})
	h.Routes = append(h.Routes, netspec.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: inet.Addr(), Dev: wanIf, Why: "the VPC's own traffic (resolver) leaves by the wan"})
	for _, s := range subnets {
		h.Bridges = append(h.Bridges, netspec.Bridge{Name: bridgeName(s.ID), Addrs: []netip.Prefix{netip.PrefixFrom(s.GatewayAddr(), s.CIDR.Bits())}})
	}
	// Local delivery: what every table knows about the VPC itself.
	local := func(table int, over map[netip.Prefix]bool) []netspec.Route {
		var out []netspec.Route
		for _, s := range subnets {
			if over[s.CIDR] {
				continue // a middlebox route of the table sends this subnet's traffic elsewhere
			}
			out = append(out, netspec.Route{Table: table, Dst: s.CIDR, Dev: bridgeName(s.ID), Why: "local route " + v.BlockOf(s.CIDR).String()})
		}
		for _, b := range blocks {
			out = append(out, netspec.Route{Table: table, Dst: b, Type: netspec.Blackhole, Metric: catchAllMetric, Code: "NO_SUBNET",
				Why: "no subnet of " + v.ID + " holds this part of " + b.String()})
		}
		return out
	}
	h.Routes = append(h.Routes, local(edgeTable, nil)...)
	h.Routes = append(h.Routes, netspec.Route{Table: edgeTable, Dst: netip.MustParsePrefix("0.0.0.0/0"), Type: netspec.Blackhole, Metric: catchAllMetric,
		Code: "NO_TRANSITIVE_PEERING", Why: fmt.Sprintf("traffic from outside %s (%s) is only delivered inside it", v.ID, joinPrefixes(blocks))})
	// Route tables.
	tables := map[int]bool{edgeTable: true}
	// Numbers already handed to this VPC's tables are taken before any new table gets one: a new
	// table whose id sorts first must not be given a number a later table keeps.
	for _, rt := range tx.RouteTables() {
		if t, ok := r.book.tables[rt.ID]; ok && rt.VPCID == v.ID {
			tables[t] = true
		}
	}
	rtbTable := map[string]int{}
	for _, rt := range tx.RouteTables() {
		if rt.VPCID != v.ID {
			continue
		}
		r.liveTable(rt.ID)
		t := r.book.table(rt.ID, tables)
		rtbTable[rt.ID] = t
		var routes []*emulator.Route
		for _, route := range append(append([]*emulator.Route(nil), rt.Routes...), tx.PropagatedRoutes(rt)...) {
			if route.PrefixListID == "" && emulator.IsIPv6(route.Dst) {
				continue // IPv4 data plane: no IPv6 packet takes an IPv6 route
			}
			routes = append(routes, route)
		}
		over := map[netip.Prefix]bool{}
		for _, route := range routes {
			if route.PrefixListID == "" {
				over[route.Dst] = true
			}
		}
		h.Routes = append(h.Routes, local(t, over)...)
		for _, route := range routes {
			h.Routes = append(h.Routes, r.tableRoutes(v, rt, route, t)...)
		}
		h.Routes = append(h.Routes, netspec.Route{Table: t, Dst: netip.MustParsePrefix("0.0.0.0/0"), Type: netspec.Blackhole, Metric: catchAllMetric,
			Code: "NO_ROUTE_IN_TABLE", Why: noRouteWhy(tx, v, rt)})
	}
	if v.Role == emulator.RoleSpace {
		r.renderSpaceNAT(v, h, inet, tables)
	} else {
		r.renderIGW(v, h)
	}
	r.renderNACLs(h, subnets)
	prio := rulePriority
	for _, s := range subnets {
		h.Rules = append(h.Rules, netspec.Rule{Priority: prio, Iif: bridgeName(s.ID), Table: rtbTable[tx.SubnetRouteTable(s.ID).ID]})
		prio++
	}
	h.Rules = append(h.Rules, netspec.Rule{Priority: prio, Iif: wanIf, Table: edgeTable})
	// AmazonProvidedDNS (only VPCs where something lives need it, but it is cheap).
	resolver := v.ResolverAddr()
	h.Loopback = append(h.Loopback, netip.PrefixFrom(resolver, 32))
	cfg := &netspec.DNSConfig{
		Zones:          []string{emulator.InternalDomain(v.Region) + "."},
		Forwarders:     []netip.AddrPort{netip.AddrPortFrom(r.publicDNS, 53)},
		AllowedSources: blocks,
	}
	for _, i := range tx.Instances() {
		if i.VPCID == v.ID && i.State != "terminated" {
			cfg.Records = append(cfg.Records, netspec.DNSRecord{Name: i.PrivateDNSName() + ".", Addr: i.PrivateIP, TTL: dnsTTL})
		}
	}
	for _, n := range tx.NetworkInterfaces() {
		if n.VPCID == v.ID && !n.Primary {
			cfg.Records = append(cfg.Records, netspec.DNSRecord{Name: n.PrivateDNSName() + ".", Addr: n.PrivateIP, TTL: dnsTTL})
		}
	}
	if v.Role == emulator.RoleSpace {
		if sp := tx.Space(v.SpaceID); sp != nil {
			cfg.Zones = append(cfg.Zones, "app.localspace.")
			cfg.Records = append(cfg.Records, r.discoveryRecords(sp)...)
			cfg.Pick = 3
		}
	}
	h.Services = append(h.Services, netspec.Service{Name: "amazon-dns", Kind: "dns", Listen: []netip.AddrPort{netip.AddrPortFrom(resolver, 53)}, DNS: cfg})
	// The resolver of a VPC cannot be queried from outside it (not across a peering).
	if h.Filter == nil {
		h.Filter = &netspec.Filter{}
	}
	var input []netspec.FilterRule
	if !v.EnableDNSSupport {
		why := "DNS resolution is off in " + v.ID + " (enableDnsSupport false): AmazonProvidedDNS does not answer"
		input = append(input,
			netspec.FilterRule{Dst: netip.PrefixFrom(resolver, 32), Proto: netspec.UDP, PortFrom: 53, PortTo: 53, Verdict: netspec.Drop, Code: "DNS_SUPPORT_DISABLED", Why: why},
			netspec.FilterRule{Dst: netip.PrefixFrom(resolver, 32), Proto: netspec.TCP, PortFrom: 53, PortTo: 53, Verdict: netspec.Drop, Code: "DNS_SUPPORT_DISABLED", Why: why})
	}
	for _, b := range blocks {
		input = append(input, netspec.FilterRule{Src: b, Dst: netip.PrefixFrom(resolver, 32), Verdict: netspec.Accept, Why: "AmazonProvidedDNS serves its own VPC"})
	}
	h.Filter.Chains = append(h.Filter.Chains, netspec.Chain{Name: "input", Hook: netspec.Input, Policy: netspec.Accept, Rules: append(input,
		netspec.FilterRule{Dst: netip.PrefixFrom(resolver, 32), Proto: netspec.UDP, PortFrom: 53, PortTo: 53, Verdict: netspec.Drop, Code: "DNS_OUTSIDE_VPC", Why: "AmazonProvidedDNS of " + v.ID + " does not answer outside the VPC"},
		netspec.FilterRule{Dst: netip.PrefixFrom(resolver, 32), Proto: netspec.TCP, PortFrom: 53, PortTo: 53, Verdict: netspec.Drop, Code: "DNS_OUTSIDE_VPC", Why: "AmazonProvidedDNS of " + v.ID + " does not answer outside the VPC"},
	)})
}

func vpcNameUnique(tx *emulator.Tx, name string) bool {
	n := 0
	for _, v := range tx.VPCs() {
		if v.Tags["Name"] == name {
			n++
		}
	}
	return n == 1
}

// kernelRoute renders one route of a route table.
func (r *renderer) kernelRoute(v *emulator.VPC, rt *emulator.RouteTable, route *emulator.Route, table int) netspec.Route {
	out := netspec.Route{Table: table, Dst: route.Dst, Type: netspec.Blackhole, Why: blackholeWhy(r.tx, rt, route), Code: blackholeCode(r.tx, route)}
	if r.tx.RouteState(rt, route) != "active" {
		return out
	}
	switch route.Kind {
	case emulator.TargetIGW:
		inet, _ := p2p(r.linkIndex("wan|" + v.ID))
		return netspec.Route{Table: table, Dst: route.Dst, Via: inet.Addr(), Dev: wanIf, Why: fmt.Sprintf("%s: %s → %s", rt.ID, route.Dst, route.Target)}
	case emulator.TargetVGW:
		return r.vgwRoute(rt, route, table)
	case emulator.TargetNAT:
		n := r.tx.NatGateway(route.Target)
		return netspec.Route{Table: table, Dst: route.Dst, Via: n.PrivateIP, Dev: bridgeName(n.SubnetID), Why: fmt.Sprintf("%s: %s → %s (%s in %s)", rt.ID, route.Dst, n.ID, n.PrivateIP, n.SubnetID)}
	case emulator.TargetInstance, emulator.TargetENI:
		n := r.tx.RouteInterface(route)
		return netspec.Route{Table: table, Dst: route.Dst, Via: n.PrivateIP, Dev: bridgeName(n.SubnetID),
			Why: fmt.Sprintf("%s: %s → %s (%s of %s, %s)", rt.ID, route.Dst, route.Target, n.ID, n.Attachment.InstanceID, n.PrivateIP)}
	case emulator.TargetPeering:
		p := r.tx.Peering(route.Target)
		idx := r.linkIndex(peeringLinkKey(p))
		a, b := p2p(idx)
		via := b.Addr()
		if p.Requester.VPCID != v.ID {
			via = a.Addr()
		}
		return netspec.Route{Table: table, Dst: route.Dst, Via: via, Dev: pcxIfname(p.ID), Why: fmt.Sprintf("%s: %s → %s", rt.ID, route.Dst, p.ID)}
	}
	return out
}

// noRouteWhy explains a destination no route of a table covers.
func noRouteWhy(tx *emulator.Tx, v *emulator.VPC, rt *emulator.RouteTable) string {
	kind := "route table"
	if rt.Main {
		kind = "main route table"
	}
	var routes []string
	for _, r := range append(tx.LocalRoutes(rt), rt.Routes...) {
		if r.PrefixListID == "" && emulator.IsIPv6(r.Dst) {
			continue // the packets this explains are IPv4
		}
		routes = append(routes, fmt.Sprintf("%s → %s (%s)", routeDst(r), r.Target, tx.RouteState(rt, r)))
	}
	return fmt.Sprintf("no route for this destination in %s (%s of %s), which has: %s", rt.ID, kind, v.ID, strings.Join(routes, ", "))
}

// blackholeCode classifies a route whose target cannot carry traffic: a peering that exists
// but is not active, or a target that is gone.
func blackholeCode(tx *emulator.Tx, route *emulator.Route) string {
	if route.Kind == emulator.TargetPeering {
		if p := tx.Peering(route.Target); p != nil && p.Status(tx.Now()) != emulator.PcxDeleted {
			return "PEERING_NOT_ACTIVE"
		}
	}
	if route.Kind == emulator.TargetIGW {
		return "NO_INTERNET_GATEWAY"
	}
	if route.Kind == emulator.TargetNAT {
		return "NAT_GATEWAY_UNAVAILABLE"
	}
	if route.Kind == emulator.TargetVGW {
		return "VPN_GATEWAY_DETACHED"
	}
	return "ROUTE_BLACKHOLE"
}

// blackholeWhy explains why a route's target cannot carry traffic.
func blackholeWhy(tx *emulator.Tx, rt *emulator.RouteTable, route *emulator.Route) string {
	why := "its target does not exist"
	if route.Kind == emulator.TargetIGW {
		switch g := tx.InternetGateway(route.Target); {
		case g == nil:
			why = "internet gateway " + route.Target + " does not exist"
		case g.VPCID == "":
			why = "internet gateway " + route.Target + " is detached"
		default:
			why = "internet gateway " + route.Target + " is attached to " + g.VPCID
		}
	}
	if route.Kind == emulator.TargetNAT {
		switch n := tx.NatGateway(route.Target); {
		case n == nil:
			why = "NAT gateway " + route.Target + " does not exist"
		default:
			why = "NAT gateway " + route.Target + " is " + n.State
		}
	}
	if route.Kind == emulator.TargetVGW {
		switch g := tx.VpnGateway(route.Target); {
		case g == nil || g.State == emulator.GatewayDeleted:
			why = "virtual private gateway " + route.Target + " does not exist"
		case g.AttachState != emulator.AttachAttached:
			why = "virtual private gateway " + route.Target + " is detached"
		default:
			why = "virtual private gateway " + route.Target + " is attached to " + g.VPCID
		}
	}
	if route.Kind == emulator.TargetInstance {
		why = "instance " + route.Target + " is not running"
	}
	if route.Kind == emulator.TargetENI {
		switch n := tx.NetworkInterface(route.Target); {
		case n == nil:
			why = "network interface " + route.Target + " does not exist"
		case n.Attachment == nil:
			why = "network interface " + route.Target + " is not attached to an instance"
		default:
			why = "instance " + n.Attachment.InstanceID + " of network interface " + route.Target + " is not running"
		}
	}
	if route.Kind == emulator.TargetPeering {
		switch p := tx.Peering(route.Target); {
		case p == nil:
			why = "peering connection " + route.Target + " does not exist"
		case !p.Connects(rt.VPCID):
			why = "peering connection " + route.Target + " does not connect " + rt.VPCID
		default:
			why = fmt.Sprintf("peering connection %s is %s", p.ID, p.Status(tx.Now()))
		}
	}
	return fmt.Sprintf("route %s → %s in %s is blackhole: %s", route.Dst, route.Target, rt.ID, why)
}

func peeringLinkKey(p *emulator.Peering) string { return "pcx|" + p.ID }

func (r *renderer) renderPeering(p *emulator.Peering) {
	if !p.Active(r.tx.Now()) || r.tx.VPC(p.Requester.VPCID) == nil || r.tx.VPC(p.Accepter.VPCID) == nil {
		return
	}
	a, b := p2p(r.linkIndex(peeringLinkKey(p)))
	ifn := pcxIfname(p.ID)
	r.link(&netspec.Link{
		A: netspec.End{Host: VPCHost(p.Requester.VPCID), Ifname: ifn, Addrs: []netip.Prefix{a}, Label: p.ID},
		B: netspec.End{Host: VPCHost(p.Accepter.VPCID), Ifname: ifn, Addrs: []netip.Prefix{b}, Label: p.ID},
	})
	// Traffic arriving over the peering may only be delivered inside the receiving VPC.
	for _, vpcID := range []string{p.Requester.VPCID, p.Accepter.VPCID} {
		h := r.host(VPCHost(vpcID))
		h.Rules = append(h.Rules, netspec.Rule{Priority: rulePriority + 500 + len(h.Rules), Iif: ifn, Table: edgeTable})
	}
}

// attach links a host's eth0 into a subnet's bridge on its VPC router.
func (r *renderer) attach(h *netspec.Host, key string, s *emulator.Subnet, ip netip.Addr) {
	r.link(&netspec.Link{
		A: netspec.End{Host: h.Name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(ip, s.CIDR.Bits())}},
		B: netspec.End{Host: VPCHost(s.VPCID), Ifname: shortName("h", key), Bridge: bridgeName(s.ID)},
	})
	h.Routes = append(h.Routes, netspec.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: s.GatewayAddr(), Dev: "eth0", Why: "default route to the VPC router"})
}

func (r *renderer) renderInstance(i *emulator.Instance) {
	tx := r.tx
	s := tx.Subnet(i.SubnetID)
	v := tx.VPC(i.VPCID)
	if s == nil || v == nil {
		return
	}
	h := r.addHost(&netspec.Host{
		Name: InstanceHost(i.ID), Kind: "instance", Aliases: []string{i.ID, i.HostName(), i.PrivateDNSName()},
		Hostname: i.PrivateDNSName(),
	})
	h.Resolvers, h.Search = tx.InstanceResolvers(v) // the VPC's DHCP options
	if name := i.Tags["Name"]; name != "" {
		h.Aliases = append(h.Aliases, name)
	}
	h.Aliases = append(h.Aliases, i.ENIID)
	r.own(h.Name, i.ID, i.ENIID)
	r.own(h.Name, i.SecurityGroupIDs...)
	r.attach(h, i.ID, s, i.PrivateIP)
	r.spec.Links[len(r.spec.Links)-1].A.Label = i.ENIID // the interface is the ENI: check names it
	enis := r.renderSecondaryENIs(h, i)
	h.Filter = r.securityGroupFilter(i, v, enis)
	r.forwardChain(h, i, append([]*emulator.NetworkInterface{r.tx.InstanceInterfaces(i.ID)[0]}, enis...))
	h.Services = append(h.Services, builtinServices(i.PrivateIP, i.Services, i.HostName())...)
	for k := range h.Services { // the instance's programs listen on its other interfaces too
		for _, n := range enis {
			h.Services[k].Listen = append(h.Services[k].Listen, netip.AddrPortFrom(n.PrivateIP, h.Services[k].Listen[0].Port()))
		}
	}
	if strings.HasPrefix(i.UserData, "#!") {
		// cloud-init's plain-script case: the script runs once, when the instance boots.
		h.Services = append(h.Services, netspec.Service{Name: "user-data", Kind: "command", Cmd: &netspec.CommandConfig{
			Argv: []string{"/bin/sh", "-c", `f=$(mktemp) && printf '%s' "$SPACELAB_USER_DATA" > "$f" && chmod +x "$f" && exec "$f"`},
			Env:  []string{"SPACELAB_USER_DATA=" + i.UserData}}})
	}
}

// securityGroupFilter renders the instance's security groups: two independent, stateful,
// allow-only gates. Traffic to and from AmazonProvidedDNS is never filtered.
func (r *renderer) securityGroupFilter(i *emulator.Instance, v *emulator.VPC, enis []*emulator.NetworkInterface) *netspec.Filter {
	tx := r.tx
	groups := strings.Join(i.SecurityGroupIDs, ", ")
	in := netspec.Chain{Name: "sg-ingress", Hook: netspec.Input, Policy: netspec.Drop,
		PolicyWhy: fmt.Sprintf("no inbound rule of %s on %s allows it", groups, i.ID), PolicyCode: "SG_INGRESS_DENIED",
		Rules: []netspec.FilterRule{
			{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the instance accepted or opened (security groups are stateful)"},
			{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
		}}
	out := netspec.Chain{Name: "sg-egress", Hook: netspec.Output, Policy: netspec.Drop,
		PolicyWhy: fmt.Sprintf("no outbound rule of %s on %s allows it", groups, i.ID), PolicyCode: "SG_EGRESS_DENIED",
		Rules: []netspec.FilterRule{
			{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the instance accepted (security groups are stateful)"},
			{Oif: "lo", Verdict: netspec.Accept, Why: "loopback"},
			{Dst: netip.PrefixFrom(v.ResolverAddr(), 32), Verdict: netspec.Accept, Why: "AmazonProvidedDNS is never filtered"},
		}}
	// A secondary interface's groups decide for its own address, ahead of the primary's.
	for _, n := range enis {
		in.Rules = append(in.Rules, r.secondaryENIRules(i, n, false)...)
		out.Rules = append(out.Rules, r.secondaryENIRules(i, n, true)...)
	}
	for _, gid := range i.SecurityGroupIDs {
		g := tx.SecurityGroup(gid)
		if g == nil {
			continue
		}
		for _, rule := range g.Ingress {
			in.Rules = append(in.Rules, r.sgFilterRules(g, rule, false)...)
		}
		for _, rule := range g.Egress {
			out.Rules = append(out.Rules, r.sgFilterRules(g, rule, true)...)
		}
	}
	return &netspec.Filter{Chains: []netspec.Chain{in, out}}
}

// sgFilterRules turns one security group rule into a filter rule: from (to) a CIDR, or from
// (to) the addresses of a group's members as one set.
func (r *renderer) sgFilterRules(g *emulator.SecurityGroup, rule *emulator.SGRule, egress bool) []netspec.FilterRule {
	dir := "inbound"
	if egress {
		dir = "outbound"
	}
	if rule.Protocol == "icmpv6" || (rule.Group == nil && rule.PrefixListID == "" && emulator.IsIPv6(rule.CIDR)) {
		// The data plane carries IPv4 only: an IPv6 rule has no packet to match.
		return nil
	}
	why := fmt.Sprintf("%s %s rule %s", g.ID, dir, emulator.RuleText(rule))
	base := netspec.FilterRule{Verdict: netspec.Accept, Why: why}
	switch rule.Protocol {
	case "-1":
	case "tcp":
		base.Proto = netspec.TCP
	case "udp":
		base.Proto = netspec.UDP
	case "icmp":
		base.Proto = netspec.ICMP
		if rule.FromPort >= 0 {
			base.ICMPType, base.HasICMPType = uint8(rule.FromPort), true
		}
	default:
		var n int
		fmt.Sscan(rule.Protocol, &n)
		base.Proto = uint8(n)
	}
	if base.Proto == netspec.TCP || base.Proto == netspec.UDP {
		if !(rule.FromPort == 0 && rule.ToPort == 65535) && rule.FromPort >= 0 {
			base.PortFrom, base.PortTo = uint16(rule.FromPort), uint16(rule.ToPort)
		}
	}
	fr := base
	if rule.Group != nil {
		// One rule over the group's member addresses (a set in the kernel); no members, no rule.
		members := r.groupMembers(rule.Group.GroupID)
		if len(members) == 0 {
			return nil
		}
		if egress {
			fr.DstIn = members
		} else {
			fr.SrcIn = members
		}
		return []netspec.FilterRule{fr}
	}
	if rule.PrefixListID != "" {
		return r.prefixListRule(fr, rule.PrefixListID, egress)
	}
	if egress {
		fr.Dst = rule.CIDR
	} else {
		fr.Src = rule.CIDR
	}
	return []netspec.FilterRule{fr}
}

// groupMembers returns the addresses of a security group's instances, computed once per render
// and shared by every rule that references the group.
func (r *renderer) groupMembers(groupID string) []netip.Prefix {
	if r.members == nil {
		r.members, r.merged = map[string][]netip.Prefix{}, map[string]bool{}
		for _, i := range r.tx.Instances() {
			if i.State == "terminated" {
				continue // as Tx.InstancesIn
			}
			for _, g := range slices.Compact(slices.Sorted(slices.Values(i.SecurityGroupIDs))) {
				r.members[g] = append(r.members[g], netip.PrefixFrom(i.PrivateIP, 32))
			}
		}
		// Interfaces of their own are members with their addresses too.
		for _, n := range r.tx.NetworkInterfaces() {
			if n.Primary {
				continue
			}
			for _, g := range slices.Compact(slices.Sorted(slices.Values(n.SecurityGroupIDs))) {
				r.members[g] = append(r.members[g], netip.PrefixFrom(n.PrivateIP, 32))
			}
		}
	}
	if ps, ok := r.members[groupID]; ok && !r.merged[groupID] {
		r.members[groupID] = exactCover(ps)
		r.merged[groupID] = true
	}
	return r.members[groupID]
}

// exactCover returns the fewest prefixes covering exactly the union of ps. Instances get
// consecutive addresses, so a group's members usually collapse into a handful of prefixes:
// the rule each member's filter carries stays small however big the group grows.
func exactCover(ps []netip.Prefix) []netip.Prefix {
	type span struct{ lo, hi uint64 }
	var spans []span
	for _, p := range ps {
		p = p.Masked()
		b := p.Addr().As4()
		lo := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		spans = append(spans, span{lo, lo + 1<<(32-p.Bits()) - 1})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var merged []span
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp.lo <= merged[n-1].hi+1 {
			merged[n-1].hi = max(merged[n-1].hi, sp.hi)
			continue
		}
		merged = append(merged, sp)
	}
	var out []netip.Prefix
	for _, sp := range merged {
		for lo := sp.lo; lo <= sp.hi; {
			bits := 32
			for bits > 0 {
				size := uint64(1) << (32 - (bits - 1))
				if lo%size != 0 || lo+size-1 > sp.hi {
					break
				}
				bits--
			}
			out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(lo >> 24), byte(lo >> 16), byte(lo >> 8), byte(lo)}), bits))
			lo += uint64(1) << (32 - bits)
		}
	}
	return out
}

// renderNACLs turns each network ACL of the VPC's subnets into two stateless regular chains on
// the VPC router (outbound rules for packets leaving a subnet, arriving on its bridge; inbound
// rules for packets entering it, leaving by its bridge), reached from two base chains through
// one verdict map each: subnet bridge → its ACL's chain. So the rules grow with the ACLs' entries
// plus the subnets, not entries × subnets. In a chain, rules are evaluated in rule-number order,
// the first match decides, and the final "*" rule denies. Traffic inside a subnet is bridged and
// never meets them, nor does traffic to the VPC router itself (AmazonProvidedDNS).
func (r *renderer) renderNACLs(h *netspec.Host, subnets []*emulator.Subnet) {
	outJump, inJump := map[string]string{}, map[string]string{}
	var acls []*emulator.NetworkACL
	where := map[string][]string{} // ACL → its subnets here
	for _, s := range subnets {
		acl := r.tx.SubnetNetworkACL(s.ID)
		if acl == nil {
			continue
		}
		if where[acl.ID] == nil {
			acls = append(acls, acl)
		}
		where[acl.ID] = append(where[acl.ID], s.ID)
		br := bridgeName(s.ID)
		outJump[br], inJump[br] = naclChain(acl, true), naclChain(acl, false)
	}
	if len(acls) == 0 {
		return
	}
	if h.Filter == nil {
		h.Filter = &netspec.Filter{}
	}
	h.Filter.Chains = append(h.Filter.Chains,
		netspec.Chain{Name: "nacl-outbound", Hook: netspec.Forward, Policy: netspec.Accept, Rules: []netspec.FilterRule{
			{JumpIif: outJump, Why: "packets leaving a subnet meet its network ACL's outbound rules"}}},
		netspec.Chain{Name: "nacl-inbound", Hook: netspec.Forward, Policy: netspec.Accept, Rules: []netspec.FilterRule{
			{JumpOif: inJump, Why: "packets entering a subnet meet its network ACL's inbound rules"}}})
	for _, acl := range acls {
		label := acl.ID + " (subnet " + where[acl.ID][0] + ")"
		if n := len(where[acl.ID]); n > 1 {
			label = fmt.Sprintf("%s (shared by %d subnets)", acl.ID, n)
		}
		entries := append([]*emulator.NACLEntry(nil), acl.Entries...)
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].RuleNumber < entries[j].RuleNumber })
		out := netspec.Chain{Name: naclChain(acl, true)}
		in := netspec.Chain{Name: naclChain(acl, false)}
		for _, e := range entries {
			if emulator.IsIPv6(e.CIDR) {
				continue // IPv4 data plane: an IPv6 entry has no packet to match
			}
			fr := naclRule(label, e)
			if e.Egress {
				out.Rules = append(out.Rules, fr)
			} else {
				in.Rules = append(in.Rules, fr)
			}
		}
		out.Rules = append(out.Rules, netspec.FilterRule{Verdict: netspec.Drop, Code: "NACL_DENIED",
			Why: label + ": no outbound rule matches, so the final * rule denies it"})
		in.Rules = append(in.Rules, netspec.FilterRule{Verdict: netspec.Drop, Code: "NACL_DENIED",
			Why: label + ": no inbound rule matches, so the final * rule denies it"})
		h.Filter.Chains = append(h.Filter.Chains, out, in)
	}
}

// naclChain names the regular chain of an ACL's outbound (egress) or inbound rules.
func naclChain(acl *emulator.NetworkACL, egress bool) string {
	if egress {
		return acl.ID + "-out"
	}
	return acl.ID + "-in"
}

// naclRule renders one entry; label names the ACL (and its subnet) in the rule's Why.
func naclRule(label string, e *emulator.NACLEntry) netspec.FilterRule {
	fr := netspec.FilterRule{Verdict: netspec.Drop}
	action := "deny"
	if e.Allow {
		fr.Verdict, action = netspec.Accept, "allow"
	}
	dir, peer := "inbound", "from"
	if e.Egress {
		dir, peer = "outbound", "to"
		fr.Dst = e.CIDR
	} else {
		fr.Src = e.CIDR
	}
	what := "all traffic"
	switch e.Protocol {
	case "-1":
	case "6", "17":
		fr.Proto = netspec.TCP
		name := "tcp"
		if e.Protocol == "17" {
			fr.Proto, name = netspec.UDP, "udp"
		}
		what = name
		if !(e.FromPort == 0 && e.ToPort == 65535) {
			fr.PortFrom, fr.PortTo = uint16(e.FromPort), uint16(e.ToPort)
			what = fmt.Sprintf("%s/%d-%d", name, e.FromPort, e.ToPort)
		}
	case "1":
		fr.Proto, what = netspec.ICMP, "icmp"
		if e.ICMPType >= 0 {
			fr.ICMPType, fr.HasICMPType = uint8(e.ICMPType), true
		}
	default:
		var n int
		fmt.Sscan(e.Protocol, &n)
		fr.Proto, what = uint8(n), "protocol "+e.Protocol
	}
	fr.Why = fmt.Sprintf("%s %s rule %d: %s %s %s %s", label, dir, e.RuleNumber, action, what, peer, e.CIDR)
	if fr.Verdict == netspec.Drop {
		fr.Code = "NACL_DENIED"
	}
	return fr
}

// publicMapping is one private address an internet gateway maps to a public one.
type publicMapping struct {
	private, public netip.Addr
	owner, what     string // the model object, and how its public address came to be
}

// publicMappings lists the VPC's addresses that have a public IPv4 address: instances (their own
// public IP, or an associated Elastic IP), attached interfaces with an Elastic IP, and live NAT
// gateways (their Elastic IP).
func (r *renderer) publicMappings(v *emulator.VPC) []publicMapping {
	var out []publicMapping
	for _, i := range r.tx.Instances() {
		pub := r.tx.PublicIPOf(i)
		if i.VPCID != v.ID || !pub.IsValid() || i.State == "terminated" {
			continue
		}
		what := "public IP"
		if e := r.tx.InstanceElasticIP(i.ID); e != nil {
			what = "Elastic IP " + e.AllocationID
		}
		out = append(out, publicMapping{private: i.PrivateIP, public: pub, owner: i.ID, what: what})
	}
	for _, e := range r.tx.ElasticIPs() {
		// An Elastic IP on an instance's other interface reaches it while it is attached.
		n := r.tx.NetworkInterface(e.NetworkInterfaceID)
		if e.NetworkInterfaceID == "" || n == nil || n.VPCID != v.ID || n.Attachment == nil {
			continue
		}
		if i := r.tx.Instance(n.Attachment.InstanceID); i == nil || i.State == "terminated" {
			continue
		}
		out = append(out, publicMapping{private: n.PrivateIP, public: e.PublicIP, owner: n.ID, what: "Elastic IP " + e.AllocationID})
	}
	for _, n := range r.tx.NatGateways() {
		if n.VPCID == v.ID && n.Live() {
			out = append(out, publicMapping{private: n.PrivateIP, public: n.PublicIP, owner: n.ID, what: "Elastic IP " + n.AllocationID})
		}
	}
	return out
}

// renderIGW gives a VPC with an attached internet gateway its one-to-one NAT: each instance or
// NAT gateway with a public IP is reachable at it from the internet and leaves by it; instances
// without one cannot use the gateway.
func (r *renderer) renderIGW(v *emulator.VPC, h *netspec.Host) {
	igw := attachedIGW(r.tx, v)
	if igw == nil {
		return
	}
	if h.Filter == nil {
		h.Filter = &netspec.Filter{}
	}
	chain := netspec.Chain{Name: "igw", Hook: netspec.Forward, Policy: netspec.Accept}
	for _, m := range r.publicMappings(v) {
		h.Filter.DNAT = append(h.Filter.DNAT, netspec.DNATRule{Iif: wanIf, Dst: m.public, To: m.private,
			Why: fmt.Sprintf("%s: %s %s of %s", igw.ID, m.what, m.public, m.owner)})
		h.Filter.SNAT = append(h.Filter.SNAT, netspec.SNATRule{Oif: wanIf, Src: netip.PrefixFrom(m.private, 32), To: m.public,
			Why: fmt.Sprintf("%s: %s leaves by its %s %s", igw.ID, m.owner, m.what, m.public)})
		chain.Rules = append(chain.Rules, netspec.FilterRule{Oif: wanIf, Src: netip.PrefixFrom(m.private, 32), Verdict: netspec.Accept,
			Why: fmt.Sprintf("%s has %s %s", m.owner, m.what, m.public)})
	}
	for _, b := range v.IPv4CIDRs() {
		chain.Rules = append(chain.Rules, netspec.FilterRule{Oif: wanIf, Src: b, Verdict: netspec.Drop, Code: "NO_PUBLIC_IP",
			Why: fmt.Sprintf("the source has no public IPv4 address, and %s only carries traffic of instances that have one", igw.ID)})
	}
	h.Filter.Chains = append(h.Filter.Chains, chain)
}

// attachedIGW is the internet gateway attached to a VPC, or nil.
func attachedIGW(tx *emulator.Tx, v *emulator.VPC) *emulator.InternetGateway {
	var igw *emulator.InternetGateway
	for _, g := range tx.InternetGateways() {
		if g.VPCID == v.ID {
			igw = g
		}
	}
	return igw
}

// renderVPCInternet adds what the internet knows of a VPC: routes to its public addresses by
// its wan link (those of instances and NAT gateways through an attached internet gateway, a
// space's outbound IPs). It is a unit of its own, after the VPC's: a change the internet sees
// renders these routes again, not the VPC router.
func (r *renderer) renderVPCInternet(v *emulator.VPC) {
	_, vpcSide := p2p(r.linkIndex("wan|" + v.ID))
	dev := shortName("w", v.ID)
	if v.Role == emulator.RoleSpace {
		sp := spaceNAT(r.tx, v)
		if sp == nil {
			return
		}
		for _, a := range sp.NATAddrs {
			r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: netip.PrefixFrom(a, 32), Via: vpcSide.Addr(), Dev: dev,
				Why: "outbound IP of space " + sp.Name})
		}
		return
	}
	igw := attachedIGW(r.tx, v)
	if igw == nil {
		return
	}
	for _, m := range r.publicMappings(v) {
		r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: netip.PrefixFrom(m.public, 32), Via: vpcSide.Addr(),
			Dev: dev, Why: fmt.Sprintf("%s of %s (%s)", m.what, m.owner, igw.ID)})
	}
}

// NatGatewayHost is the rendered host of a NAT gateway.
func NatGatewayHost(id string) string { return "natgw/" + id }

// renderNatGateway gives a live NAT gateway its host: an address in its subnet that forwards what
// is routed to it, translated to its own address (so the internet gateway maps it to the Elastic
// IP), by its subnet's route table. Nothing from outside can open a connection through it.
func (r *renderer) renderNatGateway(n *emulator.NatGateway) {
	s := r.tx.Subnet(n.SubnetID)
	v := r.tx.VPC(n.VPCID)
	if s == nil || v == nil || !n.Live() {
		return
	}
	h := r.addHost(&netspec.Host{Name: NatGatewayHost(n.ID), Kind: "nat-gateway", Aliases: []string{n.ID}, Hostname: n.ID, Forwarding: true,
		Resolvers: []netip.Addr{v.ResolverAddr()}})
	r.own(h.Name, n.ID, n.AllocationID)
	r.attach(h, n.ID, s, n.PrivateIP)
	var snat []netspec.SNATRule
	rules := []netspec.FilterRule{{Established: true, Verdict: netspec.Accept, Why: "reply to a connection opened through " + n.ID}}
	for _, b := range v.IPv4CIDRs() {
		snat = append(snat, netspec.SNATRule{Oif: "eth0", Src: b, To: n.PrivateIP,
			Why: fmt.Sprintf("%s translates %s to its address %s (Elastic IP %s)", n.ID, b, n.PrivateIP, n.PublicIP)})
		rules = append(rules, netspec.FilterRule{Src: b, Verdict: netspec.Accept, Why: n.ID + " forwards traffic from " + b.String()})
	}
	h.Filter = &netspec.Filter{
		SNAT: snat,
		Chains: []netspec.Chain{{Name: "natgw", Hook: netspec.Forward, Policy: netspec.Drop, PolicyCode: "NAT_GATEWAY_INBOUND",
			PolicyWhy: n.ID + " forwards only connections opened from inside " + v.ID,
			Rules:     rules}},
	}
}

// joinPrefixes writes prefixes as "a, b".
func joinPrefixes(ps []netip.Prefix) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}
