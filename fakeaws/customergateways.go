package fakeaws

import (
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateCustomerGateway", createCustomerGateway)
	register("DescribeCustomerGateways", describeCustomerGateways)
	register("DeleteCustomerGateway", deleteCustomerGateway)
}

// customerGatewayXML is EC2's CustomerGateway shape.
type customerGatewayXML struct {
	CustomerGatewayID string        `xml:"customerGatewayId"`
	State             string        `xml:"state"`
	Type              string        `xml:"type"`
	IPAddress         string        `xml:"ipAddress"`
	BgpAsn            string        `xml:"bgpAsn"`
	BgpAsnExtended    string        `xml:"bgpAsnExtended,omitempty"`
	DeviceName        string        `xml:"deviceName,omitempty"`
	CertificateArn    string        `xml:"certificateArn,omitempty"`
	TagSet            items[tagXML] `xml:"tagSet"`
}

func renderCustomerGateway(g *emulator.CustomerGateway) customerGatewayXML {
	x := customerGatewayXML{CustomerGatewayID: g.ID, State: g.State, Type: g.Type, IPAddress: g.IPAddress.String(),
		DeviceName: g.DeviceName, CertificateArn: g.CertificateArn, TagSet: tagSet(g.Tags)}
	if g.BgpAsn > 2147483647 {
		x.BgpAsnExtended = strconv.FormatInt(g.BgpAsn, 10)
	} else {
		x.BgpAsn = strconv.FormatInt(g.BgpAsn, 10)
	}
	return x
}

type createCustomerGatewayResponse struct {
	CustomerGateway customerGatewayXML `xml:"customerGateway"`
}

func createCustomerGateway(s *Server, r *request) (response, error) {
	typ, err := r.Params.required("Type")
	if err != nil {
		return nil, err
	}
	if r.Params.get("CertificateArn") != "" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab's IPsec authenticates with pre-shared keys only (certificateArn is not modelled)")
	}
	ip := r.Params.get("IpAddress")
	if ip == "" {
		ip = r.Params.get("PublicIp")
	}
	if ip == "" {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter ipAddress")
	}
	asn := r.Params.get("BgpAsn")
	if ext := r.Params.get("BgpAsnExtended"); ext != "" {
		if asn != "" {
			return nil, emulator.AWSErr("InvalidParameterCombination", "The parameters bgpAsn and bgpAsnExtended cannot be used together.")
		}
		asn = ext
	}
	tags, err := r.Params.tagSpecs("customer-gateway")
	if err != nil {
		return nil, err
	}
	req := emulator.CustomerGatewayRequest{Type: typ, IPAddress: ip, BgpAsn: asn, DeviceName: r.Params.get("DeviceName"), Tags: tags}
	resp := &createCustomerGatewayResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		g, err := tx.CreateCustomerGateway(r.Caller, req)
		if err != nil {
			return err
		}
		resp.CustomerGateway = renderCustomerGateway(g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type describeCustomerGatewaysResponse struct {
	CustomerGatewaySet items[customerGatewayXML] `xml:"customerGatewaySet"`
}

var customerGatewayFields = fields[customerGatewayXML]{
	"customer-gateway-id": func(x customerGatewayXML) []string { return one(x.CustomerGatewayID) },
	"bgp-asn":             func(x customerGatewayXML) []string { return one(x.BgpAsn + x.BgpAsnExtended) },
	"ip-address":          func(x customerGatewayXML) []string { return one(x.IPAddress) },
	"state":               func(x customerGatewayXML) []string { return one(x.State) },
	"type":                func(x customerGatewayXML) []string { return one(x.Type) },
}

func describeCustomerGateways(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("CustomerGatewayId")
	resp := &describeCustomerGatewaysResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []customerGatewayXML
		tagsOf := map[string]emulator.Tags{}
		for _, g := range tx.CustomerGateways() {
			if r.Caller.Owns(g.Account, g.Region) {
				all = append(all, renderCustomerGateway(g))
				tagsOf[g.ID] = g.Tags
			}
		}
		kept, missing := pickIDs(all, func(x customerGatewayXML) string { return x.CustomerGatewayID }, ids)
		if len(missing) > 0 {
			return notFound("InvalidCustomerGatewayID.NotFound", "customerGateway", missing)
		}
		kept, err := applyFilters(kept, fs, customerGatewayFields, func(x customerGatewayXML) emulator.Tags { return tagsOf[x.CustomerGatewayID] })
		resp.CustomerGatewaySet = list(kept)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteCustomerGateway(s *Server, r *request) (response, error) {
	id, err := r.Params.required("CustomerGatewayId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteCustomerGateway(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
