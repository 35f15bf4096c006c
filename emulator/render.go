package emulator

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"sort"
	"strings"

	"spacelab/netspec"
)

// How the model becomes a network (see DESIGN.md, "What each real thing becomes"):
//
//   - internet: one router host with the public resolver; every VPC router hangs off it by a
//     "wan" link (AWS's own backbone, used by the VPC's resolver; instance traffic reaches it only
//     through an internet gateway route).
//   - each VPC: a router host. Each subnet is a bridge in it whose address is the subnet's
//     gateway (base+1); each route table is a kernel routing table, chosen by a policy rule on
//     the bridge the packet arrived on. Traffic that arrives over a peering or from the wan may
//     only be delivered inside the VPC (its own table has nothing else): no transitive routing.
//     AmazonProvidedDNS answers on base+2.
//   - each active peering: a link between the two VPC routers. Routes to a peering that is not
//     active are blackhole routes.
//   - each instance and dyno: a host with one interface in its subnet; security groups are a
//     stateful nftables filter on it, egress and ingress being separate chains.
//   - an internal-routing app: one router host per internal address, an HTTP proxy to the web
//     dynos adding "Via: 1.1 spaces-router (tag)".

// Fixed names and numbers of the rendered network.
const (
	HostInternet    = "internet"
	wanIf           = "wan"
	edgeTable       = 99  // table for traffic that entered a VPC router from outside
	firstRouteTable = 100 // route tables get 100, 101, … per VPC
	rulePriority    = 1000
	dnsTTL          = 60
	catchAllMetric  = 65535
)

// PublicDNSDefault is the internet's resolver when the world names none.
var PublicDNSDefault = netip.MustParseAddr("198.51.100.53")

var linkNet = netip.MustParsePrefix("169.254.0.0/16") // point-to-point links between routers

// addrBook keeps allocations stable across renders: link subnets and route table numbers are
// handed out once and kept while their owner exists.
type addrBook struct {
	links  map[string]int // link key → /30 index in linkNet
	tables map[string]int // route table id → kernel table number
}

func newAddrBook() *addrBook {
	return &addrBook{links: map[string]int{}, tables: map[string]int{}}
}

func (b *addrBook) linkIndex(key string, live map[string]bool) int {
	live[key] = true
	if i, ok := b.links[key]; ok {
		return i
	}
	used := map[int]bool{}
	for _, i := range b.links {
		used[i] = true
	}
	i := 1
	for used[i] {
		i++
	}
	b.links[key] = i
	return i
}

func (b *addrBook) table(rtbID string, vpcTables map[int]bool) int {
	if t, ok := b.tables[rtbID]; ok {
		vpcTables[t] = true
		return t
	}
	t := firstRouteTable
	for vpcTables[t] {
		t++
	}
	vpcTables[t] = true
	b.tables[rtbID] = t
	return t
}

func (b *addrBook) gc(liveLinks map[string]bool, liveTables map[string]bool) {
	for k := range b.links {
		if !liveLinks[k] {
			delete(b.links, k)
		}
	}
	for k := range b.tables {
		if !liveTables[k] {
			delete(b.tables, k)
		}
	}
}

// p2p returns the two addresses of link number i.
func p2p(i int) (netip.Prefix, netip.Prefix) {
	base := linkNet.Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(i*4)
	a := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	return netip.PrefixFrom(a.Next(), 30), netip.PrefixFrom(a.Next().Next(), 30)
}

// Host names in the rendered network.
func VPCHost(vpcID string) string      { return "vpc/" + vpcID }
func InstanceHost(id string) string    { return "instance/" + id }
func DynoHost(app, dyno string) string { return "dyno/" + app + "/" + dyno }
func RouterHost(app string, i int) string {
	return fmt.Sprintf("router/%s/%d", app, i+1)
}

func shortName(prefix, key string) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	return fmt.Sprintf("%s%010x", prefix, h.Sum64()&0xffffffffff)
}

func bridgeName(subnetID string) string { return shortName("s", subnetID) }
func pcxIfname(pcxID string) string     { return shortName("p", pcxID) }

