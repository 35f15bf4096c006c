package render_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// rig is the lab topology in a real sandbox, with helpers to change the model and probe.
type rig struct {
	t   *testing.T
	w   *emulator.World
	rec *render.Reconciler
	sb  *netns.Sandbox
}

var custA = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

const (
	vpcA  = "vpc-0a1a1a1a1a1a1a1a1"
	vpcB  = "vpc-0b2b2b2b2b2b2b2b2"
	instA = "i-0a1a1a1a1a1a1a1a1"
)

func newRig(t *testing.T) *rig {
	t.Helper()
	sb := netnstest.Start(t)
	top, err := topology.Load("lab")
	if err != nil {
		t.Fatal(err)
	}
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 5, PublicDNS: top.PublicDNS}))
	if err := top.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, w: w, rec: &render.Reconciler{World: w, Dataplane: sb}, sb: sb}
}

func (g *rig) update(fn func(tx *emulator.Tx) error) {
	g.t.Helper()
	if err := g.w.Update(fn); err != nil {
		g.t.Fatal(err)
	}
}

// probe syncs, explains and probes; it fails the test if the packets and the model disagree.
func (g *rig) probe(p netspec.Probe) (netspec.ProbeResult, explain.Verdict) {
	g.t.Helper()
	ctx := context.Background()
	if err := g.rec.Sync(ctx); err != nil {
		g.t.Fatal(err)
	}
	var v explain.Verdict
	switch p.Kind {
	case "dns":
		v = explain.Resolve(g.rec.Spec(), p.From, p.Target, p.Server)
	case "icmp":
		v = explain.Connect(g.rec.Spec(), explain.Flow{From: p.From, To: p.Target, Proto: netspec.ICMP})
	default:
		host, port, _ := strings.Cut(strings.TrimPrefix(strings.TrimSuffix(p.Target, "/"), "http://"), ":")
		if port == "" {
			port = "80"
		}
		var n int
		for _, c := range port {
			n = n*10 + int(c-'0')
		}
		v = explain.Connect(g.rec.Spec(), explain.Flow{From: p.From, To: host, Proto: netspec.TCP, Port: uint16(n), HTTPHost: host})
	}
	p.Timeout = 2 * time.Second
	if !v.Reachable {
		p.Timeout = 400 * time.Millisecond
		p.Witness = true
	}
	r, err := g.sb.Probe(ctx, p)
	if err != nil {
		g.t.Fatal(err)
	}
	if r.OK != v.Reachable {
		g.t.Fatalf("%s %s from %s: packets say ok=%v (%s), model says %s\n%s", p.Kind, p.Target, p.From, r.OK, r.Err, v, v.Path())
	}
	return r, v
}

func (g *rig) wantOK(p netspec.Probe) netspec.ProbeResult {
	g.t.Helper()
	r, v := g.probe(p)
	if !r.OK {
		g.t.Fatalf("%s %s from %s blocked: %s — %s", p.Kind, p.Target, p.From, r.Err, v.Reason)
	}
	return r
}

func (g *rig) wantBlocked(p netspec.Probe, reason string) explain.Verdict {
	g.t.Helper()
	r, v := g.probe(p)
	if r.OK {
		g.t.Fatalf("%s %s from %s passed, want it blocked (%s)", p.Kind, p.Target, p.From, reason)
	}
	if !strings.Contains(v.Reason, reason) {
		g.t.Fatalf("%s %s from %s: reason %q lacks %q", p.Kind, p.Target, p.From, v.Reason, reason)
	}
	return v
}

// peerAWithSpace peers VPC A with the space and routes both ways.
func (g *rig) peerAWithSpace() {
	g.update(func(tx *emulator.Tx) error {
		p, err := tx.CreatePeering(custA, emulator.PeeringRequest{VPCID: vpcA, PeerVPCID: tx.Space("rules-lab").VPCID, PeerOwner: tx.HerokuAccountID(), PeerRegion: "us-east-1"})
		if err != nil {
			return err
		}
		if _, err := tx.AcceptSpacePeering(tx.Space("rules-lab"), p.ID); err != nil {
			return err
		}
		return tx.CreateRoute(custA, tx.VPC(vpcA).MainRouteTableID, netip.MustParsePrefix("10.0.0.0/16"), emulator.RouteTarget{PeeringID: p.ID})
	})
}

