package emulator

import (
	"net/netip"
	"slices"
	"time"
)

// Peering states, as EC2 spells them.
const (
	PcxInitiating   = "initiating-request"
	PcxPending      = "pending-acceptance"
	PcxProvisioning = "provisioning"
	PcxActive       = "active"
	PcxFailed       = "failed"
	PcxRejected     = "rejected"
	PcxDeleted      = "deleted"
	PcxExpired      = "expired"
	PcxDeleting     = "deleting"
)

// PeerSide is one end of a peering connection.
type PeerSide struct {
	Account string
	Region  string
	VPCID   string
	CIDR    netip.Prefix // captured when the VPC exists
	// AllowDNSResolutionFromRemoteVPC is this side's peering option (ModifyVpcPeeringConnectionOptions).
	AllowDNSResolutionFromRemoteVPC bool
}

// Peering is a VPC peering connection. The same object is seen from both accounts.
type Peering struct {
	ID        string
	Requester PeerSide
	Accepter  PeerSide
	status    string
	Message   string
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   time.Time // when it became failed, rejected or deleted
	EndedBy   string    // account that rejected or deleted it
	// Tags are the requester's tags. EC2 keeps tags per account and region, so when the
	// accepter is elsewhere its tags live apart in AccepterTags (see Tx.TagsOf).
	Tags         Tags
	AccepterTags Tags
	// HerokuManaged marks the peering between a space and its data VPC.
	HerokuManaged bool
	// AcceptedViaHeroku records that the space owner accepted it in Heroku.
	AcceptedViaHeroku bool
}

// Status returns the peering's state at time now (an unaccepted request expires after 7 days).
func (p *Peering) Status(now time.Time) string {
	if p.status == PcxPending && !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt) {
		return PcxExpired
	}
	return p.status
}

// StatusMessage returns the status message EC2 shows for the state at time now.
func (p *Peering) StatusMessage(now time.Time) string {
	switch s := p.Status(now); s {
	case PcxPending:
		return "Pending Acceptance by " + p.Accepter.Account
	case PcxInitiating:
		return "Initiating Request to " + p.Accepter.Account
	case PcxActive:
		return "Active"
	case PcxProvisioning:
		return "Provisioning"
	case PcxExpired:
		return "Expired"
	case PcxDeleted:
		return "Deleted by " + p.EndedBy
	case PcxRejected:
		return "Rejected by " + p.EndedBy
	default:
		return p.Message
	}
}

// Active reports whether traffic may cross the peering at time now.
func (p *Peering) Active(now time.Time) bool { return p.Status(now) == PcxActive }

// Other returns the side of p that is not vpcID.
func (p *Peering) Other(vpcID string) PeerSide {
	if p.Requester.VPCID == vpcID {
		return p.Accepter
	}
	return p.Requester
}

// PeerBlocks returns the IPv4 blocks a side of a peering shows (cidrBlockSet in EC2, cidr_blocks
// in Heroku): every block associated with its VPC now, primary first, as EC2 lists them once a
// secondary block is associated; the block captured at the request when the VPC is gone.
func (tx *Tx) PeerBlocks(side PeerSide) []netip.Prefix {
	if v := tx.VPC(side.VPCID); v != nil {
		return v.IPv4CIDRs()
	}
	if side.CIDR.IsValid() {
		return []netip.Prefix{side.CIDR}
	}
	return nil
}

// Connects reports whether p joins vpcID to something.
func (p *Peering) Connects(vpcID string) bool {
	return p.Requester.VPCID == vpcID || p.Accepter.VPCID == vpcID
}

// Peering returns a peering connection by id, or nil.
func (tx *Tx) Peering(id string) *Peering { return tx.w.pcxs[id] }

// Peerings returns every peering connection, ordered by id.
func (tx *Tx) Peerings() []*Peering { return ordered(tx.w.pcxs) }

// Peering visibility windows after a connection ends (EC2 VPC peering lifecycle).
const (
	shortWindow = 2 * time.Hour
	longWindow  = 2 * 24 * time.Hour
)

// FailedMessage is EC2's status message for a peering that could not be set up.
const FailedMessage = "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range"

// PeeringRequest is CreateVpcPeeringConnection's input. Empty PeerOwner and PeerRegion mean
// the caller's own account and region.
type PeeringRequest struct {
	VPCID      string
	PeerVPCID  string
	PeerOwner  string
	PeerRegion string
	Tags       Tags
}

