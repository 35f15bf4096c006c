// Package render turns the model (an emulator.World) into the network that enforces it, a
// netspec.Spec, and keeps a Dataplane converged to it (Reconciler). It also names the rendered
// hosts (VPCHost, InstanceHost, …).
//
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
package render

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

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
func VPCHost(vpcID string) string { return "vpc/" + vpcID }

func InstanceHost(id string) string { return "instance/" + id }

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

func pcxIfname(pcxID string) string { return shortName("p", pcxID) }

type renderer struct {
	owners        map[string][]string       // host → ids of the model objects it realises
	members       map[string][]netip.Prefix // security group → its instances' addresses (lazily)
	merged        map[string]bool           // groups whose members are already an exact cover
	targets       map[string]bool           // interfaces some route delivers to (lazily)
	publicRecords []netspec.DNSRecord
	tx            *emulator.Tx
	book          *addrBook
	spec          *netspec.Spec
	liveLinks     map[string]bool
	liveRtbs      map[string]bool
	publicDNS     netip.Addr
	internet      *netspec.Host

	// Partial rendering (partial.go): what each unit made this time, the unit running now,
	// the hosts made this time by name, and what may be taken from the last render.
	state *renderState
	cur   *unitOut
	fresh map[string]*netspec.Host
	p     *partial
}

// render turns the world into the network that enforces it. book keeps link addresses and
// table numbers stable between calls; pass the same one every time. With p, units that p
// does not mark dirty are taken from p's last render instead of rendered again (partial.go).
func render(tx *emulator.Tx, book *addrBook, p *partial) (*netspec.Spec, map[string][]string, *renderState) {
	spec, owners, state := renderUnsorted(tx, book, p)
	spec.Sort()
	return spec, owners, state
}

// renderUnsorted is render without the final sort of the spec's hosts and links, which needs
// only the spec: the reconciler sorts after it has let go of the world, so writes wait less.
func renderUnsorted(tx *emulator.Tx, book *addrBook, p *partial) (*netspec.Spec, map[string][]string, *renderState) {
	r := &renderer{tx: tx, book: book, spec: &netspec.Spec{}, liveLinks: map[string]bool{}, liveRtbs: map[string]bool{}, owners: map[string][]string{},
		publicDNS: tx.PublicDNS(), state: &renderState{units: map[string]*unitOut{}}, fresh: map[string]*netspec.Host{}, p: p}
	// What a skipped unit would have added to the internet goes nowhere: the internet is
	// taken from the last render unless its own unit runs.
	r.internet = &netspec.Host{Name: HostInternet}
	r.unit("internet", nil, r.renderInternet)
	for _, v := range tx.VPCs() {
		r.unit("vpc|"+v.ID, []string{VPCHost(v.ID)}, func() { r.renderVPC(v) })
		r.unit("vpc-internet|"+v.ID, []string{HostInternet}, func() { r.renderVPCInternet(v) })
	}
	for _, p := range tx.Peerings() {
		r.unit("pcx|"+p.ID, []string{VPCHost(p.Requester.VPCID), VPCHost(p.Accepter.VPCID)}, func() { r.renderPeering(p) })
	}
	for _, i := range tx.Instances() {
		if i.State == "running" || i.State == "pending" {
			r.unit("instance|"+i.ID, nil, func() { r.renderInstance(i) })
		}
	}
	for _, n := range tx.NatGateways() {
		r.unit("natgw|"+n.ID, nil, func() { r.renderNatGateway(n) })
	}
	for _, g := range tx.VpnGateways() {
		r.unit("vgw|"+g.ID, []string{VPCHost(g.VPCID), HostInternet}, func() { r.renderVGW(g) })
	}
	for _, sp := range tx.Spaces() {
		for _, app := range tx.AppsIn(sp.ID) {
			r.unit("app|"+app.ID, nil, func() { r.renderApp(sp, app) })
		}
		r.unit("space-router|"+sp.ID, nil, func() { r.renderSpaceRouter(sp) })
		r.unit("space-internet|"+sp.ID, []string{HostInternet}, func() { r.renderSpaceInternet(sp) })
		for _, v := range tx.VPNConnections(sp.ID) {
			r.unit("vpn|"+v.ID, []string{VPCHost(sp.VPCID), HostInternet}, func() { r.renderVPN(sp, v) })
		}
	}
	for _, o := range tx.Offices() {
		r.unit("office|"+o.Name, []string{HostInternet}, func() { r.renderOffice(o) })
	}
	for _, d := range tx.DataServices("") {
		r.unit("data|"+d.SpaceID+"|"+d.Name, []string{HostInternet}, func() { r.renderData(d) })
	}
	for _, ih := range tx.InternetHosts() {
		r.unit("net|"+ih.Name, []string{HostInternet}, func() { r.renderInternetHost(ih) })
	}
	r.unit("internet-dns", []string{HostInternet}, r.finishInternet)
	book.gc(r.liveLinks, r.liveRtbs)
	r.state.owners = r.owners
	return r.spec, r.owners, r.state
}

// own records that host realises the model objects ids (so a failure of the host is theirs).
func (r *renderer) own(host string, ids ...string) {
	for _, id := range ids {
		if id != "" {
			r.owners[host] = append(r.owners[host], id)
		}
	}
}

func (r *renderer) addHost(h *netspec.Host) *netspec.Host {
	r.spec.Hosts = append(r.spec.Hosts, h)
	r.fresh[h.Name] = h
	return h
}

