package render

import (
	"flag"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// Partial rendering: a write re-renders only what it changes.
//
// A render is a sequence of units, one per model object that makes hosts (the internet, each
// VPC, peering, instance, NAT gateway, virtual private gateway, app, space router, VPN
// connection, office, data service, internet host, and last the public DNS). What a VPC and a
// space router add to the internet (routes to their public addresses, the apps' public names)
// are units of their own right after them ("vpc-internet|", "space-internet|"): the internet
// turns dirty often (any public address that comes or goes), and those units are cheap where
// the VPC router and the space router (every dyno of the space behind it) are not. A unit makes its
// own hosts and links, and may add to hosts other units made: a VPC's router gets rules from
// peerings and gateways; the internet gets routes and public names from nearly everything
// public. Each unit is called with the hosts it adds to.
//
// A partial render is given the last render's units and a dirty set: unit keys and host names
// that the change since may have altered (affected, from what the Updates named in their
// journals). It runs a unit when the unit is dirty, when it adds to a dirty host, or when the
// last render has no record of it; otherwise it takes the unit's hosts and links from the last
// render as they are (the same pointers, so netspec.Diff sees them unchanged at once). A unit
// that runs makes its hosts anew, so they become dirty: every later unit that adds to them
// runs too (they all come after the unit that makes the host). What a running unit adds to a
// host taken from the last render goes to a scratch copy: had it changed, that host would
// have been dirty. Link numbers and route table numbers stay live for every unit kept, so the
// address book ends as a full render would leave it.
//
// In test binaries every partial render is compared with a full one (checkPartial): a change
// whose dependencies affected forgot fails whatever test makes it.

// unitOut is what one unit made in a render.
type unitOut struct {
	hosts []*netspec.Host
	links []*netspec.Link
	keys  []string // link keys it used in the address book
	rtbs  []string // route tables it numbered
}

// renderState is what a render leaves for the next partial one.
type renderState struct {
	units  map[string]*unitOut
	owners map[string][]string
	reused int // hosts taken from the last render
}

// partial says what a render may take from the last one.
type partial struct {
	dirty map[string]bool // unit keys and host names to render again; grows as units run
	last  *renderState
}

// unit runs fn as the unit key, which adds to the hosts writes besides its own.
func (r *renderer) unit(key string, writes []string, fn func()) {
	for n := 2; r.state.units[key] != nil; n++ { // keys are unique per render
		key = fmt.Sprintf("%s#%d", key, n)
	}
	if p := r.p; p != nil && !p.dirty[key] && !slices.ContainsFunc(writes, func(h string) bool { return p.dirty[h] }) {
		if u := p.last.units[key]; u != nil {
			r.spec.Hosts = append(r.spec.Hosts, u.hosts...)
			r.spec.Links = append(r.spec.Links, u.links...)
			for _, k := range u.keys {
				r.liveLinks[k] = true
			}
			for _, t := range u.rtbs {
				r.liveRtbs[t] = true
			}
			for _, h := range u.hosts {
				if o, ok := p.last.owners[h.Name]; ok {
					r.owners[h.Name] = o
				}
			}
			r.state.units[key] = u
			r.state.reused += len(u.hosts)
			return
		}
	}
	u := &unitOut{}
	r.cur = u
	nh, nl := len(r.spec.Hosts), len(r.spec.Links)
	fn()
	r.cur = nil
	u.hosts = slices.Clone(r.spec.Hosts[nh:])
	u.links = slices.Clone(r.spec.Links[nl:])
	r.state.units[key] = u
	if r.p != nil {
		for _, h := range u.hosts {
			r.p.dirty[h.Name] = true
		}
	}
}

// affected returns the units and hosts a change may alter, from what the Updates named in
// their journals (emulator.Tx.NetworkChanges); nil when a kind is not known here (then only
// a full render is right).
//
//   - a security group (its rules: authorize, revoke, modify): the filters of its members,
//     instances whose primary interface or a secondary one is in the group. Membership lives
//     on instances and interfaces, so a group's rules never change who its members are, and
//     groups whose rules reference it keep the same member set;
//   - a space's inbound ruleset: the space router's filter;
//   - a VPC's routing (route tables, routes, associations): its router, the forwarding of its
//     instances (route targets) and its NAT gateways (their subnet's table);
//   - a VPC's internet gateway attached or detached: its routing, and the internet;
//   - a VPC's DHCP options set replaced: what its routing covers (router and instances);
//   - a VPC's network ACLs: its router (the ACL chains);
//   - a NAT gateway created or deleted: its host, its VPC's routing (routes to it turn
//     active or blackhole) and the internet (its Elastic IP's mapping at the VPC router);
//   - a VPC created or deleted (with no subnets: nothing else is in it): its router, and the
//     internet, which holds the other end of its wan link;
//   - a peering (requested, accepted, rejected, deleted, options, Heroku's routes for it): its
//     unit, and the routing of both its VPCs;
//   - an instance launched or terminated: its host, its VPC's router and those of the VPCs
//     peered with it, the internet; and for each of its groups ("sg-members") the instances
//     whose groups' rules name that group (their filters list its members);
//   - an app (scaling, dynos): its dynos and routers, its space's router (backends) and VPC
//     router (outbound NAT, service discovery), and the internet (public names);
//   - a virtual private gateway attached or detached: its unit, its VPC's routing, the
//     internet; a Site-to-Site VPN connection created, deleted or given static routes: its
//     gateway's unit and VPC routing, the offices (one may be its customer gateway), the
//     internet;
//   - a space's VPN connection created, changed or destroyed ("heroku-vpn", the space's):
//     its gateways, the space VPC's routing and router, the offices, the internet;
//   - a prefix list's entries: the members of groups whose rules name it, the routing of VPCs
//     whose tables route to it;
//   - a data service added or removed ("data", the space's): the space's data services, its
//     VPCs' routers and the internet;
//   - an app created or deleted in a space ("space"): the space router, the space's VPC
//     router, and the internet (public names);
//   - an app (gone or moved, say) whose space is not found still renders its own unit and the
//     internet, and any other kind: everything.
func affected(tx *emulator.Tx, what []emulator.Changed) map[string]bool {
	dirty := map[string]bool{}
	seen := make(map[emulator.Changed]bool, len(what))
	for _, c := range what {
		if seen[c] { // launching 1,000 instances in one group names its members 1,000 times
			continue
		}
		seen[c] = true
		switch c.Kind {
		case "security-group":
			markMembers(tx, dirty, func(g string) bool { return g == c.ID })
		case "inbound-ruleset":
			dirty["space-router|"+c.ID] = true
		case "route-table":
			routing(tx, dirty, c.ID)
		case "dhcp-options":
			// A VPC's options set changed: the resolvers and search domains of its
			// instances, and its router (which answers as AmazonProvidedDNS).
			routing(tx, dirty, c.ID)
		case "internet-gateway":
			// Attached or detached: routes to it turn active or blackhole, and the internet
			// reaches the VPC's public addresses through it, or not.
			routing(tx, dirty, c.ID)
			dirty[HostInternet] = true
		case "network-acl":
			dirty["vpc|"+c.ID] = true // the VPC router's NACL chains
		case "vpc":
			dirty["vpc|"+c.ID] = true
			dirty[HostInternet] = true
		case "nat-gateway":
			n := tx.NatGateway(c.ID) // a deleted one stays listed
			if n == nil {
				return nil
			}
			gateway(tx, dirty, "natgw|"+n.ID, n.VPCID)
		case "peering":
			// The peering's own unit, and on both sides what a route table change alters
			// (routes to it turn active or blackhole) and the instances (rules naming groups
			// across it).
			p := tx.Peering(c.ID)
			if p == nil {
				return nil
			}
			dirty["pcx|"+c.ID] = true
			for _, v := range []string{p.Requester.VPCID, p.Accepter.VPCID} {
				routing(tx, dirty, v)
			}
		case "instance":
			// Its own host (made or gone), its VPC's router (subnet, DNS records, public
			// mappings) and the VPCs peered with it, and the internet (its public address).
			dirty["instance|"+c.ID] = true
			dirty[HostInternet] = true
			if i := tx.Instance(c.ID); i != nil {
				dirty["vpc|"+i.VPCID] = true
				for _, p := range tx.Peerings() {
					if p.Requester.VPCID == i.VPCID || p.Accepter.VPCID == i.VPCID {
						dirty["vpc|"+p.Requester.VPCID], dirty["vpc|"+p.Accepter.VPCID] = true, true
					}
				}
			} else {
				return nil
			}
		case "sg-members":
			// The filters of instances with a group whose rules name this one.
			refs := map[string]bool{}
			for _, g := range tx.SecurityGroups() {
				for _, rules := range [][]*emulator.SGRule{g.Ingress, g.Egress} {
					for _, rule := range rules {
						if rule.Group != nil && rule.Group.GroupID == c.ID {
							refs[g.ID] = true
						}
					}
				}
			}
			if len(refs) > 0 {
				markMembers(tx, dirty, func(g string) bool { return refs[g] })
			}
		case "vpn-gateway":
			g := tx.VpnGateway(c.ID) // a deleted one stays listed
			if g == nil {
				return nil
			}
			gateway(tx, dirty, "vgw|"+g.ID, g.VPCID)
		case "vpn-connection":
			// Its tunnels at the gateway and at the office that is its customer gateway, the
			// routes it propagates into its gateway's VPC, and the tunnels' public addresses.
			v := tx.VpnConnection(c.ID) // a deleted one stays listed
			if v == nil {
				return nil
			}
			vpc := ""
			if g := tx.VpnGateway(v.VpnGatewayID); g != nil {
				vpc = g.VPCID
			}
			gateway(tx, dirty, "vgw|"+v.VpnGatewayID, vpc) // the offices add to the internet: they follow
		case "heroku-vpn":
			// The space's VPN gateways (made, changed or gone), its VPC router's routes to
			// the customer networks, the offices at the other end, the tunnels' addresses.
			sp := tx.Space(c.ID)
			if sp == nil {
				return nil
			}
			for _, v := range tx.VPNConnections(sp.ID) {
				dirty["vpn|"+v.ID] = true
			}
			routing(tx, dirty, sp.VPCID)
			dirty["space-router|"+sp.ID] = true
			dirty[HostInternet] = true // and the offices, which add to it, with it
		case "prefix-list":
			// What references the list: the filters of the members of those groups, and the
			// routing of those tables' VPCs.
			refs := map[string]bool{}
			for _, u := range tx.PrefixListUsers(c.ID) {
				if rt := tx.RouteTable(u.ResourceID); rt != nil {
					routing(tx, dirty, rt.VPCID)
				} else {
					refs[u.ResourceID] = true
				}
			}
			if len(refs) > 0 {
				markMembers(tx, dirty, func(g string) bool { return refs[g] })
			}
		case "data":
			// Its host (made or gone) and its public endpoint's name and route on the
			// internet; the space's VPCs hold its subnet and the names the dynos resolve.
			sp := tx.Space(c.ID)
			if sp == nil {
				return nil
			}
			for _, d := range tx.DataServices(sp.ID) {
				dirty["data|"+sp.ID+"|"+d.Name] = true
			}
			dirty[VPCHost(sp.VPCID)], dirty[VPCHost(sp.DataVPCID)] = true, true
			dirty[HostInternet] = true
		case "space":
			sp := tx.Space(c.ID)
			if sp == nil {
				return nil
			}
			dirty["space-router|"+sp.ID] = true
			dirty[VPCHost(sp.VPCID)] = true
			dirty[HostInternet] = true
		case "app":
			dirty["app|"+c.ID] = true
			dirty[HostInternet] = true
			if app := tx.App(c.ID); app != nil {
				if sp := tx.Space(app.SpaceID); sp != nil {
					dirty["space-router|"+sp.ID] = true
					dirty[VPCHost(sp.VPCID)] = true
				}
			}
		default:
			return nil
		}
	}
	return dirty
}

// markMembers marks the instances that are members of a group inGroup reports, by their own
// groups or by those of an interface attached to them: their filters.
func markMembers(tx *emulator.Tx, dirty map[string]bool, inGroup func(string) bool) {
	for _, i := range tx.Instances() {
		if slices.ContainsFunc(i.SecurityGroupIDs, inGroup) {
			dirty["instance|"+i.ID] = true
		}
	}
	for _, n := range tx.NetworkInterfaces() {
		if n.Attachment != nil && slices.ContainsFunc(n.SecurityGroupIDs, inGroup) {
			dirty["instance|"+n.Attachment.InstanceID] = true
		}
	}
}

// routing marks what a change to a VPC's routing alters: the VPC router holds the tables; an
// instance an interface of which some route targets forwards (any instance of the VPC: the
// route may have just gone), and a NAT gateway forwards by its subnet's table.
func routing(tx *emulator.Tx, dirty map[string]bool, vpcID string) {
	dirty["vpc|"+vpcID] = true
	for _, i := range tx.Instances() {
		if i.VPCID == vpcID {
			dirty["instance|"+i.ID] = true
		}
	}
	for _, n := range tx.NatGateways() {
		if n.VPCID == vpcID {
			dirty["natgw|"+n.ID] = true
		}
	}
}

// gateway marks what a gateway between a VPC and the internet changes when it comes or goes:
// its unit, the VPC's routing (routes to it turn active or blackhole; none for a gateway
// never attached) and the internet (its public addresses).
func gateway(tx *emulator.Tx, dirty map[string]bool, unit, vpcID string) {
	dirty[unit] = true
	if vpcID != "" {
		routing(tx, dirty, vpcID)
	}
	dirty[HostInternet] = true
}

// checkPartial is on in test binaries (not while benchmarking): every partial render is
// compared with a full render of the same world from a copy of the same address book.
var checkPartial = testing.Testing()

func checkingPartial() bool {
	if !checkPartial {
		return false
	}
	f := flag.Lookup("test.bench")
	return f == nil || f.Value.String() == ""
}

// mustEqualFull panics naming the first host or link where a partial render differs from a
// full one: a change whose dependencies affected does not know.
func mustEqualFull(tx *emulator.Tx, before *addrBook, after *addrBook, spec *netspec.Spec, owners map[string][]string) {
	book := before.clone()
	full, fullOwners, _ := render(tx, book, nil)
	if reflect.DeepEqual(spec, full) && reflect.DeepEqual(owners, fullOwners) && reflect.DeepEqual(book, after) {
		return
	}
	d := netspec.Diff(full, spec)
	where := "the owners of hosts or the address book"
	switch {
	case len(d.Hosts) > 0:
		where = "host " + d.Hosts[0].Name
	case len(d.RemovedHosts) > 0:
		where = "host " + d.RemovedHosts[0] + " (missing)"
	case len(d.Links) > 0:
		where = "link " + d.Links[0].Key()
	case len(d.RemovedLinks) > 0:
		where = "link " + d.RemovedLinks[0] + " (missing)"
	}
	panic("render: a partial render differs from a full one at " + where + ": render.affected does not know everything the change alters (see partial.go)")
}

func (b *addrBook) clone() *addrBook {
	return &addrBook{links: maps.Clone(b.links), tables: maps.Clone(b.tables)}
}
