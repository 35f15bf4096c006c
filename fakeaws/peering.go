package fakeaws

import (
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateVpcPeeringConnection", createVpcPeeringConnection)
	register("DescribeVpcPeeringConnections", describeVpcPeeringConnections)
	register("AcceptVpcPeeringConnection", acceptVpcPeeringConnection)
	register("RejectVpcPeeringConnection", rejectVpcPeeringConnection)
	register("DeleteVpcPeeringConnection", deleteVpcPeeringConnection)
}

// pcxXML is EC2's VpcPeeringConnection shape.
type pcxXML struct {
	VpcPeeringConnectionID string        `xml:"vpcPeeringConnectionId"`
	RequesterVpcInfo       pcxVpcInfo    `xml:"requesterVpcInfo"`
	AccepterVpcInfo        pcxVpcInfo    `xml:"accepterVpcInfo"`
	Status                 pcxStatus     `xml:"status"`
	ExpirationTime         string        `xml:"expirationTime,omitempty"`
	TagSet                 items[tagXML] `xml:"tagSet"`
}

type pcxVpcInfo struct {
	OwnerID        string                `xml:"ownerId"`
	VpcID          string                `xml:"vpcId"`
	Region         string                `xml:"region"`
	CidrBlock      string                `xml:"cidrBlock,omitempty"`
	CidrBlockSet   *items[cidrBlockItem] `xml:"cidrBlockSet,omitempty"`
	PeeringOptions *peeringOptions       `xml:"peeringOptions,omitempty"`
}

type cidrBlockItem struct {
	CidrBlock string `xml:"cidrBlock"`
}

type peeringOptions struct {
	AllowDNSResolutionFromRemoteVpc            bool `xml:"allowDnsResolutionFromRemoteVpc"`
	AllowEgressFromLocalClassicLinkToRemoteVpc bool `xml:"allowEgressFromLocalClassicLinkToRemoteVpc"`
	AllowEgressFromLocalVpcToRemoteClassicLink bool `xml:"allowEgressFromLocalVpcToRemoteClassicLink"`
}

type pcxStatus struct {
	Code    string `xml:"code"`
	Message string `xml:"message"`
}

// vpcInfo renders one side; the CIDR and options appear only when full is set (always for the
// requester; for the accepter once the connection has been accepted).
func vpcInfo(tx *emulator.Tx, side emulator.PeerSide, full bool) pcxVpcInfo {
	info := pcxVpcInfo{OwnerID: side.Account, VpcID: side.VPCID, Region: side.Region}
	if full && side.CIDR.IsValid() {
		info.CidrBlock = side.CIDR.String()
		set := &items[cidrBlockItem]{}
		for _, b := range tx.PeerBlocks(side) {
			set.Items = append(set.Items, cidrBlockItem{CidrBlock: b.String()})
		}
		info.CidrBlockSet = set
		info.PeeringOptions = &peeringOptions{AllowDNSResolutionFromRemoteVpc: side.AllowDNSResolutionFromRemoteVPC}
	}
	return info
}

// accepted reports whether a connection's accepter details are public: EC2 shows the
// accepter's CIDR only once the request has been accepted.
func accepted(status string) bool {
	switch status {
	case emulator.PcxProvisioning, emulator.PcxActive, emulator.PcxDeleting, emulator.PcxDeleted:
		return true
	}
	return false
}

func renderPeering(tx *emulator.Tx, p *emulator.Peering, c emulator.Caller) pcxXML {
	now := tx.Now()
	st := p.Status(now)
	x := pcxXML{
		VpcPeeringConnectionID: p.ID,
		RequesterVpcInfo:       vpcInfo(tx, p.Requester, true),
		AccepterVpcInfo:        vpcInfo(tx, p.Accepter, accepted(st)),
		Status:                 pcxStatus{Code: st, Message: p.StatusMessage(now)},
		TagSet:                 tagSet(p.TagsOf(c)),
	}
	if (st == emulator.PcxPending || st == emulator.PcxInitiating) && !p.ExpiresAt.IsZero() {
		x.ExpirationTime = timestamp(p.ExpiresAt)
	}
	return x
}

type pcxResponse struct {
	VpcPeeringConnection pcxXML `xml:"vpcPeeringConnection"`
}

