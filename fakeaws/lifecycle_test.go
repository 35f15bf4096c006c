package fakeaws_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
)

// must takes a call's results and returns a check that fails the test on its error:
// must(c.CreateVpc(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// wantCode checks that err is the EC2 error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := asAPIErr(t, err).Code; got != code {
		t.Errorf("%s: code %s, want %s (%v)", what, got, code, err)
	}
}

func nameTag(kind types.ResourceType, name string) []types.TagSpecification {
	return []types.TagSpecification{{ResourceType: kind, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}}}
}

func TestVPCLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	vpc := must(c.CreateVpc(ctx(), &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16"), TagSpecifications: nameTag(types.ResourceTypeVpc, "lab")}))(t).Vpc
	vpcID := aws.ToString(vpc.VpcId)
	if vpc.State != types.VpcStatePending || len(vpc.Tags) != 1 || aws.ToString(vpc.CidrBlock) != "10.20.0.0/16" {
		t.Errorf("CreateVpc answer = state %s tags %v cidr %s", vpc.State, vpc.Tags, aws.ToString(vpc.CidrBlock))
	}
	if d := must(c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}}))(t); d.Vpcs[0].State != types.VpcStateAvailable {
		t.Errorf("described state = %s", d.Vpcs[0].State)
	}
	_, err := c.CreateVpc(ctx(), &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/8")})
	wantCode(t, "a /8 VPC", err, "InvalidVpc.Range")

	sub := must(c.CreateSubnet(ctx(), &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.20.1.0/24"), AvailabilityZone: aws.String("us-east-1b")}))(t).Subnet
	subID := aws.ToString(sub.SubnetId)
	if aws.ToString(sub.AvailabilityZoneId) != "use1-az2" || aws.ToInt32(sub.AvailableIpAddressCount) != 251 {
		t.Errorf("subnet = az %s, %d free", aws.ToString(sub.AvailabilityZoneId), aws.ToInt32(sub.AvailableIpAddressCount))
	}
	_, err = c.CreateSubnet(ctx(), &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.20.1.128/25")})
	wantCode(t, "overlapping subnet", err, "InvalidSubnet.Conflict")
	_, err = c.CreateSubnet(ctx(), &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.21.0.0/24")})
	wantCode(t, "subnet outside the VPC", err, "InvalidSubnet.Range")
	_, err = c.CreateSubnet(ctx(), &ec2.CreateSubnetInput{VpcId: aws.String(vpcID), CidrBlock: aws.String("10.20.9.0/24"), AvailabilityZone: aws.String("eu-west-1a")})
	wantCode(t, "subnet in another region's zone", err, "InvalidParameterValue")

	// The default network ACL serves the new subnet.
	acls := must(c.DescribeNetworkAcls(ctx(), &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{flt("association.subnet-id", subID)}}))(t).NetworkAcls
	if len(acls) != 1 || !aws.ToBool(acls[0].IsDefault) || aws.ToString(acls[0].VpcId) != vpcID {
		t.Fatalf("ACL of the new subnet = %+v", acls)
	}

	// A second route table, associated, replaced, disassociated.
	rt := must(c.CreateRouteTable(ctx(), &ec2.CreateRouteTableInput{VpcId: aws.String(vpcID)}))(t).RouteTable
	rtID := aws.ToString(rt.RouteTableId)
	if diff := cmp.Diff([]routeRow{{Dst: "10.20.0.0/16", Gateway: "local", State: "active", Origin: "CreateRouteTable"}}, routeRows(*rt)); diff != "" {
		t.Errorf("new table routes (-want +got):\n%s", diff)
	}
	assoc := aws.ToString(must(c.AssociateRouteTable(ctx(), &ec2.AssociateRouteTableInput{RouteTableId: aws.String(rtID), SubnetId: aws.String(subID)}))(t).AssociationId)
	_, err = c.AssociateRouteTable(ctx(), &ec2.AssociateRouteTableInput{RouteTableId: aws.String(rtID), SubnetId: aws.String(subID)})
	wantCode(t, "second association", err, "Resource.AlreadyAssociated")
	_, err = c.AssociateRouteTable(ctx(), &ec2.AssociateRouteTableInput{RouteTableId: aws.String(rtID), SubnetId: aws.String(customerSubnet)})
	wantCode(t, "subnet of another VPC", err, "InvalidParameterValue")
	got := must(c.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{Filters: []types.Filter{flt("association.subnet-id", subID)}}))(t).RouteTables
	if len(got) != 1 || aws.ToString(got[0].RouteTableId) != rtID {
		t.Errorf("table of the subnet = %v", got)
	}
	_, err = c.DeleteRouteTable(ctx(), &ec2.DeleteRouteTableInput{RouteTableId: aws.String(rtID)})
	wantCode(t, "delete an associated table", err, "DependencyViolation")
	main := mainRouteTable(t, c, vpcID)
	newMainAssoc := aws.ToString(must(c.ReplaceRouteTableAssociation(ctx(), &ec2.ReplaceRouteTableAssociationInput{
		AssociationId: main.Associations[0].RouteTableAssociationId, RouteTableId: aws.String(rtID)}))(t).NewAssociationId)
	if now := mainRouteTable(t, c, vpcID); aws.ToString(now.RouteTableId) != rtID {
		t.Errorf("main table after replacing the main association = %s, want %s", aws.ToString(now.RouteTableId), rtID)
	}
	_, err = c.DisassociateRouteTable(ctx(), &ec2.DisassociateRouteTableInput{AssociationId: aws.String(newMainAssoc)})
	wantCode(t, "disassociate main", err, "InvalidParameterValue")
	must(c.DisassociateRouteTable(ctx(), &ec2.DisassociateRouteTableInput{AssociationId: aws.String(assoc)}))(t)
	_, err = c.DisassociateRouteTable(ctx(), &ec2.DisassociateRouteTableInput{AssociationId: aws.String(assoc)})
	wantCode(t, "disassociate twice", err, "InvalidAssociationID.NotFound")
	if err := e.world.View(func(tx *emulator.Tx) error {
		if got := tx.SubnetRouteTable(subID).ID; got != rtID {
			t.Errorf("model: subnet follows %s, want the new main %s", got, rtID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	oldMain := aws.ToString(main.RouteTableId)

	_, err = c.DeleteVpc(ctx(), &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	wantCode(t, "delete a VPC with a subnet", err, "DependencyViolation")
	must(c.DeleteSubnet(ctx(), &ec2.DeleteSubnetInput{SubnetId: aws.String(subID)}))(t)
	_, err = c.DeleteVpc(ctx(), &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)})
	wantCode(t, "delete a VPC with an extra route table", err, "DependencyViolation")
	must(c.DeleteRouteTable(ctx(), &ec2.DeleteRouteTableInput{RouteTableId: aws.String(oldMain)}))(t)
	must(c.DeleteVpc(ctx(), &ec2.DeleteVpcInput{VpcId: aws.String(vpcID)}))(t)
	_, err = c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	wantCode(t, "describe a deleted VPC", err, "InvalidVpcID.NotFound")
	for name, call := range map[string]func() error{
		"route tables": func() error {
			out, err := c.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{Filters: []types.Filter{flt("vpc-id", vpcID)}})
			if err == nil && len(out.RouteTables) > 0 {
				return fmt.Errorf("%d left", len(out.RouteTables))
			}
			return err
		},
		"network ACLs": func() error {
			out, err := c.DescribeNetworkAcls(ctx(), &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{flt("vpc-id", vpcID)}})
			if err == nil && len(out.NetworkAcls) > 0 {
				return fmt.Errorf("%d left", len(out.NetworkAcls))
			}
			return err
		},
		"security groups": func() error {
			out, err := c.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{flt("vpc-id", vpcID)}})
			if err == nil && len(out.SecurityGroups) > 0 {
				return fmt.Errorf("%d left", len(out.SecurityGroups))
			}
			return err
		},
	} {
		if err := call(); err != nil {
			t.Errorf("%s of the deleted VPC: %v", name, err)
		}
	}
}

func TestSecurityGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	sg := aws.ToString(must(c.CreateSecurityGroup(ctx(), &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web servers"), VpcId: aws.String(customerVPC)}))(t).GroupId)
	for _, tt := range []struct {
		name, group, vpc, code string
	}{
		{"duplicate", "web", customerVPC, "InvalidGroup.Duplicate"},
		{"reserved", "default", customerVPC, "InvalidParameterValue"},
		{"sg- prefix", "sg-1", customerVPC, "InvalidParameterValue"},
		{"no VPC", "api", "", "VPCIdNotSpecified"},
		{"unknown VPC", "api", "vpc-0000000000000dead", "InvalidVpcID.NotFound"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := &ec2.CreateSecurityGroupInput{GroupName: aws.String(tt.group), Description: aws.String("d")}
			if tt.vpc != "" {
				in.VpcId = aws.String(tt.vpc)
			}
			_, err := c.CreateSecurityGroup(ctx(), in)
			wantCode(t, tt.name, err, tt.code)
		})
	}
	g := must(c.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}}))(t).SecurityGroups[0]
	if len(g.IpPermissions) != 0 || len(g.IpPermissionsEgress) != 1 || aws.ToString(g.IpPermissionsEgress[0].IpProtocol) != "-1" {
		t.Errorf("new group rules: in %v out %v", g.IpPermissions, g.IpPermissionsEgress)
	}

	// Egress: replace allow-all with HTTPS only.
	must(c.RevokeSecurityGroupEgress(ctx(), &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(sg), IpPermissions: []types.IpPermission{
		{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}))(t)
	out := must(c.AuthorizeSecurityGroupEgress(ctx(), &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(sg), IpPermissions: tcp(443, "0.0.0.0/0")}))(t)
	if len(out.SecurityGroupRules) != 1 || !aws.ToBool(out.SecurityGroupRules[0].IsEgress) {
		t.Errorf("egress rule = %+v", out.SecurityGroupRules)
	}

	// A reference to a peer VPC's group (another account, same region) needs an active peering.
	other := emulator.Caller{Account: "210987654321", Region: customerRegion}
	var peerVPC, peerSG string
	if err := e.world.Update(func(tx *emulator.Tx) error {
		tx.AddAccessKey(emulator.AccessKey{ID: "AKIAOTHERACCOUNT0001", Secret: "other", Account: other.Account})
		v, err := tx.CreateVPC(other, netip.MustParsePrefix("10.30.0.0/16"), emulator.VPCOptions{})
		peerVPC, peerSG = v.ID, v.DefaultSecurityGroupID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ref := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080),
		UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: aws.String(peerSG), UserId: aws.String(other.Account)}}}}
	_, err := c.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: ref})
	wantCode(t, "reference without peering", err, "InvalidGroup.NotFound")
	pcx := aws.ToString(must(c.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(customerVPC), PeerVpcId: aws.String(peerVPC), PeerOwnerId: aws.String(other.Account)}))(t).VpcPeeringConnection.VpcPeeringConnectionId)
	must(e.ec2("AKIAOTHERACCOUNT0001", "other", customerRegion).AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcx)}))(t)
	rule := must(c.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: ref}))(t).SecurityGroupRules[0]
	if ri := rule.ReferencedGroupInfo; ri == nil || aws.ToString(ri.GroupId) != peerSG || aws.ToString(ri.UserId) != other.Account || aws.ToString(ri.VpcPeeringConnectionId) != pcx {
		t.Errorf("referenced group = %+v", rule.ReferencedGroupInfo)
	}
	g = must(c.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}}))(t).SecurityGroups[0]
	pair := g.IpPermissions[0].UserIdGroupPairs[0]
	if got := fmt.Sprintf("%s %s %s %s %s", aws.ToString(pair.GroupId), aws.ToString(pair.UserId), aws.ToString(pair.VpcId), aws.ToString(pair.VpcPeeringConnectionId), aws.ToString(pair.PeeringStatus)); got != fmt.Sprintf("%s %s %s %s active", peerSG, other.Account, peerVPC, pcx) {
		t.Errorf("described pair = %s", got)
	}

	// Deleting: the default group never, a group an instance uses not while it runs.
	_, err = c.DeleteSecurityGroup(ctx(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(defaultSG(t, e))})
	wantCode(t, "delete default", err, "CannotDelete")
	inst := must(c.RunInstances(ctx(), &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		SubnetId: aws.String(customerSubnet), SecurityGroupIds: []string{sg}}))(t).Instances[0]
	_, err = c.DeleteSecurityGroup(ctx(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(sg)})
	wantCode(t, "delete a group in use", err, "DependencyViolation")
	must(c.TerminateInstances(ctx(), &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(inst.InstanceId)}}))(t)
	must(c.DeleteSecurityGroup(ctx(), &ec2.DeleteSecurityGroupInput{GroupName: aws.String("web")}))(t)
	_, err = c.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{sg}})
	wantCode(t, "describe deleted", err, "InvalidGroup.NotFound")
}

