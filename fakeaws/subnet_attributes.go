package fakeaws

import (
	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("ModifySubnetAttribute", modifySubnetAttribute)
}

// modifySubnetAttribute changes one launch setting of a subnet. Settings for features spacelab
// does not model (customer-owned IPs, Local Network Interfaces, AAAA records) are refused.
func modifySubnetAttribute(s *Server, r *request) (response, error) {
	id, err := r.Params.required("SubnetId")
	if err != nil {
		return nil, err
	}
	var a emulator.SubnetAttributes
	n := 0
	flag := func(param string, dst **bool) error {
		if !r.Params.has(param + ".Value") {
			return nil
		}
		n++
		v, err := r.Params.boolean(param+".Value", false)
		*dst = &v
		return err
	}
	for _, f := range []struct {
		param string
		dst   **bool
	}{
		{"MapPublicIpOnLaunch", &a.MapPublicIPOnLaunch},
		{"EnableDns64", &a.EnableDNS64},
		{"EnableResourceNameDnsARecordOnLaunch", &a.ResourceNameARecord},
		{"AssignIpv6AddressOnCreation", &a.AssignIPv6OnCreation},
	} {
		if err := flag(f.param, f.dst); err != nil {
			return nil, err
		}
	}
	if v := r.Params.get("PrivateDnsHostnameTypeOnLaunch"); v != "" {
		n++
		a.HostnameType = &v
	}
	for _, p := range []string{"MapCustomerOwnedIpOnLaunch.Value", "CustomerOwnedIpv4Pool", "EnableLniAtDeviceIndex", "DisableLniAtDeviceIndex.Value", "EnableResourceNameDnsAAAARecordOnLaunch.Value"} {
		if r.Params.has(p) {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model the subnet attribute %s", p)
		}
	}
	switch {
	case n == 0:
		return nil, emulator.AWSErr("MissingParameter", "The request must contain exactly one attribute to modify")
	case n > 1:
		return nil, emulator.AWSErr("InvalidParameterCombination", "Fields for multiple attribute types specified")
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.SetSubnetAttributes(r.Caller, id, a) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
