package emulator

import (
	"net/netip"
	"slices"
	"time"
)

// VPCCIDRBlock is a secondary IPv4 CIDR block of a VPC (AssociateVpcCidrBlock with CidrBlock).
// Its subnets are subnets like any other: the local route of every route table of the VPC
// covers it, peered VPCs can route to it.
type VPCCIDRBlock struct {
	AssociationID string // vpc-cidr-assoc-…
	CIDR          netip.Prefix
	// DisassociatedAt is when DisassociateVpcCidrBlock removed the block. EC2 keeps listing a
	// disassociated block (state disassociated) for a while; nothing else sees it.
	DisassociatedAt time.Time
}

// Associated reports whether the block is still part of the VPC.
func (b *VPCCIDRBlock) Associated() bool { return b.DisassociatedAt.IsZero() }

// disassociatedCIDRShown is how long DescribeVpcs keeps listing a disassociated block.
// AWS documents no figure; an hour is what users observe (unconfirmed).
const disassociatedCIDRShown = time.Hour

// IPv4CIDRs returns the VPC's IPv4 blocks: the primary, then the associated secondary ones in
// the order they were associated.
func (v *VPC) IPv4CIDRs() []netip.Prefix {
	out := []netip.Prefix{v.CIDR}
	for _, b := range v.Secondary {
		if b.Associated() {
			out = append(out, b.CIDR)
		}
	}
	return out
}

// BlockOf returns the VPC's IPv4 block that holds all of p, or an invalid prefix.
func (v *VPC) BlockOf(p netip.Prefix) netip.Prefix {
	for _, b := range v.IPv4CIDRs() {
		if p.Bits() >= b.Bits() && b.Contains(p.Addr()) {
			return b
		}
	}
	return netip.Prefix{}
}

// OverlapsIPv4 reports whether p overlaps any IPv4 block of the VPC.
func (v *VPC) OverlapsIPv4(p netip.Prefix) bool {
	return slices.ContainsFunc(v.IPv4CIDRs(), p.Overlaps)
}

// VisibleSecondary returns the secondary blocks DescribeVpcs lists: the associated ones and
// those disassociated less than an hour ago.
func (tx *Tx) VisibleSecondary(v *VPC) []*VPCCIDRBlock {
	var out []*VPCCIDRBlock
	for _, b := range v.Secondary {
		if b.Associated() || tx.now.Sub(b.DisassociatedAt) < disassociatedCIDRShown {
			out = append(out, b)
		}
	}
	return out
}

var (
	rfc1918   = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16")}
	range1981 = netip.MustParsePrefix("198.19.0.0/16")
)

// restrictedSecondary reports whether EC2 refuses cidr as a secondary block of a VPC whose
// primary block is primary ("IPv4 CIDR block association restrictions", Amazon VPC User Guide):
// a primary in one RFC 1918 range excludes the other two and 198.19.0.0/16; a primary in
// 198.19.0.0/16 excludes the RFC 1918 ranges; any other primary (publicly routable, or
// 100.64.0.0/10) excludes the RFC 1918 ranges and 198.19.0.0/16.
func restrictedSecondary(primary, cidr netip.Prefix) bool {
	home := -1
	for i, r := range rfc1918 {
		if r.Contains(primary.Addr()) {
			home = i
		}
	}
	for i, r := range rfc1918 {
		if i != home && r.Overlaps(cidr) {
			return true
		}
	}
	return !range1981.Contains(primary.Addr()) && range1981.Overlaps(cidr)
}