// host returns a host made earlier in this render, to add to it. In a partial render a host
// taken from the last render is not to be changed: what is added goes to a scratch copy that
// nothing keeps (the unit adding it was not what made the host differ).
func (r *renderer) host(name string) *netspec.Host {
	if h := r.fresh[name]; h != nil {
		return h
	}
	if r.p != nil {
		return &netspec.Host{Name: name}
	}
	return nil
}

// linkIndex is book.linkIndex for the unit running now: the key stays live while the unit's
// output is reused.
func (r *renderer) linkIndex(key string) int {
	if r.cur != nil {
		r.cur.keys = append(r.cur.keys, key)
	}
	return r.book.linkIndex(key, r.liveLinks)
}

// liveTable keeps route table rtbID's number for the unit running now.
func (r *renderer) liveTable(rtbID string) {
	r.liveRtbs[rtbID] = true
	if r.cur != nil {
		r.cur.rtbs = append(r.cur.rtbs, rtbID)
	}
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
	for _, p := range emulator.RFC1918 {
		r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: p, Type: netspec.Blackhole, Code: "PRIVATE_ADDRESS_ON_INTERNET",
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

// renderInternetHost puts a host on the internet with its public address.
func (r *renderer) renderInternetHost(ih *emulator.InternetHost) {
	h := r.addHost(&netspec.Host{Name: "net/" + ih.Name, Kind: "internet-host", Aliases: []string{ih.Name},
		Hostname: orDefault(ih.DNSName, ih.Name), Resolvers: []netip.Addr{r.publicDNS}})
	if ih.DNSName != "" {
		h.Aliases = append(h.Aliases, ih.DNSName)
		r.publicRecords = append(r.publicRecords, netspec.DNSRecord{Name: ih.DNSName + ".", Addr: ih.Addr, TTL: dnsTTL})
	}
	r.publicFace(h, "inet|"+ih.Name, "eth0", "", []netip.Addr{ih.Addr}, "internet host "+ih.Name, true)
	h.Services = append(h.Services, builtinServices(ih.Addr, ih.Services, ih.Name)...)
}

// publicFace links a host to the internet by ifname with public addresses: the internet routes
// them to the host. With asDefault the host's default route leaves by that link (from the first
// address); otherwise only what it sends from those addresses does (policy table 200), and its
// other traffic keeps its own way.
func (r *renderer) publicFace(h *netspec.Host, key, ifname, label string, addrs []netip.Addr, why string, asDefault bool) {
	r.publicLink(h, key, ifname, label, addrs, asDefault)
	r.publicRoutes(key, addrs, why)
}

// publicRoutes is the internet's side of publicFace: its routes to the addresses by the link
// key names. A unit that adds to the internet only (the space router's face) calls it alone.
func (r *renderer) publicRoutes(key string, addrs []netip.Addr, why string) {
	_, mine := p2p(r.linkIndex(key))
	ifn := shortName("x", key)
	for _, a := range addrs {
		r.internet.Routes = append(r.internet.Routes, netspec.Route{Dst: netip.PrefixFrom(a, 32), Via: mine.Addr(), Dev: ifn, Why: why})
	}
}

// publicLink is the host's side of publicFace: the link and the host's routes.
func (r *renderer) publicLink(h *netspec.Host, key, ifname, label string, addrs []netip.Addr, asDefault bool) {
	inet, mine := p2p(r.linkIndex(key))
	ifn := shortName("x", key)
	end := netspec.End{Host: h.Name, Ifname: ifname, Addrs: []netip.Prefix{mine}}
	for _, a := range addrs {
		end.Addrs = append(end.Addrs, netip.PrefixFrom(a, 32))
	}
	r.link(&netspec.Link{A: netspec.End{Host: HostInternet, Ifname: ifn, Addrs: []netip.Prefix{inet}, Label: label}, B: end})
	if asDefault {
		rt := netspec.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: inet.Addr(), Dev: ifname, Why: "the internet"}
		if len(addrs) == 1 {
			rt.Src = addrs[0]
		}
		h.Routes = append(h.Routes, rt)
		return
	}
	const publicTable = 200
	h.Routes = append(h.Routes, netspec.Route{Table: publicTable, Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: inet.Addr(), Dev: ifname, Why: "answers from the public addresses"})
	for _, a := range addrs {
		h.Rules = append(h.Rules, netspec.Rule{Priority: 100, Src: netip.PrefixFrom(a, 32), Table: publicTable})
	}
}

// builtinServices renders the programs a host runs on address a: http (the built-in web
// server), echo, command.
func builtinServices(a netip.Addr, svcs []emulator.Service, label string) []netspec.Service {
	var out []netspec.Service
	for n, svc := range svcs {
		listen := []netip.AddrPort{netip.AddrPortFrom(a, uint16(svc.Port))}
		switch svc.Kind {
		case "http":
			out = append(out, netspec.Service{Name: fmt.Sprintf("http-%d", svc.Port), Kind: "web", Listen: listen, Web: &netspec.WebConfig{App: label, Dyno: label}})
		case "echo":
			out = append(out, netspec.Service{Name: fmt.Sprintf("echo-%d", svc.Port), Kind: "echo", Listen: listen})
		case "command":
			out = append(out, netspec.Service{Name: fmt.Sprintf("command-%d", n), Kind: "command", Listen: listen, Cmd: &netspec.CommandConfig{Argv: svc.Command}})
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