type renderer struct {
	publicRecords []netspec.DNSRecord
	tx            *Tx
	book          *addrBook
	spec          *netspec.Spec
	liveLinks     map[string]bool
	liveRtbs      map[string]bool
	publicDNS     netip.Addr
	internet      *netspec.Host
}

// Render turns the world into the network that enforces it. book keeps link addresses and
// table numbers stable between calls; pass the same one every time.
func (tx *Tx) render(book *addrBook) *netspec.Spec {
	r := &renderer{tx: tx, book: book, spec: &netspec.Spec{}, liveLinks: map[string]bool{}, liveRtbs: map[string]bool{},
		publicDNS: tx.w.opts.PublicDNS}
	if !r.publicDNS.IsValid() {
		r.publicDNS = PublicDNSDefault
	}
	r.renderInternet()
	for _, v := range tx.VPCs() {
		r.renderVPC(v)
	}
	for _, p := range tx.Peerings() {
		r.renderPeering(p)
	}
	for _, i := range tx.Instances() {
		if i.State == "running" || i.State == "pending" {
			r.renderInstance(i)
		}
	}
	for _, sp := range tx.Spaces() {
		for _, app := range tx.AppsIn(sp.ID) {
			r.renderApp(sp, app)
		}
	}
	for _, d := range tx.DataServices("") {
		r.renderData(d)
	}
	for _, ih := range tx.InternetHosts() {
		r.renderInternetHost(ih)
	}
	r.finishInternet()
	book.gc(r.liveLinks, r.liveRtbs)
	r.spec.Sort()
	return r.spec
}

func (r *renderer) addHost(h *netspec.Host) *netspec.Host {
	r.spec.Hosts = append(r.spec.Hosts, h)
	return h
}

func (r *renderer) link(l *netspec.Link) {
	r.spec.Links = append(r.spec.Links, l)
}

func (r *renderer) renderInternet() {
	r.internet = r.addHost(&netspec.Host{
		Name: HostInternet, Kind: "internet", Hostname: "internet", Forwarding: true,
		Loopback:  []netip.Prefix{netip.PrefixFrom(r.publicDNS, 32)},
		Resolvers: []netip.Addr{r.publicDNS},
	})
	for _, p := range rfc1918 {
		r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: p, Type: netspec.Blackhole,
			Why: "private addresses (" + p.String() + ") are not routed on the internet"})
	}
}

// finishInternet adds the public resolver once every app's name is known.
func (r *renderer) finishInternet() {
	records := r.publicRecords
	for _, app := range r.tx.Apps() {
		var addrs []netip.Addr
		if app.InternalRouting {
			// Internal-routing apps publish their internal router addresses in public DNS, so
			// peered and VPN networks find them (the seed's dig shows 10.0.x addresses).
			addrs = app.RouterAddrs
		}
		for _, a := range addrs {
			records = append(records, netspec.DNSRecord{Name: strings.ToLower(app.WebHost()) + ".", Addr: a, TTL: dnsTTL})
		}
	}
	r.internet.Services = append(r.internet.Services, netspec.Service{
		Name: "public-dns", Kind: "dns", Listen: []netip.AddrPort{netip.AddrPortFrom(r.publicDNS, 53)},
		DNS: &netspec.DNSConfig{Zones: []string{"."}, Records: records},
	})
}

