package render

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// renderSpaceNAT gives a space its way out: every route table of the space VPC sends what it
// has no other route for to the internet, and dynos leave with one of the space's four stable
// outbound addresses (dyno n uses address n mod 4), which the internet routes back to the space.
func (r *renderer) renderSpaceNAT(v *emulator.VPC, h *netspec.Host, inet netip.Prefix, tables map[int]bool) {
	tx := r.tx
	sp := spaceNAT(tx, v)
	if sp == nil {
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
}

// spaceNAT is the space whose outbound NAT a space VPC carries, or nil while it has none
// (no outbound addresses, or the NAT not enabled yet).
func spaceNAT(tx *emulator.Tx, v *emulator.VPC) *emulator.Space {
	sp := tx.Space(v.SpaceID)
	if sp == nil || len(sp.NATAddrs) == 0 || sp.NATState != "enabled" {
		return nil
	}
	return sp
}

// renderData places a data service in its space's data VPC. Only the space's dynos reach it
// (other networks cannot route to the data VPC: peering is not transitive); with trusted IPs it
// also has a public endpoint that only those ranges may use.
func (r *renderer) renderData(d *emulator.DataService) {
	tx := r.tx
	sp := tx.Space(d.SpaceID)
	if sp == nil {
		return
	}
	dvpc := tx.VPC(sp.DataVPCID)
	subs := tx.SubnetsOf(dvpc.ID)
	if len(subs) == 0 {
		return
	}
	h := r.addHost(&netspec.Host{Name: "data/" + d.Name, Kind: "data", Aliases: []string{d.Name}, Hostname: d.Name,
		Resolvers: []netip.Addr{dvpc.ResolverAddr()}})
	r.own(h.Name, sp.ID)
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
		r.publicFace(h, "data-public|"+d.Name, "pub", "public-"+d.Name, []netip.Addr{d.PublicAddr}, "public endpoint of "+d.Name, false)
		r.publicRecords = append(r.publicRecords, netspec.DNSRecord{Name: d.PublicHost() + ".", Addr: d.PublicAddr, TTL: dnsTTL})
		listen = append(listen, netip.AddrPortFrom(d.PublicAddr, port))
		for _, p := range d.TrustedIPs {
			rules = append(rules, netspec.FilterRule{Iif: "pub", Src: p, Proto: netspec.TCP, PortFrom: port, PortTo: port, Verdict: netspec.Accept,
				Why: fmt.Sprintf("trusted IP range %s may reach %s", p, d.Name)})
		}
		why += " and from its trusted IP ranges"
	}
	h.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "data-ingress", Hook: netspec.Input, Policy: netspec.Drop, PolicyWhy: why, PolicyCode: "DATA_ISOLATED", Rules: rules}}}
	banner := map[string]string{"postgres": "PostgreSQL", "redis": "Redis", "kafka": "Kafka"}[d.Kind]
	h.Services = append(h.Services, netspec.Service{Name: d.Kind, Kind: "tcp", Listen: listen, Banner: banner + " " + d.Name + " (spacelab)"})
}

