"""Drive IPv6 security group rules, network ACL entries and routes of spacelab's fake EC2 with
boto3: the VPC gets an IPv6 block, then an IPv6 rule is authorized, described (inline and as an
sgr- object), modified and revoked by id; an IPv6 ACL entry and an IPv6 route (::/0 to an
internet gateway) are created, described and deleted; a bad request of each is refused with
EC2's code and changes nothing. The JSON report on stdout is checked by
fakeaws/ipv6_rules_test.go.

Environment: SPACELAB_ENDPOINT, CUSTOMER_KEY/SECRET/REGION, CUSTOMER_VPC.
"""
import json

from harness import Report, client, env

ec2 = client()
vpc = env["CUSTOMER_VPC"]
report = Report()


def bad(step, call, **kw):
    report.refused(step, call, **kw)


block = ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]

sg = ec2.create_security_group(VpcId=vpc, GroupName="v6", Description="v6")["GroupId"]
perm = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32", "Description": "web"}]}
rule = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm])["SecurityGroupRules"][0]
report["AuthorizeSecurityGroupIngress"] = "%s %s" % (rule["CidrIpv6"], rule.get("CidrIpv4", "-"))
bad("AuthorizeSecurityGroupIngress.bad", ec2.authorize_security_group_ingress, GroupId=sg,
    IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/129"}]}])
g = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
report["DescribeSecurityGroups"] = sorted(
    "%s %s %s" % (d, p["IpProtocol"], r["CidrIpv6"])
    for d, perms in (("in", g["IpPermissions"]), ("out", g["IpPermissionsEgress"]))
    for p in perms for r in p["Ipv6Ranges"])
ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[{"SecurityGroupRuleId": rule["SecurityGroupRuleId"], "SecurityGroupRule": {
    "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv6": "2001:db8:1::/48"}}])
r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])["SecurityGroupRules"][0]
report["ModifySecurityGroupRules"] = r["CidrIpv6"]
bad("ModifySecurityGroupRules.bad", ec2.modify_security_group_rules, GroupId=sg, SecurityGroupRules=[{
    "SecurityGroupRuleId": rule["SecurityGroupRuleId"], "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv6": "nope"}}])
revoked = ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
report["RevokeSecurityGroupIngress"] = revoked["Return"]  # this botocore's model has no RevokedSecurityGroupRules
report["DescribeSecurityGroupRules.after"] = sorted(
    "%s %s" % ("out" if x["IsEgress"] else "in", x.get("CidrIpv4") or x.get("CidrIpv6"))
    for x in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"])

acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                             Ipv6CidrBlock="2001:db8::/32", PortRange={"From": 443, "To": 443})
bad("CreateNetworkAclEntry.bad", ec2.create_network_acl_entry, NetworkAclId=acl, RuleNumber=110, Protocol="-1",
    RuleAction="deny", Egress=False, Ipv6CidrBlock="192.0.2.0/24")


def entries():
    es = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
    return ["%s %d %s %s" % ("out" if e["Egress"] else "in", e["RuleNumber"], e["RuleAction"], e.get("CidrBlock") or e.get("Ipv6CidrBlock"))
            for e in es if not e["Egress"]]


report["DescribeNetworkAcls"] = entries()
ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False)
report["DeleteNetworkAclEntry"] = entries()
ec2.delete_network_acl(NetworkAclId=acl)

rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
bad("CreateRoute.bad", ec2.create_route, RouteTableId=rtb, DestinationIpv6CidrBlock="::/0/0", GatewayId=igw)
bad("CreateRoute.dup", ec2.create_route, RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", GatewayId=igw)


def routes():
    rs = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    return ["%s %s %s" % (x.get("DestinationCidrBlock") or ("VPC/56" if x.get("DestinationIpv6CidrBlock") == block else x.get("DestinationIpv6CidrBlock")),
                          x["GatewayId"] if x["GatewayId"] == "local" else "igw", x["State"]) for x in rs]


report["DescribeRouteTables"] = routes()
ec2.delete_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0")
report["DeleteRoute"] = routes()
print(json.dumps(report))
