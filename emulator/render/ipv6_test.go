package render

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

// TestIPv6LeavesTheIPv4DataPlaneAlone: the data plane carries IPv4 only, so IPv6 in the model
// (a VPC's /56 with the default group's ::/0 egress and the default ACL's rules 101 it brings,
// IPv6 and ICMPv6 security group rules, IPv6 network ACL entries, IPv6 routes to an interface
// and to a gateway) renders to exactly the spec the model had without it: no IPv6 rule admits
// an IPv4 packet and no IPv6 route makes an instance a router.
func TestIPv6LeavesTheIPv4DataPlaneAlone(t *testing.T) {
	topo := topology.Default()
	w := emulator.NewWorld(topo.WorldOptions(emulator.Options{Seed: 7}))
	if err := topo.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	const vpc, inst = "vpc-0cb1a66017eed9372", "i-0f3c2b1a998877665"
	c := emulator.Caller{Account: "435886841536", Region: "us-east-1"}
	book := newAddrBook()
	var before any
	w.View(func(tx *emulator.Tx) error { before, _, _ = render(tx, book, nil); return nil })

	var changed []string
	if err := w.Update(func(tx *emulator.Tx) error {
		if _, err := tx.AssociateVPCIPv6(c, vpc); err != nil {
			return err
		}
		v := tx.VPC(vpc)
		g := tx.Instance(inst).SecurityGroupIDs[0]
		for _, p := range []emulator.Permission{
			{Protocol: "tcp", FromPort: ptr(80), ToPort: ptr(80), IPv6CIDRs: []emulator.PermissionCIDR{{CIDR: "::/0"}}},
			{Protocol: "icmpv6", FromPort: ptr(-1), ToPort: ptr(-1), IPv6CIDRs: []emulator.PermissionCIDR{{CIDR: "2001:db8::/32"}}},
			{Protocol: "-1", IPv6CIDRs: []emulator.PermissionCIDR{{CIDR: "2001:db8:1::/48"}}},
		} {
			if _, err := tx.AuthorizeIngress(c, g, []emulator.Permission{p}); err != nil {
				return err
			}
		}
		if err := tx.CreateNetworkACLEntry(c, v.DefaultNetworkACLID, emulator.NACLEntry{RuleNumber: 90, Protocol: "-1", CIDR: netip.MustParsePrefix("::/0")}); err != nil {
			return err
		}
		rt := v.MainRouteTableID
		if err := tx.CreateRoute(c, rt, netip.MustParsePrefix("2001:db8::/32"), emulator.RouteTarget{InstanceID: inst}); err != nil {
			return err
		}
		igw, err := tx.CreateInternetGateway(c, nil)
		if err != nil {
			return err
		}
		if err := tx.CreateRoute(c, rt, emulator.AllIPv6, emulator.RouteTarget{GatewayID: igw.ID}); err != nil {
			return err
		}
		for _, r := range tx.SecurityGroup(v.DefaultSecurityGroupID).Egress {
			changed = append(changed, r.CIDR.String())
		}
		for _, e := range tx.NetworkACL(v.DefaultNetworkACLID).Entries {
			changed = append(changed, e.CIDR.String())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"0.0.0.0/0", "::/0", "::/0", "0.0.0.0/0", "::/0", "0.0.0.0/0", "::/0"}; !reflect.DeepEqual(changed, want) {
		t.Errorf("default group egress and ACL entries after the IPv6 association = %v, want %v", changed, want)
	}
	var after any
	w.View(func(tx *emulator.Tx) error { after, _, _ = render(tx, book, nil); return nil })
	if d := cmp.Diff(before, after, cmpopts.EquateComparable(netip.Prefix{}, netip.Addr{}, netip.AddrPort{})); d != "" {
		t.Errorf("IPv6 rules, entries and routes changed the rendered IPv4 data plane (-before +after):\n%s", d)
	}
}

func ptr(n int) *int { return &n }
