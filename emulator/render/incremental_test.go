package render_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/emulatortest"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// patcher is a DeltaDataplane double: it holds what a sandbox would hold, the last whole spec
// patched by every delta since.
type patcher struct {
	held   *netspec.Spec
	deltas []*netspec.Delta
}

func (p *patcher) Apply(_ context.Context, s *netspec.Spec) error {
	p.held = s
	return nil
}

func (p *patcher) ApplyDelta(_ context.Context, d *netspec.Delta) error {
	p.deltas = append(p.deltas, d)
	p.held = p.held.Patch(d)
	return nil
}

// change is one random API change; model says whether it can only change the model (then the
// incremental reconciler must render nothing).
type change struct {
	name  string
	model bool
	fn    func(tx *emulator.Tx) error
}

var errAbort = errors.New("aborted on purpose")

// idsOf is the ids of objects, in their order.
func idsOf[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// randomChange picks a change through the model's Tx API. Many fail (a duplicate rule, a
// revoke of a missing one, a subnet that overlaps): failures must leave no trace either.
func randomChange(rng *rand.Rand, tx *emulator.Tx) change {
	c := emulatortest.Customer
	pick := func(n int) int { return rng.IntN(max(n, 1)) }
	var groups, subnets, instances []string
	for _, g := range tx.SecurityGroups() {
		if g.Account == c.Account && g.Region == c.Region {
			groups = append(groups, g.ID)
		}
	}
	for _, s := range tx.Subnets() {
		if s.VPCID == emulatortest.CustomerVPC {
			subnets = append(subnets, s.ID)
		}
	}
	var used []string // groups with members: their rule changes reach instances' filters
	for _, i := range tx.Instances() {
		if i.Account == c.Account && i.State != "terminated" {
			instances = append(instances, i.ID)
			used = append(used, i.SecurityGroupIDs...)
		}
	}
	at := func(xs []string) string {
		if len(xs) == 0 {
			return "missing"
		}
		return xs[pick(len(xs))]
	}
	group := func() string {
		if len(used) > 0 && pick(3) > 0 {
			return used[pick(len(used))]
		}
		return at(groups)
	}
	// ingressRule picks a group and one of its ingress rules' ids ("missing" when it has none).
	ingressRule := func() (string, string) {
		g := group()
		var ids []string
		if sg := tx.SecurityGroup(g); sg != nil {
			for _, r := range sg.Ingress {
				ids = append(ids, r.ID)
			}
		}
		return g, at(ids)
	}
	taggable := append(append([]string{emulatortest.CustomerVPC}, groups...), instances...)
	port := 8000 + pick(4)
	cidr := fmt.Sprintf("198.51.100.%d/32", pick(4))
	perm := []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, CIDRs: []emulator.PermissionCIDR{{CIDR: cidr}}}}
	anApp := func() *emulator.App {
		spaces := tx.Spaces()
		apps := tx.AppsIn(spaces[pick(len(spaces))].ID)
		if len(apps) == 0 {
			return nil
		}
		return apps[pick(len(apps))]
	}
	// Routing and network ACLs of the customer VPC: tables, their associations, ACLs and theirs.
	var rtbs, rtbAssocs, acls, aclAssocs []string
	for _, rt := range tx.RouteTables() {
		if rt.VPCID != emulatortest.CustomerVPC {
			continue
		}
		rtbs = append(rtbs, rt.ID)
		if rt.Main {
			rtbAssocs = append(rtbAssocs, rt.MainAssociationID)
		}
		for _, a := range rt.Associations {
			rtbAssocs = append(rtbAssocs, a.ID)
		}
	}
	for _, n := range tx.NetworkACLs() {
		if n.VPCID != emulatortest.CustomerVPC {
			continue
		}
		acls = append(acls, n.ID)
		for _, a := range n.Associations {
			aclAssocs = append(aclAssocs, a.ID)
		}
	}
	dst := netip.MustParsePrefix(fmt.Sprintf("10.200.%d.0/24", pick(3)))
	pcxs := idsOf(tx.Peerings(), func(p *emulator.Peering) string { return p.ID })
	switch k := pick(39); k {
	case 38:
		// Private Spaces: created allocated, or provisioned and allocated later, and deleted
		// (once their apps are gone: the random apps go into random spaces).
		name := fmt.Sprintf("rnd-space-%d", pick(2))
		switch pick(4) {
		case 0:
			return change{"CreateSpace " + name, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateSpace(emulator.SpaceSpec{Name: name, Team: "rnd-team", CIDR: "10.60.0.0/16", DataCIDR: "10.61.0.0/16"})
				return err
			}}
		case 1:
			return change{"ProvisionSpace " + name, false, func(tx *emulator.Tx) error {
				_, err := tx.ProvisionSpace(emulator.SpaceSpec{Name: name, Team: "rnd-team", CIDR: "10.62.0.0/16", DataCIDR: "10.63.0.0/16"})
				return err
			}}
		case 2:
			return change{"FinishSpaceAllocations", false, func(tx *emulator.Tx) error {
				if len(tx.FinishSpaceAllocations(0)) == 0 {
					return errAbort
				}
				return nil
			}}
		}
		return change{"DeleteSpace " + name, false, func(tx *emulator.Tx) error {
			sp := tx.Space(name)
			if sp == nil {
				return errAbort
			}
			for _, app := range tx.AppsIn(sp.ID) {
				if err := tx.DeleteApp(app); err != nil {
					return err
				}
			}
			_, err := tx.DeleteSpace(sp)
			return err
		}}
	case 37:
		// Prefix lists: created, entries added and removed (what references them follows),
		// named by a group rule and by a route, deleted.
		pls := idsOf(tx.PrefixLists(), func(p *emulator.PrefixList) string { return p.ID })
		id, rt, g := at(pls), at(rtbs), group()
		entry := fmt.Sprintf("198.18.%d.0/24", pick(3))
		version := func(id string) *int {
			v := 0
			if p := tx.PrefixList(id); p != nil {
				v = p.Version
			}
			return &v
		}
		switch pick(7) {
		case 0:
			return change{"CreatePrefixList", false, func(tx *emulator.Tx) error {
				_, err := tx.CreatePrefixList(c, emulator.PrefixListSpec{Name: fmt.Sprint("pl", pick(3)), AddressFamily: "IPv4", MaxEntries: 5,
					Entries: []emulator.PermissionCIDR{{CIDR: "198.18.9.0/24"}}})
				return err
			}}
		case 1:
			return change{"ModifyPrefixList add " + id + " " + entry, false, func(tx *emulator.Tx) error {
				_, err := tx.ModifyPrefixList(c, id, emulator.PrefixListChange{Add: []emulator.PermissionCIDR{{CIDR: entry}}, CurrentVersion: version(id)})
				return err
			}}
		case 2:
			return change{"ModifyPrefixList remove " + id + " " + entry, false, func(tx *emulator.Tx) error {
				_, err := tx.ModifyPrefixList(c, id, emulator.PrefixListChange{Remove: []string{entry}, CurrentVersion: version(id)})
				return err
			}}
		case 3:
			return change{"AuthorizeIngress " + g + " from " + id, false, func(tx *emulator.Tx) error {
				_, err := tx.AuthorizeIngress(c, g, []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, PrefixLists: []emulator.PermissionCIDR{{CIDR: id}}}})
				return err
			}}
		case 4:
			return change{"CreatePrefixListRoute " + rt + " " + id, false, func(tx *emulator.Tx) error {
				return tx.CreatePrefixListRoute(c, rt, id, emulator.RouteTarget{InstanceID: at(instances)})
			}}
		case 5:
			return change{"DeletePrefixListRoute " + rt + " " + id, false, func(tx *emulator.Tx) error {
				return tx.DeletePrefixListRoute(c, rt, id)
			}}
		}
		return change{"DeletePrefixList " + id, false, func(tx *emulator.Tx) error {
			_, err := tx.DeletePrefixList(c, id)
			return err
		}}
	case 35:
		// A space's VPN connection to the office: created, its networks changed, destroyed.
		spaces := tx.Spaces()
		sp := spaces[pick(len(spaces))]
		office := netip.MustParseAddr("203.0.113.20")
		cidrs := []netip.Prefix{netip.MustParsePrefix([]string{"192.168.0.0/16", "192.168.0.0/24"}[pick(2)])}
		switch pick(3) {
		case 0:
			return change{"CreateVPNConnection office in " + sp.Name, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateVPNConnection(tx.Space(sp.ID), "office", office, cidrs)
				return err
			}}
		case 1:
			return change{"UpdateVPNConnection office in " + sp.Name + " " + cidrs[0].String(), false, func(tx *emulator.Tx) error {
				_, err := tx.UpdateVPNConnection(tx.Space(sp.ID), "office", cidrs)
				return err
			}}
		}
		return change{"DestroyVPNConnection office in " + sp.Name, false, func(tx *emulator.Tx) error {
			_, err := tx.DestroyVPNConnection(tx.Space(sp.ID), "office")
			return err
		}}
	case 36:
		// Site-to-Site VPN of the customer VPC to the office: gateways, a static connection
		// and its routes, propagation, detach and delete.
		vgws := idsOf(tx.VpnGateways(), func(g *emulator.VpnGateway) string { return g.ID })
		cgws := idsOf(tx.CustomerGateways(), func(g *emulator.CustomerGateway) string { return g.ID })
		conns := idsOf(tx.VpnConnections(), func(v *emulator.VpnConnection) string { return v.ID })
		vgw, cgw, conn, rt := at(vgws), at(cgws), at(conns), at(rtbs)
		for _, g := range tx.VpnGateways() { // mostly the one attached, so connections go live
			if g.AttachedTo(emulatortest.CustomerVPC) && pick(4) > 0 {
				vgw = g.ID
			}
		}
		for _, v := range tx.VpnConnections() {
			if v.State != emulator.VPNConnDeleted && pick(4) > 0 {
				conn = v.ID
			}
		}
		lan := netip.MustParsePrefix([]string{"192.168.0.0/24", "192.168.1.0/24"}[pick(2)])
		switch pick(10) {
		case 0:
			return change{"CreateVpnGateway", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateVpnGateway(c, emulator.VpnGatewayRequest{Type: "ipsec.1"})
				return err
			}}
		case 1:
			return change{"AttachVpnGateway " + vgw, false, func(tx *emulator.Tx) error {
				_, err := tx.AttachVpnGateway(c, vgw, emulatortest.CustomerVPC)
				return err
			}}
		case 2:
			return change{"DetachVpnGateway " + vgw, false, func(tx *emulator.Tx) error {
				return tx.DetachVpnGateway(c, vgw, emulatortest.CustomerVPC)
			}}
		case 3:
			return change{"DeleteVpnGateway " + vgw, false, func(tx *emulator.Tx) error {
				return tx.DeleteVpnGateway(c, vgw)
			}}
		case 4:
			return change{"CreateCustomerGateway office", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateCustomerGateway(c, emulator.CustomerGatewayRequest{Type: "ipsec.1", IPAddress: "203.0.113.20"})
				return err
			}}
		case 5:
			// In one Update: a gateway attached to the customer VPC and a customer gateway
			// (made if missing), and a live connection between them.
			return change{"CreateVpnConnection (live)", false, func(tx *emulator.Tx) error {
				var g *emulator.VpnGateway
				for _, o := range tx.VpnGateways() {
					if o.AttachedTo(emulatortest.CustomerVPC) {
						g = o
					}
				}
				if g == nil {
					var err error
					if g, err = tx.CreateVpnGateway(c, emulator.VpnGatewayRequest{Type: "ipsec.1"}); err != nil {
						return err
					}
					if _, err := tx.AttachVpnGateway(c, g.ID, emulatortest.CustomerVPC); err != nil {
						return err
					}
				}
				cg, err := tx.CreateCustomerGateway(c, emulator.CustomerGatewayRequest{Type: "ipsec.1", IPAddress: "203.0.113.20"})
				if err != nil {
					return err
				}
				_, err = tx.CreateVpnConnection(c, emulator.VpnConnectionRequest{Type: "ipsec.1", VpnGatewayID: g.ID, CustomerGatewayID: cg.ID, StaticRoutesOnly: true})
				return err
			}}
		case 6:
			return change{"CreateVpnConnectionRoute " + conn + " " + lan.String(), false, func(tx *emulator.Tx) error {
				return tx.CreateVpnConnectionRoute(c, conn, lan, lan.String())
			}}
		case 7:
			return change{"DeleteVpnConnectionRoute " + conn + " " + lan.String(), false, func(tx *emulator.Tx) error {
				return tx.DeleteVpnConnectionRoute(c, conn, lan, lan.String())
			}}
		case 8:
			if pick(2) == 0 {
				return change{"EnableVgwRoutePropagation " + rt + " " + vgw, false, func(tx *emulator.Tx) error {
					return tx.EnableVgwRoutePropagation(c, rt, vgw)
				}}
			}
			return change{"DisableVgwRoutePropagation " + rt + " " + vgw, false, func(tx *emulator.Tx) error {
				return tx.DisableVgwRoutePropagation(c, rt, vgw)
			}}
		}
		if pick(2) == 0 {
			return change{"DeleteCustomerGateway " + cgw, false, func(tx *emulator.Tx) error {
				return tx.DeleteCustomerGateway(c, cgw)
			}}
		}
		return change{"DeleteVpnConnection " + conn, false, func(tx *emulator.Tx) error {
			return tx.DeleteVpnConnection(c, conn)
		}}
	case 34:
		// Add-ons (data services) created for an app in a space and destroyed.
		addons := idsOf(tx.DataServices(""), func(d *emulator.DataService) string { return d.Name })
		if pick(2) == 0 {
			app := anApp()
			if app == nil {
				return change{"CreateAddon (no app)", false, func(*emulator.Tx) error { return errAbort }}
			}
			plan := []string{"heroku-postgresql:private-0", "heroku-redis:private-7", "heroku-kafka:private-extended-2"}[pick(3)]
			name := fmt.Sprintf("rnd-data-%d", pick(3))
			return change{"CreateAddon " + plan + " " + name + " for " + app.Name, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateAddon(app.ID, plan, name)
				return err
			}}
		}
		id := at(addons)
		return change{"DestroyAddon " + id, false, func(tx *emulator.Tx) error {
			_, err := tx.DestroyAddon(id)
			return err
		}}
	case 33:
		// Apps created (in a space, internal or not, or in the Common Runtime) and deleted.
		spaces := tx.Spaces()
		sp := spaces[pick(len(spaces))].Name
		name := fmt.Sprintf("rnd-app-%d", pick(4))
		switch pick(4) {
		case 0, 1:
			internal := pick(2) == 0
			return change{fmt.Sprintf("CreateApp %s in %s internal=%v", name, sp, internal), false, func(tx *emulator.Tx) error {
				_, err := tx.CreateApp(emulator.AppSpec{Name: name, Space: sp, InternalRouting: internal})
				return err
			}}
		case 2:
			return change{"CreateApp " + name + " (Common Runtime)", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateApp(emulator.AppSpec{Name: name})
				return err
			}}
		}
		return change{"DeleteApp " + name, false, func(tx *emulator.Tx) error {
			app := tx.App(name)
			if app == nil {
				return errAbort
			}
			return tx.DeleteApp(app)
		}}
	case 32:
		// Interfaces of their own: created in a subnet (members of a group, a DNS record),
		// attached to an instance, given an Elastic IP, routed to, modified, detached,
		// deleted; and an instance's source/destination check.
		var enis, attachments []string
		for _, n := range tx.NetworkInterfaces() {
			if n.Primary || n.Account != c.Account {
				continue
			}
			enis = append(enis, n.ID)
			if n.Attachment != nil {
				attachments = append(attachments, n.Attachment.ID)
			}
		}
		eips := idsOf(tx.ElasticIPs(), func(e *emulator.ElasticIP) string { return e.AllocationID })
		id, s, inst, g := at(enis), at(subnets), at(instances), at(groups)
		on := pick(2) == 0
		switch pick(9) {
		case 0:
			return change{"CreateNetworkInterface " + s + " " + g, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateNetworkInterface(c, s, emulator.ENIOptions{SecurityGroupIDs: []string{g}})
				return err
			}}
		case 1:
			return change{"AttachNetworkInterface " + id + " " + inst, false, func(tx *emulator.Tx) error {
				_, err := tx.AttachNetworkInterface(c, id, inst, 1+pick(2))
				return err
			}}
		case 2:
			a := at(attachments)
			return change{"DetachNetworkInterface " + a, false, func(tx *emulator.Tx) error {
				return tx.DetachNetworkInterface(c, a)
			}}
		case 3:
			return change{"DeleteNetworkInterface " + id, false, func(tx *emulator.Tx) error {
				return tx.DeleteNetworkInterface(c, id)
			}}
		case 4:
			return change{fmt.Sprintf("ModifyNetworkInterface %s groups %s check %v", id, g, on), false, func(tx *emulator.Tx) error {
				return tx.ModifyNetworkInterface(c, id, emulator.ENIChange{Groups: []string{g}, SourceDestCheck: &on})
			}}
		case 5:
			desc := fmt.Sprint("d", pick(3))
			return change{"ModifyNetworkInterface description " + id, true, func(tx *emulator.Tx) error {
				return tx.ModifyNetworkInterface(c, id, emulator.ENIChange{Description: &desc})
			}}
		case 6:
			eip := at(eips)
			return change{"AssociateAddressENI " + eip + " " + id, false, func(tx *emulator.Tx) error {
				_, err := tx.AssociateAddressENI(c, eip, id, netip.Addr{}, pick(2) == 0)
				return err
			}}
		case 7:
			rt := at(rtbs)
			return change{"CreateRoute " + rt + " " + dst.String() + " → " + id, false, func(tx *emulator.Tx) error {
				return tx.CreateRoute(c, rt, dst, emulator.RouteTarget{NetworkInterfaceID: id})
			}}
		}
		return change{fmt.Sprintf("ModifyInstanceAttribute %s sourceDestCheck %v", inst, on), false, func(tx *emulator.Tx) error {
			return tx.SetInstanceAttributes(c, inst, func(a *emulator.InstanceAttributes) error { a.SourceDestCheck = on; return nil })
		}}
	case 31:
		// NAT gateways: created with an Elastic IP (failed when it is in use), routed to,
		// deleted.
		nats := idsOf(tx.NatGateways(), func(n *emulator.NatGateway) string { return n.ID })
		eips := idsOf(tx.ElasticIPs(), func(e *emulator.ElasticIP) string { return e.AllocationID })
		id, s, eip, rt := at(nats), at(subnets), at(eips), at(rtbs)
		switch pick(3) {
		case 0:
			return change{"CreateNatGateway " + s + " " + eip, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateNatGateway(c, emulator.NatGatewayRequest{SubnetID: s, AllocationID: eip})
				return err
			}}
		case 1:
			return change{"CreateRoute " + rt + " " + dst.String() + " → " + id, false, func(tx *emulator.Tx) error {
				return tx.CreateRoute(c, rt, dst, emulator.RouteTarget{NatGatewayID: id})
			}}
		}
		return change{"DeleteNatGateway " + id, false, func(tx *emulator.Tx) error {
			_, err := tx.DeleteNatGateway(c, id)
			return err
		}}
	case 30:
		// Secondary IPv4 blocks of the customer VPC (the local routes of its tables), with a
		// subnet in one; DNS support (its resolver answers or not); IPv6 blocks and the other
		// attributes (model only: the data plane is IPv4 and reads no other attribute).
		var blocks, v6 []string
		if v := tx.VPC(emulatortest.CustomerVPC); v != nil {
			blocks = idsOf(tx.VisibleSecondary(v), func(b *emulator.VPCCIDRBlock) string { return b.AssociationID })
			v6 = idsOf(tx.VPCIPv6(v.ID), func(a *emulator.IPv6CIDRAssociation) string { return a.ID })
		}
		block := netip.MustParsePrefix(fmt.Sprintf("172.%d.0.0/16", 20+pick(3)))
		switch pick(7) {
		case 5:
			on := pick(2) == 0
			return change{fmt.Sprintf("ModifyVpcAttribute enableDnsSupport %v", on), false, func(tx *emulator.Tx) error {
				if err := tx.SetVPCAttribute(c, emulatortest.CustomerVPC, emulator.AttrDNSHostnames, false); err != nil {
					return err
				}
				return tx.SetVPCAttribute(c, emulatortest.CustomerVPC, emulator.AttrDNSSupport, on)
			}}
		case 0:
			return change{"AssociateVPCIPv4 " + block.String(), false, func(tx *emulator.Tx) error {
				_, err := tx.AssociateVPCIPv4(c, emulatortest.CustomerVPC, block)
				return err
			}}
		case 1:
			id := at(blocks)
			return change{"DisassociateVPCIPv4 " + id, false, func(tx *emulator.Tx) error {
				_, _, err := tx.DisassociateVPCIPv4(c, id)
				return err
			}}
		case 2:
			sub := netip.PrefixFrom(block.Addr(), 24)
			return change{"CreateSubnet " + sub.String(), false, func(tx *emulator.Tx) error {
				_, err := tx.CreateSubnet(c, emulatortest.CustomerVPC, sub, emulator.SubnetOptions{})
				return err
			}}
		case 3:
			return change{"AssociateVPCIPv6", true, func(tx *emulator.Tx) error {
				_, err := tx.AssociateVPCIPv6(c, emulatortest.CustomerVPC)
				return err
			}}
		case 4:
			id := at(v6)
			return change{"DisassociateVPCCIDR " + id, true, func(tx *emulator.Tx) error {
				_, _, err := tx.DisassociateVPCCIDR(c, id)
				return err
			}}
		}
		on := pick(2) == 0
		s := at(subnets)
		return change{fmt.Sprintf("ModifyVpcAttribute/ModifySubnetAttribute %v", on), true, func(tx *emulator.Tx) error {
			if err := tx.SetVPCAttribute(c, emulatortest.CustomerVPC, emulator.AttrDNSHostnames, on); err != nil {
				return err
			}
			return tx.SetSubnetAttributes(c, s, emulator.SubnetAttributes{MapPublicIPOnLaunch: &on})
		}}
	case 29:
		// VPCs of the customer's besides the fixture's: created, peered with it (and accepted:
		// the same account), deleted (ending their peerings).
		var extra []string
		for _, v := range tx.VPCs() {
			if v.Account == c.Account && v.ID != emulatortest.CustomerVPC && v.Role == emulator.RoleCustomer {
				extra = append(extra, v.ID)
			}
		}
		id := at(extra)
		switch pick(4) {
		case 0:
			cidr := netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", 90+pick(3)))
			return change{"CreateVPC " + cidr.String(), false, func(tx *emulator.Tx) error {
				_, err := tx.CreateVPC(c, cidr, emulator.VPCOptions{})
				return err
			}}
		case 1:
			return change{"CreatePeering " + id, false, func(tx *emulator.Tx) error {
				_, err := tx.CreatePeering(c, emulator.PeeringRequest{VPCID: id, PeerVPCID: emulatortest.CustomerVPC})
				return err
			}}
		case 2:
			p := at(pcxs)
			return change{"AcceptPeering (customer) " + p, false, func(tx *emulator.Tx) error {
				_, err := tx.AcceptPeering(c, p)
				return err
			}}
		}
		return change{"DeleteVPC " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteVPC(c, id)
		}}
	case 28:
		id := at(idsOf(tx.DHCPOptionsSets(), func(d *emulator.DHCPOptions) string { return d.ID }))
		switch pick(4) {
		case 0:
			domain := fmt.Sprintf("d%d.example", pick(3))
			return change{"CreateDHCPOptions " + domain, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateDHCPOptions(c, []emulator.DHCPOption{{Key: "domain-name", Values: []string{domain}}, {Key: "domain-name-servers", Values: []string{"AmazonProvidedDNS"}}}, nil)
				return err
			}}
		case 1:
			return change{"AssociateDHCPOptions default", false, func(tx *emulator.Tx) error {
				return tx.AssociateDHCPOptions(c, "default", emulatortest.CustomerVPC)
			}}
		case 2:
			return change{"AssociateDHCPOptions " + id, false, func(tx *emulator.Tx) error {
				return tx.AssociateDHCPOptions(c, id, emulatortest.CustomerVPC)
			}}
		}
		return change{"DeleteDHCPOptions " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteDHCPOptions(c, id)
		}}
	case 27:
		var eips, assocs []string
		for _, e := range tx.ElasticIPs() {
			eips = append(eips, e.AllocationID)
			if e.AssociationID != "" {
				assocs = append(assocs, e.AssociationID)
			}
		}
		id, inst := at(eips), at(instances)
		switch pick(4) {
		case 0:
			return change{"AllocateAddress", false, func(tx *emulator.Tx) error {
				_, err := tx.AllocateAddress(c, nil)
				return err
			}}
		case 1:
			again := pick(2) == 0
			return change{"AssociateAddress " + id + " " + inst, false, func(tx *emulator.Tx) error {
				// The instance's VPC needs an internet gateway: attach one in the same Update.
				if !slices.ContainsFunc(tx.InternetGateways(), func(g *emulator.InternetGateway) bool { return g.VPCID == emulatortest.CustomerVPC }) {
					g, err := tx.CreateInternetGateway(c, nil)
					if err != nil {
						return err
					}
					if err := tx.AttachInternetGateway(c, g.ID, emulatortest.CustomerVPC); err != nil {
						return err
					}
				}
				alloc := id
				if len(eips) == 0 { // and an address to associate
					e, err := tx.AllocateAddress(c, nil)
					if err != nil {
						return err
					}
					alloc = e.AllocationID
				}
				_, err := tx.AssociateAddress(c, alloc, inst, again)
				return err
			}}
		case 2:
			a := at(assocs)
			return change{"DisassociateAddress " + a, false, func(tx *emulator.Tx) error {
				return tx.DisassociateAddress(c, a)
			}}
		}
		return change{"ReleaseAddress " + id, false, func(tx *emulator.Tx) error {
			return tx.ReleaseAddress(c, id)
		}}
	case 26:
		id := at(idsOf(tx.InternetGateways(), func(g *emulator.InternetGateway) string { return g.ID }))
		switch pick(4) {
		case 0:
			return change{"CreateInternetGateway", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateInternetGateway(c, nil)
				return err
			}}
		case 1:
			return change{"AttachInternetGateway " + id, false, func(tx *emulator.Tx) error {
				return tx.AttachInternetGateway(c, id, emulatortest.CustomerVPC)
			}}
		case 2:
			return change{"DetachInternetGateway " + id, false, func(tx *emulator.Tx) error {
				return tx.DetachInternetGateway(c, id, emulatortest.CustomerVPC)
			}}
		}
		return change{"DeleteInternetGateway " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteInternetGateway(c, id)
		}}
	case 25:
		if pick(2) == 0 {
			cidr := netip.MustParsePrefix(fmt.Sprintf("172.16.%d.0/24", 200+pick(3)))
			return change{"CreateSubnet " + cidr.String(), false, func(tx *emulator.Tx) error {
				_, err := tx.CreateSubnet(c, emulatortest.CustomerVPC, cidr, emulator.SubnetOptions{})
				return err
			}}
		}
		id := at(subnets)
		return change{"DeleteSubnet " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteSubnet(c, id)
		}}
	case 24:
		if pick(2) == 0 {
			name := fmt.Sprintf("g%d", pick(3))
			return change{"CreateSecurityGroup " + name, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateSecurityGroup(c, emulatortest.CustomerVPC, name, "random", nil)
				return err
			}}
		}
		id := at(groups)
		return change{"DeleteSecurityGroup " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteSecurityGroup(c, id)
		}}
	case 22:
		id := at(pcxs)
		accepter := emulator.Caller{Account: "884226375513", Region: "ap-northeast-1"} // RequestPeering's peer
		if pick(2) == 0 {
			return change{"AcceptPeering " + id, false, func(tx *emulator.Tx) error {
				_, err := tx.AcceptPeering(accepter, id)
				return err
			}}
		}
		return change{"RejectPeering " + id, false, func(tx *emulator.Tx) error {
			return tx.RejectPeering(accepter, id)
		}}
	case 23:
		id := at(pcxs)
		if pick(2) == 0 {
			on := pick(2) == 0
			return change{fmt.Sprintf("ModifyPeeringOptions %s dns=%v", id, on), false, func(tx *emulator.Tx) error {
				_, err := tx.ModifyPeeringOptions(c, id, &emulator.PeeringOptionsChange{AllowDNSResolutionFromRemoteVPC: &on}, nil)
				return err
			}}
		}
		return change{"DeletePeering " + id, false, func(tx *emulator.Tx) error {
			return tx.DeletePeering(c, id)
		}}
	case 16:
		rt, to := at(rtbs), at(instances)
		return change{"CreateRoute " + rt + " " + dst.String() + " → " + to, false, func(tx *emulator.Tx) error {
			return tx.CreateRoute(c, rt, dst, emulator.RouteTarget{InstanceID: to})
		}}
	case 17:
		rt, to := at(rtbs), at(instances)
		if pick(2) == 0 {
			return change{"ReplaceRoute " + rt + " " + dst.String() + " → " + to, false, func(tx *emulator.Tx) error {
				return tx.ReplaceRoute(c, rt, dst, emulator.RouteTarget{InstanceID: to})
			}}
		}
		return change{"DeleteRoute " + rt + " " + dst.String(), false, func(tx *emulator.Tx) error {
			return tx.DeleteRoute(c, rt, dst)
		}}
	case 18:
		switch rt, s, a := at(rtbs), at(subnets), at(rtbAssocs); pick(5) {
		case 0:
			return change{"CreateRouteTable", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateRouteTable(c, emulatortest.CustomerVPC, nil)
				return err
			}}
		case 1:
			return change{"AssociateRouteTable " + rt + " " + s, false, func(tx *emulator.Tx) error {
				_, err := tx.AssociateRouteTable(c, rt, s)
				return err
			}}
		case 2:
			return change{"DisassociateRouteTable " + a, false, func(tx *emulator.Tx) error {
				return tx.DisassociateRouteTable(c, a)
			}}
		case 3:
			return change{"ReplaceRouteTableAssociation " + a + " " + rt, false, func(tx *emulator.Tx) error {
				_, err := tx.ReplaceRouteTableAssociation(c, a, rt)
				return err
			}}
		default:
			return change{"DeleteRouteTable " + rt, false, func(tx *emulator.Tx) error {
				return tx.DeleteRouteTable(c, rt)
			}}
		}
	case 19:
		acl := at(acls)
		e := emulator.NACLEntry{RuleNumber: 50 + pick(3), Egress: pick(2) == 0, Protocol: "6", Allow: pick(3) > 0,
			CIDR: netip.MustParsePrefix(cidr), FromPort: port, ToPort: port}
		switch pick(3) {
		case 0:
			return change{fmt.Sprintf("CreateNetworkACLEntry %s %d", acl, e.RuleNumber), false, func(tx *emulator.Tx) error {
				return tx.CreateNetworkACLEntry(c, acl, e)
			}}
		case 1:
			return change{fmt.Sprintf("ReplaceNetworkACLEntry %s %d", acl, e.RuleNumber), false, func(tx *emulator.Tx) error {
				return tx.ReplaceNetworkACLEntry(c, acl, e)
			}}
		default:
			return change{fmt.Sprintf("DeleteNetworkACLEntry %s %d", acl, e.RuleNumber), false, func(tx *emulator.Tx) error {
				return tx.DeleteNetworkACLEntry(c, acl, e.RuleNumber, e.Egress)
			}}
		}
	case 20:
		switch acl, a := at(acls), at(aclAssocs); pick(3) {
		case 0:
			return change{"CreateNetworkACL", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateNetworkACL(c, emulatortest.CustomerVPC, nil)
				return err
			}}
		case 1:
			return change{"ReplaceNetworkACLAssociation " + a + " " + acl, false, func(tx *emulator.Tx) error {
				_, err := tx.ReplaceNetworkACLAssociation(c, a, acl)
				return err
			}}
		default:
			return change{"DeleteNetworkACL " + acl, false, func(tx *emulator.Tx) error {
				return tx.DeleteNetworkACL(c, acl)
			}}
		}
	case 21:
		return change{"RunInstance", false, func(tx *emulator.Tx) error {
			_, err := tx.RunInstance(c, at(subnets), emulator.InstanceOptions{})
			return err
		}}
	case 14:
		app := anApp()
		if app == nil {
			return change{"nothing (no app)", true, func(*emulator.Tx) error { return errAbort }}
		}
		v := fmt.Sprint("v", pick(3))
		if pick(2) == 0 {
			return change{"UpdateConfigVars " + app.Name, false, func(tx *emulator.Tx) error {
				_, err := tx.UpdateConfigVars(app.ID, map[string]*string{"K": &v})
				return err
			}}
		}
		return change{"RestartDynos " + app.Name, false, func(tx *emulator.Tx) error {
			_, err := tx.RestartDynos(app.ID, "")
			return err
		}}
	case 15:
		app := anApp()
		if app == nil {
			return change{"nothing (no app)", true, func(*emulator.Tx) error { return errAbort }}
		}
		crashed := pick(2) == 0
		return change{fmt.Sprintf("SetDynoCrashed %s web.1 %v", app.Name, crashed), false, func(tx *emulator.Tx) error {
			return tx.SetDynoCrashed(app.ID, "web.1", crashed)
		}}
	case 12:
		g, id := ingressRule()
		return change{"RevokeRulesByID " + g + " " + id, false, func(tx *emulator.Tx) error {
			_, err := tx.RevokeRulesByID(c, g, []string{id}, false)
			return err
		}}
	case 13:
		g, id := ingressRule()
		return change{"ModifyRules " + g + " " + id, false, func(tx *emulator.Tx) error {
			return tx.ModifyRules(c, g, []emulator.RuleChange{{RuleID: id, Permission: perm[0]}})
		}}
	case 0, 1:
		id, key := at(taggable), []string{"env", "team", "Name"}[pick(3)]
		return change{"CreateTags " + id + " " + key, key != "Name", func(tx *emulator.Tx) error {
			return tx.CreateTags(c, []string{id}, emulator.Tags{key: fmt.Sprint("v", pick(3))})
		}}
	case 2:
		id, key := at(taggable), []string{"env", "Name"}[pick(2)]
		return change{"DeleteTags " + id + " " + key, key != "Name", func(tx *emulator.Tx) error {
			return tx.DeleteTags(c, []string{id}, []emulator.TagMatch{{Key: key}})
		}}
	case 3:
		g := group()
		return change{"AuthorizeIngress " + g, false, func(tx *emulator.Tx) error {
			_, err := tx.AuthorizeIngress(c, g, perm)
			return err
		}}
	case 4:
		g := group()
		return change{"RevokeIngress " + g, false, func(tx *emulator.Tx) error {
			_, err := tx.RevokeIngress(c, g, perm)
			return err
		}}
	case 5:
		spaces := tx.Spaces()
		sp := spaces[pick(len(spaces))]
		apps := tx.AppsIn(sp.ID)
		if len(apps) == 0 {
			return change{"nothing (no app)", true, func(*emulator.Tx) error { return errAbort }}
		}
		app, q := apps[pick(len(apps))].ID, pick(4)
		return change{fmt.Sprintf("Scale %s web=%d", app, q), false, func(tx *emulator.Tx) error {
			_, err := tx.Scale(app, []emulator.ScaleUpdate{{Type: "web", Quantity: &q}})
			return err
		}}
	case 6:
		spaces := tx.Spaces()
		sp := spaces[pick(len(spaces))].ID
		rules := []emulator.InboundRule{{Action: "allow", Source: netip.MustParsePrefix("0.0.0.0/0")}}
		if pick(2) == 0 {
			rules = append([]emulator.InboundRule{{Action: "deny", Source: netip.MustParsePrefix(cidr)}}, rules...)
		}
		return change{"PutInboundRuleset " + sp, false, func(tx *emulator.Tx) error {
			_, err := tx.PutInboundRuleset(tx.Space(sp), rules, "user@example.com")
			return err
		}}
	case 7:
		return change{"RequestPeering", false, func(tx *emulator.Tx) error {
			_, err := emulatortest.RequestPeering(tx)
			return err
		}}
	case 8:
		s := at(subnets)
		return change{"RunInstance in " + s, false, func(tx *emulator.Tx) error {
			_, err := tx.RunInstance(c, s, emulator.InstanceOptions{})
			return err
		}}
	case 9:
		id := at(instances)
		return change{"TerminateInstances " + id, false, func(tx *emulator.Tx) error {
			_, err := tx.TerminateInstances(c, []string{id})
			return err
		}}
	case 10:
		p := netip.MustParsePrefix(fmt.Sprintf("172.31.%d.0/24", 200+pick(3)))
		return change{"CreateSubnet " + p.String(), false, func(tx *emulator.Tx) error {
			_, err := tx.CreateSubnet(c, emulatortest.CustomerVPC, p, emulator.SubnetOptions{})
			return err
		}}
	default:
		// Several changes, then a failure: the whole Update is rolled back.
		g := at(groups)
		return change{"AuthorizeIngress+tags then abort", true, func(tx *emulator.Tx) error {
			tx.AuthorizeIngress(c, g, perm)
			tx.CreateTags(c, []string{emulatortest.CustomerVPC}, emulator.Tags{"Name": "x"})
			return errAbort
		}}
	}
}

