package fakeaws_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func natState(t *testing.T, c *ec2.Client) string {
	t.Helper()
	ns := must(c.DescribeNatGateways(ctx(), &ec2.DescribeNatGatewaysInput{}))(t).NatGateways
	b, _ := json.Marshal([]any{ns, addressState(t, c), mainRouteTable(t, c, customerVPC).Routes})
	return string(b)
}

func TestNatGateways(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	attachIGW(t, c)
	alloc := must(c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc}))(t)
	id, ip := aws.ToString(alloc.AllocationId), aws.ToString(alloc.PublicIp)
	rtb := customerRTB(t, e)

	before := natState(t, c)
	refused := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown subnet", func() error {
			_, err := c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String("subnet-0123456789abcdef0"), AllocationId: aws.String(id)})
			return err
		}, "InvalidSubnetID.NotFound"},
		{"unknown allocation", func() error {
			_, err := c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String(customerSubnet), AllocationId: aws.String("eipalloc-0123456789abcdef0")})
			return err
		}, "InvalidAllocationID.NotFound"},
		{"no allocation", func() error {
			_, err := c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String(customerSubnet)})
			return err
		}, "MissingParameter"},
		{"no subnet", func() error {
			_, err := c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{AllocationId: aws.String(id)})
			return err
		}, "MissingParameter"},
		{"private connectivity", func() error {
			_, err := c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String(customerSubnet), ConnectivityType: types.ConnectivityTypePrivate})
			return err
		}, "UnsupportedOperation"},
		{"describe unknown", func() error {
			_, err := c.DescribeNatGateways(ctx(), &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{"nat-0123456789abcdef0"}})
			return err
		}, "NatGatewayNotFound"},
		{"delete unknown", func() error {
			_, err := c.DeleteNatGateway(ctx(), &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String("nat-0123456789abcdef0")})
			return err
		}, "NatGatewayNotFound"},
		{"route to an unknown gateway", func() error {
			_, err := c.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String("nat-0123456789abcdef0")})
			return err
		}, "InvalidNatGatewayID.NotFound"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.name, tc.call(), tc.code)
			if after := natState(t, c); after != before {
				t.Fatalf("state changed:\n%s\n%s", before, after)
			}
		})
	}

	created := must(c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String(customerSubnet), AllocationId: aws.String(id),
		ClientToken: aws.String("tok-1"), TagSpecifications: nameTag(types.ResourceTypeNatgateway, "out")}))(t)
	nat := aws.ToString(created.NatGateway.NatGatewayId)
	if created.NatGateway.State != types.NatGatewayStatePending || aws.ToString(created.ClientToken) != "tok-1" {
		t.Fatalf("CreateNatGateway = %+v", created.NatGateway)
	}
	again := must(c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String(customerSubnet), AllocationId: aws.String(id), ClientToken: aws.String("tok-1")}))(t)
	if aws.ToString(again.NatGateway.NatGatewayId) != nat {
		t.Fatalf("same client token made %s, want %s", aws.ToString(again.NatGateway.NatGatewayId), nat)
	}
	got := must(c.DescribeNatGateways(ctx(), &ec2.DescribeNatGatewaysInput{Filter: []types.Filter{flt("subnet-id", customerSubnet), flt("tag:Name", "out")}}))(t).NatGateways
	if len(got) != 1 || got[0].State != types.NatGatewayStateAvailable || aws.ToString(got[0].VpcId) != customerVPC ||
		aws.ToString(got[0].NatGatewayAddresses[0].PublicIp) != ip || aws.ToString(got[0].NatGatewayAddresses[0].PrivateIp) == "" {
		t.Fatalf("DescribeNatGateways = %+v", got)
	}
	eip := must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{AllocationIds: []string{id}}))(t).Addresses[0]
	if eip.AssociationId == nil || aws.ToString(eip.NetworkInterfaceId) != aws.ToString(got[0].NatGatewayAddresses[0].NetworkInterfaceId) {
		t.Fatalf("the gateway's address = %+v", eip)
	}
	// The gateway holds its address: no release, no association elsewhere, no second gateway.
	before = natState(t, c)
	_, err := c.ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{AllocationId: aws.String(id)})
	wantCode(t, "release the gateway's address", err, "InvalidIPAddress.InUse")
	_, err = c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(id), InstanceId: aws.String(customerInst), AllowReassociation: aws.Bool(true)})
	wantCode(t, "associate the gateway's address", err, "Resource.AlreadyAssociated")
	_, err = c.DeleteSubnet(ctx(), &ec2.DeleteSubnetInput{SubnetId: aws.String(customerSubnet)})
	wantCode(t, "delete the gateway's subnet", err, "DependencyViolation")
	_, err = c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String(customerSubnet), AllocationId: aws.String(id), ClientToken: aws.String("tok-1"),
		ConnectivityType: types.ConnectivityTypePublic, TagSpecifications: nameTag(types.ResourceTypeNatgateway, "x")})
	if err != nil {
		t.Fatalf("replayed token: %v", err)
	}
	if after := natState(t, c); after != before {
		t.Fatalf("state changed:\n%s\n%s", before, after)
	}

	must(c.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat)}))(t)
	route := func() types.Route {
		for _, r := range mainRouteTable(t, c, customerVPC).Routes {
			if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
				return r
			}
		}
		t.Fatal("no default route")
		return types.Route{}
	}
	if r := route(); aws.ToString(r.NatGatewayId) != nat || r.State != types.RouteStateActive || r.GatewayId != nil {
		t.Fatalf("route = %+v", r)
	}
	_, err = c.ReplaceRoute(ctx(), &ec2.ReplaceRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat), GatewayId: aws.String("igw-0123")})
	wantCode(t, "two targets", err, "InvalidParameterCombination")

	must(c.DeleteNatGateway(ctx(), &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(nat)}))(t)
	got = must(c.DescribeNatGateways(ctx(), &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat}}))(t).NatGateways
	if len(got) != 1 || got[0].State != types.NatGatewayStateDeleted || got[0].DeleteTime == nil {
		t.Fatalf("after delete = %+v", got)
	}
	if r := route(); r.State != types.RouteStateBlackhole {
		t.Fatalf("route to a deleted gateway = %+v", r)
	}
	_, err = c.ReplaceRoute(ctx(), &ec2.ReplaceRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String(nat)})
	wantCode(t, "route to a deleted gateway", err, "InvalidNatGatewayID.NotFound")
	must(c.ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{AllocationId: aws.String(id)}))(t)

	// An address already in use makes a gateway that failed, as AWS reports it.
	a2 := aws.ToString(must(c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{}))(t).AllocationId)
	must(c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(a2), InstanceId: aws.String(customerInst)}))(t)
	failed := aws.ToString(must(c.CreateNatGateway(ctx(), &ec2.CreateNatGatewayInput{SubnetId: aws.String(customerSubnet), AllocationId: aws.String(a2)}))(t).NatGateway.NatGatewayId)
	got = must(c.DescribeNatGateways(ctx(), &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{failed}}))(t).NatGateways
	if got[0].State != types.NatGatewayStateFailed || aws.ToString(got[0].FailureCode) != "Resource.AlreadyAssociated" {
		t.Fatalf("gateway on a used address = %+v", got[0])
	}
}
