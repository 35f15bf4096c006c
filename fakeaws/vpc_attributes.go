package fakeaws

import (
	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeVpcAttribute", describeVpcAttribute)
	register("ModifyVpcAttribute", modifyVpcAttribute)
}

// vpcAttributes are the attribute names of DescribeVpcAttribute's Attribute parameter, which
// are also ModifyVpcAttribute's parameter prefixes (EnableDnsSupport.Value …).
var vpcAttributes = []struct {
	attr  emulator.VPCAttribute
	param string
}{
	{emulator.AttrDNSSupport, "EnableDnsSupport"},
	{emulator.AttrDNSHostnames, "EnableDnsHostnames"},
	{emulator.AttrNetworkAddressUsageMetric, "EnableNetworkAddressUsageMetrics"},
}

type attributeBool struct {
	Value bool `xml:"value"`
}

type describeVpcAttributeResponse struct {
	VpcID                            string         `xml:"vpcId"`
	EnableDNSSupport                 *attributeBool `xml:"enableDnsSupport,omitempty"`
	EnableDNSHostnames               *attributeBool `xml:"enableDnsHostnames,omitempty"`
	EnableNetworkAddressUsageMetrics *attributeBool `xml:"enableNetworkAddressUsageMetrics,omitempty"`
}

func describeVpcAttribute(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	name, err := r.Params.required("Attribute")
	if err != nil {
		return nil, err
	}
	attr := emulator.VPCAttribute(name)
	known := false
	for _, a := range vpcAttributes {
		known = known || a.attr == attr
	}
	if !known {
		return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", name)
	}
	resp := &describeVpcAttributeResponse{VpcID: id}
	err = s.view(r, func(tx *emulator.Tx) error {
		on, err := tx.VPCAttributeValue(r.Caller, id, attr)
		if err != nil {
			return err
		}
		v := &attributeBool{Value: on}
		switch attr {
		case emulator.AttrDNSSupport:
			resp.EnableDNSSupport = v
		case emulator.AttrDNSHostnames:
			resp.EnableDNSHostnames = v
		default:
			resp.EnableNetworkAddressUsageMetrics = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// modifyVpcAttribute changes exactly one attribute, as EC2 requires.
func modifyVpcAttribute(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpcId")
	if err != nil {
		return nil, err
	}
	var attr emulator.VPCAttribute
	var on bool
	n := 0
	for _, a := range vpcAttributes {
		if !r.Params.has(a.param + ".Value") {
			continue
		}
		n++
		attr = a.attr
		if on, err = r.Params.boolean(a.param+".Value", false); err != nil {
			return nil, err
		}
	}
	switch {
	case n == 0:
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter EnableDnsSupport, EnableDnsHostnames or EnableNetworkAddressUsageMetrics")
	case n > 1:
		return nil, emulator.AWSErr("InvalidParameterCombination", "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames, enableNetworkAddressUsageMetrics")
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.SetVPCAttribute(r.Caller, id, attr, on) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
