package fakeaws

import "github.com/spacelab-dev/spacelab/emulator"

func init() {
	register("CreateRouteTable", createRouteTable)
	register("DeleteRouteTable", deleteRouteTable)
	register("AssociateRouteTable", associateRouteTable)
	register("DisassociateRouteTable", disassociateRouteTable)
	register("ReplaceRouteTableAssociation", replaceRouteTableAssociation)
}

type createRouteTableResponse struct {
	RouteTable  routeTableXML `xml:"routeTable"`
	ClientToken string        `xml:"clientToken,omitempty"`
}

func createRouteTable(s *Server, r *request) (response, error) {
	vpcID, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	tags, err := r.Params.tagSpecs("route-table")
	if err != nil {
		return nil, err
	}
	resp := &createRouteTableResponse{ClientToken: r.Params.get("ClientToken")}
	err = s.update(r, func(tx *emulator.Tx) error {
		rt, err := tx.CreateRouteTable(r.Caller, vpcID, tags)
		if err != nil {
			return err
		}
		resp.RouteTable = renderRouteTable(tx, rt)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteRouteTable(s *Server, r *request) (response, error) {
	id, err := r.Params.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteRouteTable(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

// associationResponse answers AssociateRouteTable and ReplaceRouteTableAssociation.
type associationResponse struct {
	AssociationID    string   `xml:"associationId,omitempty"`
	NewAssociationID string   `xml:"newAssociationId,omitempty"`
	AssociationState stateXML `xml:"associationState"`
}

func associateRouteTable(s *Server, r *request) (response, error) {
	rtb, err := r.Params.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	if r.Params.get("GatewayId") != "" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model gateway route table associations")
	}
	subnet, err := r.Params.required("SubnetId")
	if err != nil {
		return nil, err
	}
	resp := &associationResponse{AssociationState: stateXML{"associated"}}
	err = s.update(r, func(tx *emulator.Tx) error {
		id, err := tx.AssociateRouteTable(r.Caller, rtb, subnet)
		resp.AssociationID = id
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func disassociateRouteTable(s *Server, r *request) (response, error) {
	id, err := r.Params.required("AssociationId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DisassociateRouteTable(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func replaceRouteTableAssociation(s *Server, r *request) (response, error) {
	assoc, err := r.Params.required("AssociationId")
	if err != nil {
		return nil, err
	}
	rtb, err := r.Params.required("RouteTableId")
	if err != nil {
		return nil, err
	}
	resp := &associationResponse{AssociationState: stateXML{"associated"}}
	err = s.update(r, func(tx *emulator.Tx) error {
		id, err := tx.ReplaceRouteTableAssociation(r.Caller, assoc, rtb)
		resp.NewAssociationID = id
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
