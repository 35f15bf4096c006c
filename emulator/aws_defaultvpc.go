package emulator

import (
	"fmt"
	"net/netip"
)

// Every AWS account has, in every region, a default VPC: 172.31.0.0/16 with a /20 default
// subnet per availability zone of the region (172.31.0.0/20, 172.31.16.0/20, … in zone order; public addresses on launch), an attached internet gateway, a
// main route table sending 0.0.0.0/0 to it, and the default security group and network ACL.
// An account's default VPC of a region is made the first time the account calls that region,
// which no client can tell apart from its having been there all along; deleting it is for good,
// as in AWS. A topology can say an account has none.

// DefaultVPCCIDR is the block of every default VPC.
var DefaultVPCCIDR = netip.MustParsePrefix("172.31.0.0/16")

// NeedsDefaultVPC reports whether the caller's account has yet to get its default VPC in the
// caller's region.
func (tx *Tx) NeedsDefaultVPC(c Caller) bool {
	a := tx.w.accounts[c.Account]
	if a == nil || a.Kind != "customer" || a.NoDefaultVPC || !tx.RegionEnabled(c.Account, c.Region) {
		return false
	}
	_, made := a.DefaultVPCs[c.Region]
	return !made
}

// EnsureDefaultVPC makes the caller's default VPC in its region if the account has yet to get it.
func (tx *Tx) EnsureDefaultVPC(c Caller) error {
	if !tx.NeedsDefaultVPC(c) {
		tx.mustWriteModel(&tx.w.accounts) // changes nothing
		return nil
	}
	// The account remembers it; the VPC, its subnets, gateway and route are named by the
	// operations that make them.
	a := tx.w.accounts[c.Account]
	tx.mustWriteModel(a)
	if a.DefaultVPCs == nil {
		a.DefaultVPCs = map[string]string{}
	}
	v, err := tx.CreateVPC(c, DefaultVPCCIDR, VPCOptions{})
	if err != nil {
		return fmt.Errorf("emulator: default VPC of %s in %s: %w", c.Account, c.Region, err)
	}
	v.IsDefault = true
	v.EnableDNSHostnames = true
	a.DefaultVPCs[c.Region] = v.ID
	for k, z := range zoneNames(c.Region) {
		cidr := netip.PrefixFrom(nthAddr(DefaultVPCCIDR, k*4096), 20)
		sn, err := tx.CreateSubnet(c, v.ID, cidr, SubnetOptions{AZ: z})
		if err != nil {
			return fmt.Errorf("emulator: default subnet of %s in %s: %w", c.Account, c.Region, err)
		}
		sn.DefaultForAZ, sn.MapPublicIPOnLaunch = true, true
	}
	g, err := tx.CreateInternetGateway(c, nil)
	if err != nil {
		return err
	}
	if err := tx.AttachInternetGateway(c, g.ID, v.ID); err != nil {
		return err
	}
	return tx.CreateRoute(c, v.MainRouteTableID, netip.MustParsePrefix("0.0.0.0/0"), RouteTarget{GatewayID: g.ID})
}

// DefaultSubnet is the caller's default subnet for a launch that names none: the one in zone
// (or the region's first zone), or nil when the account has no default VPC in the region.
func (tx *Tx) DefaultSubnet(c Caller, zone string) *Subnet {
	a := tx.w.accounts[c.Account]
	if a == nil {
		return nil
	}
	vpcID := a.DefaultVPCs[c.Region]
	if v := tx.w.vpcs[vpcID]; v == nil || !v.IsDefault {
		return nil
	}
	var first *Subnet
	for _, sn := range ordered(tx.w.subnets) {
		if sn.VPCID != vpcID || !sn.DefaultForAZ {
			continue
		}
		if sn.AZ == zone {
			return sn
		}
		if first == nil || sn.AZ < first.AZ {
			first = sn
		}
	}
	if zone != "" {
		return nil
	}
	return first
}

// SetNoDefaultVPC records that an account has no default VPCs (a topology's default_vpc: false).
func (tx *Tx) SetNoDefaultVPC(account string) {
	tx.mustWriteModel(&tx.w.accounts)
	a := tx.ensureAccount(account, "customer")
	tx.mustWriteModel(a)
	a.NoDefaultVPC = true
}
