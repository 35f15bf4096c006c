package fakeaws

import (
	"net/netip"

	"github.com/spacelab-dev/spacelab/emulator"
)

// CIDR blocks of VPCs and subnets. A secondary IPv4 block (AssociateVpcCidrBlock with
// CidrBlock) is real: subnets in it, local routes, peering and the data plane follow it; it is
// listed in CidrBlockAssociationSet. IPv6: AssociateVpcCidrBlock with
// AmazonProvidedIpv6CidrBlock (a /56), AssociateSubnetCidrBlock (a /64 inside it), their
// Disassociate actions, and the Ipv6CidrBlockAssociationSet of DescribeVpcs and
// DescribeSubnets. IPv6 pools and IPAM are refused with UnsupportedOperation, naming what is
// not modelled.

func init() {
	register("AssociateVpcCidrBlock", associateVpcCidrBlock)
	register("DisassociateVpcCidrBlock", disassociateVpcCidrBlock)
	register("AssociateSubnetCidrBlock", associateSubnetCidrBlock)
	register("DisassociateSubnetCidrBlock", disassociateSubnetCidrBlock)
}

type vpcIPv6Association struct {
	AssociationID      string   `xml:"associationId"`
	Ipv6CidrBlock      string   `xml:"ipv6CidrBlock"`
	Ipv6CidrBlockState stateXML `xml:"ipv6CidrBlockState"`
	NetworkBorderGroup string   `xml:"networkBorderGroup"`
	Ipv6Pool           string   `xml:"ipv6Pool"`
}

type subnetIPv6Association struct {
	AssociationID      string   `xml:"associationId"`
	Ipv6CidrBlock      string   `xml:"ipv6CidrBlock"`
	Ipv6CidrBlockState stateXML `xml:"ipv6CidrBlockState"`
}

func renderVPCIPv6(a *emulator.IPv6CIDRAssociation, state string) vpcIPv6Association {
	return vpcIPv6Association{AssociationID: a.ID, Ipv6CidrBlock: a.CIDR.String(), Ipv6CidrBlockState: stateXML{state},
		NetworkBorderGroup: a.BorderGroup, Ipv6Pool: "Amazon"}
}

func renderSubnetIPv6(a *emulator.IPv6CIDRAssociation, state string) subnetIPv6Association {
	return subnetIPv6Association{AssociationID: a.ID, Ipv6CidrBlock: a.CIDR.String(), Ipv6CidrBlockState: stateXML{state}}
}

func vpcIPv6Set(tx *emulator.Tx, vpcID string) items[vpcIPv6Association] {
	var out []vpcIPv6Association
	for _, a := range tx.VPCIPv6(vpcID) {
		out = append(out, renderVPCIPv6(a, "associated"))
	}
	return list(out)
}

func subnetIPv6Set(tx *emulator.Tx, subnetID string) items[subnetIPv6Association] {
	var out []subnetIPv6Association
	for _, a := range tx.SubnetIPv6(subnetID) {
		out = append(out, renderSubnetIPv6(a, "associated"))
	}
	return list(out)
}

// vpcIPv4Set is a VPC's CidrBlockAssociationSet: the primary block, then the secondary ones
// (disassociated ones for a while, as EC2 lists them).
func vpcIPv4Set(tx *emulator.Tx, v *emulator.VPC) []cidrBlockAssociation {
	out := []cidrBlockAssociation{{AssociationID: v.CIDRAssociationID, CidrBlock: v.CIDR.String(), CidrBlockState: stateXML{"associated"}}}
	for _, b := range tx.VisibleSecondary(v) {
		out = append(out, renderVPCIPv4(b, ""))
	}
	return out
}

// renderVPCIPv4 is one secondary block; state "" is the block's own (associated or disassociated).
func renderVPCIPv4(b *emulator.VPCCIDRBlock, state string) cidrBlockAssociation {
	if state == "" {
		state = "associated"
		if !b.Associated() {
			state = "disassociated"
		}
	}
	return cidrBlockAssociation{AssociationID: b.AssociationID, CidrBlock: b.CIDR.String(), CidrBlockState: stateXML{state}}
}

// ipv4Field is a cidr-block-association.* filter's values: every IPv4 block the VPC has or had.
func ipv4Field(v *emulator.VPC, f func(cidrBlockAssociation) string) []string {
	out := []string{f(cidrBlockAssociation{AssociationID: v.CIDRAssociationID, CidrBlock: v.CIDR.String(), CidrBlockState: stateXML{"associated"}})}
	for _, b := range v.Secondary {
		out = append(out, f(renderVPCIPv4(b, "")))
	}
	return out
}

type associateVpcCidrBlockResponse struct {
	VpcID                    string                `xml:"vpcId"`
	CidrBlockAssociation     *cidrBlockAssociation `xml:"cidrBlockAssociation,omitempty"`
	Ipv6CidrBlockAssociation *vpcIPv6Association   `xml:"ipv6CidrBlockAssociation,omitempty"`
}

