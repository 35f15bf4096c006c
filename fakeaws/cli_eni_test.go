package fakeaws_test

import (
	"strings"
	"testing"
)

type cliENI struct {
	NetworkInterfaceId string
	SubnetId           string
	PrivateIpAddress   string
	Description        string
	Status             string
	SourceDestCheck    bool
	Groups             []struct{ GroupId string }
	Attachment         *struct {
		AttachmentId        string
		InstanceId          string
		DeviceIndex         int
		Status              string
		DeleteOnTermination bool
	}
	TagSet []struct{ Key, Value string }
}

// TestAWSCLINetworkInterfaces drives every network interface action with the real AWS CLI v2:
// create, describe (by id and by the filters tools use), attach, modify each attribute,
// describe an attribute, routes to the interface and to an instance, detach and delete; each
// refusal exits 254 with EC2's error code and leaves the interface as it was.
func TestAWSCLINetworkInterfaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	fails := func(code string, args ...string) {
		t.Helper()
		_, stderr, exit := cli.run(customerKey, customerSecret, customerRegion, args...)
		if exit != 254 || !strings.Contains(stderr, "("+code+")") {
			t.Errorf("aws %s: exit %d, %q; want 254 and %s", strings.Join(args, " "), exit, stderr, code)
		}
	}
	describe := func(id string) cliENI {
		t.Helper()
		var out struct{ NetworkInterfaces []cliENI }
		cli.customer(&out, "ec2", "describe-network-interfaces", "--network-interface-ids", id)
		if len(out.NetworkInterfaces) != 1 {
			t.Fatalf("describe-network-interfaces %s = %+v", id, out)
		}
		return out.NetworkInterfaces[0]
	}
	var sg struct{ GroupId string }
	cli.customer(&sg, "ec2", "create-security-group", "--group-name", "eni-web", "--description", "second interface", "--vpc-id", customerVPC)

	var created struct{ NetworkInterface cliENI }
	cli.customer(&created, "ec2", "create-network-interface", "--subnet-id", customerSubnet, "--description", "appliance",
		"--groups", sg.GroupId, "--tag-specifications", "ResourceType=network-interface,Tags=[{Key=Name,Value=appliance}]")
	eni := created.NetworkInterface
	if !strings.HasPrefix(eni.NetworkInterfaceId, "eni-") || eni.Status != "available" || eni.PrivateIpAddress == "" ||
		!eni.SourceDestCheck || eni.Attachment != nil || len(eni.Groups) != 1 || eni.Groups[0].GroupId != sg.GroupId {
		t.Fatalf("create-network-interface = %+v", eni)
	}
	fails("InvalidIPAddress.InUse", "ec2", "create-network-interface", "--subnet-id", customerSubnet, "--private-ip-address", eni.PrivateIpAddress)
	fails("InvalidSubnetID.NotFound", "ec2", "create-network-interface", "--subnet-id", "subnet-0000000000000000f")
	fails("InvalidGroup.NotFound", "ec2", "create-network-interface", "--subnet-id", customerSubnet, "--groups", "sg-0000000000000000f")
	fails("InvalidNetworkInterfaceID.Malformed", "ec2", "describe-network-interfaces", "--network-interface-ids", "eni-nothex")
	fails("InvalidNetworkInterfaceID.NotFound", "ec2", "describe-network-interfaces", "--network-interface-ids", "eni-0000000000000000f")

	var byTag struct{ NetworkInterfaces []cliENI }
	cli.customer(&byTag, "ec2", "describe-network-interfaces", "--filters", "Name=tag:Name,Values=appliance", "Name=status,Values=available")
	if len(byTag.NetworkInterfaces) != 1 || byTag.NetworkInterfaces[0].NetworkInterfaceId != eni.NetworkInterfaceId {
		t.Fatalf("by tag: %+v", byTag)
	}
	var primary struct{ NetworkInterfaces []cliENI }
	cli.customer(&primary, "ec2", "describe-network-interfaces", "--filters", "Name=attachment.instance-id,Values="+customerInst, "Name=attachment.device-index,Values=0")
	if len(primary.NetworkInterfaces) != 1 || primary.NetworkInterfaces[0].Attachment.DeviceIndex != 0 {
		t.Fatalf("the instance's primary interface: %+v", primary)
	}

	var att struct{ AttachmentId string }
	cli.customer(&att, "ec2", "attach-network-interface", "--network-interface-id", eni.NetworkInterfaceId, "--instance-id", customerInst, "--device-index", "1")
	if !strings.HasPrefix(att.AttachmentId, "eni-attach-") {
		t.Fatalf("attach-network-interface = %+v", att)
	}
	fails("InvalidNetworkInterface.InUse", "ec2", "attach-network-interface", "--network-interface-id", eni.NetworkInterfaceId, "--instance-id", customerInst, "--device-index", "2")
	fails("InvalidNetworkInterface.InUse", "ec2", "delete-network-interface", "--network-interface-id", eni.NetworkInterfaceId)
	fails("OperationNotPermitted", "ec2", "detach-network-interface", "--attachment-id", primary.NetworkInterfaces[0].Attachment.AttachmentId)
	fails("InvalidAttachmentID.NotFound", "ec2", "detach-network-interface", "--attachment-id", "eni-attach-0000000000000000f")
	got := describe(eni.NetworkInterfaceId)
	if got.Status != "in-use" || got.Attachment == nil || got.Attachment.AttachmentId != att.AttachmentId || got.Attachment.DeviceIndex != 1 || got.Attachment.DeleteOnTermination {
		t.Fatalf("after attach: %+v", got)
	}
	var inst struct {
		Reservations []struct {
			Instances []struct {
				NetworkInterfaces []cliENI
			}
		}
	}
	cli.customer(&inst, "ec2", "describe-instances", "--instance-ids", customerInst)
	if nis := inst.Reservations[0].Instances[0].NetworkInterfaces; len(nis) != 2 || nis[1].NetworkInterfaceId != eni.NetworkInterfaceId {
		t.Fatalf("describe-instances lists interfaces %+v", nis)
	}

	cli.customer(nil, "ec2", "modify-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId, "--no-source-dest-check")
	cli.customer(nil, "ec2", "modify-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId, "--description", "Value=router")
	cli.customer(nil, "ec2", "modify-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId,
		"--attachment", "AttachmentId="+att.AttachmentId+",DeleteOnTermination=true")
	fails("InvalidGroup.NotFound", "ec2", "modify-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId, "--groups", "sg-0000000000000000f")
	fails("InvalidAttachmentID.NotFound", "ec2", "modify-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId,
		"--attachment", "AttachmentId=eni-attach-0000000000000000f,DeleteOnTermination=false")
	got = describe(eni.NetworkInterfaceId)
	if got.SourceDestCheck || got.Description != "router" || !got.Attachment.DeleteOnTermination || got.Groups[0].GroupId != sg.GroupId {
		t.Fatalf("after modify: %+v", got)
	}
	var attr struct {
		SourceDestCheck struct{ Value bool }
		Description     struct{ Value string }
	}
	cli.customer(&attr, "ec2", "describe-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId, "--attribute", "sourceDestCheck")
	if attr.SourceDestCheck.Value {
		t.Errorf("describe-network-interface-attribute sourceDestCheck = %+v", attr)
	}
	cli.customer(&attr, "ec2", "describe-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId, "--attribute", "description")
	if attr.Description.Value != "router" {
		t.Errorf("describe-network-interface-attribute description = %+v", attr)
	}
	fails("InvalidParameterValue", "ec2", "describe-network-interface-attribute", "--network-interface-id", eni.NetworkInterfaceId, "--attribute", "colour")

	// Routes to the interface and to an instance.
	var rts cliRouteTables
	cli.customer(&rts, "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values="+customerVPC, "Name=association.main,Values=true")
	rtb := rts.RouteTables[0].RouteTableId
	cli.customer(nil, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.7.0/24", "--network-interface-id", eni.NetworkInterfaceId)
	fails("InvalidInstanceID", "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.8.0/24", "--instance-id", customerInst)
	fails("InvalidNetworkInterfaceID.NotFound", "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.8.0/24", "--network-interface-id", "eni-0000000000000000f")
	var routed struct {
		RouteTables []struct {
			Routes []struct{ DestinationCidrBlock, NetworkInterfaceId, InstanceId, State string }
		}
	}
	cli.customer(&routed, "ec2", "describe-route-tables", "--filters", "Name=route.network-interface-id,Values="+eni.NetworkInterfaceId)
	found := false
	for _, r := range routed.RouteTables[0].Routes {
		if r.DestinationCidrBlock == "192.168.7.0/24" {
			found = r.NetworkInterfaceId == eni.NetworkInterfaceId && r.InstanceId == customerInst && r.State == "active"
		}
	}
	if len(routed.RouteTables) != 1 || !found {
		t.Fatalf("route to the interface: %+v", routed)
	}

	cli.customer(nil, "ec2", "detach-network-interface", "--attachment-id", att.AttachmentId)
	cli.customer(nil, "ec2", "wait", "network-interface-available", "--network-interface-ids", eni.NetworkInterfaceId)
	cli.customer(&routed, "ec2", "describe-route-tables", "--route-table-ids", rtb)
	for _, r := range routed.RouteTables[0].Routes {
		if r.DestinationCidrBlock == "192.168.7.0/24" && r.State != "blackhole" {
			t.Errorf("a route to a detached interface is %s, want blackhole", r.State)
		}
	}
	// With one interface again, the instance is a route target itself.
	cli.customer(nil, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.8.0/24", "--instance-id", customerInst)
	cli.customer(&routed, "ec2", "describe-route-tables", "--filters", "Name=route.instance-id,Values="+customerInst)
	if len(routed.RouteTables) != 1 {
		t.Fatalf("route to the instance: %+v", routed)
	}
	cli.customer(nil, "ec2", "delete-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.8.0/24")
	cli.customer(nil, "ec2", "delete-route", "--route-table-id", rtb, "--destination-cidr-block", "192.168.7.0/24")
	cli.customer(nil, "ec2", "delete-network-interface", "--network-interface-id", eni.NetworkInterfaceId)
	fails("InvalidNetworkInterfaceID.NotFound", "ec2", "delete-network-interface", "--network-interface-id", eni.NetworkInterfaceId)
	cli.customer(nil, "ec2", "delete-security-group", "--group-id", sg.GroupId)
}
