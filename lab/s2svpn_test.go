package lab_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

var customerCaller = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

const (
	customerVPCID = "vpc-0cb1a66017eed9372"
	customerInst  = "i-0f3c2b1a998877665"
)

// s2sTunnels returns "STATUS message" of each tunnel of the connection.
func s2sTunnels(tx *emulator.Tx, id string) []string {
	var out []string
	for _, t := range tx.VpnConnection(id).Tunnels {
		out = append(out, t.Status+" "+t.StatusMessage)
	}
	return out
}

// waitTunnels waits until ok accepts the tunnels' states, on every change of the world (the lab
// records each report of the data plane as one).
func waitTunnels(t *testing.T, w *emulator.World, id string, ok func([]string) bool) []string {
	t.Helper()
	for {
		gen := w.Generation()
		var states []string
		w.View(func(tx *emulator.Tx) error { states = s2sTunnels(tx, id); return nil })
		if ok(states) {
			return states
		}
		select {
		case <-w.Changed(gen):
		case <-t.Context().Done():
			t.Fatalf("tunnels of %s: %q", id, states)
		}
	}
}

func allUp(states []string) bool {
	for _, s := range states {
		if !strings.HasPrefix(s, emulator.TunnelUp) {
			return false
		}
	}
	return len(states) == 2
}

