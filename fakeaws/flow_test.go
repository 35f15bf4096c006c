package fakeaws_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
)

// routeRow is a route as a test compares it.
type routeRow struct {
	Dst, Gateway, Pcx, State, Origin string
}

func routeRows(rt types.RouteTable) []routeRow {
	var out []routeRow
	for _, r := range rt.Routes {
		out = append(out, routeRow{aws.ToString(r.DestinationCidrBlock), aws.ToString(r.GatewayId),
			aws.ToString(r.VpcPeeringConnectionId), string(r.State), string(r.Origin)})
	}
	return out
}

func mainRouteTable(t *testing.T, c *ec2.Client, vpc string) types.RouteTable {
	t.Helper()
	out, err := c.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}},
		{Name: aws.String("association.main"), Values: []string{"true"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.RouteTables) != 1 {
		t.Fatalf("main route tables of %s: got %d, want 1", vpc, len(out.RouteTables))
	}
	return out.RouteTables[0]
}

func pcxStatus(t *testing.T, c *ec2.Client, id string) types.VpcPeeringConnection {
	t.Helper()
	out, err := c.DescribeVpcPeeringConnections(ctx(), &ec2.DescribeVpcPeeringConnectionsInput{VpcPeeringConnectionIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.VpcPeeringConnections) != 1 {
		t.Fatalf("describe %s: got %d connections", id, len(out.VpcPeeringConnections))
	}
	return out.VpcPeeringConnections[0]
}

// TestSeedFlow walks the Private Space peering walkthrough on the AWS side with the Go SDK.
func TestSeedFlow(t *testing.T) {
	e := newEnv(t)
	cust, her := e.customer(), e.heroku()

	id, err := e.sts(customerKey, customerSecret, customerRegion).GetCallerIdentity(ctx(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(id.Account), customerAccount; got != want {
		t.Errorf("GetCallerIdentity account = %q, want %q", got, want)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:iam::435886841536:user/admin"; got != want {
		t.Errorf("GetCallerIdentity arn = %q, want %q", got, want)
	}

	vpcs, err := cust.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].VpcId) != customerVPC || aws.ToString(vpcs.Vpcs[0].CidrBlock) != "172.16.0.0/16" {
		t.Fatalf("customer VPCs = %+v, want only %s 172.16.0.0/16", vpcs.Vpcs, customerVPC)
	}
	if got := vpcs.Vpcs[0].CidrBlockAssociationSet; len(got) != 1 || got[0].CidrBlockState.State != types.VpcCidrBlockStateCodeAssociated {
		t.Errorf("CidrBlockAssociationSet = %+v", got)
	}

	created, err := cust.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{
		VpcId: aws.String(customerVPC), PeerVpcId: aws.String(spaceVPC),
		PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String(herokuRegion),
	})
	if err != nil {
		t.Fatal(err)
	}
	pcx := created.VpcPeeringConnection
	pcxID := aws.ToString(pcx.VpcPeeringConnectionId)
	if diff := cmp.Diff(types.VpcPeeringConnectionStateReasonCodeInitiatingRequest, pcx.Status.Code); diff != "" {
		t.Errorf("create status (-want +got):\n%s", diff)
	}
	if got, want := aws.ToString(pcx.Status.Message), "Initiating Request to "+herokuAccount; got != want {
		t.Errorf("create message = %q, want %q", got, want)
	}
	if got := pcx.AccepterVpcInfo; aws.ToString(got.VpcId) != spaceVPC || aws.ToString(got.OwnerId) != herokuAccount || aws.ToString(got.Region) != herokuRegion || got.CidrBlock != nil {
		t.Errorf("accepter info at creation = %+v; want ids only, no CIDR", got)
	}
	if got := pcx.RequesterVpcInfo; aws.ToString(got.CidrBlock) != "172.16.0.0/16" || aws.ToString(got.Region) != customerRegion || got.PeeringOptions == nil {
		t.Errorf("requester info = %+v", got)
	}

	// Describe shows pending-acceptance with an expiration 7 days out, for both accounts.
	for name, c := range map[string]*ec2.Client{"customer": cust, "heroku": her} {
		got := pcxStatus(t, c, pcxID)
		if got.Status.Code != types.VpcPeeringConnectionStateReasonCodePendingAcceptance ||
			aws.ToString(got.Status.Message) != "Pending Acceptance by "+herokuAccount {
			t.Errorf("%s: status = %s %q", name, got.Status.Code, aws.ToString(got.Status.Message))
		}
		if got.ExpirationTime == nil || time.Until(*got.ExpirationTime) < 6*24*time.Hour || time.Until(*got.ExpirationTime) > 7*24*time.Hour {
			t.Errorf("%s: expirationTime = %v, want about 7 days from now", name, got.ExpirationTime)
		}
	}

	// The requester cannot accept its own cross-account request.
	_, err = cust.AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcxID)})
	if diff := cmp.Diff(apiErr{"OperationNotPermitted", "User (" + customerAccount + ") cannot accept peering " + pcxID, 400}, asAPIErr(t, err)); diff != "" {
		t.Errorf("accept as requester (-want +got):\n%s", diff)
	}

	// A route to the pending connection is accepted and is a blackhole until it is active.
	rtb := aws.ToString(mainRouteTable(t, cust, customerVPC).RouteTableId)
	if _, err := cust.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rtb),
		DestinationCidrBlock: aws.String("10.0.0.0/16"), VpcPeeringConnectionId: aws.String(pcxID)}); err != nil {
		t.Fatal(err)
	}
	wantRoutes := func(state string) []routeRow {
		return []routeRow{
			{Dst: "172.16.0.0/16", Gateway: "local", State: "active", Origin: "CreateRouteTable"},
			{Dst: "10.0.0.0/16", Pcx: pcxID, State: state, Origin: "CreateRoute"},
		}
	}
	if diff := cmp.Diff(wantRoutes("blackhole"), routeRows(mainRouteTable(t, cust, customerVPC))); diff != "" {
		t.Errorf("routes while pending (-want +got):\n%s", diff)
	}

	// Heroku's account accepts in its own region: the answer says provisioning, then active.
	acc, err := her.AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcxID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := acc.VpcPeeringConnection; got.Status.Code != types.VpcPeeringConnectionStateReasonCodeProvisioning || aws.ToString(got.Status.Message) != "Provisioning" {
		t.Errorf("accept answer status = %s %q", got.Status.Code, aws.ToString(got.Status.Message))
	}
	if got := aws.ToString(acc.VpcPeeringConnection.AccepterVpcInfo.CidrBlock); got != "10.0.0.0/16" {
		t.Errorf("accepter CIDR after accept = %q, want 10.0.0.0/16", got)
	}
	active := pcxStatus(t, cust, pcxID)
	if active.Status.Code != types.VpcPeeringConnectionStateReasonCodeActive || active.ExpirationTime != nil {
		t.Errorf("after accept: status %s, expiration %v; want active without expiration", active.Status.Code, active.ExpirationTime)
	}
	if diff := cmp.Diff(wantRoutes("active"), routeRows(mainRouteTable(t, cust, customerVPC))); diff != "" {
		t.Errorf("routes while active (-want +got):\n%s", diff)
	}

	// The SG lets the space in on port 80.
	sgs, err := cust.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{customerVPC}}, {Name: aws.String("group-name"), Values: []string{"default"}}}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("default group: %v, %d groups", err, len(sgs.SecurityGroups))
	}
	sg := aws.ToString(sgs.SecurityGroups[0].GroupId)
	auth, err := cust.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg),
		IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80),
			IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/16")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(auth.SecurityGroupRules) != 1 || aws.ToString(auth.SecurityGroupRules[0].CidrIpv4) != "10.0.0.0/16" || aws.ToInt32(auth.SecurityGroupRules[0].FromPort) != 80 {
		t.Errorf("authorize answer = %+v", auth.SecurityGroupRules)
	}

	// The model agrees: the instance's subnet routes 10.0.0.0/16 over an active peering.
	if err := e.world.View(func(tx *emulator.Tx) error {
		rt := tx.SubnetRouteTable(customerSubnet)
		for _, r := range rt.Routes {
			if r.Target == pcxID && tx.RouteState(rt, r) != "active" {
				t.Errorf("model route state = %s", tx.RouteState(rt, r))
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Deleting the peering leaves the customer's route as a blackhole.
	if _, err := cust.DeleteVpcPeeringConnection(ctx(), &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcxID)}); err != nil {
		t.Fatal(err)
	}
	if got := pcxStatus(t, cust, pcxID); got.Status.Code != types.VpcPeeringConnectionStateReasonCodeDeleted || aws.ToString(got.Status.Message) != "Deleted by "+customerAccount {
		t.Errorf("after delete: %s %q", got.Status.Code, aws.ToString(got.Status.Message))
	}
	if diff := cmp.Diff(wantRoutes("blackhole"), routeRows(mainRouteTable(t, cust, customerVPC))); diff != "" {
		t.Errorf("routes after delete (-want +got):\n%s", diff)
	}
}

// TestOverlappingPeeringFails: a request between overlapping CIDRs is created and then
// failed, with EC2's message, visible to the requester only.
func TestOverlappingPeeringFails(t *testing.T) {
	e := newEnv(t)
	var overlapping string
	if err := e.world.Update(func(tx *emulator.Tx) error {
		v, err := tx.CreateVPC(emulator.Caller{Account: customerAccount, Region: customerRegion}, mustPrefix("10.0.0.0/16"), emulator.VPCOptions{})
		overlapping = v.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cust := e.customer()
	created, err := cust.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{
		VpcId: aws.String(overlapping), PeerVpcId: aws.String(spaceVPC), PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String(herokuRegion)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.VpcPeeringConnection.VpcPeeringConnectionId)
	if got := created.VpcPeeringConnection.Status.Code; got != types.VpcPeeringConnectionStateReasonCodeInitiatingRequest {
		t.Errorf("create answer status = %s, want initiating-request", got)
	}
	got := pcxStatus(t, cust, id)
	if diff := cmp.Diff([2]string{"failed", emulator.FailedMessage}, [2]string{string(got.Status.Code), aws.ToString(got.Status.Message)}); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	_, err = e.heroku().DescribeVpcPeeringConnections(ctx(), &ec2.DescribeVpcPeeringConnectionsInput{VpcPeeringConnectionIds: []string{id}})
	if diff := cmp.Diff("InvalidVpcPeeringConnectionID.NotFound", asAPIErr(t, err).Code); diff != "" {
		t.Errorf("accepter sees failed request (-want +got):\n%s", diff)
	}
	_, err = cust.DeleteVpcPeeringConnection(ctx(), &ec2.DeleteVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(id)})
	if diff := cmp.Diff(apiErr{"InvalidStateTransition", "Invalid state transition for " + id + ", attempted to transition from failed to deleting", 400}, asAPIErr(t, err)); diff != "" {
		t.Errorf("delete failed (-want +got):\n%s", diff)
	}
}
