package fakeaws_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// BenchmarkDescribeRouteTables measures a signed, filtered DescribeRouteTables round trip
// through the Go SDK (signing, verification, model read, XML both ways).
func BenchmarkDescribeRouteTables(b *testing.B) {
	e := newEnv(b)
	c := e.customer()
	in := &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{customerVPC}}}}
	for b.Loop() {
		out, err := c.DescribeRouteTables(ctx(), in)
		if err != nil || len(out.RouteTables) != 1 {
			b.Fatalf("%v, %v", out, err)
		}
	}
}
