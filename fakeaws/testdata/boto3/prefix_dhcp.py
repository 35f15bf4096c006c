"""Drive managed prefix lists, DHCP options and peering options with boto3. Each step records
its answer; each bad request records its error code and HTTP status and that the state it
would have changed is unchanged. The JSON report on stdout is checked by
fakeaws/boto3_prefix_test.go.

Environment: SPACELAB_ENDPOINT, CUSTOMER_KEY/SECRET/REGION, CUSTOMER_VPC.
"""
import json

from harness import Report, client, env

ec2 = client()
report = Report()


def bad(step, call, **kw):
    report.refused(step + ".bad", call, **kw)


def entries(pl, **kw):
    return sorted(e["Cidr"] for e in ec2.get_managed_prefix_list_entries(PrefixListId=pl, **kw)["Entries"])


vpc = env["CUSTOMER_VPC"]
pl = ec2.create_managed_prefix_list(
    PrefixListName="offices", AddressFamily="IPv4", MaxEntries=3,
    Entries=[{"Cidr": "192.0.2.0/24", "Description": "hq"}],
    TagSpecifications=[{"ResourceType": "prefix-list", "Tags": [{"Key": "Name", "Value": "offices"}]}],
)["PrefixList"]
plid = pl["PrefixListId"]
report["CreateManagedPrefixList"] = pl["State"]
bad("CreateManagedPrefixList", ec2.create_managed_prefix_list, PrefixListName="x", AddressFamily="IPv4", MaxEntries=1,
    Entries=[{"Cidr": "192.0.2.0/24"}, {"Cidr": "198.51.100.0/24"}])
report["CreateManagedPrefixList.unchanged"] = len(ec2.describe_managed_prefix_lists()["PrefixLists"])

m = ec2.modify_managed_prefix_list(PrefixListId=plid, CurrentVersion=1,
                                   AddEntries=[{"Cidr": "198.51.100.0/24"}], RemoveEntries=[{"Cidr": "192.0.2.0/24"}])
report["ModifyManagedPrefixList"] = m["PrefixList"]["Version"]
bad("ModifyManagedPrefixList", ec2.modify_managed_prefix_list, PrefixListId=plid, CurrentVersion=1,
    AddEntries=[{"Cidr": "203.0.113.0/24"}])
report["ModifyManagedPrefixList.unchanged"] = entries(plid)

d = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["offices"]}])["PrefixLists"]
report["DescribeManagedPrefixLists"] = [d[0]["PrefixListId"] == plid, d[0]["State"], d[0]["Version"], d[0]["MaxEntries"]]
bad("DescribeManagedPrefixLists", ec2.describe_managed_prefix_lists, PrefixListIds=["pl-00000000000000000"])

report["GetManagedPrefixListEntries"] = [entries(plid), entries(plid, TargetVersion=1)]
bad("GetManagedPrefixListEntries", ec2.get_managed_prefix_list_entries, PrefixListId=plid, TargetVersion=9)

r = ec2.restore_managed_prefix_list_version(PrefixListId=plid, PreviousVersion=1, CurrentVersion=2)
report["RestoreManagedPrefixListVersion"] = [r["PrefixList"]["Version"], entries(plid)]
bad("RestoreManagedPrefixListVersion", ec2.restore_managed_prefix_list_version, PrefixListId=plid, PreviousVersion=1, CurrentVersion=2)

sg = ec2.create_security_group(GroupName="from-offices", Description="offices", VpcId=vpc)["GroupId"]
rules = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
    "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": plid, "Description": "ssh"}]}])
