package fakeaws

import (
	"fmt"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("GetVpnConnectionDeviceTypes", getVpnConnectionDeviceTypes)
	register("GetVpnConnectionDeviceSampleConfiguration", getVpnConnectionDeviceSampleConfiguration)
}

// deviceTypeXML is EC2's VpnConnectionDeviceType shape.
type deviceTypeXML struct {
	VpnConnectionDeviceTypeID string `xml:"vpnConnectionDeviceTypeId"`
	Vendor                    string `xml:"vendor"`
	Platform                  string `xml:"platform"`
	Software                  string `xml:"software"`
}

// deviceSample is a device type spacelab writes sample configurations for, from the same data
// as the customer gateway configuration.
type deviceSample struct {
	deviceTypeXML
	render func(v *emulator.VpnConnection) string
}

// deviceSamples are the device types spacelab knows (its own ids; AWS's list is longer).
var deviceSamples = []deviceSample{
	{deviceTypeXML{"5fb390ba", "Generic", "Generic", "Vendor Agnostic"}, genericSample},
	{deviceTypeXML{"7125681a", "Strongswan", "Linux", "strongSwan 5.9 (swanctl, kernel-libipsec)"}, strongswanSample},
}

type getDeviceTypesResponse struct {
	VpnConnectionDeviceTypeSet items[deviceTypeXML] `xml:"vpnConnectionDeviceTypeSet"`
}

func getVpnConnectionDeviceTypes(s *Server, r *request) (response, error) {
	if err := s.view(r, func(*emulator.Tx) error { return nil }); err != nil {
		return nil, err
	}
	resp := &getDeviceTypesResponse{}
	for _, d := range deviceSamples {
		resp.VpnConnectionDeviceTypeSet.Items = append(resp.VpnConnectionDeviceTypeSet.Items, d.deviceTypeXML)
	}
	return resp, nil
}

type getDeviceSampleResponse struct {
	VpnConnectionDeviceSampleConfiguration string `xml:"vpnConnectionDeviceSampleConfiguration"`
}