// s2sConnect makes a customer gateway at the office's address, a virtual private gateway
// attached to the customer VPC and a static VPN connection between them; it returns the
// connection and the VGW.
func s2sConnect(t *testing.T, l *lab.Lab, opts emulator.VpnConnectionRequest) (string, string) {
	t.Helper()
	var vpnID, vgwID string
	if err := l.World.Update(func(tx *emulator.Tx) error {
		cg, err := tx.CreateCustomerGateway(customerCaller, emulator.CustomerGatewayRequest{Type: "ipsec.1", IPAddress: "203.0.113.20"})
		if err != nil {
			return err
		}
		g, err := tx.CreateVpnGateway(customerCaller, emulator.VpnGatewayRequest{Type: "ipsec.1"})
		if err != nil {
			return err
		}
		if _, err := tx.AttachVpnGateway(customerCaller, g.ID, customerVPCID); err != nil {
			return err
		}
		opts.Type, opts.CustomerGatewayID, opts.VpnGatewayID, opts.StaticRoutesOnly = "ipsec.1", cg.ID, g.ID, true
		v, err := tx.CreateVpnConnection(customerCaller, opts)
		if err != nil {
			return err
		}
		vpnID, vgwID = v.ID, g.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return vpnID, vgwID
}

func mainRouteTable(t *testing.T, l *lab.Lab) string {
	var rtb string
	l.World.View(func(tx *emulator.Tx) error {
		rtb = tx.VPC(customerVPCID).MainRouteTableID
		return nil
	})
	return rtb
}

// TestLabS2SVPNBuiltinOffice connects the customer VPC to the office over an AWS Site-to-Site
// VPN with spacelab's own IPsec on both ends (nothing installed): both tunnels come up and show
// UP in VgwTelemetry; the instance reaches office-pc by packets through a static route to the
// VGW once the connection has a static route for the office (before, the VGW drops it), then
// through the route propagated from that static route, and is blocked when each is removed; the
// office reaches the instance's web server once its SG allows it.
func TestLabS2SVPNBuiltinOffice(t *testing.T) {
	top := topology.Default()
	top.Offices[0].IPsec = "builtin"
	l := labtest.Start(t, lab.Options{Topology: top})
	ctx := context.Background()
	vpnID, vgwID := s2sConnect(t, l, emulator.VpnConnectionRequest{})
	states := waitTunnels(t, l.World, vpnID, allUp)
	t.Logf("tunnels: %q", states)
	rtb := mainRouteTable(t, l)
	office := netip.MustParsePrefix("192.168.0.0/24")
	update := func(fn func(tx *emulator.Tx) error) {
		t.Helper()
		if err := l.World.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, p netspec.Probe, ok bool, code string) {
		t.Helper()
		c, err := l.Check(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if c.Result.OK != ok || !c.Agree || (code != "" && c.Verdict.Code != code && c.Verdict.Explanation != code) {
			t.Fatalf("%s: %s (%s/%s)\n%s", name, c.Summary(), c.Verdict.Code, c.Verdict.Explanation, c.Verdict.Path())
		}
		t.Logf("%s: %s", name, c.Summary())
	}
	ping := netspec.Probe{From: customerInst, Kind: "icmp", Target: "192.168.0.10"}
	check("no route to the office yet", ping, false, "NO_ROUTE_IN_TABLE")

	// Static: a route table route to the VGW, and the connection's static route for the office.
	update(func(tx *emulator.Tx) error {
		return tx.CreateRoute(customerCaller, rtb, office, emulator.RouteTarget{GatewayID: vgwID})
	})
	check("a route to the VGW, no VPN static route", ping, false, "NO_VPN_ROUTE")
	update(func(tx *emulator.Tx) error {
		return tx.CreateVpnConnectionRoute(customerCaller, vpnID, office, office.String())
	})
	check("static routes → office-pc", ping, true, "")
	update(func(tx *emulator.Tx) error {
		port := 80
		_, err := tx.AuthorizeIngress(customerCaller, tx.Instance(customerInst).SecurityGroupIDs[0],
			[]emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, CIDRs: []emulator.PermissionCIDR{{CIDR: office.String()}}}})
		return err
	})
	check("office-pc → the instance's web server", netspec.Probe{From: "office-pc", Kind: "http", Target: "http://172.16.0.8/"}, true, "")
	update(func(tx *emulator.Tx) error { return tx.DeleteRoute(customerCaller, rtb, office) })
	check("static route removed", ping, false, "NO_ROUTE_IN_TABLE")

	// Propagation: the connection's static route appears in the table.
	update(func(tx *emulator.Tx) error { return tx.EnableVgwRoutePropagation(customerCaller, rtb, vgwID) })
	check("propagated route → office-pc", ping, true, "")
	update(func(tx *emulator.Tx) error {
		return tx.DeleteVpnConnectionRoute(customerCaller, vpnID, office, office.String())
	})
	check("VPN static route removed", ping, false, "NO_ROUTE_IN_TABLE")
}

// TestLabS2SVPNProposalMismatchIsNamed: tunnel options that accept only AES256 in phase 1
// against an office offering AES128 keep both tunnels DOWN; VgwTelemetry says why, and a check
// from the instance names the down tunnel (TUNNEL_DOWN), agreeing with the packets.
func TestLabS2SVPNProposalMismatchIsNamed(t *testing.T) {
	top := topology.Default()
	top.Offices[0].IPsec = "builtin"
	l := labtest.Start(t, lab.Options{Topology: top})
	aes256 := emulator.TunnelOptions{Phase1Encryption: []string{"AES256"}}
	vpnID, vgwID := s2sConnect(t, l, emulator.VpnConnectionRequest{Tunnels: [2]emulator.TunnelSpec{{Options: aes256}, {Options: aes256}}})
	states := waitTunnels(t, l.World, vpnID, func(s []string) bool {
		return len(s) == 2 && strings.HasPrefix(s[0], "DOWN") && strings.Contains(strings.ToLower(s[0]), "proposal") &&
			strings.HasPrefix(s[1], "DOWN") && strings.Contains(strings.ToLower(s[1]), "proposal")
	})
	t.Logf("tunnels: %q", states)
	rtb := mainRouteTable(t, l)
	if err := l.World.Update(func(tx *emulator.Tx) error {
		office := netip.MustParsePrefix("192.168.0.0/24")
		if err := tx.CreateVpnConnectionRoute(customerCaller, vpnID, office, office.String()); err != nil {
			return err
		}
		return tx.CreateRoute(customerCaller, rtb, office, emulator.RouteTarget{GatewayID: vgwID})
	}); err != nil {
		t.Fatal(err)
	}
	c, err := l.Check(context.Background(), netspec.Probe{From: customerInst, Kind: "icmp", Target: "192.168.0.10"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Result.OK || !c.Agree || c.Verdict.Code != "TUNNEL_DOWN" {
		t.Fatalf("%s (%s)\n%s", c.Summary(), c.Verdict.Code, c.Verdict.Path())
	}
	t.Log(c.Summary())
}