func TestDataplaneTrustedIPs(t *testing.T) {
	g := newRig(t)
	web := netspec.Probe{Kind: "http", Target: "http://shop-web.herokuapp.com/"}
	in, out := web, web
	in.From, out.From = "office-client", "cafe-client"
	if r := g.wantOK(in); r.Status != 200 || !strings.HasPrefix(r.Header.Get("Via"), "1.1 spaces-router") {
		t.Fatalf("%+v", r)
	}
	g.wantOK(out) // the default ruleset trusts 0.0.0.0/0
	g.update(func(tx *emulator.Tx) error {
		_, err := tx.PutInboundRuleset(tx.Space("rules-lab"), []emulator.InboundRule{{Action: emulator.RuleAllow, Source: netip.MustParsePrefix("203.0.113.0/24")}}, "user@example.com")
		return err
	})
	g.wantOK(in)
	g.wantBlocked(out, "no trusted IP range of rules-lab contains the client")
	g.update(func(tx *emulator.Tx) error {
		_, err := tx.PutInboundRuleset(tx.Space("rules-lab"), nil, "user@example.com")
		return err
	})
	g.wantBlocked(in, "all inbound web requests to its dynos are blocked")
	// An internal-routing app is never served to the internet, whatever the trusted IPs.
	g.update(func(tx *emulator.Tx) error {
		_, err := tx.PutInboundRuleset(tx.Space("rules-lab"), []emulator.InboundRule{emulator.DefaultInboundRule}, "user@example.com")
		return err
	})
	api := netspec.Probe{From: "office-client", Kind: "http", Target: "http://shop-api.herokuapp.com/"}
	g.wantBlocked(api, "not routed on the internet")
	// …but it is from a peered network.
	g.peerAWithSpace()
	api.From = "a1"
	if r := g.wantOK(api); r.Status != 200 {
		t.Fatalf("%+v", r)
	}
}

func TestDataplaneDiscoveryWorkersAndData(t *testing.T) {
	g := newRig(t)
	g.peerAWithSpace()
	var workers []netip.Addr
	g.w.View(func(tx *emulator.Tx) error {
		for _, d := range tx.App("shop-web").Dynos {
			if d.Type == "worker" {
				workers = append(workers, d.PrivateIP)
			}
		}
		return nil
	})
	r := g.wantOK(netspec.Probe{From: "shop-web/web.1", Kind: "dns", Target: "worker.shop-web.app.localspace"})
	if len(r.Addrs) != 3 {
		t.Fatalf("want 3 of %d workers, got %v", len(workers), r.Addrs)
	}
	for _, a := range r.Addrs {
		if !slices.Contains(workers, a) {
			t.Fatalf("%s is not a worker of shop-web", a)
		}
	}
	r = g.wantOK(netspec.Probe{From: "shop-api/web.1", Kind: "dns", Target: "2.worker.shop-web.app.localspace"})
	if len(r.Addrs) != 1 || r.Addrs[0] != workers[1] {
		t.Fatalf("2.worker: %v, workers %v", r.Addrs, workers)
	}
	// Workers answer other dynos of the space directly, and nobody outside it.
	g.wantOK(netspec.Probe{From: "shop-api/web.1", Kind: "icmp", Target: workers[0].String()})
	g.wantBlocked(netspec.Probe{From: "a1", Kind: "icmp", Target: workers[0].String()}, "accept traffic only from inside the space")
	g.wantBlocked(netspec.Probe{From: "a1", Kind: "dns", Target: "worker.shop-web.app.localspace"}, "NXDOMAIN")
	// Postgres: from dynos only.
	pg := netspec.Probe{Kind: "tcp", Target: "10.1.0.10:5432"}
	pg.From = "shop-web/worker.1"
	if r := g.wantOK(pg); !strings.Contains(r.Body, "PostgreSQL") {
		t.Fatalf("banner %q", r.Body)
	}
	g.update(func(tx *emulator.Tx) error { // the peer even routes the data CIDR into the peering
		p := tx.PeeringOn(vpcA, tx.Space("rules-lab").VPCID)
		return tx.CreateRoute(custA, tx.VPC(vpcA).MainRouteTableID, netip.MustParsePrefix("10.1.0.0/16"), emulator.RouteTarget{PeeringID: p.ID})
	})
	pg.From = "a1"
	g.wantBlocked(pg, "only delivered inside it")
	pg.From = "office-client"
	g.wantBlocked(pg, "not routed on the internet")
	// Trusted-IP access for data: a public endpoint that only the trusted range may use.
	var public string
	g.w.View(func(tx *emulator.Tx) error {
		for _, d := range tx.DataServices("") {
			if d.Name == "postgresql-reporting-202" {
				public = d.PublicHost()
			}
		}
		return nil
	})
	reporting := netspec.Probe{From: "office-client", Kind: "tcp", Target: public + ":5432"}
	g.wantOK(reporting)
	reporting.From = "cafe-client"
	g.wantBlocked(reporting, "accepts connections only from the dynos of rules-lab and from its trusted IP ranges")
	reporting.From, reporting.Target = "shop-web/web.2", "10.1.0.20:5432"
	g.wantOK(reporting)
}

