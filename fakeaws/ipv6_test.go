package fakeaws_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

type cliIPv6Assoc struct {
	AssociationId      string
	Ipv6CidrBlock      string
	Ipv6CidrBlockState struct{ State string }
	Ipv6Pool           string
	NetworkBorderGroup string
}

// TestAWSCLIIPv6CIDRBlocks: the real AWS CLI v2 gives a VPC an Amazon-provided /56 and a
// subnet a /64 inside it, sees both in describe-vpcs / describe-subnets, gets EC2's errors
// for bad input with nothing changed, and disassociates both.
func TestAWSCLIIPv6CIDRBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	var assoc struct {
		VpcId                    string
		Ipv6CidrBlockAssociation cliIPv6Assoc
	}
	cli.customer(&assoc, "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--amazon-provided-ipv6-cidr-block")
	a := assoc.Ipv6CidrBlockAssociation
	block, err := netip.ParsePrefix(a.Ipv6CidrBlock)
	if err != nil || block.Bits() != 56 || !block.Addr().Is6() || a.Ipv6CidrBlockState.State != "associating" || a.Ipv6Pool != "Amazon" ||
		a.NetworkBorderGroup != customerRegion || !strings.HasPrefix(a.AssociationId, "vpc-cidr-assoc-") || assoc.VpcId != customerVPC {
		t.Fatalf("associate-vpc-cidr-block = %+v", assoc)
	}
	type vpcs struct {
		Vpcs []struct{ Ipv6CidrBlockAssociationSet []cliIPv6Assoc }
	}
	var v vpcs
	cli.customer(&v, "ec2", "describe-vpcs", "--vpc-ids", customerVPC)
	if set := v.Vpcs[0].Ipv6CidrBlockAssociationSet; len(set) != 1 || set[0].Ipv6CidrBlock != a.Ipv6CidrBlock || set[0].AssociationId != a.AssociationId || set[0].Ipv6CidrBlockState.State != "associated" {
		t.Fatalf("describe-vpcs after the association: %+v", v)
	}

	sub64 := netip.PrefixFrom(block.Addr(), 64).String()
	refusals := []struct {
		args []string
		want string
	}{
		{[]string{"associate-vpc-cidr-block", "--vpc-id", customerVPC, "--cidr-block", "10.9.0.0/16"},
			"An error occurred (InvalidVpc.Range) when calling the AssociateVpcCidrBlock operation: The CIDR '10.9.0.0/16' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR."},
		{[]string{"associate-vpc-cidr-block", "--vpc-id", customerVPC},
			"An error occurred (MissingParameter) when calling the AssociateVpcCidrBlock operation: Either 'cidrBlock' or 'amazonProvidedIpv6CidrBlock' or 'ipv6Pool' must be specified."},
		{[]string{"associate-subnet-cidr-block", "--subnet-id", customerSubnet, "--ipv6-cidr-block", "2001:db8::/64"},
			"An error occurred (InvalidSubnet.Range) when calling the AssociateSubnetCidrBlock operation: The CIDR '2001:db8::/64' is invalid."},
		{[]string{"associate-subnet-cidr-block", "--subnet-id", customerSubnet, "--ipv6-cidr-block", netip.PrefixFrom(block.Addr(), 60).String()},
			"An error occurred (InvalidSubnet.Range) when calling the AssociateSubnetCidrBlock operation: The CIDR '" + netip.PrefixFrom(block.Addr(), 60).String() + "' is invalid."},
		{[]string{"associate-subnet-cidr-block", "--subnet-id", customerSubnet, "--ipv6-cidr-block", "10.0.0.0/24"},
			"An error occurred (InvalidParameterValue) when calling the AssociateSubnetCidrBlock operation: Value (10.0.0.0/24) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block."},
		{[]string{"run-instances", "--image-id", "ami-0abcdef1234567890", "--count", "1", "--instance-type", "t3.micro", "--subnet-id", customerSubnet, "--ipv6-address-count", "1"},
			"An error occurred (UnsupportedOperation) when calling the RunInstances operation: spacelab gives instances no IPv6 addresses (Ipv6AddressCount): its data plane carries IPv4 only; IPv6 blocks, routes and rules are stored and described"},
		{[]string{"disassociate-vpc-cidr-block", "--association-id", "vpc-cidr-assoc-00000000000000000"},
			"An error occurred (InvalidVpcCidrBlockAssociationID.NotFound) when calling the DisassociateVpcCidrBlock operation: The vpc CIDR block association ID 'vpc-cidr-assoc-00000000000000000' does not exist"},
	}
	for _, r := range refusals {
		_, stderr, code := cli.run(customerKey, customerSecret, customerRegion, append([]string{"ec2"}, r.args...)...)
		if code != 254 || strings.TrimSpace(stderr) != r.want {
			t.Errorf("%v: exit %d, %q; want 254, %q", r.args, code, stderr, r.want)
		}
	}

	var sassoc struct {
		SubnetId                 string
		Ipv6CidrBlockAssociation cliIPv6Assoc
	}
	cli.customer(&sassoc, "ec2", "associate-subnet-cidr-block", "--subnet-id", customerSubnet, "--ipv6-cidr-block", sub64)
	if s := sassoc.Ipv6CidrBlockAssociation; s.Ipv6CidrBlock != sub64 || s.Ipv6CidrBlockState.State != "associating" || !strings.HasPrefix(s.AssociationId, "subnet-cidr-assoc-") || sassoc.SubnetId != customerSubnet {
		t.Fatalf("associate-subnet-cidr-block = %+v", sassoc)
	}
	var subnets struct {
		Subnets []struct{ Ipv6CidrBlockAssociationSet []cliIPv6Assoc }
	}
	cli.customer(&subnets, "ec2", "describe-subnets", "--subnet-ids", customerSubnet)
	if set := subnets.Subnets[0].Ipv6CidrBlockAssociationSet; len(set) != 1 || set[0].Ipv6CidrBlock != sub64 || set[0].Ipv6CidrBlockState.State != "associated" {
		t.Fatalf("describe-subnets after the association: %+v", subnets)
	}
	// A second /64 for the same subnet and the VPC block while a subnet uses it are refused.
	_, stderr, code := cli.run(customerKey, customerSecret, customerRegion, "ec2", "disassociate-vpc-cidr-block", "--association-id", a.AssociationId)
	if code != 254 || !strings.Contains(stderr, "(DependencyViolation)") {
		t.Errorf("disassociate a VPC block a subnet uses: exit %d, %q", code, stderr)
	}
	cli.customer(&v, "ec2", "describe-vpcs", "--vpc-ids", customerVPC)
	if len(v.Vpcs[0].Ipv6CidrBlockAssociationSet) != 1 {
		t.Fatalf("a refused disassociation changed the VPC: %+v", v)
	}

	cli.customer(nil, "ec2", "disassociate-subnet-cidr-block", "--association-id", sassoc.Ipv6CidrBlockAssociation.AssociationId)
	cli.customer(nil, "ec2", "disassociate-vpc-cidr-block", "--association-id", a.AssociationId)
	cli.customer(&v, "ec2", "describe-vpcs", "--vpc-ids", customerVPC)
	cli.customer(&subnets, "ec2", "describe-subnets", "--subnet-ids", customerSubnet)
	if len(v.Vpcs[0].Ipv6CidrBlockAssociationSet) != 0 || len(subnets.Subnets[0].Ipv6CidrBlockAssociationSet) != 0 {
		t.Fatalf("after both disassociations: %+v %+v", v, subnets)
	}
}