func associateVpcCidrBlock(s *Server, r *request) (response, error) {
	vpcID, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	amazon, err := r.Params.boolean("AmazonProvidedIpv6CidrBlock", false)
	if err != nil {
		return nil, err
	}
	ipv4 := r.Params.get("CidrBlock")
	for _, k := range []string{"Ipv6Pool", "Ipv6CidrBlock", "Ipv4IpamPoolId", "Ipv6IpamPoolId"} {
		if r.Params.get(k) != "" {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model %s: a VPC gets an Amazon-provided IPv6 CIDR block (AmazonProvidedIpv6CidrBlock) only", k)
		}
	}
	switch {
	case ipv4 != "" && amazon:
		return nil, emulator.AWSErr("InvalidParameterCombination", "The parameter 'cidrBlock' cannot be used with the parameter 'amazonProvidedIpv6CidrBlock'")
	case ipv4 != "":
		if r.Params.get("Ipv4NetmaskLength") != "" {
			return nil, emulator.AWSErr("InvalidParameterCombination", "The parameter 'cidrBlock' cannot be used with the parameter 'ipv4NetmaskLength'")
		}
		cidr, perr := netip.ParsePrefix(ipv4)
		if perr != nil || !cidr.Addr().Is4() {
			return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", ipv4)
		}
		resp := &associateVpcCidrBlockResponse{VpcID: vpcID}
		err := s.update(r, func(tx *emulator.Tx) error {
			b, err := tx.AssociateVPCIPv4(r.Caller, vpcID, cidr)
			if err != nil {
				return err
			}
			x := renderVPCIPv4(b, "associating") // EC2 answers while it associates
			resp.CidrBlockAssociation = &x
			return nil
		})
		if err != nil {
			return nil, err
		}
		return resp, nil
	case !amazon:
		return nil, emulator.AWSErr("MissingParameter", "Either 'cidrBlock' or 'amazonProvidedIpv6CidrBlock' or 'ipv6Pool' must be specified.")
	}
	if g := r.Params.get("Ipv6CidrBlockNetworkBorderGroup"); g != "" && g != r.Caller.Region {
		return nil, emulator.AWSErr("InvalidParameterValue", "The network border group '%s' is invalid.", g)
	}
	resp := &associateVpcCidrBlockResponse{VpcID: vpcID}
	err = s.update(r, func(tx *emulator.Tx) error {
		a, err := tx.AssociateVPCIPv6(r.Caller, vpcID)
		if err != nil {
			return err
		}
		x := renderVPCIPv6(a, "associating") // EC2 answers while it associates
		resp.Ipv6CidrBlockAssociation = &x
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type disassociateVpcCidrBlockResponse struct {
	VpcID                    string                `xml:"vpcId"`
	CidrBlockAssociation     *cidrBlockAssociation `xml:"cidrBlockAssociation,omitempty"`
	Ipv6CidrBlockAssociation *vpcIPv6Association   `xml:"ipv6CidrBlockAssociation,omitempty"`
}

func disassociateVpcCidrBlock(s *Server, r *request) (response, error) {
	id, err := r.Params.required("AssociationId")
	if err != nil {
		return nil, err
	}
	resp := &disassociateVpcCidrBlockResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		if tx.IsSecondaryIPv4(r.Caller, id) {
			v, b, err := tx.DisassociateVPCIPv4(r.Caller, id)
			if err != nil {
				return err
			}
			resp.VpcID = v.ID
			x := renderVPCIPv4(b, "disassociating")
			resp.CidrBlockAssociation = &x
			return nil
		}
		a, v, err := tx.DisassociateVPCCIDR(r.Caller, id)
		if err != nil {
			return err
		}
		resp.VpcID = v.ID
		x := renderVPCIPv6(a, "disassociating")
		resp.Ipv6CidrBlockAssociation = &x
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type subnetCidrBlockResponse struct {
	SubnetID                 string                 `xml:"subnetId"`
	Ipv6CidrBlockAssociation *subnetIPv6Association `xml:"ipv6CidrBlockAssociation,omitempty"`
}

func associateSubnetCidrBlock(s *Server, r *request) (response, error) {
	subnetID, err := r.Params.required("SubnetId")
	if err != nil {
		return nil, err
	}
	if r.Params.get("Ipv6IpamPoolId") != "" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model Ipv6IpamPoolId: give the subnet's Ipv6CidrBlock")
	}
	raw, err := r.Params.required("Ipv6CidrBlock")
	if err != nil {
		return nil, err
	}
	cidr, perr := netip.ParsePrefix(raw)
	if perr != nil || !cidr.Addr().Is6() {
		return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", raw)
	}
	resp := &subnetCidrBlockResponse{SubnetID: subnetID}
	err = s.update(r, func(tx *emulator.Tx) error {
		a, err := tx.AssociateSubnetIPv6(r.Caller, subnetID, cidr)
		if err != nil {
			return err
		}
		x := renderSubnetIPv6(a, "associating")
		resp.Ipv6CidrBlockAssociation = &x
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func disassociateSubnetCidrBlock(s *Server, r *request) (response, error) {
	id, err := r.Params.required("AssociationId")
	if err != nil {
		return nil, err
	}
	resp := &subnetCidrBlockResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		a, err := tx.DisassociateSubnetIPv6(r.Caller, id)
		if err != nil {
			return err
		}
		resp.SubnetID = a.ResourceID
		x := renderSubnetIPv6(a, "disassociating")
		resp.Ipv6CidrBlockAssociation = &x
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// withIPv6Fields adds the ipv6-cidr-block-association.* filters of DescribeVpcs and
// DescribeSubnets (the provider waits on association-id) to base.
func withIPv6Fields[T any](base fields[T], of func(T) []*emulator.IPv6CIDRAssociation) fields[T] {
	out := fields[T]{}
	for k, v := range base {
		out[k] = v
	}
	each := func(f func(*emulator.IPv6CIDRAssociation) string) func(T) []string {
		return func(x T) []string {
			var vals []string
			for _, a := range of(x) {
				vals = append(vals, f(a))
			}
			return vals
		}
	}
	out["ipv6-cidr-block-association.ipv6-cidr-block"] = each(func(a *emulator.IPv6CIDRAssociation) string { return a.CIDR.String() })
	out["ipv6-cidr-block-association.association-id"] = each(func(a *emulator.IPv6CIDRAssociation) string { return a.ID })
	out["ipv6-cidr-block-association.state"] = each(func(*emulator.IPv6CIDRAssociation) string { return "associated" })
	return out
}
