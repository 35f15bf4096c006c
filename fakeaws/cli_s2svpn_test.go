package fakeaws_test

import (
	"encoding/xml"
	"strings"
	"testing"
)

type cliVpnConnection struct {
	VpnConnectionId, State, CustomerGatewayId, VpnGatewayId string
	CustomerGatewayConfiguration                            string
	Options                                                 struct {
		StaticRoutesOnly                            bool
		LocalIpv4NetworkCidr, RemoteIpv4NetworkCidr string
		TunnelOptions                               []struct {
			OutsideIpAddress, TunnelInsideCidr, PreSharedKey, StartupAction string
			Phase1LifetimeSeconds                                           int
			Phase1EncryptionAlgorithms                                      []struct{ Value string }
		}
	}
	Routes       []struct{ DestinationCidrBlock, Source, State string }
	VgwTelemetry []struct{ OutsideIpAddress, Status, StatusMessage string }
}

// TestAWSCLISiteToSiteVPN drives every Site-to-Site VPN action with the real AWS CLI v2: customer
// and VPN gateways, attachment, a static connection with tunnel options, its routes, route
// propagation into a route table, and the customer gateway configuration; each refusal gets
// EC2's error code and changes nothing.
func TestAWSCLISiteToSiteVPN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	fails := func(code string, args ...string) {
		t.Helper()
		_, stderr, exit := cli.run(customerKey, customerSecret, customerRegion, args...)
		if exit != 254 || !strings.Contains(stderr, "("+code+")") {
			t.Fatalf("%s: exit %d, %q; want 254 and %s", strings.Join(args[:2], " "), exit, stderr, code)
		}
	}

	var cgw struct {
		CustomerGateway struct{ CustomerGatewayId, State, IpAddress, BgpAsn, Type string }
	}
	cli.customer(&cgw, "ec2", "create-customer-gateway", "--type", "ipsec.1", "--public-ip", "203.0.113.20", "--bgp-asn", "65000",
		"--tag-specifications", "ResourceType=customer-gateway,Tags=[{Key=Name,Value=office}]")
	g := cgw.CustomerGateway
	if !strings.HasPrefix(g.CustomerGatewayId, "cgw-") || g.State != "available" || g.IpAddress != "203.0.113.20" || g.BgpAsn != "65000" {
		t.Fatalf("create-customer-gateway = %+v", g)
	}
	fails("InvalidParameterValue", "ec2", "create-customer-gateway", "--type", "ipsec.2", "--public-ip", "203.0.113.21", "--bgp-asn", "65000")
	fails("InvalidParameterValue", "ec2", "create-customer-gateway", "--type", "ipsec.1", "--public-ip", "not-an-ip", "--bgp-asn", "65000")
	var cgws struct {
		CustomerGateways []struct{ CustomerGatewayId string }
	}
	cli.customer(&cgws, "ec2", "describe-customer-gateways", "--filters", "Name=tag:Name,Values=office")
	if len(cgws.CustomerGateways) != 1 {
		t.Fatalf("describe-customer-gateways = %+v", cgws)
	}
	cli.customer(&cgws, "ec2", "describe-customer-gateways")
	if len(cgws.CustomerGateways) != 1 {
		t.Fatalf("the refused creates made a gateway: %+v", cgws)
	}
	fails("InvalidCustomerGatewayID.NotFound", "ec2", "describe-customer-gateways", "--customer-gateway-ids", "cgw-0123456789abcdef0")
	fails("InvalidCustomerGatewayId.Malformed", "ec2", "delete-customer-gateway", "--customer-gateway-id", "cgw-office")

	var vgw struct {
		VpnGateway struct {
			VpnGatewayId, State, Type string
			AmazonSideAsn             int64
		}
	}
	cli.customer(&vgw, "ec2", "create-vpn-gateway", "--type", "ipsec.1")
	vg := vgw.VpnGateway.VpnGatewayId
	if !strings.HasPrefix(vg, "vgw-") || vgw.VpnGateway.State != "available" || vgw.VpnGateway.AmazonSideAsn != 64512 {
		t.Fatalf("create-vpn-gateway = %+v", vgw)
	}
	fails("InvalidParameterValue", "ec2", "create-vpn-gateway", "--type", "ipsec.1", "--amazon-side-asn", "65535")
	var att struct{ VpcAttachment struct{ VpcId, State string } }
	cli.customer(&att, "ec2", "attach-vpn-gateway", "--vpn-gateway-id", vg, "--vpc-id", customerVPC)
	if att.VpcAttachment.VpcId != customerVPC || att.VpcAttachment.State != "attaching" {
		t.Fatalf("attach-vpn-gateway = %+v", att)
	}
	fails("IncorrectState", "ec2", "attach-vpn-gateway", "--vpn-gateway-id", vg, "--vpc-id", customerVPC)
	fails("InvalidVpnGatewayID.NotFound", "ec2", "attach-vpn-gateway", "--vpn-gateway-id", "vgw-0123456789abcdef0", "--vpc-id", customerVPC)
	fails("IncorrectState", "ec2", "delete-vpn-gateway", "--vpn-gateway-id", vg)
	var vgws struct {
		VpnGateways []struct {
			VpnGatewayId, State string
			VpcAttachments      []struct{ VpcId, State string }
		}
	}
	cli.customer(&vgws, "ec2", "describe-vpn-gateways", "--filters", "Name=attachment.vpc-id,Values="+customerVPC)
	if len(vgws.VpnGateways) != 1 || len(vgws.VpnGateways[0].VpcAttachments) != 1 || vgws.VpnGateways[0].VpcAttachments[0].State != "attached" {
		t.Fatalf("describe-vpn-gateways = %+v", vgws)
	}

	fails("UnsupportedOperation", "ec2", "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id", g.CustomerGatewayId, "--vpn-gateway-id", vg)
	fails("InvalidParameterValue", "ec2", "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id", g.CustomerGatewayId, "--vpn-gateway-id", vg,
		"--options", `{"StaticRoutesOnly":true,"TunnelOptions":[{"TunnelInsideCidr":"169.254.0.0/30"}]}`)
	fails("UnsupportedOperation", "ec2", "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id", g.CustomerGatewayId, "--vpn-gateway-id", vg,
		"--options", `{"StaticRoutesOnly":true,"TunnelOptions":[{"IKEVersions":[{"Value":"ikev2"}]}]}`)
	fails("InvalidCustomerGatewayID.NotFound", "ec2", "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id", "cgw-0123456789abcdef0",
		"--vpn-gateway-id", vg, "--options", "StaticRoutesOnly=true")
	var none struct{ VpnConnections []cliVpnConnection }
	cli.customer(&none, "ec2", "describe-vpn-connections")
	if len(none.VpnConnections) != 0 {
		t.Fatalf("refused creates made connections: %+v", none)
	}

	var created struct{ VpnConnection cliVpnConnection }
	cli.customer(&created, "ec2", "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id", g.CustomerGatewayId, "--vpn-gateway-id", vg,
		"--options", `{"StaticRoutesOnly":true,"TunnelOptions":[{"TunnelInsideCidr":"169.254.10.0/30","PreSharedKey":"tunnel_one.key","Phase1EncryptionAlgorithms":[{"Value":"AES256"}]},{}]}`)
	vc := created.VpnConnection
	if !strings.HasPrefix(vc.VpnConnectionId, "vpn-") || vc.State != "pending" || !vc.Options.StaticRoutesOnly || len(vc.Options.TunnelOptions) != 2 {
		t.Fatalf("create-vpn-connection = %+v", vc)
	}
	t1 := vc.Options.TunnelOptions[0]
	if t1.TunnelInsideCidr != "169.254.10.0/30" || t1.PreSharedKey != "tunnel_one.key" || t1.Phase1LifetimeSeconds != 28800 || t1.StartupAction != "add" ||
		len(t1.Phase1EncryptionAlgorithms) != 1 || t1.Phase1EncryptionAlgorithms[0].Value != "AES256" {
		t.Fatalf("tunnel 1 options = %+v", t1)
	}
	var cfg struct {
		Tunnels []struct {
			VGW struct {
				Outside string `xml:"tunnel_outside_address>ip_address"`
				Inside  string `xml:"tunnel_inside_address>ip_address"`
			} `xml:"vpn_gateway"`
			CGW struct {
				Outside string `xml:"tunnel_outside_address>ip_address"`
			} `xml:"customer_gateway"`
			PSK string `xml:"ike>pre_shared_key"`
			Enc string `xml:"ike>encryption_protocol"`
			ESP string `xml:"ipsec>authentication_protocol"`
		} `xml:"ipsec_tunnel"`
	}
	if err := xml.Unmarshal([]byte(vc.CustomerGatewayConfiguration), &cfg); err != nil || len(cfg.Tunnels) != 2 {
		t.Fatalf("customer gateway configuration: %v\n%s", err, vc.CustomerGatewayConfiguration)
	}
	c1, c2 := cfg.Tunnels[0], cfg.Tunnels[1]
	if c1.VGW.Outside != t1.OutsideIpAddress || c1.VGW.Inside != "169.254.10.1" || c1.CGW.Outside != "203.0.113.20" || c1.PSK != "tunnel_one.key" ||
		c1.Enc != "aes-256-cbc" || c2.Enc != "aes-128-cbc" || c2.ESP != "hmac-sha1-96" || c2.PSK != vc.Options.TunnelOptions[1].PreSharedKey {
		t.Fatalf("customer gateway configuration:\n%s", vc.CustomerGatewayConfiguration)
	}
	cli.customer(nil, "ec2", "wait", "vpn-connection-available", "--vpn-connection-ids", vc.VpnConnectionId)
	fails("IncorrectState", "ec2", "delete-customer-gateway", "--customer-gateway-id", g.CustomerGatewayId)

	cli.customer(nil, "ec2", "create-vpn-connection-route", "--vpn-connection-id", vc.VpnConnectionId, "--destination-cidr-block", "192.168.0.0/24")
	fails("RouteAlreadyExists", "ec2", "create-vpn-connection-route", "--vpn-connection-id", vc.VpnConnectionId, "--destination-cidr-block", "192.168.0.0/24")
	fails("InvalidParameterValue", "ec2", "create-vpn-connection-route", "--vpn-connection-id", vc.VpnConnectionId, "--destination-cidr-block", "192.168.0.1/24")
	fails("InvalidVpnConnectionID.NotFound", "ec2", "create-vpn-connection-route", "--vpn-connection-id", "vpn-0123456789abcdef0", "--destination-cidr-block", "192.168.1.0/24")

	var rts cliRouteTables
	cli.customer(&rts, "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values="+customerVPC, "Name=association.main,Values=true")
	rtb := rts.RouteTables[0].RouteTableId
	cli.customer(nil, "ec2", "enable-vgw-route-propagation", "--route-table-id", rtb, "--gateway-id", vg)
	fails("InvalidVpnGatewayID.NotFound", "ec2", "enable-vgw-route-propagation", "--route-table-id", rtb, "--gateway-id", "vgw-0123456789abcdef0")
	type routeTables struct {
		RouteTables []struct {
			PropagatingVgws []struct{ GatewayId string }
			Routes          []struct{ DestinationCidrBlock, GatewayId, Origin, State string }
		}
	}
	var prop routeTables
	cli.customer(&prop, "ec2", "describe-route-tables", "--route-table-ids", rtb)
	found := false
	for _, r := range prop.RouteTables[0].Routes {
		found = found || (r.DestinationCidrBlock == "192.168.0.0/24" && r.GatewayId == vg && r.Origin == "EnableVgwRoutePropagation" && r.State == "active")
	}
	if len(prop.RouteTables[0].PropagatingVgws) != 1 || prop.RouteTables[0].PropagatingVgws[0].GatewayId != vg || !found {
		t.Fatalf("route table with propagation = %+v", prop)
	}
	cli.customer(nil, "ec2", "disable-vgw-route-propagation", "--route-table-id", rtb, "--gateway-id", vg)
	cli.customer(&prop, "ec2", "describe-route-tables", "--route-table-ids", rtb)
	for _, r := range prop.RouteTables[0].Routes {
		if r.GatewayId == vg {
			t.Fatalf("a propagated route stayed after disable: %+v", prop)
		}
	}
	// A static route to the gateway.
	cli.customer(nil, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.0.0/24", "--gateway-id", vg)
	fails("InvalidGatewayID.NotFound", "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.9.0/24", "--gateway-id", "vgw-0123456789abcdef0")
	cli.customer(nil, "ec2", "delete-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.0.0/24")

	var got struct{ VpnConnections []cliVpnConnection }
	cli.customer(&got, "ec2", "describe-vpn-connections", "--vpn-connection-ids", vc.VpnConnectionId)
	d := got.VpnConnections[0]
	if d.State != "available" || len(d.Routes) != 1 || d.Routes[0].DestinationCidrBlock != "192.168.0.0/24" || d.Routes[0].Source != "Static" ||
		len(d.VgwTelemetry) != 2 || d.VgwTelemetry[0].Status != "DOWN" || d.VgwTelemetry[0].OutsideIpAddress != t1.OutsideIpAddress {
		t.Fatalf("describe-vpn-connections = %+v", d)
	}
	cli.customer(nil, "ec2", "delete-vpn-connection-route", "--vpn-connection-id", vc.VpnConnectionId, "--destination-cidr-block", "192.168.0.0/24")
	fails("InvalidRoute.NotFound", "ec2", "delete-vpn-connection-route", "--vpn-connection-id", vc.VpnConnectionId, "--destination-cidr-block", "192.168.0.0/24")

	var types struct {
		VpnConnectionDeviceTypes []struct{ VpnConnectionDeviceTypeId, Vendor, Platform, Software string }
	}
	cli.customer(&types, "ec2", "get-vpn-connection-device-types")
	var swan string
	for _, dt := range types.VpnConnectionDeviceTypes {
		if dt.Vendor == "Strongswan" {
			swan = dt.VpnConnectionDeviceTypeId
		}
	}
	if swan == "" {
		t.Fatalf("get-vpn-connection-device-types = %+v", types)
	}
	var sample struct{ VpnConnectionDeviceSampleConfiguration string }
	cli.customer(&sample, "ec2", "get-vpn-connection-device-sample-configuration", "--vpn-connection-id", vc.VpnConnectionId, "--vpn-connection-device-type-id", swan)
	if !strings.Contains(sample.VpnConnectionDeviceSampleConfiguration, t1.OutsideIpAddress) || !strings.Contains(sample.VpnConnectionDeviceSampleConfiguration, "tunnel_one.key") {
		t.Fatalf("sample configuration:\n%s", sample.VpnConnectionDeviceSampleConfiguration)
	}
	fails("InvalidParameterValue", "ec2", "get-vpn-connection-device-sample-configuration", "--vpn-connection-id", vc.VpnConnectionId, "--vpn-connection-device-type-id", "nope")

	cli.customer(nil, "ec2", "delete-vpn-connection", "--vpn-connection-id", vc.VpnConnectionId)
	cli.customer(nil, "ec2", "wait", "vpn-connection-deleted", "--vpn-connection-ids", vc.VpnConnectionId)
	fails("InvalidVpcID.NotFound", "ec2", "detach-vpn-gateway", "--vpn-gateway-id", vg, "--vpc-id", "vpc-0123456789abcdef0")
	cli.customer(nil, "ec2", "detach-vpn-gateway", "--vpn-gateway-id", vg, "--vpc-id", customerVPC)
	fails("InvalidVpnGatewayAttachment.NotFound", "ec2", "detach-vpn-gateway", "--vpn-gateway-id", vg, "--vpc-id", customerVPC)
	cli.customer(nil, "ec2", "delete-vpn-gateway", "--vpn-gateway-id", vg)
	cli.customer(nil, "ec2", "delete-customer-gateway", "--customer-gateway-id", g.CustomerGatewayId)
	cli.customer(&vgws, "ec2", "describe-vpn-gateways", "--vpn-gateway-ids", vg)
	if vgws.VpnGateways[0].State != "deleted" {
		t.Fatalf("deleted gateway = %+v", vgws)
	}
	fails("InvalidVpnGatewayID.NotFound", "ec2", "delete-vpn-gateway", "--vpn-gateway-id", vg)
}
