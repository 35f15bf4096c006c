package render_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestDataplaneNatGateway: a private subnet routed 0.0.0.0/0 → a NAT gateway in a public subnet
// reaches the internet, and the internet sees the gateway's Elastic IP; without the route (or
// once the gateway is deleted) it is refused, and the model says why.
// attachIGW gives the customer's VPC A an internet gateway.
func attachIGW(tx *emulator.Tx) (*emulator.InternetGateway, error) {
	gw, err := tx.CreateInternetGateway(custA, nil)
	if err != nil {
		return nil, err
	}
	return gw, tx.AttachInternetGateway(custA, gw.ID, vpcA)
}

func TestDataplaneNatGateway(t *testing.T) {
	g := newRig(t)
	echo := netspec.Probe{From: "a1", Kind: "http", Target: "http://echo.example.com/"}
	var eip netip.Addr
	var nat string
	g.update(func(tx *emulator.Tx) error {
		gw, err := attachIGW(tx)
		if err != nil {
			return err
		}
		pub, err := tx.CreateSubnet(custA, vpcA, netip.MustParsePrefix("172.16.1.0/24"), emulator.SubnetOptions{})
		if err != nil {
			return err
		}
		rt, err := tx.CreateRouteTable(custA, vpcA, nil)
		if err != nil {
			return err
		}
		if _, err := tx.AssociateRouteTable(custA, rt.ID, pub.ID); err != nil {
			return err
		}
		if err := tx.CreateRoute(custA, rt.ID, netip.MustParsePrefix("0.0.0.0/0"), emulator.RouteTarget{GatewayID: gw.ID}); err != nil {
			return err
		}
		e, err := tx.AllocateAddress(custA, nil)
		if err != nil {
			return err
		}
		eip = e.PublicIP
		n, err := tx.CreateNatGateway(custA, emulator.NatGatewayRequest{SubnetID: pub.ID, AllocationID: e.AllocationID})
		nat = n.ID
		return err
	})
	// The private subnet (main table) has no route to the NAT gateway yet.
	g.wantBlocked(echo, "no route for this destination")
	g.update(func(tx *emulator.Tx) error {
		return tx.CreateRoute(custA, tx.VPC(vpcA).MainRouteTableID, netip.MustParsePrefix("0.0.0.0/0"), emulator.RouteTarget{NatGatewayID: nat})
	})
	r := g.wantOK(echo)
	if got := strings.TrimSpace(r.Body); got != eip.String() {
		t.Fatalf("echo saw %q, want the NAT gateway's Elastic IP %s", got, eip)
	}
	// Nothing from the internet gets in through the NAT gateway's address.
	g.wantBlocked(netspec.Probe{From: "cafe-client", Kind: "http", Target: "http://" + eip.String() + "/"}, "nothing listens")
	g.update(func(tx *emulator.Tx) error { _, err := tx.DeleteNatGateway(custA, nat); return err })
	g.wantBlocked(echo, "NAT gateway "+nat+" is deleted")
}

// TestDataplaneElasticIP: an instance with an Elastic IP is reachable at it through the internet
// gateway and leaves from it; one without is not; disassociated, the address leads nowhere.
func TestDataplaneElasticIP(t *testing.T) {
	g := newRig(t)
	var alloc, assoc string
	var eip netip.Addr
	g.update(func(tx *emulator.Tx) error {
		gw, err := attachIGW(tx)
		if err != nil {
			return err
		}
		if err := tx.CreateRoute(custA, tx.VPC(vpcA).MainRouteTableID, netip.MustParsePrefix("0.0.0.0/0"), emulator.RouteTarget{GatewayID: gw.ID}); err != nil {
			return err
		}
		port := 80
		if _, err := tx.AuthorizeIngress(custA, tx.VPC(vpcA).DefaultSecurityGroupID, []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, CIDRs: []emulator.PermissionCIDR{{CIDR: "0.0.0.0/0"}}}}); err != nil {
			return err
		}
		e, err := tx.AllocateAddress(custA, nil)
		alloc, eip = e.AllocationID, e.PublicIP
		return err
	})
	in := netspec.Probe{From: "cafe-client", Kind: "http", Target: "http://" + eip.String() + "/"}
	echo := netspec.Probe{From: "a1", Kind: "http", Target: "http://echo.example.com/"}
	// Allocated but not associated: the address leads nowhere, a1 has no public address.
	g.wantBlocked(in, "")
	g.wantBlocked(echo, "has no public IPv4 address")
	g.update(func(tx *emulator.Tx) error {
		var err error
		assoc, err = tx.AssociateAddress(custA, alloc, instA, false)
		return err
	})
	g.wantOK(in)
	if r := g.wantOK(echo); strings.TrimSpace(r.Body) != eip.String() {
		t.Fatalf("a1 left from %q, want its Elastic IP %s", r.Body, eip)
	}
	g.update(func(tx *emulator.Tx) error { return tx.DisassociateAddress(custA, assoc) })
	g.wantBlocked(in, "")
	g.wantBlocked(echo, "has no public IPv4 address")
}