// TestIncrementalEqualsFull drives random sequences of API changes through the model and, after
// each (or after a few at once), compares what the incremental path left in a data plane
// (deltas patched onto the last whole spec; nothing at all for model-only changes; hosts the
// change does not affect taken from the last render) with what the full path gives: a second
// reconciler that renders and applies the whole spec every time, and a fresh full render.
// Every partial render is also compared with a full one inside the reconciler (test binaries:
// render.checkPartial).
// Seeded: a failure names its seed and step, and replays with it.
func TestIncrementalEqualsFull(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x1ec))
			w := emulatortest.World(t)
			ctx := t.Context()
			dp := &patcher{}
			inc := &render.Reconciler{World: w, Dataplane: dp}
			full := &netnstest.Recorder{}
			ref := &render.Reconciler{World: w, Dataplane: full}
			// Both start from the same world, so both address books number the same tables.
			if err := inc.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ref.Resync(ctx); err != nil {
				t.Fatal(err)
			}
			var log []string
			for step := range 60 {
				// One change between syncs, or a few: the reconciler then renders for all of
				// them at once (NetworkChanges joins what each named).
				quiet := true // no change reached the network
				for n := range 1 + rng.IntN(3)/2*rng.IntN(3) {
					var ch change
					w.View(func(tx *emulator.Tx) error { ch = randomChange(rng, tx); return nil })
					err := w.Update(ch.fn)
					log = append(log, fmt.Sprintf("%d.%d: %s: %v", step, n, ch.name, err))
					quiet = quiet && (ch.model || err != nil)
				}
				before := inc.Stats()
				if err := inc.Sync(ctx); err != nil {
					t.Fatal(err)
				}
				if err := ref.Resync(ctx); err != nil { // renders and applies the whole spec, always
					t.Fatal(err)
				}
				after := inc.Stats()
				if quiet && after.Renders != before.Renders {
					t.Fatalf("step %s rendered the network though it changes only the model\n%v", log[len(log)-1], log)
				}
				if after.Full != before.Full {
					t.Fatalf("step %s applied the whole spec, not a delta", log[len(log)-1])
				}
				want := full.Last()
				if host, why := specDiff(dp.held, want); host != "" {
					t.Fatalf("after %s the incremental data plane differs from the full render at %s: %s\nsteps:\n%v", log[len(log)-1], host, why, log)
				}
				if host, why := specDiff(dp.held, inc.Render()); host != "" {
					t.Fatalf("after %s the incremental data plane differs from a fresh render at %s: %s", log[len(log)-1], host, why)
				}
			}
			if st := inc.Stats(); st.Skipped == 0 || st.Deltas == 0 || st.Partial == 0 || st.Partial == st.Renders {
				t.Errorf("the sequence never exercised every path (nothing rendered, partial render, full render, delta): %+v", st)
			}
			// Level-triggered: a full reconcile converges a data plane that drifted.
			dp.held = &netspec.Spec{}
			if err := inc.Resync(ctx); err != nil {
				t.Fatal(err)
			}
			if host, why := specDiff(dp.held, full.Last()); host != "" {
				t.Fatalf("a full reconcile left %s different: %s", host, why)
			}
		})
	}
}

