package emulator

// VPCAttribute names one of the attributes DescribeVpcAttribute and ModifyVpcAttribute address.
type VPCAttribute string

// The VPC attributes EC2 knows.
const (
	AttrDNSSupport                VPCAttribute = "enableDnsSupport"
	AttrDNSHostnames              VPCAttribute = "enableDnsHostnames"
	AttrNetworkAddressUsageMetric VPCAttribute = "enableNetworkAddressUsageMetrics"
)

// VPCAttributeValue reads one attribute of a VPC the caller owns.
func (tx *Tx) VPCAttributeValue(c Caller, id string, a VPCAttribute) (bool, error) {
	v, err := tx.callerVPC(c, id)
	if err != nil {
		return false, err
	}
	switch a {
	case AttrDNSSupport:
		return v.EnableDNSSupport, nil
	case AttrDNSHostnames:
		return v.EnableDNSHostnames, nil
	case AttrNetworkAddressUsageMetric:
		return v.NetworkAddressUsageMetrics, nil
	}
	return false, AWSErr("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", a)
}

// SetVPCAttribute changes one attribute of a VPC the caller owns. As in EC2, DNS hostnames
// cannot be enabled while DNS support is off.
func (tx *Tx) SetVPCAttribute(c Caller, id string, a VPCAttribute, on bool) error {
	v, err := tx.callerVPC(c, id)
	if err != nil {
		return err
	}
	if a == AttrDNSSupport {
		tx.mustWriteFor(Changed{"dhcp-options", v.ID}, v) // whether its resolver answers
	} else {
		tx.mustWriteModel(v) // the data plane reads no other
	}
	switch a {
	case AttrDNSSupport:
		if !on && v.EnableDNSHostnames {
			return AWSErr("InvalidParameterCombination", "Cannot disable DNS support while DNS hostnames is enabled. Disable DNS hostnames first.")
		}
		v.EnableDNSSupport = on
	case AttrDNSHostnames:
		if on && !v.EnableDNSSupport {
			return AWSErr("InvalidParameterCombination", "Cannot enable DNS hostnames for a VPC that does not have DNS support enabled.")
		}
		v.EnableDNSHostnames = on
	case AttrNetworkAddressUsageMetric:
		v.NetworkAddressUsageMetrics = on
	default:
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter attribute is invalid. Unknown attribute.", a)
	}
	return nil
}

// callerVPC finds a VPC of the caller's account and region, or EC2's NotFound.
func (tx *Tx) callerVPC(c Caller, id string) (*VPC, error) {
	v := tx.w.vpcs[id]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	return v, nil
}
