package fakeaws_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// addressState is what DescribeAddresses and DescribeInstances say about the caller's public
// addresses, as one comparable string: a refused call must leave it as it was.
func addressState(t *testing.T, c *ec2.Client) string {
	t.Helper()
	as := must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{}))(t).Addresses
	is := must(c.DescribeInstances(ctx(), &ec2.DescribeInstancesInput{InstanceIds: []string{customerInst}}))(t)
	b, _ := json.Marshal([]any{as, is.Reservations[0].Instances[0].PublicIpAddress})
	return string(b)
}

// attachIGW gives the customer VPC an internet gateway (Elastic IPs need one).
func attachIGW(t *testing.T, c *ec2.Client) string {
	t.Helper()
	igw := aws.ToString(must(c.CreateInternetGateway(ctx(), &ec2.CreateInternetGatewayInput{}))(t).InternetGateway.InternetGatewayId)
	must(c.AttachInternetGateway(ctx(), &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(customerVPC)}))(t)
	return igw
}

func TestElasticIPs(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	alloc := must(c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc,
		TagSpecifications: nameTag(types.ResourceTypeElasticIp, "web")}))(t)
	id, ip := aws.ToString(alloc.AllocationId), aws.ToString(alloc.PublicIp)
	if alloc.Domain != types.DomainTypeVpc || len(id) < len("eipalloc-")+8 || id[:9] != "eipalloc-" || ip == "" {
		t.Fatalf("AllocateAddress = %+v", alloc)
	}
	got := must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{AllocationIds: []string{id}}))(t).Addresses
	if len(got) != 1 || aws.ToString(got[0].PublicIp) != ip || aws.ToString(got[0].Tags[0].Value) != "web" || got[0].AssociationId != nil {
		t.Fatalf("DescribeAddresses = %+v", got)
	}
	if n := len(must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{PublicIps: []string{ip}}))(t).Addresses); n != 1 {
		t.Fatalf("by public IP: %d", n)
	}
	if n := len(must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{Filters: []types.Filter{flt("tag:Name", "web")}}))(t).Addresses); n != 1 {
		t.Fatalf("by tag: %d", n)
	}
	// Another account sees none of it.
	if n := len(must(e.heroku().DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{}))(t).Addresses); n != 0 {
		t.Fatalf("heroku sees %d addresses", n)
	}

	before := addressState(t, c)
	refused := []struct {
		name string
		call func() error
		code string
	}{
		{"describe an unknown allocation", func() error {
			_, err := c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{AllocationIds: []string{"eipalloc-0123456789abcdef0"}})
			return err
		}, "InvalidAllocationID.NotFound"},
		{"describe an unknown address", func() error {
			_, err := c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{PublicIps: []string{"192.0.2.1"}})
			return err
		}, "InvalidAddress.NotFound"},
		{"associate without an internet gateway", func() error {
			_, err := c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(id), InstanceId: aws.String(customerInst)})
			return err
		}, "Gateway.NotAttached"},
		{"associate an unknown allocation", func() error {
			_, err := c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String("eipalloc-0123456789abcdef0"), InstanceId: aws.String(customerInst)})
			return err
		}, "InvalidAllocationID.NotFound"},
		{"associate with an unknown instance", func() error {
			_, err := c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(id), InstanceId: aws.String("i-0123456789abcdef0")})
			return err
		}, "InvalidInstanceID.NotFound"},
		{"associate with nothing", func() error {
			_, err := c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(id)})
			return err
		}, "MissingParameter"},
		{"another account's allocation", func() error {
			_, err := e.heroku().ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{AllocationId: aws.String(id)})
			return err
		}, "InvalidAllocationID.NotFound"},
		{"disassociate an unknown association", func() error {
			_, err := c.DisassociateAddress(ctx(), &ec2.DisassociateAddressInput{AssociationId: aws.String("eipassoc-0123456789abcdef0")})
			return err
		}, "InvalidAssociationID.NotFound"},
		{"release an unknown address", func() error {
			_, err := c.ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{PublicIp: aws.String("192.0.2.1")})
			return err
		}, "InvalidAddress.NotFound"},
		{"allocate with a BYOIP address", func() error {
			_, err := c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{Address: aws.String("192.0.2.7")})
			return err
		}, "UnsupportedOperation"},
		{"allocate domain standard", func() error {
			_, err := c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{Domain: types.DomainTypeStandard})
			return err
		}, "InvalidParameterValue"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.name, tc.call(), tc.code)
			if after := addressState(t, c); after != before {
				t.Fatalf("state changed:\n%s\n%s", before, after)
			}
		})
	}

	igw := attachIGW(t, c)
	assoc := aws.ToString(must(c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(id), InstanceId: aws.String(customerInst)}))(t).AssociationId)
	got = must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{Filters: []types.Filter{flt("association-id", assoc)}}))(t).Addresses
	if len(got) != 1 || aws.ToString(got[0].InstanceId) != customerInst || aws.ToString(got[0].PrivateIpAddress) == "" || aws.ToString(got[0].NetworkInterfaceId) == "" {
		t.Fatalf("associated = %+v", got)
	}
	inst := must(c.DescribeInstances(ctx(), &ec2.DescribeInstancesInput{InstanceIds: []string{customerInst}}))(t).Reservations[0].Instances[0]
	if aws.ToString(inst.PublicIpAddress) != ip {
		t.Fatalf("instance public IP %q, want the Elastic IP %s", aws.ToString(inst.PublicIpAddress), ip)
	}

	// In use: a second association needs AllowReassociation, release and detach are refused.
	before = addressState(t, c)
	_, err := c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(id), InstanceId: aws.String(customerInst), PrivateIpAddress: aws.String("10.99.0.1")})
	wantCode(t, "associate a private IP the instance lacks", err, "InvalidParameterValue")
	_, err = c.ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{AllocationId: aws.String(id)})
	wantCode(t, "release an associated address", err, "InvalidIPAddress.InUse")
	_, err = c.DetachInternetGateway(ctx(), &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(igw), VpcId: aws.String(customerVPC)})
	wantCode(t, "detach the gateway of a mapped address", err, "DependencyViolation")
	if after := addressState(t, c); after != before {
		t.Fatalf("state changed:\n%s\n%s", before, after)
	}

	other := aws.ToString(must(c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc}))(t).AllocationId)
	second := aws.ToString(must(c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(other), InstanceId: aws.String(customerInst)}))(t).AssociationId)
	if g := must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{AllocationIds: []string{id}}))(t).Addresses[0]; g.AssociationId != nil {
		t.Fatalf("the instance's first address is still associated: %+v", g)
	}
	must(c.AssociateAddress(ctx(), &ec2.AssociateAddressInput{AllocationId: aws.String(id), InstanceId: aws.String(customerInst)}))(t)
	_, err = c.DisassociateAddress(ctx(), &ec2.DisassociateAddressInput{AssociationId: aws.String(second)})
	wantCode(t, "disassociate a replaced association", err, "InvalidAssociationID.NotFound")
	must(c.DisassociateAddress(ctx(), &ec2.DisassociateAddressInput{PublicIp: aws.String(ip)}))(t)
	must(c.ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{AllocationId: aws.String(id)}))(t)
	must(c.ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{AllocationId: aws.String(other)}))(t)
	if n := len(must(c.DescribeAddresses(ctx(), &ec2.DescribeAddressesInput{}))(t).Addresses); n != 0 {
		t.Fatalf("%d addresses after release", n)
	}
	_, err = c.ReleaseAddress(ctx(), &ec2.ReleaseAddressInput{AllocationId: aws.String(id)})
	wantCode(t, "release twice", err, "InvalidAllocationID.NotFound")
	// Quota: five per region.
	for i := 0; i < 5; i++ {
		must(c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{}))(t)
	}
	_, err = c.AllocateAddress(ctx(), &ec2.AllocateAddressInput{})
	wantCode(t, "sixth address", err, "AddressLimitExceeded")
}
