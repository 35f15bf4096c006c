package fakeaws_test

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/fakeaws"
	"github.com/spacelab-dev/spacelab/topology"
)

// defaultVPCEnv is a server on the default topology whose customer account has its default
// VPCs (newEnv's world leaves them out), unless none is set.
func defaultVPCEnv(t *testing.T, none bool) *env {
	t.Helper()
	topo := topology.Default()
	w := emulator.NewWorld(topo.WorldOptions(emulator.Options{Seed: 7, Logger: testLogger(t)}))
	if err := topo.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	if none {
		if err := w.Update(func(tx *emulator.Tx) error { tx.SetNoDefaultVPC(customerAccount); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	s := &fakeaws.Server{World: w, Logger: testLogger(t)}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return &env{t: t, srv: s, url: hs.URL, world: w}
}

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// TestDefaultVPC: an account has, in a region it calls, a default VPC as AWS makes them, and a
// launch that names no subnet lands in a default subnet with a public address.
func TestDefaultVPC(t *testing.T) {
	e := defaultVPCEnv(t, false)
	c := e.customer()
	vpcs, err := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("default VPCs = %+v, %v; want one", vpcs, err)
	}
	v := vpcs.Vpcs[0]
	if aws.ToString(v.CidrBlock) != "172.31.0.0/16" {
		t.Errorf("default VPC block %s, want 172.31.0.0/16", aws.ToString(v.CidrBlock))
	}
	for _, attr := range []types.VpcAttributeName{types.VpcAttributeNameEnableDnsSupport, types.VpcAttributeNameEnableDnsHostnames} {
		a, err := c.DescribeVpcAttribute(ctx(), &ec2.DescribeVpcAttributeInput{VpcId: v.VpcId, Attribute: attr})
		if err != nil {
			t.Fatal(err)
		}
		on := a.EnableDnsSupport
		if attr == types.VpcAttributeNameEnableDnsHostnames {
			on = a.EnableDnsHostnames
		}
		if on == nil || !aws.ToBool(on.Value) {
			t.Errorf("%s of the default VPC is off", attr)
		}
	}
	subnets, err := c.DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("default-for-az", "true")}})
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]string{}
	for _, s := range subnets.Subnets {
		if aws.ToString(s.VpcId) != aws.ToString(v.VpcId) || !aws.ToBool(s.MapPublicIpOnLaunch) {
			t.Errorf("default subnet %+v not in the default VPC or not public on launch", s)
		}
		zones[aws.ToString(s.AvailabilityZone)] = aws.ToString(s.CidrBlock)
	}
	want := map[string]string{"us-east-1a": "172.31.0.0/20", "us-east-1b": "172.31.16.0/20", "us-east-1c": "172.31.32.0/20",
		"us-east-1d": "172.31.48.0/20", "us-east-1e": "172.31.64.0/20", "us-east-1f": "172.31.80.0/20"}
	if len(zones) != len(want) {
		t.Errorf("default subnets by zone %v, want %v", zones, want)
	}
	for z, cidr := range want {
		if zones[z] != cidr {
			t.Errorf("default subnet of %s is %q, want %s", z, zones[z], cidr)
		}
	}
	rtbs, err := c.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{Filters: []types.Filter{filter("vpc-id", aws.ToString(v.VpcId)), filter("association.main", "true")}})
	if err != nil || len(rtbs.RouteTables) != 1 {
		t.Fatalf("main route table: %+v, %v", rtbs, err)
	}
	igws, err := c.DescribeInternetGateways(ctx(), &ec2.DescribeInternetGatewaysInput{Filters: []types.Filter{filter("attachment.vpc-id", aws.ToString(v.VpcId))}})
	if err != nil || len(igws.InternetGateways) != 1 {
		t.Fatalf("internet gateway of the default VPC: %+v, %v", igws, err)
	}
	toIGW := false
	for _, r := range rtbs.RouteTables[0].Routes {
		toIGW = toIGW || (aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" && aws.ToString(r.GatewayId) == aws.ToString(igws.InternetGateways[0].InternetGatewayId))
	}
	if !toIGW {
		t.Errorf("main route table has no 0.0.0.0/0 to the internet gateway: %+v", rtbs.RouteTables[0].Routes)
	}

	run := func(zone string) types.Instance {
		t.Helper()
		in := &ec2.RunInstancesInput{ImageId: aws.String("ami-0abcdef1234567890"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}
		if zone != "" {
			in.Placement = &types.Placement{AvailabilityZone: aws.String(zone)}
		}
		out, err := c.RunInstances(ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Instances[0]
	}
	i := run("")
	if aws.ToString(i.VpcId) != aws.ToString(v.VpcId) || i.PublicIpAddress == nil || aws.ToString(i.Placement.AvailabilityZone) != "us-east-1a" {
		t.Errorf("launch with no subnet: vpc %s, zone %s, public %v; want the default VPC, us-east-1a, a public address",
			aws.ToString(i.VpcId), aws.ToString(i.Placement.AvailabilityZone), aws.ToString(i.PublicIpAddress))
	}
	if i := run("us-east-1b"); aws.ToString(i.Placement.AvailabilityZone) != "us-east-1b" {
		t.Errorf("launch in us-east-1b landed in %s", aws.ToString(i.Placement.AvailabilityZone))
	}

	// Another region has its own default VPC.
	west := e.ec2(customerKey, customerSecret, "us-west-2")
	wv, err := west.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil || len(wv.Vpcs) != 1 || aws.ToString(wv.Vpcs[0].VpcId) == aws.ToString(v.VpcId) {
		t.Errorf("us-west-2 default VPC: %+v, %v", wv, err)
	}
}

// TestNoDefaultVPC: an account the topology says has none gets EC2's answer to a launch with
// no subnet, and no default VPC appears.
func TestNoDefaultVPC(t *testing.T) {
	e := defaultVPCEnv(t, true)
	c := e.customer()
	_, err := c.RunInstances(ctx(), &ec2.RunInstancesInput{ImageId: aws.String("ami-0abcdef1234567890"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
	if got := asAPIErr(t, err); got.Code != "VPCIdNotSpecified" {
		t.Errorf("launch with no subnet and no default VPC: %+v", got)
	}
	vpcs, err := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil || len(vpcs.Vpcs) != 0 {
		t.Errorf("default VPCs = %+v, %v; want none", vpcs, err)
	}
}