func (r *renderer) renderVPC(v *VPC) {
	tx := r.tx
	h := r.addHost(&netspec.Host{
		Name: VPCHost(v.ID), Kind: "vpc-router", Aliases: []string{v.ID}, Hostname: v.ID, Forwarding: true,
		Resolvers: []netip.Addr{r.publicDNS},
	})
	if name := v.Tags["Name"]; name != "" && tx.vpcNameUnique(name) {
		h.Aliases = append(h.Aliases, name)
	}
	subnets := tx.SubnetsOf(v.ID)
	// The wan link: the VPC's way to AWS's own services and (through an internet gateway) out.
	wanKey := "wan|" + v.ID
	inet, vpcSide := p2p(r.book.linkIndex(wanKey, r.liveLinks))
	r.link(&netspec.Link{
		A: netspec.End{Host: HostInternet, Ifname: shortName("w", v.ID), Addrs: []netip.Prefix{inet}, Label: "wan-" + v.ID},
		B: netspec.End{Host: h.Name, Ifname: wanIf, Addrs: []netip.Prefix{vpcSide}},
	})
	h.Routes = append(h.Routes, netspec.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: inet.Addr(), Dev: wanIf, Why: "the VPC's own traffic (resolver) leaves by the wan"})
	for _, s := range subnets {
		h.Bridges = append(h.Bridges, netspec.Bridge{Name: bridgeName(s.ID), Addrs: []netip.Prefix{netip.PrefixFrom(s.GatewayAddr(), s.CIDR.Bits())}})
	}
	// Local delivery: what every table knows about the VPC itself.
	local := func(table int) []netspec.Route {
		var out []netspec.Route
		for _, s := range subnets {
			out = append(out, netspec.Route{Table: table, Dst: s.CIDR, Dev: bridgeName(s.ID), Why: "local route " + v.CIDR.String()})
		}
		out = append(out, netspec.Route{Table: table, Dst: v.CIDR, Type: netspec.Blackhole, Metric: catchAllMetric, Why: "no subnet holds this part of " + v.CIDR.String()})
		return out
	}
	h.Routes = append(h.Routes, local(edgeTable)...)
	h.Routes = append(h.Routes, netspec.Route{Table: edgeTable, Dst: netip.MustParsePrefix("0.0.0.0/0"), Type: netspec.Blackhole, Metric: catchAllMetric,
		Why: "traffic from outside the VPC is only delivered inside it"})
	// Route tables.
	tables := map[int]bool{edgeTable: true}
	rtbTable := map[string]int{}
	for _, rt := range tx.RouteTables() {
		if rt.VPCID != v.ID {
			continue
		}
		r.liveRtbs[rt.ID] = true
		t := r.book.table(rt.ID, tables)
		rtbTable[rt.ID] = t
		h.Routes = append(h.Routes, local(t)...)
		for _, route := range rt.Routes {
			h.Routes = append(h.Routes, r.kernelRoute(v, rt, route, t))
		}
		h.Routes = append(h.Routes, netspec.Route{Table: t, Dst: netip.MustParsePrefix("0.0.0.0/0"), Type: netspec.Blackhole, Metric: catchAllMetric,
			Why: tx.noRouteWhy(v, rt)})
	}
	if v.Role == RoleSpace {
		r.renderSpaceNAT(v, h, inet, vpcSide, tables)
	}
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
		Zones:          []string{InternalDomain(v.Region) + "."},
		Forwarders:     []netip.AddrPort{netip.AddrPortFrom(r.publicDNS, 53)},
		AllowedSources: []netip.Prefix{v.CIDR},
	}
	for _, i := range tx.Instances() {
		if i.VPCID == v.ID && i.State != "terminated" {
			cfg.Records = append(cfg.Records, netspec.DNSRecord{Name: i.PrivateDNSName() + ".", Addr: i.PrivateIP, TTL: dnsTTL})
		}
	}
	if v.Role == RoleSpace {
		if sp := tx.w.spaces[v.SpaceID]; sp != nil {
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
	h.Filter.Chains = append(h.Filter.Chains, netspec.Chain{Name: "input", Hook: netspec.Input, Policy: netspec.Accept, Rules: []netspec.FilterRule{
		{Src: v.CIDR, Dst: netip.PrefixFrom(resolver, 32), Verdict: netspec.Accept, Why: "AmazonProvidedDNS serves its own VPC"},
		{Dst: netip.PrefixFrom(resolver, 32), Proto: netspec.UDP, PortFrom: 53, PortTo: 53, Verdict: netspec.Drop, Why: "AmazonProvidedDNS of " + v.ID + " does not answer outside the VPC"},
		{Dst: netip.PrefixFrom(resolver, 32), Proto: netspec.TCP, PortFrom: 53, PortTo: 53, Verdict: netspec.Drop, Why: "AmazonProvidedDNS of " + v.ID + " does not answer outside the VPC"},
	}})
}

// renderSpaceNAT gives a space its way out: every route table of the space VPC sends what it
// has no other route for to the internet, and dynos leave with one of the space's four stable
// outbound addresses (dyno n uses address n mod 4), which the internet routes back to the space.
func (r *renderer) renderSpaceNAT(v *VPC, h *netspec.Host, inet, vpcSide netip.Prefix, tables map[int]bool) {
	tx := r.tx
	sp := tx.w.spaces[v.SpaceID]
	if sp == nil || len(sp.NATAddrs) == 0 || sp.NATState != "enabled" {
		return
	}
	for t := range tables {
		if t == edgeTable {
			continue
		}
		h.Routes = append(h.Routes, netspec.Route{Table: t, Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: inet.Addr(), Dev: wanIf, Metric: 100,
			Why: "the space's NAT: outbound traffic leaves by its stable outbound IPs"})
	}
	if h.Filter == nil {
		h.Filter = &netspec.Filter{}
	}
	n := 0
	for _, app := range tx.AppsIn(sp.ID) {
		for _, d := range app.Dynos {
			if !d.PrivateIP.IsValid() {
				continue
			}
			to := sp.NATAddrs[n%len(sp.NATAddrs)]
			h.Filter.SNAT = append(h.Filter.SNAT, netspec.SNATRule{Oif: wanIf, Src: netip.PrefixFrom(d.PrivateIP, 32), To: to,
				Why: fmt.Sprintf("%s/%s leaves %s by outbound IP %s", app.Name, d.Name(), sp.Name, to)})
			n++
		}
	}
	for _, a := range sp.NATAddrs {
		r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: netip.PrefixFrom(a, 32), Via: vpcSide.Addr(), Dev: shortName("w", v.ID),
			Why: "outbound IP of space " + sp.Name})
	}
}

