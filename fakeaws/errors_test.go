package fakeaws_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/fakeaws"
)

// pendingPeering creates a request from the customer VPC to the space and returns its id.
func pendingPeering(t *testing.T, e *env) string {
	t.Helper()
	out, err := e.customer().CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{
		VpcId: aws.String(customerVPC), PeerVpcId: aws.String(spaceVPC), PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String(herokuRegion)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.VpcPeeringConnection.VpcPeeringConnectionId)
}

func customerRTB(t *testing.T, e *env) string {
	t.Helper()
	return aws.ToString(mainRouteTable(t, e.customer(), customerVPC).RouteTableId)
}

func defaultSG(t *testing.T, e *env) string {
	t.Helper()
	var id string
	_ = e.world.View(func(tx *emulator.Tx) error { id = tx.VPC(customerVPC).DefaultSecurityGroupID; return nil })
	return id
}

func tcp(port int32, cidr string) []types.IpPermission {
	return []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
		IpRanges: []types.IpRange{{CidrIp: aws.String(cidr)}}}}
}

// TestErrors checks each refusal's EC2 code, message and HTTP status as the SDK sees them.
func TestErrors(t *testing.T) {
	// setups configure the server of a case before it starts.
	setups := map[string]func(*fakeaws.Server){
		"injected fault": func(s *fakeaws.Server) {
			s.Inject = func(action string, c emulator.Caller) *emulator.AWSError {
				if action == "DescribeVpcs" {
					return &emulator.AWSError{Code: "Unavailable", Message: "The service is unavailable. Please try again shortly.", Status: 503}
				}
				return nil
			}
		},
	}
	tests := []struct {
		name string
		call func(t *testing.T, e *env) error
		want apiErr
	}{
		{"bad signature", func(t *testing.T, e *env) error {
			_, err := e.ec2(customerKey, "wrong-secret", customerRegion).DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
			return err
		}, apiErr{"AuthFailure", "AWS was not able to validate the provided access credentials", 401}},
		{"unknown key", func(t *testing.T, e *env) error {
			_, err := e.ec2("AKIANOBODY0000000000", "x", customerRegion).DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
			return err
		}, apiErr{"AuthFailure", "AWS was not able to validate the provided access credentials", 401}},
		{"sts bad signature", func(t *testing.T, e *env) error {
			_, err := e.sts(customerKey, "wrong", customerRegion).GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{})
			return err
		}, apiErr{"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", 403}},
		{"sts unknown key", func(t *testing.T, e *env) error {
			_, err := e.sts("AKIANOBODY0000000000", "x", customerRegion).GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{})
			return err
		}, apiErr{"InvalidClientTokenId", "The security token included in the request is invalid.", 403}},
		{"vpc not found", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0000000000000dead"}})
			return err
		}, apiErr{"InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000dead' does not exist", 400}},
		{"other account's vpc is not found", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{VpcIds: []string{spaceVPC}})
			return err
		}, apiErr{"InvalidVpcID.NotFound", "The vpc ID 'vpc-b39527d4' does not exist", 400}},
		{"subnet not found", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0000", "subnet-1111"}})
			return err
		}, apiErr{"InvalidSubnetID.NotFound", "The subnet IDs 'subnet-0000, subnet-1111' do not exist", 400}},
		{"instance not found", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeInstances(ctx(), &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
			return err
		}, apiErr{"InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist", 400}},
		{"instance ids with MaxResults", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeInstances(ctx(), &ec2.DescribeInstancesInput{InstanceIds: []string{customerInst}, MaxResults: aws.Int32(5)})
			return err
		}, apiErr{"InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults", 400}},
		{"route table not found", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String("rtb-0000000000000dead"), DestinationCidrBlock: aws.String("10.0.0.0/16"), VpcPeeringConnectionId: aws.String("pcx-1")})
			return err
		}, apiErr{"InvalidRouteTableID.NotFound", "The routeTable ID 'rtb-0000000000000dead' does not exist", 400}},
		{"security group not found", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0000000000000dead"}})
			return err
		}, apiErr{"InvalidGroup.NotFound", "The security group 'sg-0000000000000dead' does not exist", 400}},
		{"peering not found", func(t *testing.T, e *env) error {
			_, err := e.customer().AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String("pcx-0000000000000dead")})
			return err
		}, apiErr{"InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID 'pcx-0000000000000dead' does not exist", 400}},
		{"describe peering not found", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeVpcPeeringConnections(ctx(), &ec2.DescribeVpcPeeringConnectionsInput{VpcPeeringConnectionIds: []string{"pcx-0000000000000dead"}})
			return err
		}, apiErr{"InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID 'pcx-0000000000000dead' does not exist", 400}},
		{"route to unknown peering", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(customerRTB(t, e)), DestinationCidrBlock: aws.String("10.0.0.0/16"), VpcPeeringConnectionId: aws.String("pcx-0000000000000dead")})
			return err
		}, apiErr{"InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID 'pcx-0000000000000dead' does not exist", 400}},
		{"route already exists", func(t *testing.T, e *env) error {
			pcx, rtb := pendingPeering(t, e), customerRTB(t, e)
			in := &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("10.0.0.0/16"), VpcPeeringConnectionId: aws.String(pcx)}
			if _, err := e.customer().CreateRoute(ctx(), in); err != nil {
				t.Fatal(err)
			}
			_, err := e.customer().CreateRoute(ctx(), in)
			return err
		}, apiErr{"RouteAlreadyExists", "The route identified by 10.0.0.0/16 already exists.", 400}},
		{"bad destination CIDR", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(customerRTB(t, e)), DestinationCidrBlock: aws.String("10.0.0/16"), GatewayId: aws.String("igw-1")})
			return err
		}, apiErr{"InvalidParameterValue", "Value (10.0.0/16) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", 400}},
		{"delete missing route", func(t *testing.T, e *env) error {
			rtb := customerRTB(t, e)
			_, err := e.customer().DeleteRoute(ctx(), &ec2.DeleteRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("10.9.0.0/16")})
			if err != nil && !strings.Contains(err.Error(), rtb) {
				t.Errorf("message does not name %s: %v", rtb, err)
			}
			return err
		}, apiErr{"InvalidRoute.NotFound", "", 400}},
		{"replace missing route", func(t *testing.T, e *env) error {
			_, err := e.customer().ReplaceRoute(ctx(), &ec2.ReplaceRouteInput{RouteTableId: aws.String(customerRTB(t, e)), DestinationCidrBlock: aws.String("10.9.0.0/16"), VpcPeeringConnectionId: aws.String(pendingPeering(t, e))})
			return err
		}, apiErr{"InvalidParameterValue", "There is no route defined for '10.9.0.0/16' in the route table. Use CreateRoute instead.", 400}},
		{"duplicate permission", func(t *testing.T, e *env) error {
			sg := defaultSG(t, e)
			in := &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: tcp(22, "0.0.0.0/0")}
			if _, err := e.customer().AuthorizeSecurityGroupIngress(ctx(), in); err != nil {
				t.Fatal(err)
			}
			_, err := e.customer().AuthorizeSecurityGroupIngress(ctx(), in)
			return err
		}, apiErr{"InvalidPermission.Duplicate", `the specified rule "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW" already exists`, 400}},
		{"revoke missing permission", func(t *testing.T, e *env) error {
			_, err := e.customer().RevokeSecurityGroupIngress(ctx(), &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(defaultSG(t, e)), IpPermissions: tcp(23, "0.0.0.0/0")})
			return err
		}, apiErr{"InvalidPermission.NotFound", "The specified rule does not exist in this security group.", 400}},
		{"accept twice", func(t *testing.T, e *env) error {
			pcx := pendingPeering(t, e)
			in := &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcx)}
			if _, err := e.heroku().AcceptVpcPeeringConnection(ctx(), in); err != nil {
				t.Fatal(err)
			}
			_, err := e.heroku().AcceptVpcPeeringConnection(ctx(), in)
			return err
		}, apiErr{"InvalidStateTransition", "", 400}},
		{"accept in the wrong region", func(t *testing.T, e *env) error {
			pcx := pendingPeering(t, e)
			_, err := e.ec2(herokuKey, herokuSecret, "us-east-1").AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcx)})
			return err
		}, apiErr{"InvalidVpcPeeringConnectionID.NotFound", "", 400}},
		{"accepter cannot delete a pending request", func(t *testing.T, e *env) error {
			pcx := pendingPeering(t, e)
			_, err := e.heroku().DeleteVpcPeeringConnection(ctx(), &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcx)})
			return err
		}, apiErr{"OperationNotPermitted", "", 400}},
		{"reject after reject", func(t *testing.T, e *env) error {
			pcx := pendingPeering(t, e)
			in := &ec2.RejectVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcx)}
			if _, err := e.heroku().RejectVpcPeeringConnection(ctx(), in); err != nil {
				t.Fatal(err)
			}
			_, err := e.heroku().RejectVpcPeeringConnection(ctx(), in)
			return err
		}, apiErr{"InvalidStateTransition", "", 400}},
		{"peering between the same pair twice", func(t *testing.T, e *env) error {
			pendingPeering(t, e)
			_, err := e.customer().CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{
				VpcId: aws.String(customerVPC), PeerVpcId: aws.String(spaceVPC), PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String(herokuRegion)})
			return err
		}, apiErr{"VpcPeeringConnectionAlreadyExists", "", 400}},
		{"bad peer region", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{
				VpcId: aws.String(customerVPC), PeerVpcId: aws.String(spaceVPC), PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String("moon-1")})
			return err
		}, apiErr{"InvalidParameterValue", "Invalid value 'moon-1' for peerRegion", 400}},
		{"dry run that would succeed", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{DryRun: aws.Bool(true),
				VpcId: aws.String(customerVPC), PeerVpcId: aws.String(spaceVPC), PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String(herokuRegion)})
			return err
		}, apiErr{"DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412}},
		{"dry run that would fail", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{DryRun: aws.Bool(true),
				VpcId: aws.String("vpc-0000000000000dead"), PeerVpcId: aws.String(spaceVPC)})
			return err
		}, apiErr{"InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000dead' does not exist", 400}},
		{"dry run describe", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
			return err
		}, apiErr{"DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412}},
		{"unknown filter", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}})
			return err
		}, apiErr{"InvalidParameterValue", "The filter 'colour' is invalid", 400}},
		{"bad pagination token", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{NextToken: aws.String("garbage!")})
			return err
		}, apiErr{"InvalidPaginationToken", "Invalid pagination token", 400}},
		{"MaxResults out of range", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(101)})
			return err
		}, apiErr{"InvalidParameterValue", "Value ( 101 ) for parameter maxResults is invalid. Parameter must be between 5 and 100.", 400}},
		{"route without a target", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(customerRTB(t, e)), DestinationCidrBlock: aws.String("10.9.0.0/16")})
			return err
		}, apiErr{"MissingParameter", "", 400}},
		{"route to an unmodelled target", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(customerRTB(t, e)), DestinationCidrBlock: aws.String("10.9.0.0/16"), TransitGatewayId: aws.String("tgw-1")})
			return err
		}, apiErr{"UnsupportedOperation", "spacelab does not model routes with transitGatewayId targets; use gatewayId, natGatewayId, instanceId, networkInterfaceId or vpcPeeringConnectionId", 400}},
		{"tag an unknown id", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateTags(ctx(), &ec2.CreateTagsInput{Resources: []string{customerVPC, "vpc-0000000000000dead"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, apiErr{"InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000dead' does not exist", 400}},
		{"tag an id of no known kind", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateTags(ctx(), &ec2.CreateTagsInput{Resources: []string{"foo-1"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, apiErr{"InvalidID", "The ID 'foo-1' is not valid", 400}},
		{"reserved tag key", func(t *testing.T, e *env) error {
			_, err := e.customer().CreateTags(ctx(), &ec2.CreateTagsInput{Resources: []string{customerVPC}, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("b")}}})
			return err
		}, apiErr{"InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use", 400}},
		{"injected fault", func(t *testing.T, e *env) error {
			_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
			return err
		}, apiErr{"Unavailable", "The service is unavailable. Please try again shortly.", 503}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var setup []func(*fakeaws.Server)
			if f := setups[tt.name]; f != nil {
				setup = append(setup, f)
			}
			e := newEnv(t, setup...)
			got := asAPIErr(t, tt.call(t, e))
			if tt.want.Message == "" {
				got.Message = "" // only the code and status are pinned
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestExpired: a signature dated more than 15 minutes from the server's clock.
func TestRequestExpired(t *testing.T) {
	for _, skew := range []time.Duration{16 * time.Minute, -16 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			e := newEnv(t, func(s *fakeaws.Server) { s.Now = func() time.Time { return time.Now().Add(skew) } })
			_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
			got := asAPIErr(t, err)
			if got.Code != "RequestExpired" || got.Status != 400 || !strings.HasPrefix(got.Message, "Request has expired.") {
				t.Errorf("got %+v, want RequestExpired 400", got)
			}
			_, err = e.sts(customerKey, customerSecret, customerRegion).GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{})
			if got := asAPIErr(t, err); got.Code != "SignatureDoesNotMatch" || got.Status != 403 || !strings.HasPrefix(got.Message, "Signature expired:") {
				t.Errorf("sts: got %+v, want SignatureDoesNotMatch 403 Signature expired", got)
			}
		})
	}
}
