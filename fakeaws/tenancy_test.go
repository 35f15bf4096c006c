package fakeaws_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestAccountIsolation: one AWS account's key, in the other account's region, neither sees nor
// changes anything of the other account (Heroku's space VPC): every id is answered .NotFound as
// AWS does for a resource of another account, lists leave it out, and the world is untouched.
func TestAccountIsolation(t *testing.T) {
	e := newEnv(t)
	owner := e.heroku()
	vpcs := must(owner.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{VpcIds: []string{spaceVPC}}))(t)
	subs := must(owner.DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{spaceVPC}}}}))(t)
	rtbs := must(owner.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{spaceVPC}}}}))(t)
	sgs := must(owner.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{spaceVPC}}}}))(t)
	if len(vpcs.Vpcs) != 1 || len(subs.Subnets) == 0 || len(rtbs.RouteTables) == 0 || len(sgs.SecurityGroups) == 0 {
		t.Fatalf("the space VPC lacks subnets, route tables or groups: %d %d %d %d", len(vpcs.Vpcs), len(subs.Subnets), len(rtbs.RouteTables), len(sgs.SecurityGroups))
	}
	sub, rtb, sg := *subs.Subnets[0].SubnetId, *rtbs.RouteTables[0].RouteTableId, *sgs.SecurityGroups[0].GroupId
	intruder := e.ec2(customerKey, customerSecret, herokuRegion)
	gen := e.world.Generation()
	calls := []struct {
		name string
		call func() error
		code string
	}{
		{"DescribeVpcs", func() error {
			_, err := intruder.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{VpcIds: []string{spaceVPC}})
			return err
		}, "InvalidVpcID.NotFound"},
		{"DeleteVpc", func() error {
			_, err := intruder.DeleteVpc(ctx(), &ec2.DeleteVpcInput{VpcId: aws.String(spaceVPC)})
			return err
		}, "InvalidVpcID.NotFound"},
		{"CreateSubnet", func() error {
			_, err := intruder.CreateSubnet(ctx(), &ec2.CreateSubnetInput{VpcId: aws.String(spaceVPC), CidrBlock: aws.String("10.0.240.0/24")})
			return err
		}, "InvalidVpcID.NotFound"},
		{"DescribeSubnets", func() error {
			_, err := intruder.DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{SubnetIds: []string{sub}})
			return err
		}, "InvalidSubnetID.NotFound"},
		{"DeleteSubnet", func() error {
			_, err := intruder.DeleteSubnet(ctx(), &ec2.DeleteSubnetInput{SubnetId: aws.String(sub)})
			return err
		}, "InvalidSubnetID.NotFound"},
		{"CreateRoute", func() error {
			_, err := intruder.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String("igw-0123456789abcdef0")})
			return err
		}, "InvalidRouteTableID.NotFound"},
		{"DescribeRouteTables", func() error {
			_, err := intruder.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{RouteTableIds: []string{rtb}})
			return err
		}, "InvalidRouteTableID.NotFound"},
		{"AuthorizeSecurityGroupIngress", func() error {
			_, err := intruder.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpProtocol: aws.String("-1"), CidrIp: aws.String("0.0.0.0/0")})
			return err
		}, "InvalidGroup.NotFound"},
		{"DescribeSecurityGroups", func() error {
			_, err := intruder.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
			return err
		}, "InvalidGroup.NotFound"},
		{"CreateVpcPeeringConnection from the other VPC", func() error {
			_, err := intruder.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(spaceVPC), PeerVpcId: aws.String(customerVPC), PeerOwnerId: aws.String(customerAccount), PeerRegion: aws.String(customerRegion)})
			return err
		}, "InvalidVpcID.NotFound"},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			got := asAPIErr(t, c.call())
			if got.Code != c.code {
				t.Errorf("%s on the other account's resource: %+v, want %s", c.name, got, c.code)
			}
		})
	}
	// Lists of the intruder hold only its own account's resources.
	all := must(intruder.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{}))(t)
	for _, v := range all.Vpcs {
		if *v.OwnerId != customerAccount || strings.Contains(*v.VpcId, spaceVPC) {
			t.Errorf("DescribeVpcs lists %s of account %s", *v.VpcId, *v.OwnerId)
		}
	}
	if g := e.world.Generation(); g != gen {
		t.Errorf("refused calls changed the world (generation %d → %d)", gen, g)
	}
}
