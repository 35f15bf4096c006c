package emulator

import (
	"net/http"
	"net/netip"
	"slices"
	"sort"
	"time"
)

// Peering types as Heroku lists them.
const (
	PeeringHerokuManaged   = "heroku-managed"
	PeeringCustomerManaged = "customer-managed"
	PeeringUnknown         = "unknown"
)

// SpacePeering is a peering as GET /spaces/{space}/peerings shows it.
type SpacePeering struct {
	Type         string
	PcxID        string
	CIDRBlocks   []netip.Prefix
	Status       string
	AWSVPCID     string
	AWSRegion    string
	AWSAccountID string
	Expires      time.Time // zero when none
}

// SpacePeerings lists the peerings of a space as Heroku shows them: the heroku-managed data
// peering and every connection requested towards the space's VPC.
func (tx *Tx) SpacePeerings(sp *Space) []SpacePeering {
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	var out []SpacePeering
	for _, p := range tx.PeeringsVisibleTo(heroku) {
		if !p.Connects(sp.VPCID) {
			continue
		}
		if p.Status(tx.now) == PcxDeleted {
			continue
		}
		row := tx.SpacePeeringOf(sp, p)
		out = append(out, row)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].PcxID < out[j].PcxID })
	return out
}

func (tx *Tx) spacePeering(sp *Space, pcxID string) (*Peering, error) {
	p := tx.w.pcxs[pcxID]
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	if p == nil || !p.Connects(sp.VPCID) || !tx.visibleTo(p, heroku) || p.Status(tx.now) == PcxDeleted {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that peering connection.")
	}
	return p, nil
}

// SpacePeering returns one peering of a space as Heroku shows it.
func (tx *Tx) SpacePeering(sp *Space, pcxID string) (SpacePeering, error) {
	if _, err := tx.spacePeering(sp, pcxID); err != nil {
		return SpacePeering{}, err
	}
	for _, row := range tx.SpacePeerings(sp) {
		if row.PcxID == pcxID {
			return row, nil
		}
	}
	return SpacePeering{}, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that peering connection.")
}

// AcceptSpacePeering accepts a pending peering towards the space in Heroku: the AWS side
// becomes active and the space's route table gets a static route to the peer VPC's CIDR.
func (tx *Tx) AcceptSpacePeering(sp *Space, pcxID string) (*Peering, error) {
	p, err := tx.spacePeering(sp, pcxID)
	if err != nil {
		return nil, err
	}
	if st := p.Status(tx.now); st != PcxPending || p.Accepter.VPCID != sp.VPCID {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Peering connection %s is not pending acceptance (status: %s).", pcxID, st)
	}
	peerCIDR := p.Requester.CIDR
	if bad, ok := prefixesOverlap([]netip.Prefix{peerCIDR}, append(sp.UnavailableCIDRs(), sp.CIDR, DockerCIDR)...); ok {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "The peer VPC CIDR %s overlaps a range the space uses (%s, %s, %s).", bad, sp.CIDR, sp.DataCIDR, DockerCIDR)
	}
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	if _, err := tx.AcceptPeering(heroku, pcxID); err != nil {
		if e, ok := AsAWS(err); ok {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "%s", e.Message)
		}
		return nil, err
	}
	rt := tx.w.rtbs[tx.w.vpcs[sp.VPCID].MainRouteTableID]
	tx.mustWriteFor(Changed{"peering", p.ID}, p, rt)
	p.AcceptedViaHeroku = true
	rt.Routes = append(rt.Routes, &Route{Dst: peerCIDR, Kind: TargetPeering, Target: p.ID, Origin: "CreateRoute"})
	return p, nil
}

// DestroySpacePeering tears a customer peering down from the Heroku side.
func (tx *Tx) DestroySpacePeering(sp *Space, pcxID string) (*Peering, error) {
	p, err := tx.spacePeering(sp, pcxID)
	if err != nil {
		return nil, err
	}
	if p.HerokuManaged {
		return nil, HerokuErr(http.StatusForbidden, "forbidden", "The heroku-managed peering connection %s cannot be destroyed.", pcxID)
	}
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	st := p.Status(tx.now)
	switch st {
	case PcxPending:
		// The accepter's way to get rid of a request is to reject it.
		if err := tx.RejectPeering(heroku, pcxID); err != nil {
			return nil, err
		}
	case PcxActive, PcxProvisioning:
		if err := tx.DeletePeering(heroku, pcxID); err != nil {
			return nil, err
		}
	default:
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Peering connection %s cannot be destroyed (status: %s).", pcxID, st)
	}
	return p, nil
}

// SpacePeeringOf shows one peering of a space the way Heroku lists it. A request Heroku has not
// accepted is of type unknown and shows no peer account (Heroku learns it on acceptance) but
// its expiry; once accepted through Heroku, or active, it is customer-managed and shows the
// peer account; the space's link to its data VPC is heroku-managed. Only a pending request
// has an expiry.
func (tx *Tx) SpacePeeringOf(sp *Space, p *Peering) SpacePeering {
	other := p.Other(sp.VPCID)
	st := p.Status(tx.now)
	row := SpacePeering{PcxID: p.ID, Status: st, AWSVPCID: other.VPCID, AWSRegion: other.Region, AWSAccountID: other.Account}
	row.CIDRBlocks = tx.PeerBlocks(other)
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
