package fakeaws_test

import (
	"strings"
	"testing"
)

// TestAWSCLISecondaryCIDR drives secondary IPv4 CIDR blocks with the real AWS CLI v2: associate
// up to the quota of five blocks, the local routes and subnets that follow, and each of EC2's
// refusals (restricted range, overlap with a block or with a route's destination, quota,
// primary block, block in use), which exit 254 with EC2's code and leave the VPC as it was. Each
// run of refusals is checked against one describe before and after it (every AWS CLI call costs
// about a second of CPU; boto3's cidr_eip.py checks each refusal on its own).
func TestAWSCLISecondaryCIDR(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	type assoc struct {
		AssociationId  string
		CidrBlock      string
		CidrBlockState struct{ State string }
	}
	vpcState := func() string {
		t.Helper()
		out, stderr, exit := cli.run(customerKey, customerSecret, customerRegion, "ec2", "describe-vpcs", "--vpc-ids", customerVPC)
		if exit != 0 {
			t.Fatalf("describe-vpcs: %d %s", exit, stderr)
		}
		return out
	}
	fails := func(code string, args ...string) {
		t.Helper()
		_, stderr, exit := cli.run(customerKey, customerSecret, customerRegion, args...)
		if exit != 254 || !strings.Contains(stderr, "("+code+")") {
			t.Errorf("aws %s: exit %d, %q; want 254 and %s", strings.Join(args, " "), exit, stderr, code)
		}
	}
	// unchanged runs refusals and checks that, together, they left the VPC as it was.
	unchanged := func(what string, refusals func()) {
		t.Helper()
		before := vpcState()
		refusals()
		if after := vpcState(); after != before {
			t.Errorf("the refusals %s changed the VPC:\n%s\n%s", what, before, after)
		}
	}
	associate := func(cidr string) assoc {
		t.Helper()
		var out struct {
			VpcId                string
			CidrBlockAssociation assoc
		}
		cli.customer(&out, "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--cidr-block", cidr)
		if out.VpcId != customerVPC || out.CidrBlockAssociation.CidrBlock != cidr || out.CidrBlockAssociation.CidrBlockState.State != "associating" ||
			!strings.HasPrefix(out.CidrBlockAssociation.AssociationId, "vpc-cidr-assoc-") {
			t.Fatalf("associate-vpc-cidr-block %s = %+v", cidr, out)
		}
		return out.CidrBlockAssociation
	}

	var rtbs struct {
		RouteTables []struct{ RouteTableId string }
	}
	cli.customer(&rtbs, "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values="+customerVPC, "Name=association.main,Values=true")
	main := rtbs.RouteTables[0].RouteTableId
	var igw struct {
		InternetGateway struct{ InternetGatewayId string }
	}
	cli.customer(&igw, "ec2", "create-internet-gateway")
	cli.customer(nil, "ec2", "attach-internet-gateway", "--internet-gateway-id", igw.InternetGateway.InternetGatewayId, "--vpc-id", customerVPC)
	cli.customer(nil, "ec2", "create-route", "--route-table-id", main, "--destination-cidr-block", "172.30.0.0/24", "--gateway-id", igw.InternetGateway.InternetGatewayId)

	unchanged("of associate-vpc-cidr-block", func() {
		fails("InvalidVpc.Range", "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--cidr-block", "192.168.0.0/16")
		fails("InvalidVpc.Range", "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--cidr-block", "198.19.0.0/16")
		fails("CidrConflict", "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--cidr-block", "172.16.0.0/20")
		fails("CidrConflict", "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--cidr-block", "172.30.0.0/16")
		fails("InvalidVpcID.NotFound", "ec2", "associate-vpc-cidr-block", "--vpc-id", "vpc-0000000000000000f", "--cidr-block", "172.17.0.0/16")
	})
	second := associate("172.17.0.0/16")
	associate("172.30.0.0/25") // smaller than the route's destination: EC2 allows it
	associate("100.64.0.0/16")
	associate("172.20.0.0/28")
	fails("CidrLimitExceeded", "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--cidr-block", "172.21.0.0/16")

	// The describe after the refusal above: it added no sixth block.
	var vpcs struct {
		Vpcs []struct{ CidrBlockAssociationSet []assoc }
	}
	cli.customer(&vpcs, "ec2", "describe-vpcs", "--vpc-ids", customerVPC)
	var got []string
	for _, a := range vpcs.Vpcs[0].CidrBlockAssociationSet {
		got = append(got, a.CidrBlock+" "+a.CidrBlockState.State)
	}
	if strings.Join(got, ",") != "172.16.0.0/16 associated,172.17.0.0/16 associated,172.30.0.0/25 associated,100.64.0.0/16 associated,172.20.0.0/28 associated" {
		t.Errorf("CidrBlockAssociationSet = %v", got)
	}
	var sub struct {
		Subnet struct{ SubnetId, CidrBlock string }
	}
	cli.customer(&sub, "ec2", "create-subnet", "--vpc-id", customerVPC, "--cidr-block", "172.17.5.0/24")
	var routes struct {
		RouteTables []struct {
			Routes []struct{ DestinationCidrBlock, GatewayId, State string }
		}
	}
	cli.customer(&routes, "ec2", "describe-route-tables", "--route-table-ids", main)
	local := 0
	for _, r := range routes.RouteTables[0].Routes {
		if r.GatewayId == "local" && r.State == "active" {
			local++
		}
	}
	if local != 5 {
		t.Errorf("local routes of %s: %+v, want one per block", main, routes)
	}
	unchanged("of disassociate-vpc-cidr-block", func() {
		fails("DependencyViolation", "ec2", "disassociate-vpc-cidr-block", "--association-id", second.AssociationId)
		fails("InvalidVpcCidrBlockAssociationID.NotFound", "ec2", "disassociate-vpc-cidr-block", "--association-id", "vpc-cidr-assoc-0000000000000000f")
	})
	cli.customer(nil, "ec2", "delete-subnet", "--subnet-id", sub.Subnet.SubnetId)
	var dis struct {
		VpcId                string
		CidrBlockAssociation assoc
	}
	cli.customer(&dis, "ec2", "disassociate-vpc-cidr-block", "--association-id", second.AssociationId)
	if dis.VpcId != customerVPC || dis.CidrBlockAssociation.CidrBlockState.State != "disassociating" {
		t.Errorf("disassociate-vpc-cidr-block = %+v", dis)
	}
	unchanged("after the disassociation", func() {
		fails("InvalidVpcCidrBlockAssociationID.NotFound", "ec2", "disassociate-vpc-cidr-block", "--association-id", second.AssociationId)
		fails("InvalidSubnet.Range", "ec2", "create-subnet", "--vpc-id", customerVPC, "--cidr-block", "172.17.5.0/24")
	})
	associate("172.21.0.0/16") // the disassociated block no longer counts
}
