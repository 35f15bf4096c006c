"""Drive spacelab's Site-to-Site VPN actions with boto3: customer gateway, virtual private
gateway (attach, detach, route propagation), a static VPN connection with its routes, its
customer gateway configuration and device sample configuration, and deletion. Each step records
its answer and the error code of one bad request; the JSON report on stdout is checked by
fakeaws/boto3_s2svpn_test.go.

Environment: SPACELAB_ENDPOINT, CUSTOMER_KEY/SECRET/REGION, CUSTOMER_VPC.
"""
import json
import xml.etree.ElementTree as ET

from harness import Report, client, env

ec2 = client()
vpc = env["CUSTOMER_VPC"]
report = Report()


def bad(step, call, **kw):
    report.refused(step + ".bad", call, **kw)


cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.77", BgpAsn=65010)["CustomerGateway"]
report["CreateCustomerGateway"] = [cgw["State"], cgw["IpAddress"], cgw["BgpAsn"]]
bad("CreateCustomerGateway", ec2.create_customer_gateway, Type="ipsec.1", PublicIp="198.51.100.77", BgpAsn=0)
again = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.77", BgpAsn=65010)["CustomerGateway"]
report["CreateCustomerGateway.same"] = again["CustomerGatewayId"] == cgw["CustomerGatewayId"]
r = ec2.describe_customer_gateways(Filters=[{"Name": "ip-address", "Values": ["198.51.100.77"]}])
report["DescribeCustomerGateways"] = len(r["CustomerGateways"])
bad("DescribeCustomerGateways", ec2.describe_customer_gateways, CustomerGatewayIds=["cgw-0000000000000000a"])

vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64600)["VpnGateway"]
report["CreateVpnGateway"] = [vgw["State"], vgw["AmazonSideAsn"]]
bad("CreateVpnGateway", ec2.create_vpn_gateway, Type="ipsec.9")
att = ec2.attach_vpn_gateway(VpnGatewayId=vgw["VpnGatewayId"], VpcId=vpc)["VpcAttachment"]
report["AttachVpnGateway"] = att["State"]
bad("AttachVpnGateway", ec2.attach_vpn_gateway, VpnGatewayId=vgw["VpnGatewayId"], VpcId=vpc)
r = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw["VpnGatewayId"]])["VpnGateways"][0]
report["DescribeVpnGateways"] = [a["State"] for a in r["VpcAttachments"]]
bad("DescribeVpnGateways", ec2.describe_vpn_gateways, VpnGatewayIds=["vgw-0000000000000000a"])

bad("CreateVpnConnection", ec2.create_vpn_connection, Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"],
    VpnGatewayId=vgw["VpnGatewayId"], Options={"StaticRoutesOnly": True, "TunnelOptions": [{"Phase1EncryptionAlgorithms": [{"Value": "AES128-GCM-16"}]}]})
report["CreateVpnConnection.none"] = len(ec2.describe_vpn_connections()["VpnConnections"])
vc = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"],
                               Options={"StaticRoutesOnly": True, "LocalIpv4NetworkCidr": "192.168.50.0/24",
                                        "TunnelOptions": [{"Phase1DHGroupNumbers": [{"Value": 14}]}, {"StartupAction": "start"}]})["VpnConnection"]
report["CreateVpnConnection"] = [vc["State"], vc["Options"]["StaticRoutesOnly"], vc["Options"]["LocalIpv4NetworkCidr"],
                                 [t["StartupAction"] for t in vc["Options"]["TunnelOptions"]]]
root = ET.fromstring(vc["CustomerGatewayConfiguration"])
report["CustomerGatewayConfiguration"] = [(t.find("ike/perfect_forward_secrecy").text, t.find("customer_gateway/tunnel_outside_address/ip_address").text)
                                          for t in root.findall("ipsec_tunnel")]
vid = vc["VpnConnectionId"]
ec2.create_vpn_connection_route(VpnConnectionId=vid, DestinationCidrBlock="192.168.50.0/24")
bad("CreateVpnConnectionRoute", ec2.create_vpn_connection_route, VpnConnectionId=vid, DestinationCidrBlock="192.168.50.0/33")

rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
ec2.enable_vgw_route_propagation(RouteTableId=rtb, GatewayId=vgw["VpnGatewayId"])
bad("EnableVgwRoutePropagation", ec2.enable_vgw_route_propagation, RouteTableId="rtb-0000000000000000a", GatewayId=vgw["VpnGatewayId"])
t = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
report["EnableVgwRoutePropagation"] = [[p["GatewayId"] == vgw["VpnGatewayId"] for p in t["PropagatingVgws"]],
                                       [r["Origin"] for r in t["Routes"] if r.get("GatewayId") == vgw["VpnGatewayId"]]]
ec2.disable_vgw_route_propagation(RouteTableId=rtb, GatewayId=vgw["VpnGatewayId"])
bad("DisableVgwRoutePropagation", ec2.disable_vgw_route_propagation, RouteTableId=rtb, GatewayId="vgw-0000000000000000a")
t = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
report["DisableVgwRoutePropagation"] = len(t["PropagatingVgws"])

d = ec2.describe_vpn_connections(VpnConnectionIds=[vid])["VpnConnections"][0]
report["DescribeVpnConnections"] = [d["State"], [r["DestinationCidrBlock"] for r in d["Routes"]], [x["Status"] for x in d["VgwTelemetry"]]]
bad("DescribeVpnConnections", ec2.describe_vpn_connections, VpnConnectionIds=["vpn-0000000000000000a"])
types = ec2.get_vpn_connection_device_types()["VpnConnectionDeviceTypes"]
report["GetVpnConnectionDeviceTypes"] = sorted(t["Vendor"] for t in types)
generic = [t["VpnConnectionDeviceTypeId"] for t in types if t["Vendor"] == "Generic"][0]
s = ec2.get_vpn_connection_device_sample_configuration(VpnConnectionId=vid, VpnConnectionDeviceTypeId=generic)
report["GetVpnConnectionDeviceSampleConfiguration"] = "Diffie-Hellman           : Group 14" in s["VpnConnectionDeviceSampleConfiguration"]
bad("GetVpnConnectionDeviceSampleConfiguration", ec2.get_vpn_connection_device_sample_configuration, VpnConnectionId=vid,
    VpnConnectionDeviceTypeId=generic, InternetKeyExchangeVersion="ikev2")
ec2.delete_vpn_connection_route(VpnConnectionId=vid, DestinationCidrBlock="192.168.50.0/24")
bad("DeleteVpnConnectionRoute", ec2.delete_vpn_connection_route, VpnConnectionId=vid, DestinationCidrBlock="192.168.50.0/24")

bad("DeleteCustomerGateway", ec2.delete_customer_gateway, CustomerGatewayId=cgw["CustomerGatewayId"])
ec2.delete_vpn_connection(VpnConnectionId=vid)
bad("DeleteVpnConnection", ec2.delete_vpn_connection, VpnConnectionId=vid)
report["DeleteVpnConnection"] = ec2.describe_vpn_connections(VpnConnectionIds=[vid])["VpnConnections"][0]["State"]
bad("DeleteVpnGateway", ec2.delete_vpn_gateway, VpnGatewayId=vgw["VpnGatewayId"])
ec2.detach_vpn_gateway(VpnGatewayId=vgw["VpnGatewayId"], VpcId=vpc)
bad("DetachVpnGateway", ec2.detach_vpn_gateway, VpnGatewayId=vgw["VpnGatewayId"], VpcId=vpc)
ec2.delete_vpn_gateway(VpnGatewayId=vgw["VpnGatewayId"])
report["DeleteVpnGateway"] = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw["VpnGatewayId"]])["VpnGateways"][0]["State"]
ec2.delete_customer_gateway(CustomerGatewayId=cgw["CustomerGatewayId"])
report["DeleteCustomerGateway"] = ec2.describe_customer_gateways(CustomerGatewayIds=[cgw["CustomerGatewayId"]])["CustomerGateways"][0]["State"]
print(json.dumps(report))