// renderData places a data service in its space's data VPC. Only the space's dynos reach it
// (other networks cannot route to the data VPC: peering is not transitive); with trusted IPs it
// also has a public endpoint that only those ranges may use.
func (r *renderer) renderData(d *DataService) {
	tx := r.tx
	sp := tx.w.spaces[d.SpaceID]
	if sp == nil {
		return
	}
	dvpc := tx.w.vpcs[sp.DataVPCID]
	subs := tx.SubnetsOf(dvpc.ID)
	if len(subs) == 0 {
		return
	}
	h := r.addHost(&netspec.Host{Name: "data/" + d.Name, Kind: "data", Aliases: []string{d.Name}, Hostname: d.Name,
		Resolvers: []netip.Addr{dvpc.ResolverAddr()}})
	r.attach(h, "data|"+d.Name, subs[0], d.Addr)
	port := d.Port()
	listen := []netip.AddrPort{netip.AddrPortFrom(d.Addr, port)}
	rules := []netspec.FilterRule{
		{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the data service accepted"},
		{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
		{Src: sp.CIDR, Proto: netspec.TCP, PortFrom: port, PortTo: port, Verdict: netspec.Accept,
			Why: fmt.Sprintf("the dynos of %s reach %s", sp.Name, d.Name)},
	}
	why := fmt.Sprintf("%s accepts connections only from the dynos of %s", d.Name, sp.Name)
	if len(d.TrustedIPs) > 0 && d.PublicAddr.IsValid() {
		inet, mine := p2p(r.book.linkIndex("data-public|"+d.Name, r.liveLinks))
		ifn := shortName("d", d.Name)
		r.link(&netspec.Link{
			A: netspec.End{Host: HostInternet, Ifname: ifn, Addrs: []netip.Prefix{inet}, Label: "public-" + d.Name},
			B: netspec.End{Host: h.Name, Ifname: "pub", Addrs: []netip.Prefix{mine, netip.PrefixFrom(d.PublicAddr, 32)}},
		})
		const publicTable = 200
		h.Routes = append(h.Routes, netspec.Route{Table: publicTable, Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: inet.Addr(), Dev: "pub", Why: "replies from the public endpoint"})
		h.Rules = append(h.Rules, netspec.Rule{Priority: 100, Src: netip.PrefixFrom(d.PublicAddr, 32), Table: publicTable})
		r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: netip.PrefixFrom(d.PublicAddr, 32), Via: mine.Addr(), Dev: ifn, Why: "public endpoint of " + d.Name})
		r.publicRecords = append(r.publicRecords, netspec.DNSRecord{Name: d.PublicHost() + ".", Addr: d.PublicAddr, TTL: dnsTTL})
		listen = append(listen, netip.AddrPortFrom(d.PublicAddr, port))
		for _, p := range d.TrustedIPs {
			rules = append(rules, netspec.FilterRule{Iif: "pub", Src: p, Proto: netspec.TCP, PortFrom: port, PortTo: port, Verdict: netspec.Accept,
				Why: fmt.Sprintf("trusted IP range %s may reach %s", p, d.Name)})
		}
		why += " and from its trusted IP ranges"
	}
	h.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "data-ingress", Hook: netspec.Input, Policy: netspec.Drop, PolicyWhy: why, Rules: rules}}}
	banner := map[string]string{"postgres": "PostgreSQL", "redis": "Redis", "kafka": "Kafka"}[d.Kind]
	h.Services = append(h.Services, netspec.Service{Name: d.Kind, Kind: "tcp", Listen: listen, Banner: banner + " " + d.Name + " (spacelab)"})
}

