package fakeaws

import (
	"net/netip"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeVpcs", describeVpcs)
}

// vpcXML is EC2's Vpc shape.
type vpcXML struct {
	VpcID                       string                      `xml:"vpcId"`
	OwnerID                     string                      `xml:"ownerId"`
	State                       string                      `xml:"state"`
	CidrBlock                   string                      `xml:"cidrBlock"`
	CidrBlockAssociationSet     items[cidrBlockAssociation] `xml:"cidrBlockAssociationSet"`
	Ipv6CidrBlockAssociationSet items[vpcIPv6Association]   `xml:"ipv6CidrBlockAssociationSet"`
	DhcpOptionsID               string                      `xml:"dhcpOptionsId"`
	InstanceTenancy             string                      `xml:"instanceTenancy"`
	IsDefault                   bool                        `xml:"isDefault"`
	TagSet                      items[tagXML]               `xml:"tagSet"`
}

type cidrBlockAssociation struct {
	AssociationID  string   `xml:"associationId"`
	CidrBlock      string   `xml:"cidrBlock"`
	CidrBlockState stateXML `xml:"cidrBlockState"`
}

// stateXML is a <state> wrapper used by several shapes.
type stateXML struct {
	State string `xml:"state"`
}

func renderVPC(tx *emulator.Tx, v *emulator.VPC) vpcXML {
	return vpcXML{
		Ipv6CidrBlockAssociationSet: vpcIPv6Set(tx, v.ID),
		VpcID:                       v.ID, OwnerID: v.Account, State: v.State, CidrBlock: v.CIDR.String(),
		CidrBlockAssociationSet: list(vpcIPv4Set(tx, v)),
		DhcpOptionsID:           v.DHCPOptionsID, InstanceTenancy: "default", IsDefault: v.IsDefault, TagSet: tagSet(v.Tags),
	}
}

var vpcFields = fields[*emulator.VPC]{
	"vpc-id":     func(v *emulator.VPC) []string { return one(v.ID) },
	"cidr":       func(v *emulator.VPC) []string { return one(v.CIDR.String()) },
	"cidr-block": func(v *emulator.VPC) []string { return one(v.CIDR.String()) },
	"cidr-block-association.cidr-block": func(v *emulator.VPC) []string {
		return ipv4Field(v, func(a cidrBlockAssociation) string { return a.CidrBlock })
	},
	"cidr-block-association.association-id": func(v *emulator.VPC) []string {
		return ipv4Field(v, func(a cidrBlockAssociation) string { return a.AssociationID })
	},
	"cidr-block-association.state": func(v *emulator.VPC) []string {
		return ipv4Field(v, func(a cidrBlockAssociation) string { return a.CidrBlockState.State })
	},
	"dhcp-options-id":  func(v *emulator.VPC) []string { return one(v.DHCPOptionsID) },
	"is-default":       func(v *emulator.VPC) []string { return one(boolStr(v.IsDefault)) },
	"isDefault":        func(v *emulator.VPC) []string { return one(boolStr(v.IsDefault)) },
	"owner-id":         func(v *emulator.VPC) []string { return one(v.Account) },
	"state":            func(v *emulator.VPC) []string { return one(v.State) },
	"instance-tenancy": func(v *emulator.VPC) []string { return one("default") },
}

type describeVpcsResponse struct {
	VpcSet    items[vpcXML] `xml:"vpcSet"`
	NextToken string        `xml:"nextToken,omitempty"`
}

// callerVPCs lists the VPCs of the caller's account and region.
func callerVPCs(tx *emulator.Tx, c emulator.Caller) []*emulator.VPC {
	var out []*emulator.VPC
	for _, v := range tx.VPCs() {
		if v.Account == c.Account && v.Region == c.Region {
			out = append(out, v)
		}
	}
	return out
}

func describeVpcs(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("VpcId")
	resp := &describeVpcsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		sel := selection[*emulator.VPC]{id: func(v *emulator.VPC) string { return v.ID },
			notFound: idsNotFound("InvalidVpcID.NotFound", "vpc"),
			fields:   withIPv6Fields(vpcFields, func(v *emulator.VPC) []*emulator.IPv6CIDRAssociation { return tx.VPCIPv6(v.ID) }),
			tags:     func(v *emulator.VPC) emulator.Tags { return v.Tags }, maxPage: 1000}
		pg, err := sel.page(callerVPCs(tx, r.Caller), ids, fs, r.Params)
		if err != nil {
			return err
		}
		for _, v := range pg.Items {
			resp.VpcSet.Items = append(resp.VpcSet.Items, renderVPC(tx, v))
		}
		resp.NextToken = pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func init() {
	register("CreateVpc", createVpc)
	register("DeleteVpc", deleteVpc)
}

type createVpcResponse struct {
	Vpc vpcXML `xml:"vpc"`
}

func createVpc(s *Server, r *request) (response, error) {
	raw, err := r.Params.required("CidrBlock")
	if err != nil {
		return nil, err
	}
	if r.Params.get("Ipv4IpamPoolId") != "" || r.Params.get("Ipv6CidrBlock") != "" || r.Params.get("Ipv6Pool") != "" || r.Params.get("Ipv6IpamPoolId") != "" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models IPv4 VPC CIDR blocks given as CidrBlock and Amazon-provided IPv6 blocks only")
	}
	amazonIPv6, err := r.Params.boolean("AmazonProvidedIpv6CidrBlock", false)
	if err != nil {
		return nil, err
	}
	cidr, err := netip.ParsePrefix(raw)
	if err != nil {
		return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", raw)
	}
	tags, err := r.Params.tagSpecs("vpc")
	if err != nil {
		return nil, err
	}
	resp := &createVpcResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		v, err := tx.CreateVPC(r.Caller, cidr, emulator.VPCOptions{Tags: tags})
		if err != nil {
			return err
		}
		if amazonIPv6 {
			if _, err := tx.AssociateVPCIPv6(r.Caller, v.ID); err != nil {
				return err
			}
		}
		resp.Vpc = renderVPC(tx, v)
		// EC2 answers CreateVpc while the VPC is still pending; it is available right after.
		resp.Vpc.State = "pending"
		for i := range resp.Vpc.Ipv6CidrBlockAssociationSet.Items {
			resp.Vpc.Ipv6CidrBlockAssociationSet.Items[i].Ipv6CidrBlockState.State = "associating"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteVpc(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteVPC(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
