package emulator

// SubnetAttributes are the launch settings ModifySubnetAttribute changes, one per call; a nil
// field is left as it is.
type SubnetAttributes struct {
	MapPublicIPOnLaunch *bool
	EnableDNS64         *bool
	HostnameType        *string
	ResourceNameARecord *bool
	// AssignIPv6OnCreation can only be turned on for a subnet with an IPv6 block; spacelab
	// refuses it there too, since its IPv4 data plane gives instances no IPv6 address.
	AssignIPv6OnCreation *bool
}

// SetSubnetAttributes changes launch settings of a subnet the caller owns.
func (tx *Tx) SetSubnetAttributes(c Caller, id string, a SubnetAttributes) error {
	sn := tx.w.subnets[id]
	if sn == nil || !c.owns(sn.Account, sn.Region) {
		return AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
	}
	tx.mustWriteModel(sn) // launch settings: instances read them when they launch
	if a.AssignIPv6OnCreation != nil && *a.AssignIPv6OnCreation {
		if len(tx.SubnetIPv6(id)) > 0 {
			return AWSErr("UnsupportedOperation", "spacelab gives instances no IPv6 addresses (assignIpv6AddressOnCreation): its data plane carries IPv4 only; IPv6 blocks, routes and rules are stored and described")
		}
		return AWSErr("InvalidParameterValue", "Invalid value 'true' for assignIpv6AddressOnCreation. Cannot set assignIpv6AddressOnCreation to true unless the subnet (%s) has an IPv6 CIDR block associated with it.", id)
	}
	if a.HostnameType != nil && *a.HostnameType != "ip-name" && *a.HostnameType != "resource-name" {
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter privateDnsHostnameTypeOnLaunch is invalid. Valid values: ip-name, resource-name", *a.HostnameType)
	}
	if a.MapPublicIPOnLaunch != nil {
		sn.MapPublicIPOnLaunch = *a.MapPublicIPOnLaunch
	}
	if a.EnableDNS64 != nil {
		sn.EnableDNS64 = *a.EnableDNS64
	}
	if a.HostnameType != nil {
		sn.HostnameType = *a.HostnameType
	}
	if a.ResourceNameARecord != nil {
		sn.ResourceNameARecord = *a.ResourceNameARecord
	}
	return nil
}
