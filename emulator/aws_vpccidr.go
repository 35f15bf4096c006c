package emulator

import (
	"net/netip"
	"slices"
	"sort"
)

// IPv6CIDRAssociation is an IPv6 CIDR block associated with a VPC (an Amazon-provided /56)
// or with one of its subnets (a /64 inside the VPC's block). The data plane carries IPv4 only:
// these are stored, described and round-tripped, and no packet uses them.
type IPv6CIDRAssociation struct {
	ID         string // vpc-cidr-assoc-… or subnet-cidr-assoc-…
	ResourceID string // the VPC or subnet
	CIDR       netip.Prefix
	// BorderGroup is the network border group AWS advertises the block from: the region.
	BorderGroup string
}

// VPCIPv6Quota is how many IPv6 CIDR blocks a VPC may have (AWS's default quota).
const VPCIPv6Quota = 5

// ipv6Associations are the IPv6 blocks of a VPC or subnet, by association id.
func (tx *Tx) ipv6Of(resource string) []*IPv6CIDRAssociation {
	var out []*IPv6CIDRAssociation
	for _, a := range tx.w.ipv6 {
		if a.ResourceID == resource {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// VPCIPv6 returns the IPv6 CIDR blocks associated with a VPC.
func (tx *Tx) VPCIPv6(vpcID string) []*IPv6CIDRAssociation { return tx.ipv6Of(vpcID) }

// SubnetIPv6 returns the IPv6 CIDR block associated with a subnet (at most one).
func (tx *Tx) SubnetIPv6(subnetID string) []*IPv6CIDRAssociation { return tx.ipv6Of(subnetID) }

// AssociateVPCIPv6 gives a VPC an Amazon-provided IPv6 /56, unique in the world.
func (tx *Tx) AssociateVPCIPv6(c Caller, vpcID string) (*IPv6CIDRAssociation, error) {
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if len(tx.ipv6Of(vpcID)) >= VPCIPv6Quota {
		return nil, AWSErr("CidrLimitExceeded", "This network '%s' has met its maximum number of allowed CIDRs: %d", vpcID, VPCIPv6Quota)
	}
	// The IPv4 data plane has no IPv6 packet: the block, and the default group's and ACL's
	// IPv6 rules (ipv6Defaults), are model only.
	what := []any{&tx.w.ipv6}
	if g := tx.w.sgs[v.DefaultSecurityGroupID]; g != nil {
		what = append(what, g)
	}
	if n := tx.w.nacls[v.DefaultNetworkACLID]; n != nil {
		what = append(what, n)
	}
	tx.mustWriteModel(what...)
	var cidr netip.Prefix
	for {
		// Amazon's pool for VPCs: 2600:1f00::/24; a /56 of it at random.
		b := [16]byte{0x26, 0x00, 0x1f, byte(tx.w.rng.IntN(256)), byte(tx.w.rng.IntN(256)), byte(tx.w.rng.IntN(256)), byte(tx.w.rng.IntN(256))}
		cidr = netip.PrefixFrom(netip.AddrFrom16(b), 56)
		taken := false
		for _, a := range tx.w.ipv6 {
			taken = taken || a.CIDR.Overlaps(cidr)
		}
		if !taken {
			break
		}
	}
	a := &IPv6CIDRAssociation{ID: tx.NewID("vpc-cidr-assoc"), ResourceID: vpcID, CIDR: cidr, BorderGroup: v.Region}
	if tx.w.ipv6 == nil {
		tx.w.ipv6 = map[string]*IPv6CIDRAssociation{}
	}
	tx.w.ipv6[a.ID] = a
	tx.ipv6Defaults(v)
	return a, nil
}

// DisassociateVPCCIDR removes a VPC's CIDR block association: an IPv6 block no subnet uses.
// The primary IPv4 block cannot be removed.
func (tx *Tx) DisassociateVPCCIDR(c Caller, assocID string) (*IPv6CIDRAssociation, *VPC, error) {
	for _, v := range tx.w.vpcs {
		if v.CIDRAssociationID == assocID && c.owns(v.Account, v.Region) {
			return nil, v, AWSErr("OperationNotPermitted", "The vpc CIDR block with association ID %s may not be disassociated. It is the primary IPv4 CIDR block of the VPC", assocID)
		}
	}
	a := tx.w.ipv6[assocID]
	var v *VPC
	if a != nil {
		v = tx.w.vpcs[a.ResourceID]
	}
	if a == nil || v == nil || !c.owns(v.Account, v.Region) {
		return nil, nil, AWSErr("InvalidVpcCidrBlockAssociationID.NotFound", "The vpc CIDR block association ID '%s' does not exist", assocID)
	}
	for _, s := range tx.w.subnets {
		if s.VPCID != v.ID {
			continue
		}
		for _, sa := range tx.ipv6Of(s.ID) {
			if a.CIDR.Overlaps(sa.CIDR) {
				return nil, nil, AWSErr("DependencyViolation", "The vpc CIDR block %s with association ID %s has dependencies and cannot be disassociated. Subnet %s uses it", a.CIDR, assocID, s.ID)
			}
		}
	}
	tx.mustWriteModel(&tx.w.ipv6)
	delete(tx.w.ipv6, assocID)
	return a, v, nil
}

// AssociateSubnetIPv6 gives a subnet a /64 inside one of its VPC's IPv6 blocks, used by no
// other subnet. A subnet has at most one IPv6 block.
func (tx *Tx) AssociateSubnetIPv6(c Caller, subnetID string, cidr netip.Prefix) (*IPv6CIDRAssociation, error) {
	s := tx.w.subnets[subnetID]
	if s == nil || !c.owns(s.Account, s.Region) {
		return nil, AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnetID)
	}
	if !cidr.IsValid() || !cidr.Addr().Is6() || cidr.Addr().Is4In6() {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", cidr)
	}
	cidr = cidr.Masked()
	inVPC := slices.ContainsFunc(tx.ipv6Of(s.VPCID), func(a *IPv6CIDRAssociation) bool { return a.CIDR.Contains(cidr.Addr()) })
	if cidr.Bits() != 64 || !inVPC {
		return nil, AWSErr("InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr)
	}
	if len(tx.ipv6Of(subnetID)) > 0 {
		return nil, AWSErr("InvalidParameterValue", "The subnet '%s' already has an IPv6 CIDR block association.", subnetID)
	}
	for _, o := range tx.w.subnets {
		if o.VPCID != s.VPCID {
			continue
		}
		for _, oa := range tx.ipv6Of(o.ID) {
			if oa.CIDR.Overlaps(cidr) {
				return nil, AWSErr("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", cidr)
			}
		}
	}
	tx.mustWriteModel(&tx.w.ipv6)
	a := &IPv6CIDRAssociation{ID: tx.NewID("subnet-cidr-assoc"), ResourceID: subnetID, CIDR: cidr, BorderGroup: s.Region}
	if tx.w.ipv6 == nil {
		tx.w.ipv6 = map[string]*IPv6CIDRAssociation{}
	}
	tx.w.ipv6[a.ID] = a
	return a, nil
}

// DisassociateSubnetIPv6 removes a subnet's IPv6 block.
func (tx *Tx) DisassociateSubnetIPv6(c Caller, assocID string) (*IPv6CIDRAssociation, error) {
	a := tx.w.ipv6[assocID]
	var s *Subnet
	if a != nil {
		s = tx.w.subnets[a.ResourceID]
	}
	if a == nil || s == nil || !c.owns(s.Account, s.Region) {
		return nil, AWSErr("InvalidSubnetCidrBlockAssociationID.NotFound", "The subnet CIDR block with association ID '%s' does not exist", assocID)
	}
	tx.mustWriteModel(&tx.w.ipv6)
	delete(tx.w.ipv6, assocID)
	return a, nil
}

// dropIPv6Of forgets the IPv6 blocks of a deleted VPC or subnet.
func (tx *Tx) dropIPv6Of(resource string) {
	for id, a := range tx.w.ipv6 {
		if a.ResourceID == resource {
			delete(tx.w.ipv6, id)
		}
	}
}