// specDiff names the first host or link in which a and b differ, and how ("" when equal).
func specDiff(a, b *netspec.Spec) (string, string) {
	if reflect.DeepEqual(a, b) {
		return "", ""
	}
	d := netspec.Diff(a, b)
	for _, h := range d.Hosts {
		if a.Host(h.Name) == nil {
			return h.Name, "missing from the incremental data plane"
		}
		return h.Name, fmt.Sprintf("held %+v, full %+v", *a.Host(h.Name), *h)
	}
	for _, n := range d.RemovedHosts {
		return n, "still in the incremental data plane"
	}
	for _, l := range d.Links {
		return "link " + l.Key(), "differs or is missing"
	}
	for _, k := range d.RemovedLinks {
		return "link " + k, "still in the incremental data plane"
	}
	return "spec", "equal hosts and links, different order or empty slices"
}

// TestSpaceDeletedWithVPN: deleting a space whose VPN connection reached an office renders
// the office again (its tunnels go) without a full render, and equals a full render.
func TestSpaceDeletedWithVPN(t *testing.T) {
	w := emulatortest.World(t)
	ctx := t.Context()
	inc := &render.Reconciler{World: w, Dataplane: &patcher{}}
	sync := func(fn func(tx *emulator.Tx) error) {
		t.Helper()
		if err := w.Update(fn); err != nil {
			t.Fatal(err)
		}
		if err := inc.Sync(ctx); err != nil { // compared with a full render in test binaries
			t.Fatal(err)
		}
	}
	sync(func(tx *emulator.Tx) error {
		for _, o := range tx.Offices() { // the office's gateway runs the built-in IPsec
			tx.Changing(o)
			o.IPsec = "builtin"
		}
		_, err := tx.CreateSpace(emulator.SpaceSpec{Name: "short-lived", Team: "t", CIDR: "10.60.0.0/16", DataCIDR: "10.61.0.0/16"})
		return err
	})
	sync(func(tx *emulator.Tx) error {
		_, err := tx.CreateVPNConnection(tx.Space("short-lived"), "office", netip.MustParseAddr("203.0.113.20"), []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")})
		return err
	})
	office := func() int {
		n := 0
		for _, h := range inc.Render().Hosts {
			if !strings.HasPrefix(h.Name, "office/") {
				continue
			}
			for _, svc := range h.Services {
				if svc.IPsec != nil {
					n += len(svc.IPsec.Tunnels)
				}
			}
		}
		return n
	}
	withVPN, before := office(), inc.Stats()
	sync(func(tx *emulator.Tx) error {
		_, err := tx.DeleteSpace(tx.Space("short-lived"))
		return err
	})
	if office() != withVPN-2 {
		t.Errorf("the office has %d tunnels after the space went, want %d", office(), withVPN-2)
	}
	if after := inc.Stats(); after.Partial != before.Partial+1 {
		t.Errorf("deleting the space was not one partial render: %+v, then %+v", before, after)
	}
}
