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
}

// firstVPC is the id of the first VPC DescribeVpcs lists.
func firstVPC(e *env) string {
	vpcs, err := e.ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{})
	check(err)
	return aws.ToString(vpcs.Vpcs[0].VpcId)
}
