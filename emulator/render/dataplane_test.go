package render_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

var customer = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

func TestPeeringDataplane(t *testing.T) {
	sb := netnstest.Start(t)
	top := topology.Default()
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 7}))
	if err := top.Apply(w, func(string) string { return "tok" }); err != nil {
		t.Fatal(err)
	}
	rec := &render.Reconciler{World: w, Dataplane: sb, Logger: netnstest.TestLogger(t)}
	ctx := context.Background()
	sync := func() {
		t.Helper()
		start := time.Now()
		if err := rec.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("sync took %v", time.Since(start))
	}
	sync()
	probe := func(p netspec.Probe) netspec.ProbeResult {
		t.Helper()
		sync()
		if p.Timeout == 0 {
			p.Timeout = 500 * time.Millisecond
		}
		r, err := sb.Probe(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	curl := netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}
	dns := probe(netspec.Probe{From: "ip-172-16-0-8", Kind: "dns", Target: "test-vpn-compute.herokuapp.com"})
	if !dns.OK || len(dns.Addrs) != 2 || dns.Addrs[0] != netip.MustParseAddr("10.0.25.212") {
		t.Fatalf("dns: %+v", dns)
	}
	if r := probe(curl); r.OK {
		t.Fatalf("http before peering: %+v", r)
	}
	var pcx string
	if err := w.Update(func(tx *emulator.Tx) error {
		p, err := tx.CreatePeering(customer, emulator.PeeringRequest{VPCID: "vpc-0cb1a66017eed9372", PeerVPCID: "vpc-b39527d4", PeerOwner: "884226375513", PeerRegion: "ap-northeast-1"})
		if err != nil {
			return err
		}
		pcx = p.ID
		_, err = tx.AcceptSpacePeering(tx.Space("enablement-jp"), p.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r := probe(curl); r.OK {
		t.Fatalf("http before the AWS route: %+v", r)
	}
	var rtb string
	w.View(func(tx *emulator.Tx) error { rtb = tx.VPC("vpc-0cb1a66017eed9372").MainRouteTableID; return nil })
	if err := w.Update(func(tx *emulator.Tx) error {
		return tx.CreateRoute(customer, rtb, netip.MustParsePrefix("10.0.0.0/16"), emulator.RouteTarget{PeeringID: pcx})
	}); err != nil {
		t.Fatal(err)
	}
	r := probe(curl)
	if !r.OK || r.Status != 200 || !strings.HasPrefix(r.Header.Get("Via"), "1.1 spaces-router") {
		t.Fatalf("http after the route: %+v", r)
	}
	t.Logf("via=%q body=%q", r.Header.Get("Via"), r.Body)
	// dyno → instance: blocked by the default security group until a rule allows the space CIDR.
	toInstance := netspec.Probe{From: "test-vpn-compute/web.1", Kind: "http", Target: "http://172.16.0.8/", Witness: true}
	if r := probe(toInstance); r.OK {
		t.Fatalf("dyno → instance without an SG rule: %+v", r)
	} else {
		t.Logf("blocked: %s drops=%+v", r.Err, r.Drops)
	}
	if err := w.Update(func(tx *emulator.Tx) error {
		sg := tx.VPC("vpc-0cb1a66017eed9372").DefaultSecurityGroupID
		from, to := 80, 80
		_, err := tx.AuthorizeIngress(customer, sg, []emulator.Permission{{Protocol: "tcp", FromPort: &from, ToPort: &to, CIDRs: []emulator.PermissionCIDR{{CIDR: "10.0.0.0/16"}}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r := probe(toInstance); !r.OK || r.Status != 200 {
		t.Fatalf("dyno → instance with the SG rule: %+v", r)
	}
	// Delete the peering: the route turns blackhole and traffic stops.
	if err := w.Update(func(tx *emulator.Tx) error { return tx.DeletePeering(customer, pcx) }); err != nil {
		t.Fatal(err)
	}
	if r := probe(curl); r.OK {
		t.Fatalf("http after deleting the peering: %+v", r)
	}
}

func TestDataplaneSpaceNAT(t *testing.T) {
	sb := netnstest.Start(t)
	w := world(t)
	rec := &render.Reconciler{World: w, Dataplane: sb, Logger: netnstest.TestLogger(t)}
	ctx := context.Background()
	if err := rec.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var nat []netip.Addr
	w.View(func(tx *emulator.Tx) error { nat = tx.Space("enablement-jp").NATAddrs; return nil })
	for _, dyno := range []string{"test-vpn-compute/web.1", "test-vpn-compute/web.2"} {
		p := netspec.Probe{From: dyno, Kind: "http", Target: "http://echo.example.com/", Timeout: 2 * time.Second}
		r, err := sb.Probe(ctx, p)
		if err != nil || !r.OK {
			t.Fatalf("%s: %v %+v", dyno, err, r)
		}
		got := netip.MustParseAddr(strings.TrimSpace(r.Body))
		found := false
		for _, a := range nat {
			found = found || a == got
		}
		if !found {
			t.Fatalf("%s left from %s, not one of %v", dyno, got, nat)
		}
		v := explain.Connect(rec.Spec(), explain.Flow{From: dyno, To: "echo.example.com", Proto: netspec.TCP, Port: 80})
		if !v.Reachable {
			t.Fatalf("explain: %s\n%s", v, v.Path())
		}
	}
	// The instance has no way out: no internet gateway.
	r, _ := sb.Probe(ctx, netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://echo.example.com/", Timeout: 300 * time.Millisecond})
	if r.OK {
		t.Fatal("the instance reached the internet without an internet gateway")
	}
}