// AssociateVPCIPv4 adds a secondary IPv4 block to a VPC, with EC2's rules: /16 to /28, allowed
// by the primary block's range, overlapping none of the VPC's blocks nor those of a VPC it is
// actively peered with, not the same as or larger than the destination of a route in one of
// its route tables, and within the quota of blocks per VPC (5 with the primary).
func (tx *Tx) AssociateVPCIPv4(c Caller, vpcID string, cidr netip.Prefix) (*VPCCIDRBlock, error) {
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if !cidr.IsValid() || !cidr.Addr().Is4() {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	cidr = cidr.Masked()
	if cidr.Bits() < 16 || cidr.Bits() > 28 {
		return nil, AWSErr("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
	}
	if q := tx.Quotas().IPv4CIDRBlocksPerVPC; len(v.IPv4CIDRs()) >= q {
		return nil, AWSErr("CidrLimitExceeded", "This network '%s' has met its maximum number of allowed CIDRs: %d", vpcID, q)
	}
	if restrictedSecondary(v.CIDR, cidr) {
		return nil, AWSErr("InvalidVpc.Range", "The CIDR '%s' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR.", cidr)
	}
	for _, b := range v.IPv4CIDRs() {
		if b.Overlaps(cidr) {
			return nil, AWSErr("CidrConflict", "The CIDR '%s' conflicts with the CIDR block %s already associated with %s.", cidr, b, vpcID)
		}
	}
	for _, rt := range tx.w.rtbs {
		if rt.VPCID != vpcID {
			continue
		}
		for _, r := range rt.Routes {
			if r.PrefixListID == "" && r.Dst.Addr().Is4() && r.Dst.Bits() >= cidr.Bits() && cidr.Contains(r.Dst.Addr()) {
				return nil, AWSErr("CidrConflict", "The CIDR '%s' is the same as or larger than the destination %s of a route in %s.", cidr, r.Dst, rt.ID)
			}
		}
	}
	for _, p := range tx.w.pcxs {
		if !p.Connects(vpcID) || p.Status(tx.now) != PcxActive {
			continue
		}
		other := p.Accepter.VPCID
		if other == vpcID {
			other = p.Requester.VPCID
		}
		if o := tx.w.vpcs[other]; o != nil && o.OverlapsIPv4(cidr) {
			return nil, AWSErr("CidrConflict", "The CIDR '%s' overlaps a CIDR block of %s, peered with %s by %s.", cidr, other, vpcID, p.ID)
		}
	}
	tx.mustWriteFor(Changed{"route-table", v.ID}, v) // the local routes of its tables
	b := &VPCCIDRBlock{AssociationID: tx.NewID("vpc-cidr-assoc"), CIDR: cidr}
	kept := v.Secondary[:0:0]
	for _, o := range v.Secondary {
		if o.Associated() || tx.now.Sub(o.DisassociatedAt) < disassociatedCIDRShown {
			kept = append(kept, o)
		}
	}
	v.Secondary = append(kept, b)
	return b, nil
}

// secondaryOf finds the caller's VPC and associated secondary block with an association id.
func (tx *Tx) secondaryOf(c Caller, assocID string) (*VPC, *VPCCIDRBlock) {
	for _, v := range tx.w.vpcs {
		if !c.owns(v.Account, v.Region) {
			continue
		}
		for _, b := range v.Secondary {
			if b.AssociationID == assocID && b.Associated() {
				return v, b
			}
		}
	}
	return nil, nil
}

// IsSecondaryIPv4 reports whether assocID is an associated secondary IPv4 block of the caller.
func (tx *Tx) IsSecondaryIPv4(c Caller, assocID string) bool {
	v, _ := tx.secondaryOf(c, assocID)
	return v != nil
}

// DisassociateVPCIPv4 removes a secondary IPv4 block no subnet uses. The block stays listed,
// disassociated, for a while.
func (tx *Tx) DisassociateVPCIPv4(c Caller, assocID string) (*VPC, *VPCCIDRBlock, error) {
	v, b := tx.secondaryOf(c, assocID)
	if v == nil {
		return nil, nil, AWSErr("InvalidVpcCidrBlockAssociationID.NotFound", "The vpc CIDR block association ID '%s' does not exist", assocID)
	}
	for _, s := range tx.SubnetsOf(v.ID) {
		if b.CIDR.Overlaps(s.CIDR) {
			return nil, nil, AWSErr("DependencyViolation", "The vpc CIDR block %s with association ID %s has dependencies and cannot be disassociated. Subnet %s uses it", b.CIDR, assocID, s.ID)
		}
	}
	tx.mustWriteFor(Changed{"route-table", v.ID}, v)
	b.DisassociatedAt = tx.now
	return v, b, nil
}