func TestDataplaneAWSRules(t *testing.T) {
	g := newRig(t)
	var pcxAB string
	// A ↔ B peering, routed both ways; A ↔ space too.
	g.peerAWithSpace()
	g.update(func(tx *emulator.Tx) error {
		p, err := tx.CreatePeering(custA, emulator.PeeringRequest{VPCID: vpcA, PeerVPCID: vpcB})
		if err != nil {
			return err
		}
		pcxAB = p.ID
		if _, err := tx.AcceptPeering(custA, p.ID); err != nil {
			return err
		}
		if err := tx.CreateRoute(custA, tx.VPC(vpcA).MainRouteTableID, netip.MustParsePrefix("172.20.0.0/16"), emulator.RouteTarget{PeeringID: p.ID}); err != nil {
			return err
		}
		if err := tx.CreateRoute(custA, tx.VPC(vpcB).MainRouteTableID, netip.MustParsePrefix("172.16.0.0/16"), emulator.RouteTarget{PeeringID: p.ID}); err != nil {
			return err
		}
		// B even points the space at A: still no transit through A.
		return tx.CreateRoute(custA, tx.VPC(vpcB).MainRouteTableID, netip.MustParsePrefix("10.0.0.0/16"), emulator.RouteTarget{PeeringID: p.ID})
	})
	openHTTP := func(vpc string, from string) {
		g.update(func(tx *emulator.Tx) error {
			port := 80
			_, err := tx.AuthorizeIngress(custA, tx.VPC(vpc).DefaultSecurityGroupID, []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, CIDRs: []emulator.PermissionCIDR{{CIDR: from}}}})
			return err
		})
	}
	b1ToA1 := netspec.Probe{From: "b1", Kind: "http", Target: "http://172.16.0.8/"}
	g.wantBlocked(b1ToA1, "no inbound rule") // SGs are allow-only: the default group trusts only itself
	openHTTP(vpcA, "172.20.0.0/16")
	g.wantOK(b1ToA1)
	// No transitive routing: B reaches A, A reaches the space, B does not reach the space.
	g.wantOK(netspec.Probe{From: "a1", Kind: "http", Target: "http://shop-api.herokuapp.com/"})
	g.wantBlocked(netspec.Probe{From: "b1", Kind: "http", Target: "http://10.0.25.212/"}, "only delivered inside it")
	// Egress is its own gate: take away A's outbound rule and even an allowed reply-less flow stops.
	g.update(func(tx *emulator.Tx) error {
		_, err := tx.RevokeEgress(custA, tx.VPC(vpcA).DefaultSecurityGroupID, []emulator.Permission{{Protocol: "-1", CIDRs: []emulator.PermissionCIDR{{CIDR: "0.0.0.0/0"}}}})
		return err
	})
	g.wantOK(b1ToA1) // a reply to an accepted connection is not egress (stateful)
	g.wantBlocked(netspec.Probe{From: "a1", Kind: "http", Target: "http://172.20.0.8/"}, "no outbound rule")
	// A NACL deny beats a security group allow.
	g.update(func(tx *emulator.Tx) error {
		acl, err := tx.CreateNetworkACL(custA, vpcA, nil)
		if err != nil {
			return err
		}
		all := netip.MustParsePrefix("0.0.0.0/0")
		for _, e := range []emulator.NACLEntry{
			{RuleNumber: 50, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: netip.MustParsePrefix("172.20.0.0/16"), Allow: false},
			{RuleNumber: 100, Protocol: "-1", CIDR: all, Allow: true},
			{RuleNumber: 100, Egress: true, Protocol: "-1", CIDR: all, Allow: true},
		} {
			if err := tx.CreateNetworkACLEntry(custA, acl.ID, e); err != nil {
				return err
			}
		}
		var assoc string
		for _, n := range tx.NetworkACLs() {
			for _, a := range n.Associations {
				if a.SubnetID == "subnet-0a1a1a1a1a1a1a1a1" {
					assoc = a.ID
				}
			}
		}
		_, err = tx.ReplaceNetworkACLAssociation(custA, assoc, acl.ID)
		return err
	})
	v := g.wantBlocked(b1ToA1, "inbound rule 50: deny tcp/80-80 from 172.20.0.0/16")
	t.Logf("NACL: %s", v.Reason)
	// enableDnsSupport false: the VPC's resolver stops answering, and says why; on again, it
	// answers again.
	name := netspec.Probe{From: "a1", Kind: "dns", Target: "shop-api.herokuapp.com"}
	g.wantOK(name)
	dnsSupport := func(on bool) {
		g.update(func(tx *emulator.Tx) error {
			return tx.SetVPCAttribute(custA, vpcA, emulator.AttrDNSSupport, on)
		})
	}
	g.update(func(tx *emulator.Tx) error { return tx.SetVPCAttribute(custA, vpcA, emulator.AttrDNSHostnames, false) })
	dnsSupport(false)
	v = g.wantBlocked(name, "enableDnsSupport false")
	t.Logf("DNS off: %s", v.Reason)
	dnsSupport(true)
	g.wantOK(name)
	_ = pcxAB
}