// renderInternetHost puts a host on the internet with its public address.
func (r *renderer) renderInternetHost(ih *InternetHost) {
	inet, mine := p2p(r.book.linkIndex("inet|"+ih.Name, r.liveLinks))
	h := r.addHost(&netspec.Host{Name: "net/" + ih.Name, Kind: "internet-host", Aliases: []string{ih.Name},
		Hostname: orDefault(ih.DNSName, ih.Name), Resolvers: []netip.Addr{r.publicDNS}})
	if ih.DNSName != "" {
		h.Aliases = append(h.Aliases, ih.DNSName)
		r.publicRecords = append(r.publicRecords, netspec.DNSRecord{Name: ih.DNSName + ".", Addr: ih.Addr, TTL: dnsTTL})
	}
	ifn := shortName("n", ih.Name)
	r.link(&netspec.Link{
		A: netspec.End{Host: HostInternet, Ifname: ifn, Addrs: []netip.Prefix{inet}},
		B: netspec.End{Host: h.Name, Ifname: "eth0", Addrs: []netip.Prefix{mine, netip.PrefixFrom(ih.Addr, 32)}},
	})
	h.Routes = append(h.Routes, netspec.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: inet.Addr(), Dev: "eth0", Src: ih.Addr, Why: "the internet"})
	r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: netip.PrefixFrom(ih.Addr, 32), Via: mine.Addr(), Dev: ifn, Why: "internet host " + ih.Name})
	for _, svc := range ih.Services {
		listen := []netip.AddrPort{netip.AddrPortFrom(ih.Addr, uint16(svc.Port))}
		switch svc.Kind {
		case "http":
			h.Services = append(h.Services, netspec.Service{Name: fmt.Sprintf("http-%d", svc.Port), Kind: "web", Listen: listen, Web: &netspec.WebConfig{App: ih.Name, Dyno: ih.Name}})
		case "echo":
			h.Services = append(h.Services, netspec.Service{Name: fmt.Sprintf("echo-%d", svc.Port), Kind: "echo", Listen: listen})
		case "command":
			h.Services = append(h.Services, netspec.Service{Name: fmt.Sprintf("command-%d", svc.Port), Kind: "command", Listen: listen, Cmd: &netspec.CommandConfig{Argv: svc.Command}})
		}
	}
}

func (tx *Tx) vpcNameUnique(name string) bool {
	n := 0
	for _, v := range tx.w.vpcs {
		if v.Tags["Name"] == name {
			n++
		}
	}
	return n == 1
}

