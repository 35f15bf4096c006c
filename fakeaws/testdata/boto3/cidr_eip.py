"""Drive secondary IPv4 CIDR blocks and Elastic IPs on a secondary network interface with boto3
against spacelab's fake EC2. A VPC gets a second IPv4 block, a subnet is made in it, the local
routes follow; an Elastic IP is associated with an interface attached to an instance as device
1. Each bad request must get EC2's error code and leave the VPC (or the addresses) as they were.
The JSON report on stdout is checked by fakeaws/cidr_eip_test.go.

Environment: SPACELAB_ENDPOINT, CUSTOMER_KEY/SECRET/REGION, CUSTOMER_VPC, CUSTOMER_INSTANCE.
"""
import json
import sys

from harness import Report, client, env

ec2 = client()
vpc, inst = env["CUSTOMER_VPC"], env["CUSTOMER_INSTANCE"]
report = Report()


def state():
    v = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]
    a = ec2.describe_addresses()["Addresses"]
    return json.dumps([v, a], sort_keys=True, default=str)


def bad(step, call, **kw):
    report.refused(step, call, state=state, **kw)


# Secondary IPv4 block.
a = ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="172.17.0.0/16")["CidrBlockAssociation"]
report["AssociateVpcCidrBlock"] = "%s %s" % (a["CidrBlock"], a["CidrBlockState"]["State"])
bad("AssociateVpcCidrBlock.restricted", ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="10.9.0.0/16")
bad("AssociateVpcCidrBlock.overlap", ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="172.17.128.0/20")
bad("AssociateVpcCidrBlock.size", ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="172.18.0.0/15")
bad("AssociateVpcCidrBlock.malformed", ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="172.18.0.0/33")
sets = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlockAssociationSet"]
report["DescribeVpcs"] = ["%s %s" % (x["CidrBlock"], x["CidrBlockState"]["State"]) for x in sets]
byfilter = ec2.describe_vpcs(Filters=[{"Name": "cidr-block-association.cidr-block", "Values": ["172.17.0.0/16"]}])["Vpcs"]
report["DescribeVpcs.filter"] = [x["VpcId"] == vpc for x in byfilter]

sub = ec2.create_subnet(VpcId=vpc, CidrBlock="172.17.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
report["CreateSubnet.secondary"] = sub.startswith("subnet-")
rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
report["LocalRoutes"] = sorted(r["DestinationCidrBlock"] for r in rt["Routes"] if r.get("GatewayId") == "local")
bad("DisassociateVpcCidrBlock.inuse", ec2.disassociate_vpc_cidr_block, AssociationId=a["AssociationId"])
primary = [x["AssociationId"] for x in sets if x["CidrBlock"] == "172.16.0.0/16"][0]
bad("DisassociateVpcCidrBlock.primary", ec2.disassociate_vpc_cidr_block, AssociationId=primary)

# An Elastic IP on the instance's second interface (device 1), in the secondary block.
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
eni = ec2.create_network_interface(SubnetId=sub)["NetworkInterface"]
att = ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=inst, DeviceIndex=1)["AttachmentId"]
alloc = ec2.allocate_address(Domain="vpc")
bad("AssociateAddress.wrongip", ec2.associate_address, AllocationId=alloc["AllocationId"],
    NetworkInterfaceId=eni["NetworkInterfaceId"], PrivateIpAddress="172.17.1.250")
bad("AssociateAddress.noeni", ec2.associate_address, AllocationId=alloc["AllocationId"], NetworkInterfaceId="eni-0000000000000000f")
assoc = ec2.associate_address(AllocationId=alloc["AllocationId"], NetworkInterfaceId=eni["NetworkInterfaceId"],
                              PrivateIpAddress=eni["PrivateIpAddress"])["AssociationId"]
d = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
report["DescribeAddresses"] = [d["NetworkInterfaceId"] == eni["NetworkInterfaceId"], d["PrivateIpAddress"] == eni["PrivateIpAddress"],
                               d["InstanceId"] == inst, d["AssociationId"] == assoc]
n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
report["DescribeNetworkInterfaces.association"] = n["Association"]["PublicIp"] == alloc["PublicIp"]
byeni = ec2.describe_addresses(Filters=[{"Name": "network-interface-id", "Values": [eni["NetworkInterfaceId"]]}])["Addresses"]
report["DescribeAddresses.filter"] = [x["AllocationId"] == alloc["AllocationId"] for x in byeni]
alloc2 = ec2.allocate_address(Domain="vpc")
ec2.associate_address(AllocationId=alloc2["AllocationId"], InstanceId=inst)
bad("AssociateAddress.inuse", ec2.associate_address, AllocationId=alloc2["AllocationId"], NetworkInterfaceId=eni["NetworkInterfaceId"])
bad("DetachInternetGateway.mapped", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)

ec2.disassociate_address(AssociationId=assoc)
d = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
report["DisassociateAddress"] = [k for k in ("NetworkInterfaceId", "InstanceId", "AssociationId", "PrivateIpAddress") if k in d]
ec2.disassociate_address(PublicIp=alloc2["PublicIp"])
for x in (alloc, alloc2):
    ec2.release_address(AllocationId=x["AllocationId"])
ec2.detach_network_interface(AttachmentId=att)
ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
ec2.delete_internet_gateway(InternetGatewayId=igw)

ec2.delete_subnet(SubnetId=sub)
r = ec2.disassociate_vpc_cidr_block(AssociationId=a["AssociationId"])
report["DisassociateVpcCidrBlock"] = "%s %s" % (r["VpcId"] == vpc, r["CidrBlockAssociation"]["CidrBlockState"]["State"])
sets = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlockAssociationSet"]
report["DescribeVpcs.after"] = ["%s %s" % (x["CidrBlock"], x["CidrBlockState"]["State"]) for x in sets]
bad("CreateSubnet.gone", ec2.create_subnet, VpcId=vpc, CidrBlock="172.17.2.0/24")
rt = ec2.describe_route_tables(RouteTableIds=[rt["RouteTableId"]])["RouteTables"][0]
report["LocalRoutes.after"] = sorted(r["DestinationCidrBlock"] for r in rt["Routes"] if r.get("GatewayId") == "local")
json.dump(report, sys.stdout, indent=1, sort_keys=True)