func TestNetworkACLs(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	acl := must(c.CreateNetworkAcl(ctx(), &ec2.CreateNetworkAclInput{VpcId: aws.String(customerVPC)}))(t).NetworkAcl
	aclID := aws.ToString(acl.NetworkAclId)
	type entry struct {
		Rule   int32
		Egress bool
		Proto  string
		Action string
		CIDR   string
		Ports  string
	}
	entries := func(a types.NetworkAcl) []entry {
		var out []entry
		for _, x := range a.Entries {
			en := entry{Rule: aws.ToInt32(x.RuleNumber), Egress: aws.ToBool(x.Egress), Proto: aws.ToString(x.Protocol), Action: string(x.RuleAction), CIDR: aws.ToString(x.CidrBlock)}
			if x.PortRange != nil {
				en.Ports = fmt.Sprintf("%d-%d", aws.ToInt32(x.PortRange.From), aws.ToInt32(x.PortRange.To))
			}
			out = append(out, en)
		}
		return out
	}
	denyAll := []entry{{32767, true, "-1", "deny", "0.0.0.0/0", ""}, {32767, false, "-1", "deny", "0.0.0.0/0", ""}}
	if diff := cmp.Diff(denyAll, entries(*acl)); diff != "" || aws.ToBool(acl.IsDefault) {
		t.Errorf("new ACL entries (-want +got):\n%s", diff)
	}
	def := must(c.DescribeNetworkAcls(ctx(), &ec2.DescribeNetworkAclsInput{Filters: []types.Filter{flt("vpc-id", customerVPC), flt("default", "true")}}))(t).NetworkAcls[0]
	if diff := cmp.Diff([]entry{{100, true, "-1", "allow", "0.0.0.0/0", ""}, {32767, true, "-1", "deny", "0.0.0.0/0", ""},
		{100, false, "-1", "allow", "0.0.0.0/0", ""}, {32767, false, "-1", "deny", "0.0.0.0/0", ""}}, entries(def)); diff != "" {
		t.Errorf("default ACL entries (-want +got):\n%s", diff)
	}

	in := &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(100), Protocol: aws.String("6"), RuleAction: types.RuleActionAllow,
		Egress: aws.Bool(false), CidrBlock: aws.String("10.0.0.0/16"), PortRange: &types.PortRange{From: aws.Int32(80), To: aws.Int32(80)}}
	must(c.CreateNetworkAclEntry(ctx(), in))(t)
	_, err := c.CreateNetworkAclEntry(ctx(), in)
	wantCode(t, "duplicate rule number", err, "NetworkAclEntryAlreadyExists")
	bad := *in
	bad.RuleNumber = aws.Int32(32767)
	_, err = c.CreateNetworkAclEntry(ctx(), &bad)
	wantCode(t, "rule 32767", err, "InvalidParameterValue")
	must(c.ReplaceNetworkAclEntry(ctx(), &ec2.ReplaceNetworkAclEntryInput{NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(100), Protocol: aws.String("6"), RuleAction: types.RuleActionAllow,
		Egress: aws.Bool(false), CidrBlock: aws.String("10.0.0.0/16"), PortRange: &types.PortRange{From: aws.Int32(80), To: aws.Int32(443)}}))(t)
	must(c.CreateNetworkAclEntry(ctx(), &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(200), Protocol: aws.String("-1"), RuleAction: types.RuleActionDeny,
		Egress: aws.Bool(true), CidrBlock: aws.String("0.0.0.0/0")}))(t)
	_, err = c.DeleteNetworkAclEntry(ctx(), &ec2.DeleteNetworkAclEntryInput{NetworkAclId: aws.String(aclID), RuleNumber: aws.Int32(300), Egress: aws.Bool(true)})
	wantCode(t, "delete a missing entry", err, "InvalidNetworkAclEntry.NotFound")
	got := must(c.DescribeNetworkAcls(ctx(), &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{aclID}}))(t).NetworkAcls[0]
	if diff := cmp.Diff([]entry{{200, true, "-1", "deny", "0.0.0.0/0", ""}, {32767, true, "-1", "deny", "0.0.0.0/0", ""},
		{100, false, "6", "allow", "10.0.0.0/16", "80-443"}, {32767, false, "-1", "deny", "0.0.0.0/0", ""}}, entries(got)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}

	// Move the customer subnet onto the new ACL; then the default ACL serves nothing.
	assoc := def.Associations[0]
	if aws.ToString(assoc.SubnetId) != customerSubnet {
		t.Fatalf("default ACL association = %+v", assoc)
	}
	must(c.ReplaceNetworkAclAssociation(ctx(), &ec2.ReplaceNetworkAclAssociationInput{AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: aws.String(aclID)}))(t)
	_, err = c.DeleteNetworkAcl(ctx(), &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(aclID)})
	wantCode(t, "delete an associated ACL", err, "DependencyViolation")
	_, err = c.DeleteNetworkAcl(ctx(), &ec2.DeleteNetworkAclInput{NetworkAclId: def.NetworkAclId})
	wantCode(t, "delete the default ACL", err, "InvalidParameterValue")
	if err := e.world.View(func(tx *emulator.Tx) error {
		n := tx.SubnetNetworkACL(customerSubnet)
		if n.ID != aclID {
			t.Errorf("model: subnet ACL = %s, want %s", n.ID, aclID)
		}
		for _, tc := range []struct {
			egress bool
			proto  string
			remote string
			port   int
			want   bool
		}{
			{false, "tcp", "10.0.1.1", 443, true},
			{false, "tcp", "10.0.1.1", 22, false},
			{false, "udp", "10.0.1.1", 443, false},
			{false, "tcp", "192.0.2.1", 80, false},
			{true, "tcp", "10.0.1.1", 32768, false},
		} {
			if got, why := n.Evaluate(tc.egress, tc.proto, netip.MustParseAddr(tc.remote), tc.port); got != tc.want {
				t.Errorf("Evaluate(%+v) = %v (%s)", tc, got, why)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestInternetGateways(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	igw := aws.ToString(must(c.CreateInternetGateway(ctx(), &ec2.CreateInternetGatewayInput{TagSpecifications: nameTag(types.ResourceTypeInternetGateway, "gw")}))(t).InternetGateway.InternetGatewayId)
	rtb := customerRTB(t, e)
	must(c.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(igw)}))(t)
	state := func() string {
		for _, r := range mainRouteTable(t, c, customerVPC).Routes {
			if aws.ToString(r.GatewayId) == igw {
				return string(r.State)
			}
		}
		return "missing"
	}
	if got := state(); got != "blackhole" {
		t.Errorf("route to a detached gateway = %s", got)
	}
	must(c.AttachInternetGateway(ctx(), &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(customerVPC)}))(t)
	if got := state(); got != "active" {
		t.Errorf("route to an attached gateway = %s", got)
	}
	igws := must(c.DescribeInternetGateways(ctx(), &ec2.DescribeInternetGatewaysInput{Filters: []types.Filter{flt("attachment.vpc-id", customerVPC)}}))(t).InternetGateways
	if len(igws) != 1 || aws.ToString(igws[0].InternetGatewayId) != igw || igws[0].Attachments[0].State != types.AttachmentStatus("available") {
		t.Errorf("DescribeInternetGateways = %+v", igws)
	}
	second := aws.ToString(must(c.CreateInternetGateway(ctx(), &ec2.CreateInternetGatewayInput{}))(t).InternetGateway.InternetGatewayId)
	_, err := c.AttachInternetGateway(ctx(), &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(second), VpcId: aws.String(customerVPC)})
	wantCode(t, "second gateway on a VPC", err, "Resource.AlreadyAssociated")
	_, err = c.DeleteInternetGateway(ctx(), &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)})
	wantCode(t, "delete attached", err, "DependencyViolation")
	_, err = c.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("198.51.100.0/24"), GatewayId: aws.String("igw-nope")})
	wantCode(t, "route to an unknown gateway", err, "InvalidInternetGatewayID.NotFound")
	_, err = c.DetachInternetGateway(ctx(), &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(second), VpcId: aws.String(customerVPC)})
	wantCode(t, "detach an unattached gateway", err, "Gateway.NotAttached")
	must(c.DetachInternetGateway(ctx(), &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(customerVPC)}))(t)
	if got := state(); got != "blackhole" {
		t.Errorf("route after detach = %s", got)
	}
	must(c.DeleteInternetGateway(ctx(), &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(igw)}))(t)
	if got := state(); got != "blackhole" {
		t.Errorf("route after delete = %s", got)
	}
}