// discoveryRecords are the DNS service discovery names of a space: N.PROCESS.APP.app.localspace
// for each dyno, and PROCESS.APP.app.localspace for all of a process type (answered with up to
// three chosen at random).
func (r *renderer) discoveryRecords(sp *emulator.Space) []netspec.DNSRecord {
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

func (r *renderer) renderApp(sp *emulator.Space, app *emulator.App) {
	tx := r.tx
	vpc := tx.VPC(sp.VPCID)
	var web []netip.AddrPort
	for _, d := range app.Dynos {
		s := tx.Subnet(d.SubnetID)
		if s == nil || d.State != "up" {
			continue
		}
		h := r.addHost(&netspec.Host{
			Name: DynoHost(app.Name, d.Name()), Kind: "dyno",
			Aliases:   []string{app.Name + "/" + d.Name(), fmt.Sprintf("%d.%s.%s.app.localspace", d.Number, d.Type, app.Name)},
			Hostname:  d.ID,
			Resolvers: []netip.Addr{vpc.ResolverAddr()},
			Env:       []string{"PORT=" + fmt.Sprint(emulator.WebPort), "DYNO=" + d.Name(), "HEROKU_APP_NAME=" + app.Name, "HEROKU_PRIVATE_IP=" + d.PrivateIP.String(), "HEROKU_DNS_DYNO_NAME=" + fmt.Sprintf("%d.%s.%s.app.localspace", d.Number, d.Type, app.Name)},
		})
		r.own(h.Name, app.ID, d.ID)
		r.attach(h, "dyno|"+d.ID, s, d.PrivateIP)
		h.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "dyno-ingress", Hook: netspec.Input, Policy: netspec.Drop,
			PolicyWhy:  fmt.Sprintf("dynos of %s accept traffic only from inside the space (%s); other networks reach an internal-routing app through its router", sp.Name, sp.CIDR),
			PolicyCode: "DYNO_INGRESS_DENIED",
			Rules: []netspec.FilterRule{
				{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the dyno opened"},
				{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
				{Src: sp.CIDR, Verdict: netspec.Accept, Why: "dynos of a space reach each other on any port"},
			}}}}
		// VPN-connected networks are routed like peered ones: they reach internal-routing apps
		// through their internal routers, never the dynos' own addresses.
		listen := []netip.AddrPort{netip.AddrPortFrom(d.PrivateIP, emulator.WebPort)}
		switch {
		case d.Command != "":
			h.Services = append(h.Services, netspec.Service{Name: d.Type, Kind: "command", Listen: listen,
				Cmd: &netspec.CommandConfig{Argv: []string{"/bin/sh", "-c", d.Command}, Env: emulator.DynoEnv(app, d), Generation: d.Restarts}})
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
		sub := tx.SpaceSubnet(sp, a)
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
		r.own(h.Name, app.ID, sp.ID)
		r.attach(h, "router|"+app.ID+"|"+a.String(), sub, a)
		h.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "router-ingress", Hook: netspec.Input, Policy: netspec.Drop,
			PolicyWhy: "the router of " + app.Name + " only serves HTTP on port 80", PolicyCode: "ROUTER_PORT_CLOSED",
			Rules: []netspec.FilterRule{
				{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the router opened"},
				{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
				{Proto: netspec.TCP, PortFrom: 80, PortTo: 80, Verdict: netspec.Accept, Why: "the router serves HTTP on port 80"},
			}}}}
		h.Services = append(h.Services, netspec.Service{Name: "router", Kind: "proxy", Listen: []netip.AddrPort{netip.AddrPortFrom(a, 80)},
			Proxy: &netspec.ProxyConfig{Via: "spaces-router (" + tag + ")", Backends: map[string][]netip.AddrPort{strings.ToLower(app.WebHost()): web}, Names: dynoNames(app)}})
	}
}

// sortRecords orders records for stable output.
func sortRecords(rs []netspec.DNSRecord) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
}

// renderSpaceRouter is the space's public router: the public address where *.herokuapp.com of
// the space's apps without internal routing resolve. It proxies to their web dynos and enforces
// the space's trusted IP ranges (inbound ruleset) on its public side: the first rule that
// contains the client decides, and a client no rule contains is refused.
func (r *renderer) renderSpaceRouter(sp *emulator.Space) {
	tx := r.tx
	sub, vpc := spaceRouterPlace(tx, sp)
	if sub == nil {
		return
	}
	h := r.addHost(&netspec.Host{Name: "space-router/" + sp.Name, Kind: "space-router", Aliases: []string{sp.Name + "/router"},
		Hostname: "spaces-router-" + sp.Name, Resolvers: []netip.Addr{vpc.ResolverAddr()}})
	r.own(h.Name, sp.ID)
	if rs := sp.InboundRuleset(); rs != nil {
		r.own(h.Name, rs.ID)
	}
	r.attach(h, "space-router|"+sp.ID, sub, sp.RouterPrivateAddr)
	r.publicLink(h, "space-public|"+sp.ID, "pub", "router-"+sp.Name, []netip.Addr{sp.RouterAddr}, false)

	backends := map[string][]netip.AddrPort{}
	names := map[netip.AddrPort]string{}
	for _, app := range tx.AppsIn(sp.ID) {
		if app.InternalRouting {
			continue
		}
		for ap, n := range dynoNames(app) {
			names[ap] = n
		}
		var web []netip.AddrPort
		for _, d := range app.Dynos {
			if d.Type == "web" && d.State == "up" && d.PrivateIP.IsValid() {
				web = append(web, netip.AddrPortFrom(d.PrivateIP, emulator.WebPort))
			}
		}
		backends[strings.ToLower(app.WebHost())] = web
	}
	tag := strings.ReplaceAll(sp.ID, "-", "")[:12]
	h.Services = append(h.Services, netspec.Service{Name: "router", Kind: "proxy", Listen: []netip.AddrPort{netip.AddrPortFrom(sp.RouterAddr, 80)},
		Proxy: &netspec.ProxyConfig{Via: "spaces-router (" + tag + ")", Backends: backends, Names: names}})

	rules := []netspec.FilterRule{
		{Established: true, Verdict: netspec.Accept, Why: "reply to a connection the router accepted or opened"},
		{Iif: "lo", Verdict: netspec.Accept, Why: "loopback"},
	}
	policyWhy := fmt.Sprintf("no trusted IP range of %s contains the client, so its web requests are refused", sp.Name)
	rs := sp.InboundRuleset()
	if rs == nil || len(rs.Rules) == 0 {
		policyWhy = fmt.Sprintf("%s has no trusted IP ranges: all inbound web requests to its dynos are blocked", sp.Name)
	} else {
		rules = append(rules, trustedRules(sp, rs.Rules)...)
	}
	h.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "trusted-ips", Hook: netspec.Input, Policy: netspec.Drop, PolicyWhy: policyWhy, PolicyCode: "TRUSTED_IP_DENIED", Rules: rules}}}
}