// CreatePeering requests a peering from a caller's VPC to a peer VPC. The requester VPC must
// exist; in the same account and region so must the peer VPC. Anything else that is wrong (the
// peer VPC is not in the named account or region, or the CIDRs overlap) still creates the
// connection, in state failed, exactly as EC2 does. Otherwise it is pending-acceptance and
// expires after 7 days.
func (tx *Tx) CreatePeering(c Caller, req PeeringRequest) (*Peering, error) {
	v := tx.w.vpcs[req.VPCID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", req.VPCID)
	}
	if req.PeerVPCID == "" {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter peerVpcId")
	}
	owner, region := req.PeerOwner, req.PeerRegion
	if owner == "" {
		owner = c.Account
	}
	if region == "" {
		region = c.Region
	}
	if !validRegion(region) {
		return nil, AWSErr("InvalidParameterValue", "Invalid value '%s' for peerRegion", region)
	}
	if !isAccountID(owner) {
		return nil, AWSErr("InvalidParameterValue", "Invalid value '%s' for peerOwnerId", owner)
	}
	peer := tx.w.vpcs[req.PeerVPCID]
	sameScope := owner == c.Account && region == c.Region
	if sameScope && (peer == nil || !c.owns(peer.Account, peer.Region)) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", req.PeerVPCID)
	}
	if req.PeerVPCID == req.VPCID {
		return nil, AWSErr("InvalidVpcPeeringConnection.Malformed", "A VPC peering connection cannot be created between a VPC and itself")
	}
	if peer != nil && (peer.Account != owner || peer.Region != region) {
		peer = nil
	}
	if peer != nil {
		for _, p := range tx.w.pcxs {
			s := p.Status(tx.now)
			if p.Connects(v.ID) && p.Connects(peer.ID) && (s == PcxPending || s == PcxActive || s == PcxProvisioning || s == PcxInitiating) {
				return nil, AWSErr("VpcPeeringConnectionAlreadyExists", "A VPC peering connection already exists between %s and %s: %s", v.ID, peer.ID, p.ID)
			}
		}
	}
	p := &Peering{
		ID:        tx.NewID("pcx"),
		Requester: PeerSide{Account: c.Account, Region: c.Region, VPCID: v.ID, CIDR: v.CIDR},
		Accepter:  PeerSide{Account: owner, Region: region, VPCID: req.PeerVPCID},
		CreatedAt: tx.now,
		Tags:      cloneTags(req.Tags),
	}
	switch {
	case peer == nil:
		p.fail(tx.now, FailedMessage)
	case slices.ContainsFunc(v.IPv4CIDRs(), peer.OverlapsIPv4):
		p.Accepter.CIDR = peer.CIDR
		p.fail(tx.now, FailedMessage)
	default:
		p.Accepter.CIDR = peer.CIDR
		p.status = PcxPending
		p.ExpiresAt = tx.now.Add(peeringTTL)
	}
	tx.mustWriteFor(Changed{"peering", p.ID}, &tx.w.pcxs)
	tx.w.pcxs[p.ID] = p
	tx.w.log.Info("peering requested", "pcx", p.ID, "from", v.ID, "to", req.PeerVPCID, "status", p.status)
	return p, nil
}

func (p *Peering) fail(now time.Time, msg string) {
	p.status = PcxFailed
	p.Message = msg
	p.EndedAt = now
}

// visibleTo reports whether a caller sees the peering in its account and region.
func (tx *Tx) visibleTo(p *Peering, c Caller) bool {
	req := c.owns(p.Requester.Account, p.Requester.Region)
	acc := c.owns(p.Accepter.Account, p.Accepter.Region)
	if !req && !acc {
		return false
	}
	since := tx.now.Sub(p.EndedAt)
	sameAccount := p.Requester.Account == p.Accepter.Account
	switch p.Status(tx.now) {
	case PcxFailed:
		return req && since < shortWindow
	case PcxExpired:
		return tx.now.Sub(p.ExpiresAt) < longWindow
	case PcxRejected:
		if req && !sameAccount {
			return since < longWindow
		}
		return since < shortWindow
	case PcxDeleted:
		if c.Account == p.EndedBy || sameAccount {
			return since < shortWindow
		}
		return since < longWindow
	}
	return true
}

// PeeringsVisibleTo returns the peerings a caller can describe, ordered by id.
func (tx *Tx) PeeringsVisibleTo(c Caller) []*Peering {
	var out []*Peering
	for _, p := range tx.Peerings() {
		if tx.visibleTo(p, c) {
			out = append(out, p)
		}
	}
	return out
}

func (tx *Tx) callerPeering(c Caller, id string) (*Peering, error) {
	p := tx.w.pcxs[id]
	if p == nil || !tx.visibleTo(p, c) {
		return nil, AWSErr("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '%s' does not exist", id)
	}
	return p, nil
}

func (tx *Tx) checkAccepter(c Caller, p *Peering) error {
	if c.Account != p.Accepter.Account {
		return AWSErr("OperationNotPermitted", "User (%s) cannot accept peering %s", c.Account, p.ID)
	}
	if c.Region != p.Accepter.Region {
		return AWSErr("OperationNotPermitted", "Incorrect region (%s) specified for this request. VPC peering connection %s must be accepted in region %s", c.Region, p.ID, p.Accepter.Region)
	}
	if s := p.Status(tx.now); s != PcxPending {
		return AWSErr("InvalidStateTransition", "Invalid state transition for %s, attempted to transition from %s to %s", p.ID, s, PcxActive)
	}
	return nil
}

