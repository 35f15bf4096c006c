package fakeaws_test

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"
)

// TestBoto3SecondaryCIDRAndENIAddress drives a secondary IPv4 CIDR block and an Elastic IP on
// a secondary network interface with boto3 through testdata/boto3/cidr_eip.py; every bad
// request must get EC2's error code and leave the VPC and the addresses as they were.
func TestBoto3SecondaryCIDRAndENIAddress(t *testing.T) {
	e := newEnv(t)
	got := runBoto3(t, e, "cidr_eip.py")
	want := map[string]any{
		"AssociateVpcCidrBlock":                 "172.17.0.0/16 associating",
		"AssociateVpcCidrBlock.restricted":      "InvalidVpc.Range 400 unchanged",
		"AssociateVpcCidrBlock.overlap":         "CidrConflict 400 unchanged",
		"AssociateVpcCidrBlock.size":            "InvalidVpc.Range 400 unchanged",
		"AssociateVpcCidrBlock.malformed":       "InvalidParameterValue 400 unchanged",
		"DescribeVpcs":                          []any{"172.16.0.0/16 associated", "172.17.0.0/16 associated"},
		"DescribeVpcs.filter":                   []any{true},
		"CreateSubnet.secondary":                true,
		"LocalRoutes":                           []any{"172.16.0.0/16", "172.17.0.0/16"},
		"DisassociateVpcCidrBlock.inuse":        "DependencyViolation 400 unchanged",
		"DisassociateVpcCidrBlock.primary":      "OperationNotPermitted 400 unchanged",
		"AssociateAddress.wrongip":              "InvalidParameterValue 400 unchanged",
		"AssociateAddress.noeni":                "InvalidNetworkInterfaceID.NotFound 400 unchanged",
		"DescribeAddresses":                     []any{true, true, true, true},
		"DescribeNetworkInterfaces.association": true,
		"DescribeAddresses.filter":              []any{true},
		"AssociateAddress.inuse":                "Resource.AlreadyAssociated 400 unchanged",
		"DetachInternetGateway.mapped":          "DependencyViolation 400 unchanged",
		"DisassociateAddress":                   []any{},
		"DisassociateVpcCidrBlock":              "True disassociating",
		"DescribeVpcs.after":                    []any{"172.16.0.0/16 associated", "172.17.0.0/16 disassociated"},
		"CreateSubnet.gone":                     "InvalidSubnet.Range 400 unchanged",
		"LocalRoutes.after":                     []any{"172.16.0.0/16"},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected report %s = %v", k, got[k])
		}
	}
}

// With aws-sdk-go-v2: a secondary block of the requester's VPC shows in the peering's
// cidrBlockSet, to the requester and to the accepter, after the primary block.
func TestSDKPeeringShowsSecondaryBlock(t *testing.T) {
	e := newEnv(t)
	cust := e.customer()
	if _, err := cust.AssociateVpcCidrBlock(ctx(), &ec2.AssociateVpcCidrBlockInput{VpcId: aws.String(customerVPC), CidrBlock: aws.String("172.17.0.0/16")}); err != nil {
		t.Fatal(err)
	}
	created, err := cust.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{
		VpcId: aws.String(customerVPC), PeerVpcId: aws.String(spaceVPC), PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String(herokuRegion)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.VpcPeeringConnection.VpcPeeringConnectionId)
	for name, c := range map[string]*ec2.Client{"requester": cust, "accepter": e.heroku()} {
		t.Run(name, func(t *testing.T) {
			got := pcxStatus(t, c, id).RequesterVpcInfo
			var set []string
			for _, b := range got.CidrBlockSet {
				set = append(set, aws.ToString(b.CidrBlock))
			}
			if d := cmp.Diff([]string{"172.16.0.0/16", "172.17.0.0/16"}, set); d != "" || aws.ToString(got.CidrBlock) != "172.16.0.0/16" {
				t.Errorf("requester cidrBlock %q, cidrBlockSet (-want +got):\n%s", aws.ToString(got.CidrBlock), d)
			}
		})
	}
}