// kernelRoute renders one route of a route table.
func (r *renderer) kernelRoute(v *VPC, rt *RouteTable, route *Route, table int) netspec.Route {
	out := netspec.Route{Table: table, Dst: route.Dst, Type: netspec.Blackhole, Why: r.tx.blackholeWhy(rt, route)}
	if r.tx.RouteState(rt, route) != "active" {
		return out
	}
	switch route.Kind {
	case TargetPeering:
		p := r.tx.w.pcxs[route.Target]
		idx := r.book.linkIndex(peeringLinkKey(p), r.liveLinks)
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
func (tx *Tx) noRouteWhy(v *VPC, rt *RouteTable) string {
	kind := "route table"
	if rt.Main {
		kind = "main route table"
	}
	var routes []string
	for _, r := range append(tx.LocalRoutes(rt), rt.Routes...) {
		routes = append(routes, fmt.Sprintf("%s → %s (%s)", r.Dst, r.Target, tx.RouteState(rt, r)))
	}
	return fmt.Sprintf("no route for this destination in %s (%s of %s), which has: %s", rt.ID, kind, v.ID, strings.Join(routes, ", "))
}

// blackholeWhy explains why a route's target cannot carry traffic.
func (tx *Tx) blackholeWhy(rt *RouteTable, route *Route) string {
	why := "its target does not exist"
	if route.Kind == TargetPeering {
		switch p := tx.w.pcxs[route.Target]; {
		case p == nil:
			why = "peering connection " + route.Target + " does not exist"
		case !p.Connects(rt.VPCID):
			why = "peering connection " + route.Target + " does not connect " + rt.VPCID
		default:
			why = fmt.Sprintf("peering connection %s is %s", p.ID, p.Status(tx.now))
		}
	}
	return fmt.Sprintf("route %s → %s in %s is blackhole: %s", route.Dst, route.Target, rt.ID, why)
}

func peeringLinkKey(p *Peering) string { return "pcx|" + p.ID }

func (r *renderer) renderPeering(p *Peering) {
	if !p.Active(r.tx.now) || r.tx.w.vpcs[p.Requester.VPCID] == nil || r.tx.w.vpcs[p.Accepter.VPCID] == nil {
		return
	}
	a, b := p2p(r.book.linkIndex(peeringLinkKey(p), r.liveLinks))
	ifn := pcxIfname(p.ID)
	r.link(&netspec.Link{
		A: netspec.End{Host: VPCHost(p.Requester.VPCID), Ifname: ifn, Addrs: []netip.Prefix{a}, Label: p.ID},
		B: netspec.End{Host: VPCHost(p.Accepter.VPCID), Ifname: ifn, Addrs: []netip.Prefix{b}, Label: p.ID},
	})
	// Traffic arriving over the peering may only be delivered inside the receiving VPC.
	for _, vpcID := range []string{p.Requester.VPCID, p.Accepter.VPCID} {
		h := r.spec.Host(VPCHost(vpcID))
		h.Rules = append(h.Rules, netspec.Rule{Priority: rulePriority + 500 + len(h.Rules), Iif: ifn, Table: edgeTable})
	}
}

// attach links a host's eth0 into a subnet's bridge on its VPC router.
func (r *renderer) attach(h *netspec.Host, key string, s *Subnet, ip netip.Addr) {
	r.link(&netspec.Link{
		A: netspec.End{Host: h.Name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(ip, s.CIDR.Bits())}},
		B: netspec.End{Host: VPCHost(s.VPCID), Ifname: shortName("h", key), Bridge: bridgeName(s.ID)},
	})
	h.Routes = append(h.Routes, netspec.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: s.GatewayAddr(), Dev: "eth0", Why: "default route to the VPC router"})
}

func (r *renderer) renderInstance(i *Instance) {
	tx := r.tx
	s := tx.w.subnets[i.SubnetID]
	v := tx.w.vpcs[i.VPCID]
	if s == nil || v == nil {
		return
	}
	h := r.addHost(&netspec.Host{
		Name: InstanceHost(i.ID), Kind: "instance", Aliases: []string{i.ID, i.HostName(), i.PrivateDNSName()},
		Hostname: i.PrivateDNSName(), Resolvers: []netip.Addr{v.ResolverAddr()}, Search: []string{InternalDomain(i.Region)},
	})
	if name := i.Tags["Name"]; name != "" {
		h.Aliases = append(h.Aliases, name)
	}
	r.attach(h, i.ID, s, i.PrivateIP)
	h.Filter = r.securityGroupFilter(i, v)
	for n, svc := range i.Services {
		listen := []netip.AddrPort{netip.AddrPortFrom(i.PrivateIP, uint16(svc.Port))}
		switch svc.Kind {
		case "http":
			h.Services = append(h.Services, netspec.Service{Name: fmt.Sprintf("http-%d", svc.Port), Kind: "web", Listen: listen,
				Web: &netspec.WebConfig{App: i.HostName(), Dyno: i.ID}})
		case "command":
			h.Services = append(h.Services, netspec.Service{Name: fmt.Sprintf("command-%d", n), Kind: "command", Listen: listen,
				Cmd: &netspec.CommandConfig{Argv: svc.Command}})
		}
	}
}

