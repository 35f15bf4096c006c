package fakeaws_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAWSCLILifecycle builds a VPC from nothing with the real AWS CLI v2: VPC, subnet, route
// table, internet gateway and default route, security group, network ACL entry, instances.
func TestAWSCLILifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)

	var vpc struct {
		Vpc struct {
			VpcId, State string
			Tags         []struct{ Key, Value string }
		}
	}
	cli.customer(&vpc, "ec2", "create-vpc", "--cidr-block", "10.50.0.0/16", "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=lab}]")
	if vpc.Vpc.State != "pending" || len(vpc.Vpc.Tags) != 1 || vpc.Vpc.Tags[0].Value != "lab" {
		t.Errorf("create-vpc = %+v", vpc)
	}
	v := vpc.Vpc.VpcId

	var sub struct {
		Subnet struct {
			SubnetId, AvailabilityZone string
			AvailableIpAddressCount    int
		}
	}
	cli.customer(&sub, "ec2", "create-subnet", "--vpc-id", v, "--cidr-block", "10.50.1.0/24", "--availability-zone", "us-east-1a")
	if sub.Subnet.AvailabilityZone != "us-east-1a" || sub.Subnet.AvailableIpAddressCount != 251 {
		t.Errorf("create-subnet = %+v", sub)
	}

	var rt struct{ RouteTable struct{ RouteTableId string } }
	cli.customer(&rt, "ec2", "create-route-table", "--vpc-id", v)
	var assoc struct {
		AssociationId    string
		AssociationState struct{ State string }
	}
	cli.customer(&assoc, "ec2", "associate-route-table", "--route-table-id", rt.RouteTable.RouteTableId, "--subnet-id", sub.Subnet.SubnetId)
	if !strings.HasPrefix(assoc.AssociationId, "rtbassoc-") || assoc.AssociationState.State != "associated" {
		t.Errorf("associate-route-table = %+v", assoc)
	}

	var igw struct {
		InternetGateway struct{ InternetGatewayId string }
	}
	cli.customer(&igw, "ec2", "create-internet-gateway")
	cli.customer(nil, "ec2", "attach-internet-gateway", "--internet-gateway-id", igw.InternetGateway.InternetGatewayId, "--vpc-id", v)
	cli.customer(nil, "ec2", "create-route", "--route-table-id", rt.RouteTable.RouteTableId, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw.InternetGateway.InternetGatewayId)
	var rts cliRouteTables
	cli.customer(&rts, "ec2", "describe-route-tables", "--filters", "Name=association.subnet-id,Values="+sub.Subnet.SubnetId)
	want := []cliRoute{
		{DestinationCidrBlock: "10.50.0.0/16", GatewayId: "local", State: "active", Origin: "CreateRouteTable"},
		{DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw.InternetGateway.InternetGatewayId, State: "active", Origin: "CreateRoute"},
	}
	if len(rts.RouteTables) != 1 {
		t.Fatalf("tables of the subnet: %d", len(rts.RouteTables))
	}
	if diff := cmp.Diff(want, rts.RouteTables[0].Routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}

	var sg struct{ GroupId string }
	cli.customer(&sg, "ec2", "create-security-group", "--group-name", "web", "--description", "web servers", "--vpc-id", v)
	cli.customer(nil, "ec2", "authorize-security-group-ingress", "--group-id", sg.GroupId, "--protocol", "tcp", "--port", "22", "--cidr", "203.0.113.0/24")
	cli.customer(nil, "ec2", "revoke-security-group-ingress", "--group-id", sg.GroupId, "--protocol", "tcp", "--port", "22", "--cidr", "203.0.113.0/24")

	var acls struct {
		NetworkAcls []struct {
			NetworkAclId string
			IsDefault    bool
			Entries      []struct {
				RuleNumber int
				Protocol   string
				RuleAction string
				Egress     bool
				PortRange  *struct{ From, To int }
			}
		}
	}
	cli.customer(&acls, "ec2", "describe-network-acls", "--filters", "Name=vpc-id,Values="+v, "Name=default,Values=true")
	if len(acls.NetworkAcls) != 1 || !acls.NetworkAcls[0].IsDefault {
		t.Fatalf("default ACL: %+v", acls)
	}
	acl := acls.NetworkAcls[0].NetworkAclId
	cli.customer(nil, "ec2", "create-network-acl-entry", "--network-acl-id", acl, "--ingress", "--rule-number", "90", "--protocol", "tcp",
		"--port-range", "From=22,To=22", "--cidr-block", "0.0.0.0/0", "--rule-action", "deny")
	cli.customer(&acls, "ec2", "describe-network-acls", "--network-acl-ids", acl)
	var found bool
	for _, en := range acls.NetworkAcls[0].Entries {
		if en.RuleNumber == 90 {
			found = en.Protocol == "6" && en.RuleAction == "deny" && !en.Egress && en.PortRange != nil && en.PortRange.From == 22
		}
	}
	if !found {
		t.Errorf("rule 90 (tcp, sent as Protocol=6) not in %+v", acls.NetworkAcls[0].Entries)
	}

	var run struct {
		ReservationId string
		Instances     []struct {
			InstanceId, PrivateIpAddress string
			State                        struct{ Name string }
			Tags                         []struct{ Key, Value string }
		}
	}
	cli.customer(&run, "ec2", "run-instances", "--image-id", "ami-0abcdef1234567890", "--count", "1", "--instance-type", "t3.micro",
		"--subnet-id", sub.Subnet.SubnetId, "--security-group-ids", sg.GroupId, "--private-ip-address", "10.50.1.10",
		"--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=vm1}]")
	if len(run.Instances) != 1 || run.Instances[0].PrivateIpAddress != "10.50.1.10" || run.Instances[0].State.Name != "pending" || len(run.Instances[0].Tags) != 1 {
		t.Fatalf("run-instances = %+v", run)
	}

	_, stderr, code := cli.run(customerKey, customerSecret, customerRegion, "ec2", "delete-vpc", "--vpc-id", v)
	wantErr := "An error occurred (DependencyViolation) when calling the DeleteVpc operation: The vpc '" + v + "' has dependencies and cannot be deleted."
	if code != 254 || strings.TrimSpace(stderr) != wantErr {
		t.Errorf("delete-vpc: exit %d, %q; want 254, %q", code, stderr, wantErr)
	}

	var term struct {
		TerminatingInstances []struct {
			InstanceId                  string
			CurrentState, PreviousState struct{ Name string }
		}
	}
	cli.customer(&term, "ec2", "terminate-instances", "--instance-ids", run.Instances[0].InstanceId)
	if len(term.TerminatingInstances) != 1 || term.TerminatingInstances[0].CurrentState.Name != "shutting-down" || term.TerminatingInstances[0].PreviousState.Name != "running" {
		t.Errorf("terminate-instances = %+v", term)
	}
}