func getVpnConnectionDeviceSampleConfiguration(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpnConnectionId")
	if err != nil {
		return nil, err
	}
	typ, err := r.Params.required("VpnConnectionDeviceTypeId")
	if err != nil {
		return nil, err
	}
	switch v := r.Params.get("InternetKeyExchangeVersion"); v {
	case "", "ikev1":
	case "ikev2":
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab's IPsec speaks IKEv1 only (InternetKeyExchangeVersion ikev2)")
	default:
		return nil, invalidValue(v, "InternetKeyExchangeVersion")
	}
	var sample *deviceSample
	for i := range deviceSamples {
		if deviceSamples[i].VpnConnectionDeviceTypeID == typ {
			sample = &deviceSamples[i]
		}
	}
	if sample == nil {
		return nil, emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter vpnConnectionDeviceTypeId is invalid.", typ)
	}
	resp := &getDeviceSampleResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		v := tx.VpnConnection(id)
		if v == nil || !r.Caller.Owns(v.Account, v.Region) || v.State == emulator.VPNConnDeleted {
			return emulator.AWSErr("InvalidVpnConnectionID.NotFound", "The vpnConnection ID '%s' does not exist", id)
		}
		resp.VpnConnectionDeviceSampleConfiguration = sample.render(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func genericSample(v *emulator.VpnConnection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Amazon Web Services\nVirtual Private Cloud\n\nVPN Connection Configuration\n%s\n", strings.Repeat("=", 64))
	fmt.Fprintf(&b, "Your VPN Connection ID             : %s\nYour Virtual Private Gateway ID    : %s\nYour Customer Gateway ID           : %s\n\n",
		v.ID, v.VpnGatewayID, v.CustomerGatewayID)
	fmt.Fprintf(&b, "This VPN connection has two tunnels (static routing). Configure both.\n")
	for i, t := range v.Tunnels {
		e := t.Options.Effective()
		fmt.Fprintf(&b, "\nIPSec Tunnel #%d\n%s\n#1: Internet Key Exchange Configuration\n", i+1, strings.Repeat("=", 64))
		fmt.Fprintf(&b, "  - IKE version              : IKEv1\n  - Authentication Method    : Pre-Shared Key\n  - Pre-Shared Key           : %s\n", t.PreSharedKey)
		fmt.Fprintf(&b, "  - Authentication Algorithm : %s\n  - Encryption Algorithm     : %s\n  - Lifetime                 : %d seconds\n",
			cgwIKEAuth[e.Phase1Integrity[0]], cgwEncryption[e.Phase1Encryption[0]], e.Phase1Lifetime)
		fmt.Fprintf(&b, "  - Phase 1 Negotiation Mode : main\n  - Diffie-Hellman           : Group %d\n", e.Phase1DHGroups[0])
		fmt.Fprintf(&b, "\n#2: IPSec Configuration\n  - Protocol                 : ESP\n  - Authentication Algorithm : %s\n  - Encryption Algorithm     : %s\n",
			cgwESPAuth[e.Phase2Integrity[0]], cgwEncryption[e.Phase2Encryption[0]])
		fmt.Fprintf(&b, "  - Lifetime                 : %d seconds\n  - Mode                     : tunnel\n  - Perfect Forward Secrecy  : Diffie-Hellman Group %d\n",
			e.Phase2Lifetime, e.Phase2DHGroups[0])
		fmt.Fprintf(&b, "  - DPD Interval             : 10\n  - DPD Retries              : %d\n", e.DPDTimeoutSeconds/10)
		fmt.Fprintf(&b, "\n#3: Tunnel Interface Configuration\n  Outside IP Addresses:\n  - Customer Gateway         : %s\n  - Virtual Private Gateway  : %s\n",
			t.CustomerIP, t.IP)
		fmt.Fprintf(&b, "  Inside IP Addresses:\n  - Customer Gateway         : %s/30\n  - Virtual Private Gateway  : %s/30\n",
			t.CgwInsideAddress(), t.VgwInsideAddress())
	}
	fmt.Fprintf(&b, "\n#4: Static Routing\n  Route the VPC's networks (%s) into both tunnels; the connection's static routes name\n  your networks: %s\n",
		v.RemoteIPv4NetworkCIDR, vpnRoutes(v))
	return b.String()
}

func vpnRoutes(v *emulator.VpnConnection) string {
	var rs []string
	for _, r := range v.Routes {
		rs = append(rs, r.Dst.String())
	}
	if len(rs) == 0 {
		return "(none yet: CreateVpnConnectionRoute)"
	}
	return strings.Join(rs, ", ")
}

// strongswanSample is a swanctl.conf for a strongSwan 5.9 customer gateway. Its traffic
// selectors are the connection's LocalIpv4NetworkCidr (your side) and RemoteIpv4NetworkCidr
// (the VPC side): with the default 0.0.0.0/0 replace them with your LAN and the VPC's CIDR.
func strongswanSample(v *emulator.VpnConnection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s <-> %s, generated by spacelab for strongSwan 5.9 (swanctl)\nconnections {\n", v.ID, v.VpnGatewayID, v.CustomerGatewayID)
	for i, t := range v.Tunnels {
		ike, esp := t.Options.Proposals()
		e := t.Options.Effective()
		fmt.Fprintf(&b, "  %s-%d {\n    version = 1\n    local_addrs = %s\n    remote_addrs = %s\n    proposals = %s\n", v.ID, i+1, t.CustomerIP, t.IP, strings.Join(ike, ","))
		fmt.Fprintf(&b, "    reauth_time = %ds\n    dpd_delay = 10s\n    local {\n      auth = psk\n      id = %s\n    }\n    remote {\n      auth = psk\n      id = %s\n    }\n",
			e.Phase1Lifetime, t.CustomerIP, t.IP)
		fmt.Fprintf(&b, "    children {\n      %s-%d {\n        local_ts = %s\n        remote_ts = %s\n        esp_proposals = %s\n        rekey_time = %ds\n        dpd_action = restart\n        start_action = start\n      }\n    }\n  }\n",
			v.ID, i+1, v.LocalIPv4NetworkCIDR, v.RemoteIPv4NetworkCIDR, strings.Join(esp, ","), e.Phase2Lifetime)
	}
	b.WriteString("}\nsecrets {\n")
	for i, t := range v.Tunnels {
		fmt.Fprintf(&b, "  ike-%s-%d {\n    id-1 = %s\n    id-2 = %s\n    secret = \"%s\"\n  }\n", v.ID, i+1, t.CustomerIP, t.IP, t.PreSharedKey)
	}
	b.WriteString("}\n")
	return b.String()
}