// securityGroupFilter renders the instance's security groups: two independent, stateful,
// allow-only gates. Traffic to and from AmazonProvidedDNS is never filtered.
func (r *renderer) securityGroupFilter(i *Instance, v *VPC) *netspec.Filter {
	tx := r.tx
	groups := strings.Join(i.SecurityGroupIDs, ", ")
	in := netspec.Chain{Name: "sg-ingress", Hook: netspec.Input, Policy: netspec.Drop,
		PolicyWhy: fmt.Sprintf("no inbound rule of %s on %s allows it", groups, i.ID),
		Rules: []netspec.FilterRule{
			{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the instance accepted or opened (security groups are stateful)"},
			{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
		}}
	out := netspec.Chain{Name: "sg-egress", Hook: netspec.Output, Policy: netspec.Drop,
		PolicyWhy: fmt.Sprintf("no outbound rule of %s on %s allows it", groups, i.ID),
		Rules: []netspec.FilterRule{
			{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the instance accepted (security groups are stateful)"},
			{Oif: "lo", Verdict: netspec.Accept, Why: "loopback"},
			{Dst: netip.PrefixFrom(v.ResolverAddr(), 32), Verdict: netspec.Accept, Why: "AmazonProvidedDNS is never filtered"},
		}}
	for _, gid := range i.SecurityGroupIDs {
		g := tx.w.sgs[gid]
		if g == nil {
			continue
		}
		for _, rule := range g.Ingress {
			in.Rules = append(in.Rules, tx.sgFilterRules(g, rule, false)...)
		}
		for _, rule := range g.Egress {
			out.Rules = append(out.Rules, tx.sgFilterRules(g, rule, true)...)
		}
	}
	return &netspec.Filter{Chains: []netspec.Chain{in, out}}
}

// sgFilterRules turns one security group rule into filter rules (one per peer address when
// the peer is a group).
func (tx *Tx) sgFilterRules(g *SecurityGroup, rule *SGRule, egress bool) []netspec.FilterRule {
	dir := "inbound"
	if egress {
		dir = "outbound"
	}
	why := fmt.Sprintf("%s %s rule %s", g.ID, dir, RuleText(rule))
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
	var peers []netip.Prefix
	if rule.Group != nil {
		for _, m := range tx.InstancesIn(rule.Group.GroupID) {
			peers = append(peers, netip.PrefixFrom(m.PrivateIP, 32))
		}
	} else {
		peers = []netip.Prefix{rule.CIDR}
	}
	var out []netspec.FilterRule
	for _, p := range peers {
		fr := base
		if egress {
			fr.Dst = p
		} else {
			fr.Src = p
		}
		out = append(out, fr)
	}
	return out
}

// discoveryRecords are the DNS service discovery names of a space: N.PROCESS.APP.app.localspace
// for each dyno, and PROCESS.APP.app.localspace for all of a process type (answered with up to
// three chosen at random).
func (r *renderer) discoveryRecords(sp *Space) []netspec.DNSRecord {
	var out []netspec.DNSRecord
	for _, app := range r.tx.AppsIn(sp.ID) {
		for _, d := range app.Dynos {
			if d.State != "up" || !d.PrivateIP.IsValid() {
				continue
			}
			out = append(out,
				netspec.DNSRecord{Name: fmt.Sprintf("%d.%s.%s.app.localspace.", d.Number, d.Type, app.Name), Addr: d.PrivateIP, TTL: dnsTTL},
				netspec.DNSRecord{Name: fmt.Sprintf("%s.%s.app.localspace.", d.Type, app.Name), Addr: d.PrivateIP, TTL: dnsTTL})
		}
	}
	return out
}

func (r *renderer) renderApp(sp *Space, app *App) {
	tx := r.tx
	vpc := tx.w.vpcs[sp.VPCID]
	var web []netip.AddrPort
	for _, d := range app.Dynos {
		s := tx.w.subnets[d.SubnetID]
		if s == nil || d.State != "up" {
			continue
		}
		h := r.addHost(&netspec.Host{
			Name: DynoHost(app.Name, d.Name()), Kind: "dyno",
			Aliases:   []string{app.Name + "/" + d.Name(), fmt.Sprintf("%d.%s.%s.app.localspace", d.Number, d.Type, app.Name)},
			Hostname:  d.ID,
			Resolvers: []netip.Addr{vpc.ResolverAddr()},
			Env:       []string{"PORT=" + fmt.Sprint(WebPort), "DYNO=" + d.Name(), "HEROKU_APP_NAME=" + app.Name, "HEROKU_PRIVATE_IP=" + d.PrivateIP.String(), "HEROKU_DNS_DYNO_NAME=" + fmt.Sprintf("%d.%s.%s.app.localspace", d.Number, d.Type, app.Name)},
		})
		r.attach(h, "dyno|"+d.ID, s, d.PrivateIP)
		h.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "dyno-ingress", Hook: netspec.Input, Policy: netspec.Drop,
			PolicyWhy: fmt.Sprintf("dynos of %s accept traffic only from inside the space (%s); other networks reach an internal-routing app through its router", sp.Name, sp.CIDR),
			Rules: []netspec.FilterRule{
				{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the dyno opened"},
				{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
				{Src: sp.CIDR, Verdict: netspec.Accept, Why: "dynos of a space reach each other on any port"},
			}}}}
		listen := []netip.AddrPort{netip.AddrPortFrom(d.PrivateIP, WebPort)}
		switch {
		case d.Command != "":
			h.Services = append(h.Services, netspec.Service{Name: d.Type, Kind: "command", Listen: listen,
				Cmd: &netspec.CommandConfig{Argv: []string{"/bin/sh", "-c", d.Command}}})
			if d.Type == "web" {
				web = append(web, listen[0])
			}
		case d.Type == "web":
			h.Services = append(h.Services, netspec.Service{Name: "web", Kind: "web", Listen: listen,
				Web: &netspec.WebConfig{App: app.Name, Dyno: d.Name()}})
			web = append(web, listen[0])
		}
	}
	if !app.InternalRouting {
		return
	}
	for n, a := range app.RouterAddrs {
		sub := tx.w.subnets[tx.subnetOf(sp, a)]
		if sub == nil {
			continue
		}
		tag := ""
		if n < len(app.RouterTags) {
			tag = app.RouterTags[n]
		}
		h := r.addHost(&netspec.Host{
			Name: RouterHost(app.Name, n), Kind: "app-router", Aliases: []string{fmt.Sprintf("%s/router.%d", app.Name, n+1)},
			Hostname: "spaces-router-" + tag, Resolvers: []netip.Addr{vpc.ResolverAddr()},
		})
		r.attach(h, "router|"+app.ID+"|"+a.String(), sub, a)
		h.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "router-ingress", Hook: netspec.Input, Policy: netspec.Drop,
			PolicyWhy: "the router of " + app.Name + " only serves HTTP on port 80",
			Rules: []netspec.FilterRule{
				{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the router opened"},
				{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
				{Proto: netspec.TCP, PortFrom: 80, PortTo: 80, Verdict: netspec.Accept, Why: "the router serves HTTP on port 80"},
			}}}}
		h.Services = append(h.Services, netspec.Service{Name: "router", Kind: "proxy", Listen: []netip.AddrPort{netip.AddrPortFrom(a, 80)},
			Proxy: &netspec.ProxyConfig{Via: "spaces-router (" + tag + ")", Backends: map[string][]netip.AddrPort{strings.ToLower(app.WebHost()): web}}})
	}
}

// sortRecords orders records for stable output.
func sortRecords(rs []netspec.DNSRecord) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
}
