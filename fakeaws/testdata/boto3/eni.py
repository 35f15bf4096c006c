"""Drive spacelab's network interface actions with boto3: create, describe (and an attribute),
attach, modify, route to it, detach, delete. Each step records its answer, and the error code
of one bad request together with whether that request left the interface as it was; the JSON
report on stdout is checked by fakeaws/boto3_eni_test.go.

Environment: SPACELAB_ENDPOINT, CUSTOMER_KEY/SECRET/REGION, CUSTOMER_VPC, CUSTOMER_SUBNET,
CUSTOMER_INSTANCE.
"""
import json
import sys

from harness import Report, client, env

ec2 = client()
report = Report()
eni = None


def state():
    if eni is None:
        return None
    r = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    r.pop("ResponseMetadata", None)
    return json.dumps(r, sort_keys=True, default=str)


def bad(step, call, **kw):
    report.refused(step + ".bad", call, state=state, **kw)


vpc, subnet, inst = env["CUSTOMER_VPC"], env["CUSTOMER_SUBNET"], env["CUSTOMER_INSTANCE"]
sg = ec2.create_security_group(GroupName="boto3-eni", Description="boto3", VpcId=vpc)["GroupId"]

r = ec2.create_network_interface(SubnetId=subnet, Description="boto3", Groups=[sg])["NetworkInterface"]
eni = r["NetworkInterfaceId"]
report["CreateNetworkInterface"] = "%s %s" % (r["Status"], r["SourceDestCheck"])
bad("CreateNetworkInterface", ec2.create_network_interface, SubnetId=subnet, PrivateIpAddress=r["PrivateIpAddress"])

r = ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [sg]}])
report["DescribeNetworkInterfaces"] = [n["NetworkInterfaceId"] == eni for n in r["NetworkInterfaces"]]
bad("DescribeNetworkInterfaces", ec2.describe_network_interfaces, NetworkInterfaceIds=["eni-0000000000000000f"])

r = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=inst, DeviceIndex=1)
att = r["AttachmentId"]
report["AttachNetworkInterface"] = att.startswith("eni-attach-")
bad("AttachNetworkInterface", ec2.attach_network_interface, NetworkInterfaceId=eni, InstanceId=inst, DeviceIndex=1)

ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, SourceDestCheck={"Value": False})
ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Description={"Value": "router"})
ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Attachment={"AttachmentId": att, "DeleteOnTermination": True})
n = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
report["ModifyNetworkInterfaceAttribute"] = "%s %s %s" % (n["SourceDestCheck"], n["Description"], n["Attachment"]["DeleteOnTermination"])
bad("ModifyNetworkInterfaceAttribute", ec2.modify_network_interface_attribute, NetworkInterfaceId=eni, Groups=["sg-0000000000000000f"])

r = ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="groupSet")
report["DescribeNetworkInterfaceAttribute"] = [g["GroupId"] == sg for g in r["Groups"]]
bad("DescribeNetworkInterfaceAttribute", ec2.describe_network_interface_attribute, NetworkInterfaceId=eni, Attribute="colour")

rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.9.0/24", NetworkInterfaceId=eni)
routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
report["CreateRoute.eni"] = [(x["NetworkInterfaceId"], x["InstanceId"], x["State"]) == (eni, inst, "active") for x in routes if x["DestinationCidrBlock"] == "192.168.9.0/24"]
bad("CreateRoute.instance", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="192.168.10.0/24", InstanceId=inst)
ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="192.168.9.0/24")

bad("DeleteNetworkInterface", ec2.delete_network_interface, NetworkInterfaceId=eni)
bad("DetachNetworkInterface", ec2.detach_network_interface, AttachmentId="eni-attach-0000000000000000f")
ec2.detach_network_interface(AttachmentId=att)
report["DetachNetworkInterface"] = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]["Status"]

ec2.delete_network_interface(NetworkInterfaceId=eni)
gone = eni
eni = None
bad("DeleteNetworkInterface.again", ec2.delete_network_interface, NetworkInterfaceId=gone)
report["DeleteNetworkInterface"] = ec2.describe_network_interfaces(Filters=[{"Name": "network-interface-id", "Values": [gone]}])["NetworkInterfaces"] == []
ec2.delete_security_group(GroupId=sg)

json.dump(report, sys.stdout, indent=1, sort_keys=True)
