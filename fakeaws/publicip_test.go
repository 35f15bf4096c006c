package fakeaws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestRunInstancesPublicIP covers what `aws ec2 run-instances --associate-public-ip-address`
// sends: one network interface spec carrying the subnet and the request for a public address.
func TestRunInstancesPublicIP(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	out, err := c.RunInstances(ctx(), &ec2.RunInstancesInput{
		ImageId: aws.String("ami-1"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		NetworkInterfaces: []types.InstanceNetworkInterfaceSpecification{{
			DeviceIndex: aws.Int32(0), SubnetId: aws.String(customerSubnet), AssociatePublicIpAddress: aws.Bool(true),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	in := out.Instances[0]
	if aws.ToString(in.PublicIpAddress) == "" || aws.ToString(in.SubnetId) != customerSubnet {
		t.Fatalf("public %q subnet %q", aws.ToString(in.PublicIpAddress), aws.ToString(in.SubnetId))
	}
	tests := []struct {
		name string
		nis  []types.InstanceNetworkInterfaceSpecification
		top  *string
		code string
	}{
		{"two interfaces", []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), SubnetId: aws.String(customerSubnet)}, {DeviceIndex: aws.Int32(1), SubnetId: aws.String(customerSubnet)}}, nil, "UnsupportedOperation"},
		{"subnet twice", []types.InstanceNetworkInterfaceSpecification{{DeviceIndex: aws.Int32(0), SubnetId: aws.String(customerSubnet)}}, aws.String(customerSubnet), "InvalidParameterCombination"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.RunInstances(ctx(), &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
				NetworkInterfaces: tc.nis, SubnetId: tc.top})
			if got := asAPIErr(t, err).Code; got != tc.code {
				t.Fatalf("code %s, want %s", got, tc.code)
			}
		})
	}
}
