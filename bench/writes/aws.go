package main

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The EC2 kinds of writes, on the first VPC of the fleet.

func init() {
	register(kind{name: "ec2 CreateTags", prepare: func(e *env) func(int) error {
		vpc := firstVPC(e)
		return func(i int) error {
			_, err := e.ec2.CreateTags(e.ctx, &ec2.CreateTagsInput{Resources: []string{vpc}, Tags: []types.Tag{{Key: aws.String("n"), Value: aws.String(fmt.Sprint(i))}}})
			return err
		}
	}})
	register(kind{name: "ec2 Authorize/RevokeSecurityGroupIngress", prepare: func(e *env) func(int) error {
		vpc := firstVPC(e)
		sgs, err := e.ec2.DescribeSecurityGroups(e.ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
		check(err)
		sg := aws.ToString(sgs.SecurityGroups[0].GroupId)
		perm := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080),
			IpRanges: []types.IpRange{{CidrIp: aws.String("192.0.2.0/24")}}}}
		return func(i int) error {
			if i%2 == 0 {
				_, err := e.ec2.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: perm})
				return err
			}
			_, err := e.ec2.RevokeSecurityGroupIngress(e.ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: perm})
			return err
		}
	}})
	register(kind{name: "ec2 Create/DeleteSubnet", most: 1000, prepare: func(e *env) func(int) error {
		vpc := newVPC(e, "10.251.0.0/16")
		var id string
		return func(i int) error {
			if i%2 == 1 {
				_, err := e.ec2.DeleteSubnet(e.ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(id)})
				return err
			}
			out, err := e.ec2.CreateSubnet(e.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.251.7.0/24")})
			if err == nil {
				id = aws.ToString(out.Subnet.SubnetId)
			}
			return err
		}
	}})
	register(kind{name: "ec2 Create/DeleteSecurityGroup", most: 1000, prepare: func(e *env) func(int) error {
		vpc := firstVPC(e)
		var id string
		return func(i int) error {
			if i%2 == 1 {
				_, err := e.ec2.DeleteSecurityGroup(e.ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
				return err
			}
			out, err := e.ec2.CreateSecurityGroup(e.ctx, &ec2.CreateSecurityGroupInput{VpcId: aws.String(vpc), GroupName: aws.String("bench"), Description: aws.String("bench")})
			if err == nil {
				id = aws.ToString(out.GroupId)
			}
			return err
		}
	}})
	register(kind{name: "ec2 Create/Attach/Detach/DeleteInternetGateway", most: 1000, prepare: func(e *env) func(int) error {
		vpc := newVPC(e, "10.250.0.0/16")
		var id string
		return func(i int) error {
			var err error
			switch i % 4 {
			case 0:
				var out *ec2.CreateInternetGatewayOutput
				if out, err = e.ec2.CreateInternetGateway(e.ctx, &ec2.CreateInternetGatewayInput{}); err == nil {
					id = aws.ToString(out.InternetGateway.InternetGatewayId)
				}
			case 1:
				_, err = e.ec2.AttachInternetGateway(e.ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(vpc)})
			case 2:
				_, err = e.ec2.DetachInternetGateway(e.ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: aws.String(id), VpcId: aws.String(vpc)})
			case 3:
				_, err = e.ec2.DeleteInternetGateway(e.ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: aws.String(id)})
			}
			return err
		}
	}})
	register(kind{name: "ec2 Allocate/Associate/Disassociate/ReleaseAddress", most: 1000, prepare: func(e *env) func(int) error {
		out, err := e.ec2.DescribeInstances(e.ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}})
		check(err)
		var inst, vpc string
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				if inst == "" && i.VpcId != nil {
					inst, vpc = aws.ToString(i.InstanceId), aws.ToString(i.VpcId)
				}
			}
		}
		// An Elastic IP maps through the VPC's internet gateway.
		igw, err := e.ec2.CreateInternetGateway(e.ctx, &ec2.CreateInternetGatewayInput{})
		check(err)
		_, err = e.ec2.AttachInternetGateway(e.ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: aws.String(vpc)})
		check(err)
		var alloc, assoc string
		return func(i int) error {
			var err error
			switch i % 4 {
			case 0:
				var out *ec2.AllocateAddressOutput
				if out, err = e.ec2.AllocateAddress(e.ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc}); err == nil {
					alloc = aws.ToString(out.AllocationId)
				}
			case 1:
				var out *ec2.AssociateAddressOutput
				if out, err = e.ec2.AssociateAddress(e.ctx, &ec2.AssociateAddressInput{AllocationId: aws.String(alloc), InstanceId: aws.String(inst)}); err == nil {
					assoc = aws.ToString(out.AssociationId)
				}
			case 2:
				_, err = e.ec2.DisassociateAddress(e.ctx, &ec2.DisassociateAddressInput{AssociationId: aws.String(assoc)})
			case 3:
				_, err = e.ec2.ReleaseAddress(e.ctx, &ec2.ReleaseAddressInput{AllocationId: aws.String(alloc)})
			}
			return err
		}
	}})
	register(kind{name: "ec2 Create/DeleteVpc", most: 1000, prepare: func(e *env) func(int) error {
		var id string
		return func(i int) error {
			if i%2 == 1 {
				_, err := e.ec2.DeleteVpc(e.ctx, &ec2.DeleteVpcInput{VpcId: aws.String(id)})
				return err
			}
			out, err := e.ec2.CreateVpc(e.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.249.0.0/16")})
			if err == nil {
				id = aws.ToString(out.Vpc.VpcId)
			}
			return err
		}
	}})
	register(kind{name: "ec2 Create/DeleteNatGateway", most: 1000, prepare: func(e *env) func(int) error {
		// A public subnet of a VPC with an internet gateway, and one Elastic IP that each
		// gateway takes and gives back.
		vpc := newVPC(e, "10.248.0.0/16")
		igw, err := e.ec2.CreateInternetGateway(e.ctx, &ec2.CreateInternetGatewayInput{})
		check(err)
		_, err = e.ec2.AttachInternetGateway(e.ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: aws.String(vpc)})
		check(err)
		sub, err := e.ec2.CreateSubnet(e.ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String("10.248.0.0/24")})
		check(err)
		eip, err := e.ec2.AllocateAddress(e.ctx, &ec2.AllocateAddressInput{Domain: types.DomainTypeVpc})
		check(err)
		var id string
		return func(i int) error {
			if i%2 == 1 {
				_, err := e.ec2.DeleteNatGateway(e.ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: aws.String(id)})
				return err
			}
			out, err := e.ec2.CreateNatGateway(e.ctx, &ec2.CreateNatGatewayInput{SubnetId: sub.Subnet.SubnetId, AllocationId: eip.AllocationId})
			if err == nil {
				id = aws.ToString(out.NatGateway.NatGatewayId)
			}
			return err
		}
	}})
	register(kind{name: "ec2 Create/Attach/Detach/DeleteNetworkInterface", most: 1000, prepare: func(e *env) func(int) error {
		out, err := e.ec2.DescribeInstances(e.ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}})
		check(err)
		var inst, subnet string
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				if inst == "" && i.SubnetId != nil {
					inst, subnet = aws.ToString(i.InstanceId), aws.ToString(i.SubnetId)
				}
			}
		}
		var eni, attachment string
		return func(i int) error {
			var err error
			switch i % 4 {
			case 0:
				var out *ec2.CreateNetworkInterfaceOutput
				if out, err = e.ec2.CreateNetworkInterface(e.ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: aws.String(subnet)}); err == nil {
					eni = aws.ToString(out.NetworkInterface.NetworkInterfaceId)
				}
			case 1:
				var out *ec2.AttachNetworkInterfaceOutput
				if out, err = e.ec2.AttachNetworkInterface(e.ctx, &ec2.AttachNetworkInterfaceInput{NetworkInterfaceId: aws.String(eni), InstanceId: aws.String(inst), DeviceIndex: aws.Int32(1)}); err == nil {
					attachment = aws.ToString(out.AttachmentId)
				}
			case 2:
				_, err = e.ec2.DetachNetworkInterface(e.ctx, &ec2.DetachNetworkInterfaceInput{AttachmentId: aws.String(attachment)})
			case 3:
				_, err = e.ec2.DeleteNetworkInterface(e.ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: aws.String(eni)})
			}
			return err
		}
	}})
}

// firstVPC is the id of the first VPC DescribeVpcs lists.
func firstVPC(e *env) string {
	vpcs, err := e.ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	check(err)
	return aws.ToString(vpcs.Vpcs[0].VpcId)
}

// newVPC creates a VPC of its own for a kind of write.
func newVPC(e *env, cidr string) string {
	out, err := e.ec2.CreateVpc(e.ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	check(err)
	return aws.ToString(out.Vpc.VpcId)
}