// spaceRouterPlace is the dyno subnet and VPC of a space's router, or nils while the space has
// no router (not allocated yet, or without its addresses).
func spaceRouterPlace(tx *emulator.Tx, sp *emulator.Space) (*emulator.Subnet, *emulator.VPC) {
	if !sp.RouterAddr.IsValid() || !sp.RouterPrivateAddr.IsValid() || sp.State != emulator.SpaceAllocated {
		return nil, nil
	}
	sub, vpc := tx.SpaceSubnet(sp, sp.RouterPrivateAddr), tx.VPC(sp.VPCID)
	if sub == nil || vpc == nil {
		return nil, nil
	}
	return sub, vpc
}

// renderSpaceInternet adds what the internet knows of a space's router: the route to its
// public address and the public names of the space's apps (which resolve to it). It is a unit
// of its own, after the router's: a change the internet sees renders these again, not the
// router with every dyno of the space behind it.
func (r *renderer) renderSpaceInternet(sp *emulator.Space) {
	if sub, _ := spaceRouterPlace(r.tx, sp); sub == nil {
		return
	}
	r.publicRoutes("space-public|"+sp.ID, []netip.Addr{sp.RouterAddr}, "public router of space "+sp.Name)
	for _, app := range r.tx.AppsIn(sp.ID) {
		if !app.InternalRouting {
			r.publicRecords = append(r.publicRecords, netspec.DNSRecord{Name: strings.ToLower(app.WebHost()) + ".", Addr: sp.RouterAddr, TTL: dnsTTL})
		}
	}
}

// trustedRules renders a space's trusted IP ranges, first match deciding. A run of two or more
// consecutive allow rules is one rule over a set of their sources (the order inside a run of
// allows cannot matter), so the filter grows with the number of ranges, not faster; deny rules
// stay one rule each, in place.
func trustedRules(sp *emulator.Space, rules []emulator.InboundRule) []netspec.FilterRule {
	var out []netspec.FilterRule
	one := func(rule emulator.InboundRule) netspec.FilterRule {
		v, code := netspec.Accept, ""
		if rule.Action == emulator.RuleDeny {
			v, code = netspec.Drop, "TRUSTED_IP_DENIED"
		}
		return netspec.FilterRule{Iif: "pub", Src: rule.Source, Proto: netspec.TCP, PortFrom: 80, PortTo: 80, Verdict: v, Code: code,
			Why: fmt.Sprintf("trusted IP rule of %s: %s %s", sp.Name, rule.Action, rule.Source)}
	}
	for i := 0; i < len(rules); {
		j := i
		for j < len(rules) && rules[j].Action == emulator.RuleAllow {
			j++
		}
		run := rules[i:j]
		switch {
		case len(run) == 0:
			out = append(out, one(rules[i]))
			i++
			continue
		case len(run) == 1 || slices.ContainsFunc(run, func(r emulator.InboundRule) bool { return r.Source.Bits() == 0 }):
			for _, r := range run {
				out = append(out, one(r))
			}
		default:
			srcs := make([]netip.Prefix, len(run))
			for k, r := range run {
				srcs[k] = r.Source
			}
			out = append(out, netspec.FilterRule{Iif: "pub", SrcIn: srcs, Proto: netspec.TCP, PortFrom: 80, PortTo: 80, Verdict: netspec.Accept,
				Why: fmt.Sprintf("trusted IP rules of %s: allow %s", sp.Name, rangesText(srcs))})
		}
		i = j
	}
	return out
}

// rangesText names a few prefixes, and how many there are when they are many.
func rangesText(ps []netip.Prefix) string {
	if len(ps) <= 3 {
		var s []string
		for _, p := range ps {
			s = append(s, p.String())
		}
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s, %s and %d more ranges", ps[0], ps[1], len(ps)-2)
}

// dynoNames names the web dynos' addresses of app, for the router's log lines (dyno=web.1).
func dynoNames(app *emulator.App) map[netip.AddrPort]string {
	m := map[netip.AddrPort]string{}
	for _, d := range app.Dynos {
		if d.Type == "web" && d.PrivateIP.IsValid() {
			m[netip.AddrPortFrom(d.PrivateIP, emulator.WebPort)] = d.Name()
		}
	}
	return m
}
