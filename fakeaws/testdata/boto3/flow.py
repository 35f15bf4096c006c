"""Drive spacelab's fake EC2/STS with boto3: the seed's peering flow plus the calls that
infrastructure code makes (VPC attributes, security group rules, images, subnet attributes, a
launch into the default VPC). Each step records its answer and the error code of one bad
request; the JSON report on stdout is checked by fakeaws/boto3_test.go.

Environment: SPACELAB_ENDPOINT, CUSTOMER_KEY/SECRET/REGION, HEROKU_KEY/SECRET/REGION,
CUSTOMER_VPC, SPACE_VPC, HEROKU_ACCOUNT.
"""
import json
import sys

from harness import Report, client, env

ec2 = client("ec2", "CUSTOMER")
heroku = client("ec2", "HEROKU")
sts = client("sts", "CUSTOMER")
report = Report()


def bad(step, call, **kw):
    report.refused(step + ".bad", call, **kw)


def flt(name, *values):
    return {"Name": name, "Values": list(values)}


vpc = env["CUSTOMER_VPC"]

r = ec2.describe_regions()
report["DescribeRegions"] = len(r["Regions"])
bad("DescribeRegions", ec2.describe_regions, RegionNames=["us-east-9"])

r = ec2.describe_availability_zones()
report["DescribeAvailabilityZones"] = [z["ZoneName"] + "=" + z["ZoneId"] for z in r["AvailabilityZones"]]
bad("DescribeAvailabilityZones", ec2.describe_availability_zones, ZoneNames=["us-east-1z"])

r = ec2.describe_vpcs(VpcIds=[vpc])
report["DescribeVpcs"] = r["Vpcs"][0]["CidrBlock"]
bad("DescribeVpcs", ec2.describe_vpcs, VpcIds=["vpc-0000000000000000f"])

r = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
report["DescribeVpcAttribute"] = r["EnableDnsHostnames"]["Value"]
bad("DescribeVpcAttribute", ec2.describe_vpc_attribute, VpcId=vpc, Attribute="colour")

r = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=env["SPACE_VPC"], PeerOwnerId=env["HEROKU_ACCOUNT"], PeerRegion=env["HEROKU_REGION"])
pcx = r["VpcPeeringConnection"]["VpcPeeringConnectionId"]
report["CreateVpcPeeringConnection"] = r["VpcPeeringConnection"]["Status"]["Code"]
bad("CreateVpcPeeringConnection", ec2.create_vpc_peering_connection, VpcId="vpc-0000000000000000f", PeerVpcId=env["SPACE_VPC"], PeerOwnerId=env["HEROKU_ACCOUNT"], PeerRegion=env["HEROKU_REGION"])

r = heroku.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
report["AcceptVpcPeeringConnection"] = r["VpcPeeringConnection"]["Status"]["Code"]
bad("AcceptVpcPeeringConnection", heroku.accept_vpc_peering_connection, VpcPeeringConnectionId="pcx-0000000000000000f")

r = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])
report["DescribeVpcPeeringConnections"] = r["VpcPeeringConnections"][0]["Status"]["Code"]
bad("DescribeVpcPeeringConnections", ec2.describe_vpc_peering_connections, VpcPeeringConnectionIds=["pcx-0000000000000000f"])

r = ec2.describe_route_tables(Filters=[flt("vpc-id", vpc), flt("association.main", "true")])
rtb = r["RouteTables"][0]["RouteTableId"]
report["DescribeRouteTables"] = len(r["RouteTables"])
bad("DescribeRouteTables", ec2.describe_route_tables, Filters=[flt("colour", "blue")])

r = ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
report["CreateRoute"] = r["Return"]
bad("CreateRoute", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)

r = ec2.describe_security_groups(Filters=[flt("vpc-id", vpc), flt("group-name", "default")])
sg = r["SecurityGroups"][0]["GroupId"]
report["DescribeSecurityGroups"] = r["SecurityGroups"][0]["GroupName"]
bad("DescribeSecurityGroups", ec2.describe_security_groups, GroupIds=["sg-0000000000000000f"])

perm = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "space"}]}]
r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perm)
rule = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
report["AuthorizeSecurityGroupIngress"] = r["Return"]
bad("AuthorizeSecurityGroupIngress", ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=perm)

r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule])
x = r["SecurityGroupRules"][0]
report["DescribeSecurityGroupRules"] = "%s %s %d %s %s" % (x["GroupId"] == sg, x["IpProtocol"], x["FromPort"], x["CidrIpv4"], x.get("Description"))
bad("DescribeSecurityGroupRules", ec2.describe_security_group_rules, SecurityGroupRuleIds=["sgr-0000000000000000f"])

r = ec2.describe_images(Owners=["amazon"], Filters=[flt("architecture", "x86_64")])
image = r["Images"][0]["ImageId"]
report["DescribeImages"] = image.startswith("ami-") and all(i["Architecture"] == "x86_64" for i in r["Images"])
bad("DescribeImages", ec2.describe_images, ImageIds=["ami-0000000000000000f"])

subnet = ec2.describe_subnets(Filters=[flt("vpc-id", vpc)])["Subnets"][0]["SubnetId"]
ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
report["ModifySubnetAttribute"] = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["MapPublicIpOnLaunch"]
bad("ModifySubnetAttribute", ec2.modify_subnet_attribute, SubnetId="subnet-0000000000000000f", MapPublicIpOnLaunch={"Value": True})

default_vpc = ec2.describe_vpcs(Filters=[flt("is-default", "true")])["Vpcs"][0]["VpcId"]
r = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)
inst = r["Instances"][0]
report["RunInstances"] = inst["VpcId"] == default_vpc
bad("RunInstances", ec2.run_instances, ImageId=image, InstanceType="x9.huge", MinCount=1, MaxCount=1)

r = ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
report["TerminateInstances"] = r["TerminatingInstances"][0]["CurrentState"]["Name"]
bad("TerminateInstances", ec2.terminate_instances, InstanceIds=["i-0000000000000000f"])

r = sts.get_caller_identity()
report["GetCallerIdentity"] = r["Account"]

json.dump(report, sys.stdout, indent=1, sort_keys=True)