func createVpcPeeringConnection(s *Server, r *request) (response, error) {
	vpcID, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	peerVPC, err := r.Params.required("PeerVpcId")
	if err != nil {
		return nil, err
	}
	tags, err := r.Params.tagSpecs("vpc-peering-connection")
	if err != nil {
		return nil, err
	}
	req := emulator.PeeringRequest{VPCID: vpcID, PeerVPCID: peerVPC, PeerOwner: r.Params.get("PeerOwnerId"),
		PeerRegion: r.Params.get("PeerRegion"), Tags: tags}
	resp := &pcxResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		p, err := tx.CreatePeering(r.Caller, req)
		if err != nil {
			return err
		}
		resp.VpcPeeringConnection = renderPeering(tx, p, r.Caller)
		// EC2 answers the create call while the request is still being initiated; a describe
		// right after shows pending-acceptance (or failed).
		resp.VpcPeeringConnection.Status = pcxStatus{Code: emulator.PcxInitiating, Message: "Initiating Request to " + p.Accepter.Account}
		resp.VpcPeeringConnection.AccepterVpcInfo = vpcInfo(tx, p.Accepter, false)
		if resp.VpcPeeringConnection.ExpirationTime == "" {
			resp.VpcPeeringConnection.ExpirationTime = timestamp(p.CreatedAt.Add(7 * 24 * time.Hour))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func acceptVpcPeeringConnection(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpcPeeringConnectionId")
	if err != nil {
		return nil, err
	}
	resp := &pcxResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		p, err := tx.AcceptPeering(r.Caller, id)
		if err != nil {
			return err
		}
		resp.VpcPeeringConnection = renderPeering(tx, p, r.Caller)
		// EC2 answers accept with provisioning; the connection is active right after.
		resp.VpcPeeringConnection.Status = pcxStatus{Code: emulator.PcxProvisioning, Message: "Provisioning"}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func rejectVpcPeeringConnection(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpcPeeringConnectionId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.RejectPeering(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteVpcPeeringConnection(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpcPeeringConnectionId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeletePeering(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

type describePcxResponse struct {
	VpcPeeringConnectionSet items[pcxXML] `xml:"vpcPeeringConnectionSet"`
	NextToken               string        `xml:"nextToken,omitempty"`
}

// pcxFields reads filter values off the rendered shape, so a filter sees exactly what the
// caller is shown.
var pcxFields = fields[pcxXML]{
	"vpc-peering-connection-id":     func(x pcxXML) []string { return one(x.VpcPeeringConnectionID) },
	"status-code":                   func(x pcxXML) []string { return one(x.Status.Code) },
	"status-message":                func(x pcxXML) []string { return one(x.Status.Message) },
	"expiration-time":               func(x pcxXML) []string { return nonEmpty(x.ExpirationTime) },
	"requester-vpc-info.cidr-block": func(x pcxXML) []string { return nonEmpty(x.RequesterVpcInfo.CidrBlock) },
	"requester-vpc-info.owner-id":   func(x pcxXML) []string { return one(x.RequesterVpcInfo.OwnerID) },
	"requester-vpc-info.vpc-id":     func(x pcxXML) []string { return one(x.RequesterVpcInfo.VpcID) },
	"accepter-vpc-info.cidr-block":  func(x pcxXML) []string { return nonEmpty(x.AccepterVpcInfo.CidrBlock) },
	"accepter-vpc-info.owner-id":    func(x pcxXML) []string { return one(x.AccepterVpcInfo.OwnerID) },
	"accepter-vpc-info.vpc-id":      func(x pcxXML) []string { return one(x.AccepterVpcInfo.VpcID) },
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return one(s)
}

func describeVpcPeeringConnections(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("VpcPeeringConnectionId")
	resp := &describePcxResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []pcxXML
		tagsOf := map[string]emulator.Tags{}
		for _, p := range tx.PeeringsVisibleTo(r.Caller) {
			all = append(all, renderPeering(tx, p, r.Caller))
			tagsOf[p.ID] = p.TagsOf(r.Caller)
		}
		sel := selection[pcxXML]{id: func(x pcxXML) string { return x.VpcPeeringConnectionID },
			notFound: idsNotFound("InvalidVpcPeeringConnectionID.NotFound", "vpcPeeringConnection"),
			fields:   pcxFields, tags: func(x pcxXML) emulator.Tags { return tagsOf[x.VpcPeeringConnectionID] }, maxPage: 1000}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.VpcPeeringConnectionSet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