func TestRunInstances(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	run := func(in *ec2.RunInstancesInput) (*ec2.RunInstancesOutput, error) {
		in.ImageId, in.SubnetId = aws.String("ami-0abcdef1234567890"), aws.String(customerSubnet)
		return c.RunInstances(ctx(), in)
	}
	three := must(run(&ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(3), ClientToken: aws.String("tok-1"),
		TagSpecifications: nameTag(types.ResourceTypeInstance, "vm")}))(t)
	if len(three.Instances) != 3 {
		t.Fatalf("launched %d, want 3", len(three.Instances))
	}
	var ids []string
	for k, i := range three.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
		if i.State.Name != types.InstanceStateNamePending || aws.ToInt32(i.AmiLaunchIndex) != int32(k) || len(i.Tags) != 1 || aws.ToString(i.VpcId) != customerVPC {
			t.Errorf("instance %d = state %s index %d tags %v vpc %s", k, i.State.Name, aws.ToInt32(i.AmiLaunchIndex), i.Tags, aws.ToString(i.VpcId))
		}
	}
	// Same token, same request: the same reservation. Same token, other request: refused.
	again := must(run(&ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(3), ClientToken: aws.String("tok-1"),
		TagSpecifications: nameTag(types.ResourceTypeInstance, "vm")}))(t)
	if aws.ToString(again.ReservationId) != aws.ToString(three.ReservationId) || len(again.Instances) != 3 {
		t.Errorf("replay = reservation %s with %d instances, want %s with 3", aws.ToString(again.ReservationId), len(again.Instances), aws.ToString(three.ReservationId))
	}
	_, err := run(&ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(2), ClientToken: aws.String("tok-1")})
	wantCode(t, "token reuse", err, "IdempotentParameterMismatch")

	fixed := must(run(&ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), PrivateIpAddress: aws.String("172.16.0.50"),
		SecurityGroupIds: []string{defaultSG(t, e)}}))(t).Instances[0]
	if aws.ToString(fixed.PrivateIpAddress) != "172.16.0.50" || aws.ToString(fixed.PrivateDnsName) != "ip-172-16-0-50.ec2.internal" {
		t.Errorf("fixed address instance = %s %s", aws.ToString(fixed.PrivateIpAddress), aws.ToString(fixed.PrivateDnsName))
	}
	for _, tt := range []struct {
		name string
		in   *ec2.RunInstancesInput
		code string
	}{
		{"address in use", &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), PrivateIpAddress: aws.String("172.16.0.8")}, "InvalidIPAddress.InUse"},
		{"reserved address", &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), PrivateIpAddress: aws.String("172.16.0.3")}, "InvalidParameterValue"},
		{"address with several", &ec2.RunInstancesInput{MinCount: aws.Int32(2), MaxCount: aws.Int32(2), PrivateIpAddress: aws.String("172.16.0.60")}, "InvalidParameterCombination"},
		{"min above max", &ec2.RunInstancesInput{MinCount: aws.Int32(3), MaxCount: aws.Int32(2)}, "InvalidParameterValue"},
		{"unknown group", &ec2.RunInstancesInput{MinCount: aws.Int32(1), MaxCount: aws.Int32(1), SecurityGroupIds: []string{"sg-0000000000000dead"}}, "InvalidGroup.NotFound"},
		{"more than the subnet holds", &ec2.RunInstancesInput{MinCount: aws.Int32(300), MaxCount: aws.Int32(300)}, "InsufficientFreeAddressesInSubnet"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(tt.in)
			wantCode(t, tt.name, err, tt.code)
		})
	}
	running := must(c.DescribeInstances(ctx(), &ec2.DescribeInstancesInput{Filters: []types.Filter{flt("instance-state-name", "running")}}))(t)
	n := 0
	for _, r := range running.Reservations {
		n += len(r.Instances)
	}
	if n != 5 {
		t.Errorf("running instances = %d, want 5 (seed + 3 + 1; failed launches leave nothing)", n)
	}

	term := must(c.TerminateInstances(ctx(), &ec2.TerminateInstancesInput{InstanceIds: ids[:2]}))(t).TerminatingInstances
	if len(term) != 2 || term[0].CurrentState.Name != types.InstanceStateNameShuttingDown || term[0].PreviousState.Name != types.InstanceStateNameRunning {
		t.Errorf("TerminateInstances = %+v", term)
	}
	_, err = c.TerminateInstances(ctx(), &ec2.TerminateInstancesInput{InstanceIds: []string{ids[2], "i-0000000000000dead"}})
	wantCode(t, "terminate with an unknown id", err, "InvalidInstanceID.NotFound")
	gone := must(c.DescribeInstances(ctx(), &ec2.DescribeInstancesInput{Filters: []types.Filter{flt("instance-state-name", "terminated")}}))(t)
	if len(gone.Reservations) != 1 || len(gone.Reservations[0].Instances) != 2 {
		t.Errorf("terminated = %+v", gone.Reservations)
	}
}