func TestDataplaneInternetGateway(t *testing.T) {
	g := newRig(t)
	echo := netspec.Probe{From: "a1", Kind: "http", Target: "http://echo.example.com/"}
	g.wantBlocked(echo, "no route for this destination")
	var igw string
	g.update(func(tx *emulator.Tx) error {
		gw, err := tx.CreateInternetGateway(custA, nil)
		if err != nil {
			return err
		}
		igw = gw.ID
		if err := tx.AttachInternetGateway(custA, gw.ID, vpcA); err != nil {
			return err
		}
		return tx.CreateRoute(custA, tx.VPC(vpcA).MainRouteTableID, netip.MustParsePrefix("0.0.0.0/0"), emulator.RouteTarget{GatewayID: gw.ID})
	})
	g.wantBlocked(echo, "has no public IPv4 address")
	var pub netip.Addr
	g.update(func(tx *emulator.Tx) error {
		i, err := tx.RunInstance(custA, "subnet-0a1a1a1a1a1a1a1a1", emulator.InstanceOptions{PublicIP: true, Services: []emulator.Service{{Kind: "http", Port: 80}},
			Tags: emulator.Tags{"Name": "a2"}})
		pub = i.PublicIP
		return err
	})
	echo.From = "a2"
	r := g.wantOK(echo)
	if strings.TrimSpace(r.Body) != pub.String() {
		t.Fatalf("left from %q, want its public IP %s", r.Body, pub)
	}
	// Inbound to the public IP: the security group decides.
	in := netspec.Probe{From: "cafe-client", Kind: "http", Target: "http://" + pub.String() + "/"}
	g.wantBlocked(in, "no inbound rule")
	g.update(func(tx *emulator.Tx) error {
		port := 80
		_, err := tx.AuthorizeIngress(custA, tx.VPC(vpcA).DefaultSecurityGroupID, []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, CIDRs: []emulator.PermissionCIDR{{CIDR: "0.0.0.0/0"}}}})
		return err
	})
	g.wantOK(in)
	g.update(func(tx *emulator.Tx) error { return tx.DetachInternetGateway(custA, igw, vpcA) })
	g.wantBlocked(echo, "is detached")
}

