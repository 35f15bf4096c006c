package fakeaws

import (
	"encoding/xml"
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

// The customer gateway configuration is the XML document EC2 returns in CreateVpnConnection and
// DescribeVpnConnections (customerGatewayConfiguration): per tunnel, both ends' outside and
// inside addresses, the pre-shared key and the IKE (phase 1) and IPsec (phase 2) parameters to
// configure on the customer's device. The parameters are the first of what the tunnel accepts
// (for a tunnel with default options AWS's IKEv1 defaults: sha1, aes-128-cbc, group2, 28800 s;
// ESP hmac-sha1-96, aes-128-cbc, group2, 3600 s, DPD 10 s × 3), so a device configured from it
// alone negotiates with the virtual private gateway.

type cgwConfigXML struct {
	XMLName           xml.Name       `xml:"vpn_connection"`
	ID                string         `xml:"id,attr"`
	CustomerGatewayID string         `xml:"customer_gateway_id"`
	VpnGatewayID      string         `xml:"vpn_gateway_id"`
	Type              string         `xml:"vpn_connection_type"`
	Attributes        string         `xml:"vpn_connection_attributes"`
	Tunnels           []cgwTunnelXML `xml:"ipsec_tunnel"`
}

type cgwTunnelXML struct {
	CustomerGateway cgwEndXML   `xml:"customer_gateway"`
	VpnGateway      cgwEndXML   `xml:"vpn_gateway"`
	IKE             cgwIKEXML   `xml:"ike"`
	IPsec           cgwIPsecXML `xml:"ipsec"`
}

type cgwEndXML struct {
	OutsideAddress struct {
		IPAddress string `xml:"ip_address"`
	} `xml:"tunnel_outside_address"`
	InsideAddress struct {
		IPAddress   string `xml:"ip_address"`
		NetworkMask string `xml:"network_mask"`
		NetworkCIDR int    `xml:"network_cidr"`
	} `xml:"tunnel_inside_address"`
}

type cgwIKEXML struct {
	AuthenticationProtocol string `xml:"authentication_protocol"`
	EncryptionProtocol     string `xml:"encryption_protocol"`
	Lifetime               int    `xml:"lifetime"`
	PerfectForwardSecrecy  string `xml:"perfect_forward_secrecy"`
	Mode                   string `xml:"mode"`
	PreSharedKey           string `xml:"pre_shared_key"`
}

type cgwIPsecXML struct {
	Protocol                      string `xml:"protocol"`
	AuthenticationProtocol        string `xml:"authentication_protocol"`
	EncryptionProtocol            string `xml:"encryption_protocol"`
	Lifetime                      int    `xml:"lifetime"`
	PerfectForwardSecrecy         string `xml:"perfect_forward_secrecy"`
	Mode                          string `xml:"mode"`
	ClearDFBit                    bool   `xml:"clear_df_bit"`
	FragmentationBeforeEncryption bool   `xml:"fragmentation_before_encryption"`
	TCPMSSAdjustment              int    `xml:"tcp_mss_adjustment"`
	DeadPeerDetection             struct {
		Delay   int `xml:"delay"`
		Retries int `xml:"retries"`
	} `xml:"dead_peer_detection"`
}

var (
	cgwEncryption = map[string]string{"AES128": "aes-128-cbc", "AES256": "aes-256-cbc"}
	cgwIKEAuth    = map[string]string{"SHA1": "sha1", "SHA2-256": "sha2-256", "SHA2-384": "sha2-384", "SHA2-512": "sha2-512"}
	cgwESPAuth    = map[string]string{"SHA1": "hmac-sha1-96", "SHA2-256": "hmac-sha2-256-128", "SHA2-384": "hmac-sha2-384-192", "SHA2-512": "hmac-sha2-512-256"}
)

func customerGatewayConfiguration(tx *emulator.Tx, v *emulator.VpnConnection) string {
	doc := cgwConfigXML{ID: v.ID, CustomerGatewayID: v.CustomerGatewayID, VpnGatewayID: v.VpnGatewayID, Type: v.Type, Attributes: "NoBGPVPNConnection"}
	for _, t := range v.Tunnels {
		e := t.Options.Effective()
		var x cgwTunnelXML
		x.CustomerGateway.OutsideAddress.IPAddress = t.CustomerIP.String()
		x.VpnGateway.OutsideAddress.IPAddress = t.IP.String()
		for _, end := range []struct {
			x *cgwEndXML
			a string
		}{{&x.CustomerGateway, t.CgwInsideAddress().String()}, {&x.VpnGateway, t.VgwInsideAddress().String()}} {
			end.x.InsideAddress.IPAddress, end.x.InsideAddress.NetworkMask, end.x.InsideAddress.NetworkCIDR = end.a, "255.255.255.252", 30
		}
		x.IKE = cgwIKEXML{AuthenticationProtocol: cgwIKEAuth[e.Phase1Integrity[0]], EncryptionProtocol: cgwEncryption[e.Phase1Encryption[0]],
			Lifetime: e.Phase1Lifetime, PerfectForwardSecrecy: "group" + strconv.Itoa(e.Phase1DHGroups[0]), Mode: "main", PreSharedKey: t.PreSharedKey}
		x.IPsec = cgwIPsecXML{Protocol: "esp", AuthenticationProtocol: cgwESPAuth[e.Phase2Integrity[0]], EncryptionProtocol: cgwEncryption[e.Phase2Encryption[0]],
			Lifetime: e.Phase2Lifetime, PerfectForwardSecrecy: "group" + strconv.Itoa(e.Phase2DHGroups[0]), Mode: "tunnel", ClearDFBit: true,
			FragmentationBeforeEncryption: true, TCPMSSAdjustment: 1379}
		x.IPsec.DeadPeerDetection.Delay, x.IPsec.DeadPeerDetection.Retries = 10, e.DPDTimeoutSeconds/10
		doc.Tunnels = append(doc.Tunnels, x)
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("fakeaws: customer gateway configuration: " + err.Error()) // static shapes: cannot fail
	}
	return xml.Header + string(out)
}
