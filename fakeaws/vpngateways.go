package fakeaws

import (
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateVpnGateway", createVpnGateway)
	register("AttachVpnGateway", attachVpnGateway)
	register("DetachVpnGateway", detachVpnGateway)
	register("DescribeVpnGateways", describeVpnGateways)
	register("DeleteVpnGateway", deleteVpnGateway)
	register("EnableVgwRoutePropagation", enableVgwRoutePropagation)
	register("DisableVgwRoutePropagation", disableVgwRoutePropagation)
}

// vpnGatewayXML is EC2's VpnGateway shape.
type vpnGatewayXML struct {
	VpnGatewayID     string                  `xml:"vpnGatewayId"`
	State            string                  `xml:"state"`
	Type             string                  `xml:"type"`
	AvailabilityZone string                  `xml:"availabilityZone,omitempty"`
	Attachments      items[vpcAttachmentXML] `xml:"attachments"`
	AmazonSideAsn    string                  `xml:"amazonSideAsn"`
	TagSet           items[tagXML]           `xml:"tagSet"`
}

type vpcAttachmentXML struct {
	VpcID string `xml:"vpcId"`
	State string `xml:"state"`
}

func renderVpnGateway(g *emulator.VpnGateway) vpnGatewayXML {
	x := vpnGatewayXML{VpnGatewayID: g.ID, State: g.State, Type: g.Type, AvailabilityZone: g.AvailabilityZone,
		AmazonSideAsn: strconv.FormatInt(g.AmazonSideAsn, 10), TagSet: tagSet(g.Tags)}
	x.Attachments.Items = []vpcAttachmentXML{}
	if g.AttachState != "" {
		x.Attachments.Items = append(x.Attachments.Items, vpcAttachmentXML{VpcID: g.VPCID, State: g.AttachState})
	}
	return x
}

type createVpnGatewayResponse struct {
	VpnGateway vpnGatewayXML `xml:"vpnGateway"`
}

func createVpnGateway(s *Server, r *request) (response, error) {
	typ, err := r.Params.required("Type")
	if err != nil {
		return nil, err
	}
	tags, err := r.Params.tagSpecs("vpn-gateway")
	if err != nil {
		return nil, err
	}
	req := emulator.VpnGatewayRequest{Type: typ, AvailabilityZone: r.Params.get("AvailabilityZone"), AmazonSideAsn: r.Params.get("AmazonSideAsn"), Tags: tags}
	resp := &createVpnGatewayResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		g, err := tx.CreateVpnGateway(r.Caller, req)
		if err != nil {
			return err
		}
		resp.VpnGateway = renderVpnGateway(g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func vgwAndVPC(p params) (string, string, error) {
	vgw, err := p.required("VpnGatewayId")
	if err != nil {
		return "", "", err
	}
	vpc, err := p.required("VpcId")
	return vgw, vpc, err
}

type attachVpnGatewayResponse struct {
	Attachment vpcAttachmentXML `xml:"attachment"`
}

// attachVpnGateway answers "attaching", as EC2 does; the next describe shows it attached.
func attachVpnGateway(s *Server, r *request) (response, error) {
	vgw, vpc, err := vgwAndVPC(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { _, err := tx.AttachVpnGateway(r.Caller, vgw, vpc); return err }); err != nil {
		return nil, err
	}
	return &attachVpnGatewayResponse{Attachment: vpcAttachmentXML{VpcID: vpc, State: "attaching"}}, nil
}

func detachVpnGateway(s *Server, r *request) (response, error) {
	vgw, vpc, err := vgwAndVPC(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DetachVpnGateway(r.Caller, vgw, vpc) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteVpnGateway(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpnGatewayId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteVpnGateway(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

type describeVpnGatewaysResponse struct {
	VpnGatewaySet items[vpnGatewayXML] `xml:"vpnGatewaySet"`
}

var vpnGatewayFields = fields[vpnGatewayXML]{
	"vpn-gateway-id":    func(x vpnGatewayXML) []string { return one(x.VpnGatewayID) },
	"state":             func(x vpnGatewayXML) []string { return one(x.State) },
	"type":              func(x vpnGatewayXML) []string { return one(x.Type) },
	"availability-zone": func(x vpnGatewayXML) []string { return one(x.AvailabilityZone) },
	"amazon-side-asn":   func(x vpnGatewayXML) []string { return one(x.AmazonSideAsn) },
	"attachment.vpc-id": func(x vpnGatewayXML) []string {
		return mapItems(x.Attachments.Items, func(a vpcAttachmentXML) string { return a.VpcID })
	},
	"attachment.state": func(x vpnGatewayXML) []string {
		return mapItems(x.Attachments.Items, func(a vpcAttachmentXML) string { return a.State })
	},
}

func describeVpnGateways(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("VpnGatewayId")
	resp := &describeVpnGatewaysResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []vpnGatewayXML
		tagsOf := map[string]emulator.Tags{}
		for _, g := range tx.VpnGateways() {
			if r.Caller.Owns(g.Account, g.Region) {
				all = append(all, renderVpnGateway(g))
				tagsOf[g.ID] = g.Tags
			}
		}
		kept, missing := pickIDs(all, func(x vpnGatewayXML) string { return x.VpnGatewayID }, ids)
		if len(missing) > 0 {
			return notFound("InvalidVpnGatewayID.NotFound", "vpnGateway", missing)
		}
		kept, err := applyFilters(kept, fs, vpnGatewayFields, func(x vpnGatewayXML) emulator.Tags { return tagsOf[x.VpnGatewayID] })
		resp.VpnGatewaySet = list(kept)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func rtbAndGateway(p params) (string, string, error) {
	rtb, err := p.required("RouteTableId")
	if err != nil {
		return "", "", err
	}
	gw, err := p.required("GatewayId")
	return rtb, gw, err
}

func enableVgwRoutePropagation(s *Server, r *request) (response, error) {
	rtb, gw, err := rtbAndGateway(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.EnableVgwRoutePropagation(r.Caller, rtb, gw) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func disableVgwRoutePropagation(s *Server, r *request) (response, error) {
	rtb, gw, err := rtbAndGateway(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DisableVgwRoutePropagation(r.Caller, rtb, gw) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
