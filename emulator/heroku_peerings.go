package emulator

import (
	"net/netip"
	"slices"
)

// SpacePeeringOf shows one peering of a space the way Heroku lists it. A request Heroku has not
// accepted is of type unknown and shows no peer account (Heroku learns it on acceptance) but
// its expiry; once accepted through Heroku, or active, it is customer-managed and shows the
// peer account; the space's link to its data VPC is heroku-managed. Only a pending request
// has an expiry.
func (tx *Tx) SpacePeeringOf(sp *Space, p *Peering) SpacePeering {
	other := p.Other(sp.VPCID)
	st := p.Status(tx.now)
	row := SpacePeering{PcxID: p.ID, Status: st, AWSVPCID: other.VPCID, AWSRegion: other.Region, AWSAccountID: other.Account}
	if other.CIDR.IsValid() {
		row.CIDRBlocks = []netip.Prefix{other.CIDR}
	}
	switch {
	case p.HerokuManaged:
		row.Type = PeeringHerokuManaged
	case st == PcxActive || st == PcxProvisioning || p.AcceptedViaHeroku:
		row.Type = PeeringCustomerManaged
	default:
		row.Type = PeeringUnknown
		row.AWSAccountID = ""
	}
	if st == PcxPending {
		row.Expires = p.ExpiresAt
	}
	return row
}

// PeeringInfo is what a customer needs to request a peering towards a space
// (GET /spaces/{space}/peering-info).
type PeeringInfo struct {
	AWSAccountID string // the Heroku AWS account that owns the space's VPC
	AWSRegion    string
	VPCID        string
	VPCCIDR      netip.Prefix
	// SpaceCIDRBlocks are the dyno subnets, the ranges to route towards the space. Heroku
	// lists the same blocks as dyno_cidr_blocks.
	SpaceCIDRBlocks []netip.Prefix
	// UnavailableCIDRBlocks are ranges the peer VPC must not overlap besides VPCCIDR.
	UnavailableCIDRBlocks []netip.Prefix
}

// SpacePeeringInfo returns a space's peering info. Heroku does not list the four dyno /20s
// in address order, and its own examples disagree: the seed walkthrough
// (docs/walkthrough.md) printed 10.0.144.0/20, 10.0.128.0/20, 10.0.0.0/20, 10.0.16.0/20, while
// Dev Center's private-space-peering article shows 10.0.128.0/20, 10.0.144.0/20, 10.0.0.0/20,
// 10.0.16.0/20. spacelab reproduces the seed's order, since its CLI output is the behaviour to
// match: the upper two blocks (third octet +144, +128) first, then the lower two (+0, +16).
func (tx *Tx) SpacePeeringInfo(sp *Space) PeeringInfo {
	blocks := tx.SpaceCIDRBlocks(sp)
	base := sp.CIDR.Masked().Addr().As4()
	rank := func(p netip.Prefix) int {
		switch p.Addr().As4()[2] - base[2] {
		case 144:
			return 0
		case 128:
			return 1
		case 0:
			return 2
		case 16:
			return 3
		}
		return 4
	}
	slices.SortStableFunc(blocks, func(a, b netip.Prefix) int { return rank(a) - rank(b) })
	return PeeringInfo{
		AWSAccountID:          tx.HerokuAccountID(),
		AWSRegion:             sp.Region.AWSRegion,
		VPCID:                 sp.VPCID,
		VPCCIDR:               sp.CIDR,
		SpaceCIDRBlocks:       blocks,
		UnavailableCIDRBlocks: sp.UnavailableCIDRs(),
	}
}