report["AuthorizeSecurityGroupIngress.prefixList"] = rules["SecurityGroupRules"][0]["PrefixListId"] == plid
perm = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"][0]
report["DescribeSecurityGroups.prefixList"] = perm["PrefixListIds"] == [{"PrefixListId": plid, "Description": "ssh"}]
rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
ec2.create_route(RouteTableId=rtb, DestinationPrefixListId=plid, GatewayId=igw)
routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
report["CreateRoute.prefixList"] = [x.get("GatewayId") for x in routes if x.get("DestinationPrefixListId") == plid]
bad("CreateRoute.prefixList", ec2.create_route, RouteTableId=rtb, DestinationPrefixListId=plid, GatewayId=igw)

a = ec2.get_managed_prefix_list_associations(PrefixListId=plid)["PrefixListAssociations"]
report["GetManagedPrefixListAssociations"] = sorted(x["ResourceId"] for x in a) == sorted([sg, rtb])
bad("GetManagedPrefixListAssociations", ec2.get_managed_prefix_list_associations, PrefixListId="pl-00000000000000000")
bad("DeleteManagedPrefixList", ec2.delete_managed_prefix_list, PrefixListId=plid)
report["DeleteManagedPrefixList.unchanged"] = len(ec2.describe_managed_prefix_lists(PrefixListIds=[plid])["PrefixLists"])
ec2.delete_route(RouteTableId=rtb, DestinationPrefixListId=plid)
ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[rules["SecurityGroupRules"][0]["SecurityGroupRuleId"]])
report["DeleteManagedPrefixList"] = ec2.delete_managed_prefix_list(PrefixListId=plid)["PrefixList"]["State"]
report["DescribePrefixLists"] = ec2.describe_prefix_lists()["PrefixLists"]
bad("DescribePrefixLists", ec2.describe_prefix_lists, PrefixListIds=["pl-63a5400a"])

dopt = ec2.create_dhcp_options(DhcpConfigurations=[
    {"Key": "domain-name", "Values": ["corp.example"]},
    {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]}])["DhcpOptions"]
report["CreateDhcpOptions"] = [c["Key"] for c in dopt["DhcpConfigurations"]]
bad("CreateDhcpOptions", ec2.create_dhcp_options, DhcpConfigurations=[{"Key": "domain-nme", "Values": ["x"]}])
before = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["DhcpOptionsId"]
ec2.associate_dhcp_options(DhcpOptionsId=dopt["DhcpOptionsId"], VpcId=vpc)
report["AssociateDhcpOptions"] = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["DhcpOptionsId"] == dopt["DhcpOptionsId"]
bad("AssociateDhcpOptions", ec2.associate_dhcp_options, DhcpOptionsId="dopt-00000000000000000", VpcId=vpc)
report["DescribeDhcpOptions"] = [v["Value"] for v in ec2.describe_dhcp_options(DhcpOptionsIds=[dopt["DhcpOptionsId"]])["DhcpOptions"][0]["DhcpConfigurations"][0]["Values"]]
bad("DescribeDhcpOptions", ec2.describe_dhcp_options, DhcpOptionsIds=["dopt-00000000000000000"])
bad("DeleteDhcpOptions", ec2.delete_dhcp_options, DhcpOptionsId=dopt["DhcpOptionsId"])
ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc)
report["AssociateDhcpOptions.default"] = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["DhcpOptionsId"]
ec2.delete_dhcp_options(DhcpOptionsId=dopt["DhcpOptionsId"])
ec2.associate_dhcp_options(DhcpOptionsId=before, VpcId=vpc)
report["DeleteDhcpOptions"] = [d["DhcpOptionsId"] for d in ec2.describe_dhcp_options()["DhcpOptions"]] == [before]

x = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
y = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
pcx = ec2.create_vpc_peering_connection(VpcId=x, PeerVpcId=y)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
bad("ModifyVpcPeeringConnectionOptions", ec2.modify_vpc_peering_connection_options, VpcPeeringConnectionId=pcx,
    AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
o = ec2.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx,
                                              AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
p = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
report["ModifyVpcPeeringConnectionOptions"] = [o["AccepterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"],
                                               p["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"],
                                               p["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"]]
print(json.dumps(report))
