// Package example is a module outside spacelab that uses it as a library, as a project's own
// tests do: a lab per test, the real AWS and Heroku Go clients against it, a check with packets.
// Before a release it points at a clone with a replace directive (see go.mod).
package example

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestPrivateSpacePeering is the seed's walkthrough: look up the space's VPC in Heroku, request
// a peering from the customer's VPC in AWS, accept it in Heroku, add the AWS route; then the EC2
// instance reaches the Private Space app — checked with real packets.
func TestPrivateSpacePeering(t *testing.T) {
	ctx, l := context.Background(), labtest.Start(t)
	cfg, err := l.AWSConfig(ctx, "")
	check(t, err)
	awsEC2, heroku := ec2.NewFromConfig(cfg), l.HerokuClient()
	app := netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}

	// heroku spaces:peering:info enablement-jp
	info, err := heroku.PeeringInfoInfo(ctx, "enablement-jp")
	check(t, err)
	// aws ec2 create-vpc-peering-connection (from the customer's VPC, to the space's account and region)
	vpcs, err := awsEC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("cidr", "172.16.0.0/16")}})
	check(t, err)
	vpc := vpcs.Vpcs[0].VpcId
	pcx, err := awsEC2.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: vpc,
		PeerVpcId: &info.VpcID, PeerOwnerId: &info.AwsAccountID, PeerRegion: &info.AwsRegion})
	check(t, err)
	pcxID := pcx.VpcPeeringConnection.VpcPeeringConnectionId
	// heroku spaces:peerings:accept PCX --space enablement-jp
	_, err = heroku.PeeringAccept(ctx, "enablement-jp", *pcxID)
	check(t, err)
	// aws ec2 create-route on the main route table: the space's CIDR through the peering
	rtbs, err := awsEC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		filter("vpc-id", *vpc), filter("association.main", "true")}})
	check(t, err)
	_, err = awsEC2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rtbs.RouteTables[0].RouteTableId,
		DestinationCidrBlock: &info.VpcCIDR, VpcPeeringConnectionId: pcxID})
	check(t, err)

	c, err := l.Check(ctx, app) // curl from the instance: 200 through the spaces router
	if err != nil || !c.Passed() || !c.Agree || c.Result.Status != 200 {
		t.Fatalf("after the peering: %v %s\n%s", err, c.Summary(), c.Verdict.Path())
	}
}

func filter(name, value string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: []string{value}}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