// TestBoto3IPv6CIDRBlocks drives the same actions with boto3 (testdata/boto3/ipv6.py).
func TestBoto3IPv6CIDRBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := runBoto3(t, e, "ipv6.py")
	want := map[string]any{
		"AssociateVpcCidrBlock":           "56 associating Amazon",
		"AssociateVpcCidrBlock.bad":       "InvalidVpcID.NotFound 400",
		"DescribeVpcs":                    []any{"associated"},
		"AssociateSubnetCidrBlock":        "associating",
		"AssociateSubnetCidrBlock.bad":    "InvalidSubnet.Range 400",
		"DescribeSubnets":                 []any{"associated"},
		"DisassociateVpcCidrBlock.inuse":  "DependencyViolation 400",
		"DisassociateSubnetCidrBlock":     "disassociating",
		"DisassociateSubnetCidrBlock.bad": "InvalidSubnetCidrBlockAssociationID.NotFound 400",
		"DisassociateVpcCidrBlock":        "disassociating",
		"DescribeVpcs.after":              float64(0),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("boto3 report:\n got %v\nwant %v", got, want)
	}
}

// TestAWSCLICreateVpcWithIPv6: create-vpc --amazon-provided-ipv6-cidr-block (Terraform's
// assign_generated_ipv6_cidr_block) answers with the /56 associating; describe-vpcs then
// shows it associated, and a delete takes it along.
func TestAWSCLICreateVpcWithIPv6(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	var created struct {
		Vpc struct {
			VpcId                       string
			Ipv6CidrBlockAssociationSet []cliIPv6Assoc
		}
	}
	cli.customer(&created, "ec2", "create-vpc", "--cidr-block", "10.42.0.0/16", "--amazon-provided-ipv6-cidr-block")
	set := created.Vpc.Ipv6CidrBlockAssociationSet
	if len(set) != 1 || set[0].Ipv6CidrBlockState.State != "associating" || netip.MustParsePrefix(set[0].Ipv6CidrBlock).Bits() != 56 {
		t.Fatalf("create-vpc = %+v", created)
	}
	var v struct {
		Vpcs []struct{ Ipv6CidrBlockAssociationSet []cliIPv6Assoc }
	}
	cli.customer(&v, "ec2", "describe-vpcs", "--vpc-ids", created.Vpc.VpcId)
	if got := v.Vpcs[0].Ipv6CidrBlockAssociationSet; len(got) != 1 || got[0].Ipv6CidrBlock != set[0].Ipv6CidrBlock || got[0].Ipv6CidrBlockState.State != "associated" {
		t.Fatalf("describe-vpcs = %+v", v)
	}
	cli.customer(nil, "ec2", "delete-vpc", "--vpc-id", created.Vpc.VpcId)
}
