package fakeaws

import "github.com/spacelab-dev/spacelab/emulator"

func init() {
	register("CreateInternetGateway", createInternetGateway)
	register("AttachInternetGateway", attachInternetGateway)
	register("DetachInternetGateway", detachInternetGateway)
	register("DeleteInternetGateway", deleteInternetGateway)
	register("DescribeInternetGateways", describeInternetGateways)
}

// igwXML is EC2's InternetGateway shape.
type igwXML struct {
	InternetGatewayID string               `xml:"internetGatewayId"`
	OwnerID           string               `xml:"ownerId"`
	AttachmentSet     items[igwAttachment] `xml:"attachmentSet"`
	TagSet            items[tagXML]        `xml:"tagSet"`
}

type igwAttachment struct {
	VpcID string `xml:"vpcId"`
	State string `xml:"state"`
}

func renderIGW(g *emulator.InternetGateway) igwXML {
	x := igwXML{InternetGatewayID: g.ID, OwnerID: g.Account, TagSet: tagSet(g.Tags)}
	if g.VPCID != "" {
		// EC2 reports an internet gateway attachment as "available".
		x.AttachmentSet.Items = []igwAttachment{{VpcID: g.VPCID, State: "available"}}
	}
	return x
}

type createIGWResponse struct {
	InternetGateway igwXML `xml:"internetGateway"`
}

func createInternetGateway(s *Server, r *request) (response, error) {
	tags, err := r.Params.tagSpecs("internet-gateway")
	if err != nil {
		return nil, err
	}
	resp := &createIGWResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		g, err := tx.CreateInternetGateway(r.Caller, tags)
		if err != nil {
			return err
		}
		resp.InternetGateway = renderIGW(g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func igwAndVPC(p params) (string, string, error) {
	igw, err := p.required("InternetGatewayId")
	if err != nil {
		return "", "", err
	}
	vpc, err := p.required("VpcId")
	return igw, vpc, err
}

func attachInternetGateway(s *Server, r *request) (response, error) {
	igw, vpc, err := igwAndVPC(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.AttachInternetGateway(r.Caller, igw, vpc) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func detachInternetGateway(s *Server, r *request) (response, error) {
	igw, vpc, err := igwAndVPC(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DetachInternetGateway(r.Caller, igw, vpc) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteInternetGateway(s *Server, r *request) (response, error) {
	igw, err := r.Params.required("InternetGatewayId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteInternetGateway(r.Caller, igw) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

type describeIGWsResponse struct {
	InternetGatewaySet items[igwXML] `xml:"internetGatewaySet"`
	NextToken          string        `xml:"nextToken,omitempty"`
}

var igwFields = fields[igwXML]{
	"internet-gateway-id": func(x igwXML) []string { return one(x.InternetGatewayID) },
	"owner-id":            func(x igwXML) []string { return one(x.OwnerID) },
	"attachment.vpc-id": func(x igwXML) []string {
		return mapItems(x.AttachmentSet.Items, func(a igwAttachment) string { return a.VpcID })
	},
	"attachment.state": func(x igwXML) []string {
		return mapItems(x.AttachmentSet.Items, func(a igwAttachment) string { return a.State })
	},
}

func describeInternetGateways(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("InternetGatewayId")
	resp := &describeIGWsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []igwXML
		tagsOf := map[string]emulator.Tags{}
		for _, g := range tx.InternetGateways() {
			if g.Account == r.Caller.Account && g.Region == r.Caller.Region {
				all = append(all, renderIGW(g))
				tagsOf[g.ID] = g.Tags
			}
		}
		sel := selection[igwXML]{id: func(x igwXML) string { return x.InternetGatewayID },
			notFound: idsNotFound("InvalidInternetGatewayID.NotFound", "internetGateway"),
			fields:   igwFields, tags: func(x igwXML) emulator.Tags { return tagsOf[x.InternetGatewayID] }, maxPage: 1000}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.InternetGatewaySet, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