// AcceptPeering accepts a pending request as the accepter VPC's owner, in its region. The
// connection becomes active; EC2 answers this call with status provisioning.
func (tx *Tx) AcceptPeering(c Caller, id string) (*Peering, error) {
	p, err := tx.callerPeering(c, id)
	if err != nil {
		return nil, err
	}
	tx.mustWriteFor(Changed{"peering", p.ID}, p)
	if err := tx.checkAccepter(c, p); err != nil {
		return nil, err
	}
	for _, side := range []string{p.Requester.VPCID, p.Accepter.VPCID} {
		if n := tx.activePeerings(side); n >= tx.Quotas().PeeringsPerVPC {
			return nil, AWSErr("ActiveVpcPeeringConnectionPerVpcLimitExceeded", "The maximum number of active VPC peering connections (%d) has been reached for %s.", tx.Quotas().PeeringsPerVPC, side)
		}
	}
	p.status = PcxActive
	p.ExpiresAt = time.Time{}
	tx.w.log.Info("peering accepted", "pcx", p.ID, "by", c.Account)
	return p, nil
}

// RejectPeering rejects a pending request as the accepter.
func (tx *Tx) RejectPeering(c Caller, id string) error {
	p, err := tx.callerPeering(c, id)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"peering", p.ID}, p)
	if err := tx.checkAccepter(c, p); err != nil {
		if e, ok := AsAWS(err); ok && e.Code == "InvalidStateTransition" {
			e.Message = "Invalid state transition for " + p.ID + ", attempted to transition from " + p.Status(tx.now) + " to " + PcxRejected
		} else if ok && c.Account != p.Accepter.Account {
			e.Message = "User (" + c.Account + ") cannot reject peering " + p.ID
		}
		return err
	}
	p.status = PcxRejected
	p.EndedAt, p.EndedBy = tx.now, c.Account
	p.ExpiresAt = time.Time{}
	return nil
}

// DeletePeering deletes a connection. Either owner may delete an active one; only the
// requester may delete a pending one; failed and rejected ones cannot be deleted.
func (tx *Tx) DeletePeering(c Caller, id string) error {
	p, err := tx.callerPeering(c, id)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"peering", p.ID}, p)
	switch s := p.Status(tx.now); s {
	case PcxActive, PcxProvisioning:
	case PcxPending, PcxInitiating:
		if c.Account != p.Requester.Account || c.Region != p.Requester.Region {
			return AWSErr("OperationNotPermitted", "User (%s) cannot delete peering %s in state %s; the accepter may reject it instead", c.Account, p.ID, s)
		}
	default:
		return AWSErr("InvalidStateTransition", "Invalid state transition for %s, attempted to transition from %s to deleting", p.ID, s)
	}
	p.status = PcxDeleted
	p.EndedAt, p.EndedBy = tx.now, c.Account
	p.ExpiresAt = time.Time{}
	tx.w.log.Info("peering deleted", "pcx", p.ID, "by", c.Account)
	tx.dropManagedRoutes(p.ID)
	return nil
}

// dropManagedRoutes removes routes Heroku added for a peering (customers' own routes stay and
// turn blackhole, as in EC2).
func (tx *Tx) dropManagedRoutes(pcxID string) {
	for _, sp := range tx.w.spaces {
		rt := tx.w.rtbs[tx.w.vpcs[sp.VPCID].MainRouteTableID]
		tx.mustWriteFor(Changed{"peering", pcxID}, rt)
		keep := rt.Routes[:0:0]
		for _, r := range rt.Routes {
			if !(r.Kind == TargetPeering && r.Target == pcxID) {
				keep = append(keep, r)
			}
		}
		rt.Routes = keep
	}
}

// PeeringOn returns the active peering that joins two VPCs, or nil.
func (tx *Tx) PeeringOn(a, b string) *Peering {
	for _, p := range tx.Peerings() {
		if p.Active(tx.now) && p.Connects(a) && p.Connects(b) {
			return p
		}
	}
	return nil
}

// activePeerings counts the active peering connections of a VPC.
func (tx *Tx) activePeerings(vpcID string) int {
	n := 0
	for _, p := range tx.w.pcxs {
		if p.Connects(vpcID) && p.Active(tx.now) {
			n++
		}
	}
	return n
}

// unendedPeeringsOf is the peerings of any of the VPCs that have not ended (active, or still
// on their way): what deleting the VPCs ends with them.
func (tx *Tx) unendedPeeringsOf(vpcIDs ...string) []*Peering {
	var out []*Peering
	for _, p := range ordered(tx.w.pcxs) {
		if !slices.ContainsFunc(vpcIDs, p.Connects) {
			continue
		}
		switch p.Status(tx.now) {
		case PcxActive, PcxProvisioning, PcxPending, PcxInitiating:
			out = append(out, p)
		}
	}
	return out
}

// endPeerings deletes peerings on behalf of account, for a VPC that goes: routes to them turn
// blackhole on the other side. The caller has named them in its mustWriteFor.
func (tx *Tx) endPeerings(ps []*Peering, account string) {
	for _, p := range ps {
		tx.networkChange(Changed{"peering", p.ID})
		p.status = PcxDeleted
		p.EndedAt, p.EndedBy, p.ExpiresAt = tx.now, account, time.Time{}
	}
}
