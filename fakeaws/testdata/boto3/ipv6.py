"""Drive the IPv6 CIDR block actions of spacelab's fake EC2 with boto3: a VPC gets an
Amazon-provided /56, a subnet a /64 inside it, both are described, a bad request of each is
refused with EC2's code, then both are disassociated. The JSON report on stdout is checked by
fakeaws/ipv6_test.go.

Environment: SPACELAB_ENDPOINT, CUSTOMER_KEY/SECRET/REGION, CUSTOMER_VPC, CUSTOMER_SUBNET.
"""
import ipaddress
import json

from harness import Report, client, env

ec2 = client()
vpc, subnet = env["CUSTOMER_VPC"], env["CUSTOMER_SUBNET"]
report = Report()


def bad(step, call, **kw):
    report.refused(step, call, **kw)


a = ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)["Ipv6CidrBlockAssociation"]
block = ipaddress.ip_network(a["Ipv6CidrBlock"])
report["AssociateVpcCidrBlock"] = "%d %s %s" % (block.prefixlen, a["Ipv6CidrBlockState"]["State"], a["Ipv6Pool"])
bad("AssociateVpcCidrBlock.bad", ec2.associate_vpc_cidr_block, VpcId="vpc-00000000000000000", AmazonProvidedIpv6CidrBlock=True)
v = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"]
report["DescribeVpcs"] = [x["Ipv6CidrBlock"] == a["Ipv6CidrBlock"] and x["Ipv6CidrBlockState"]["State"] for x in v]

sub64 = str(next(block.subnets(new_prefix=64)))
s = ec2.associate_subnet_cidr_block(SubnetId=subnet, Ipv6CidrBlock=sub64)["Ipv6CidrBlockAssociation"]
report["AssociateSubnetCidrBlock"] = s["Ipv6CidrBlock"] == sub64 and s["Ipv6CidrBlockState"]["State"]
bad("AssociateSubnetCidrBlock.bad", ec2.associate_subnet_cidr_block, SubnetId=subnet, Ipv6CidrBlock="2001:db8::/64")
d = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["Ipv6CidrBlockAssociationSet"]
report["DescribeSubnets"] = [x["Ipv6CidrBlock"] == sub64 and x["Ipv6CidrBlockState"]["State"] for x in d]

bad("DisassociateVpcCidrBlock.inuse", ec2.disassociate_vpc_cidr_block, AssociationId=a["AssociationId"])
r = ec2.disassociate_subnet_cidr_block(AssociationId=s["AssociationId"])
report["DisassociateSubnetCidrBlock"] = r["SubnetId"] == subnet and r["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"]
bad("DisassociateSubnetCidrBlock.bad", ec2.disassociate_subnet_cidr_block, AssociationId=s["AssociationId"])
r = ec2.disassociate_vpc_cidr_block(AssociationId=a["AssociationId"])
report["DisassociateVpcCidrBlock"] = r["VpcId"] == vpc and r["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"]
report["DescribeVpcs.after"] = len(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"])
print(json.dumps(report))