func TestDataplaneScaleFollowsDNS(t *testing.T) {
	g := newRig(t)
	scale := func(n int) {
		g.update(func(tx *emulator.Tx) error {
			_, err := tx.Scale("shop-web", []emulator.ScaleUpdate{{Type: "web", Quantity: &n}})
			return err
		})
	}
	for _, n := range []int{1, 5, 2} {
		scale(n)
		r := g.wantOK(netspec.Probe{From: "shop-web/worker.1", Kind: "dns", Target: "web.shop-web.app.localspace"})
		if want := min(n, 3); len(r.Addrs) != want {
			t.Fatalf("web=%d: %d answers %v", n, len(r.Addrs), r.Addrs)
		}
		for i := 1; i <= 5; i++ {
			name := "http://" + string(rune('0'+i)) + ".web.shop-web.app.localspace:5000/"
			p := netspec.Probe{From: "shop-web/worker.1", Kind: "http", Target: name}
			if i <= n {
				g.wantOK(p)
			} else {
				g.wantBlocked(p, "NXDOMAIN")
			}
		}
		if r := g.wantOK(netspec.Probe{From: "office-client", Kind: "http", Target: "http://shop-web.herokuapp.com/"}); r.Status != 200 {
			t.Fatalf("web=%d: router answered %d", n, r.Status)
		}
	}
	if _, err := g.sb.Probe(context.Background(), netspec.Probe{From: "shop-web/web.5", Kind: "icmp", Target: "10.0.0.1"}); err == nil {
		t.Fatal("web.5 still has a namespace after scaling to 2")
	}
}

// TestDataplanePrefixListChanges: a security group rule and a route that name prefix lists
// follow the lists' entries as they change, with real packets (the partial render re-renders
// the group's members and the table's VPC router, and the sandbox applies the deltas).
func TestDataplanePrefixListChanges(t *testing.T) {
	g := newRig(t)
	var pub netip.Addr
	var clients, routes string
	g.update(func(tx *emulator.Tx) error {
		gw, err := attachIGW(tx)
		if err != nil {
			return err
		}
		c, err := tx.CreatePrefixList(custA, emulator.PrefixListSpec{Name: "clients", AddressFamily: "IPv4", MaxEntries: 5,
			Entries: []emulator.PermissionCIDR{{CIDR: "203.0.113.50/32"}}})
		if err != nil {
			return err
		}
		r, err := tx.CreatePrefixList(custA, emulator.PrefixListSpec{Name: "routes", AddressFamily: "IPv4", MaxEntries: 5,
			Entries: []emulator.PermissionCIDR{{CIDR: "203.0.113.0/24"}}})
		if err != nil {
			return err
		}
		clients, routes = c.ID, r.ID
		// The instance's subnet reaches the internet only for the routes list's CIDRs.
		if err := tx.CreatePrefixListRoute(custA, tx.VPC(vpcA).MainRouteTableID, r.ID, emulator.RouteTarget{GatewayID: gw.ID}); err != nil {
			return err
		}
		i, err := tx.RunInstance(custA, "subnet-0a1a1a1a1a1a1a1a1", emulator.InstanceOptions{PublicIP: true, Services: []emulator.Service{{Kind: "http", Port: 80}},
			Tags: emulator.Tags{"Name": "a2"}})
		if err != nil {
			return err
		}
		pub = i.PublicIP
		port := 80
		_, err = tx.AuthorizeIngress(custA, i.SecurityGroupIDs[0], []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, PrefixLists: []emulator.PermissionCIDR{{CIDR: c.ID}}}})
		return err
	})
	web := "http://" + pub.String() + "/"
	office := netspec.Probe{From: "office-client", Kind: "http", Target: web}
	cafe := netspec.Probe{From: "cafe-client", Kind: "http", Target: web}
	g.wantOK(office)
	g.wantBlocked(cafe, "no inbound rule")
	modify := func(id string, add, remove string) {
		g.update(func(tx *emulator.Tx) error {
			v := tx.PrefixList(id).Version
			_, err := tx.ModifyPrefixList(custA, id, emulator.PrefixListChange{CurrentVersion: &v,
				Add: []emulator.PermissionCIDR{{CIDR: add}}, Remove: []string{remove}})
			return err
		})
	}
	// The cafe joins the clients and the office leaves them: the group follows, but the
	// cafe's replies have no route yet (the routes list covers 203.0.113.0/24 only).
	modify(clients, "198.51.100.77/32", "203.0.113.50/32")
	g.wantBlocked(office, "no inbound rule")
	g.wantBlocked(cafe, "no route")
	modify(routes, "198.51.100.77/32", "203.0.113.0/24")
	g.wantOK(cafe)
}