// TestCustomerToCustomerPeering: AWS-to-AWS peering between two VPCs of one account.
func TestCustomerToCustomerPeering(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	vpc2 := aws.ToString(must(c.CreateVpc(ctx(), &ec2.CreateVpcInput{CidrBlock: aws.String("10.40.0.0/16")}))(t).Vpc.VpcId)
	pcx := aws.ToString(must(c.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(customerVPC), PeerVpcId: aws.String(vpc2)}))(t).VpcPeeringConnection.VpcPeeringConnectionId)
	if got := pcxStatus(t, c, pcx).Status.Code; got != types.VpcPeeringConnectionStateReasonCodePendingAcceptance {
		t.Errorf("status = %s", got)
	}
	must(c.AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(pcx)}))(t)
	for vpc, dst := range map[string]string{customerVPC: "10.40.0.0/16", vpc2: "172.16.0.0/16"} {
		rt := aws.ToString(mainRouteTable(t, c, vpc).RouteTableId)
		must(c.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rt), DestinationCidrBlock: aws.String(dst), VpcPeeringConnectionId: aws.String(pcx)}))(t)
		if got := routeRows(mainRouteTable(t, c, vpc))[1]; got.State != "active" || got.Pcx != pcx {
			t.Errorf("%s route = %+v", vpc, got)
		}
	}
	_, err := c.DeleteVpc(ctx(), &ec2.DeleteVpcInput{VpcId: aws.String(vpc2)})
	if err != nil {
		t.Fatal(err)
	}
	if got := pcxStatus(t, c, pcx).Status.Code; got != types.VpcPeeringConnectionStateReasonCodeDeleted {
		t.Errorf("peering after its VPC was deleted = %s", got)
	}
}
