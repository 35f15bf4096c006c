package fakeaws

import (
	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateNatGateway", createNatGateway)
	register("DescribeNatGateways", describeNatGateways)
	register("DeleteNatGateway", deleteNatGateway)
}

// natGatewayXML is EC2's NatGateway shape.
type natGatewayXML struct {
	CreateTime           string                   `xml:"createTime"`
	DeleteTime           string                   `xml:"deleteTime,omitempty"`
	FailureCode          string                   `xml:"failureCode,omitempty"`
	FailureMessage       string                   `xml:"failureMessage,omitempty"`
	NatGatewayAddressSet items[natGatewayAddress] `xml:"natGatewayAddressSet"`
	NatGatewayID         string                   `xml:"natGatewayId"`
	State                string                   `xml:"state"`
	SubnetID             string                   `xml:"subnetId"`
	VpcID                string                   `xml:"vpcId"`
	ConnectivityType     string                   `xml:"connectivityType"`
	TagSet               items[tagXML]            `xml:"tagSet"`
}

type natGatewayAddress struct {
	AllocationID       string `xml:"allocationId,omitempty"`
	NetworkInterfaceID string `xml:"networkInterfaceId,omitempty"`
	PrivateIP          string `xml:"privateIp,omitempty"`
	PublicIP           string `xml:"publicIp,omitempty"`
	AssociationID      string `xml:"associationId,omitempty"`
	IsPrimary          bool   `xml:"isPrimary"`
	Status             string `xml:"status"`
}

func renderNatGateway(tx *emulator.Tx, n *emulator.NatGateway) natGatewayXML {
	x := natGatewayXML{CreateTime: timestamp(n.CreateTime), NatGatewayID: n.ID, State: n.State, SubnetID: n.SubnetID, VpcID: n.VPCID,
		ConnectivityType: "public", FailureCode: n.FailureCode, FailureMessage: n.FailureMsg, TagSet: tagSet(n.Tags)}
	if !n.DeleteTime.IsZero() {
		x.DeleteTime = timestamp(n.DeleteTime)
	}
	a := natGatewayAddress{AllocationID: n.AllocationID, IsPrimary: true, Status: "succeeded"}
	if n.PrivateIP.IsValid() {
		a.NetworkInterfaceID, a.PrivateIP, a.PublicIP = n.ENIID, n.PrivateIP.String(), n.PublicIP.String()
	}
	if e := tx.ElasticIP(n.AllocationID); e != nil && e.NatGatewayID == n.ID {
		a.AssociationID = e.AssociationID
	}
	switch n.State {
	case emulator.NatFailed:
		a.Status = "failed"
	case emulator.NatDeleted:
		a.Status, a.AssociationID = "disassociated", ""
	}
	x.NatGatewayAddressSet = list([]natGatewayAddress{a})
	return x
}

type createNatGatewayResponse struct {
	ClientToken string        `xml:"clientToken,omitempty"`
	NatGateway  natGatewayXML `xml:"natGateway"`
}

// createNatGateway makes a public NAT gateway. It answers "pending", as EC2 does; the gateway
// is available by the next describe (the data plane gives it its host at the next reconcile).
func createNatGateway(s *Server, r *request) (response, error) {
	subnet, err := r.Params.required("SubnetId")
	if err != nil {
		return nil, err
	}
	switch ct := r.Params.get("ConnectivityType"); ct {
	case "", "public":
	case "private":
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models public NAT gateways only (connectivityType private is not modelled)")
	default:
		return nil, invalidValue(ct, "ConnectivityType")
	}
	for _, name := range []string{"PrivateIpAddress", "SecondaryAllocationId", "SecondaryPrivateIpAddress", "SecondaryPrivateIpAddressCount"} {
		if r.Params.get(name) != "" || len(r.Params.indexes(name)) > 0 {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model %s on NAT gateways", lowerFirst(name))
		}
	}
	tags, err := r.Params.tagSpecs("natgateway")
	if err != nil {
		return nil, err
	}
	req := emulator.NatGatewayRequest{SubnetID: subnet, AllocationID: r.Params.get("AllocationId"), ClientToken: r.Params.get("ClientToken"), Tags: tags}
	resp := &createNatGatewayResponse{ClientToken: req.ClientToken}
	err = s.update(r, func(tx *emulator.Tx) error {
		n, err := tx.CreateNatGateway(r.Caller, req)
		if err != nil {
			return err
		}
		resp.NatGateway = renderNatGateway(tx, n)
		if n.State == emulator.NatAvailable {
			resp.NatGateway.State = emulator.NatPending
			resp.NatGateway.NatGatewayAddressSet.Items[0].Status = "associating"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type describeNatGatewaysResponse struct {
	NatGatewaySet items[natGatewayXML] `xml:"natGatewaySet"`
	NextToken     string               `xml:"nextToken,omitempty"`
}

var natGatewayFields = fields[natGatewayXML]{
	"nat-gateway-id": func(x natGatewayXML) []string { return one(x.NatGatewayID) },
	"state":          func(x natGatewayXML) []string { return one(x.State) },
	"subnet-id":      func(x natGatewayXML) []string { return one(x.SubnetID) },
	"vpc-id":         func(x natGatewayXML) []string { return one(x.VpcID) },
}

func describeNatGateways(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("NatGatewayId")
	resp := &describeNatGatewaysResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []natGatewayXML
		tagsOf := map[string]emulator.Tags{}
		for _, n := range tx.NatGateways() {
			if r.Caller.Owns(n.Account, n.Region) {
				all = append(all, renderNatGateway(tx, n))
				tagsOf[n.ID] = n.Tags
			}
		}
		sel := selection[natGatewayXML]{id: func(x natGatewayXML) string { return x.NatGatewayID },
			notFound: func(missing []string) error {
				return emulator.AWSErr("NatGatewayNotFound", "The Nat Gateway %s was not found", joinIDs(missing))
			},
			fields: natGatewayFields, tags: func(x natGatewayXML) emulator.Tags { return tagsOf[x.NatGatewayID] }, maxPage: 1000}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.NatGatewaySet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type deleteNatGatewayResponse struct {
	NatGatewayID string `xml:"natGatewayId"`
}

func deleteNatGateway(s *Server, r *request) (response, error) {
	id, err := r.Params.required("NatGatewayId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { _, err := tx.DeleteNatGateway(r.Caller, id); return err }); err != nil {
		return nil, err
	}
	return &deleteNatGatewayResponse{NatGatewayID: id}, nil
}
