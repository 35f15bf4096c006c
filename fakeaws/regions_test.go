package fakeaws_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/spacelab-dev/spacelab/emulator"
)

func regionNames(t *testing.T, c *ec2.Client, in *ec2.DescribeRegionsInput) map[string]string {
	t.Helper()
	out, err := c.DescribeRegions(ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, r := range out.Regions {
		m[aws.ToString(r.RegionName)] = aws.ToString(r.OptInStatus)
	}
	return m
}

func TestDescribeRegions(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	enabled := regionNames(t, c, &ec2.DescribeRegionsInput{})
	all := regionNames(t, c, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true)})
	if len(enabled) != 17 || enabled["us-east-1"] != "opt-in-not-required" || enabled["af-south-1"] != "" {
		t.Errorf("regions enabled for a fresh account = %v, want the 17 that need no opt-in", enabled)
	}
	for _, r := range []string{"af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1"} {
		if all[r] != "not-opted-in" {
			t.Errorf("AllRegions: %s is %q, want not-opted-in", r, all[r])
		}
	}
	if len(all) != len(emulator.Regions()) {
		t.Errorf("AllRegions lists %d regions, want %d", len(all), len(emulator.Regions()))
	}
	optIn := regionNames(t, c, &ec2.DescribeRegionsInput{AllRegions: aws.Bool(true), Filters: []types.Filter{filter("opt-in-status", "not-opted-in")}})
	if len(optIn) != len(all)-17 {
		t.Errorf("opt-in-status=not-opted-in lists %d, want %d", len(optIn), len(all)-17)
	}
	named := regionNames(t, c, &ec2.DescribeRegionsInput{RegionNames: []string{"eu-west-1", "me-south-1"}})
	if len(named) != 2 || named["me-south-1"] != "not-opted-in" {
		t.Errorf("RegionName.N = %v", named)
	}
	_, err := c.DescribeRegions(ctx(), &ec2.DescribeRegionsInput{RegionNames: []string{"us-east-9"}})
	if got := asAPIErr(t, err); got.Code != "InvalidParameterValue" || got.Message != "Invalid region: us-east-9" {
		t.Errorf("unknown region: %+v", got)
	}
}

func TestDescribeAvailabilityZones(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	names := func(in *ec2.DescribeAvailabilityZonesInput) ([]string, error) {
		out, err := c.DescribeAvailabilityZones(ctx(), in)
		if err != nil {
			return nil, err
		}
		var got []string
		for _, z := range out.AvailabilityZones {
			got = append(got, aws.ToString(z.ZoneName)+"="+aws.ToString(z.ZoneId))
		}
		return got, nil
	}
	tests := []struct {
		name string
		in   ec2.DescribeAvailabilityZonesInput
		want []string
		code string
	}{
		{"all six of us-east-1", ec2.DescribeAvailabilityZonesInput{AllAvailabilityZones: aws.Bool(true)},
			[]string{"us-east-1a=use1-az1", "us-east-1b=use1-az2", "us-east-1c=use1-az3", "us-east-1d=use1-az4", "us-east-1e=use1-az5", "us-east-1f=use1-az6"}, ""},
		{"ZoneName.N", ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1f"}}, []string{"us-east-1f=use1-az6"}, ""},
		{"ZoneId.N", ec2.DescribeAvailabilityZonesInput{ZoneIds: []string{"use1-az2"}}, []string{"us-east-1b=use1-az2"}, ""},
		{"zone-type filter", ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("zone-type", "local-zone")}}, nil, ""},
		{"opt-in-status and region-name", ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("opt-in-status", "opt-in-not-required"), filter("region-name", "us-east-1"), filter("zone-id", "use1-az1")}}, []string{"us-east-1a=use1-az1"}, ""},
		{"unknown zone", ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1g"}}, nil, "InvalidParameterValue"},
		{"unknown zone id", ec2.DescribeAvailabilityZonesInput{ZoneIds: []string{"use1-az7"}}, nil, "InvalidParameterValue"},
		{"unknown filter", ec2.DescribeAvailabilityZonesInput{Filters: []types.Filter{filter("colour", "blue")}}, nil, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := names(&tt.in)
			if tt.code != "" {
				if a := asAPIErr(t, err); a.Code != tt.code {
					t.Errorf("error %+v, want %s", a, tt.code)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("zones = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	// A region with retired zones: a fresh account sees what AWS shows it.
	out, err := e.ec2(customerKey, customerSecret, "us-west-1").DescribeAvailabilityZones(ctx(), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil || len(out.AvailabilityZones) != 2 || aws.ToString(out.AvailabilityZones[1].ZoneId) != "usw1-az3" {
		t.Errorf("us-west-1 zones: %+v, %v", out, err)
	}
}

// An opt-in region refuses a fresh account's calls the way AWS does (AuthFailure: its
// credentials are not known there) and answers once the account has enabled it, default VPC
// with a subnet per zone included.
func TestOptInRegion(t *testing.T) {
	e := newEnv(t)
	c := e.ec2(customerKey, customerSecret, "af-south-1")
	_, err := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
	if got := asAPIErr(t, err); got.Code != "AuthFailure" || got.Status != 401 {
		t.Fatalf("call in a not-opted-in region: %+v, want 401 AuthFailure", got)
	}
	_, err = e.sts(customerKey, customerSecret, "af-south-1").GetCallerIdentity(ctx(), nil)
	if got := asAPIErr(t, err); got.Code != "InvalidClientTokenId" || got.Status != 403 {
		t.Errorf("STS in a not-opted-in region: %+v, want 403 InvalidClientTokenId", got)
	}
	if err := e.world.Update(func(tx *emulator.Tx) error {
		a := tx.Account(customerAccount)
		tx.Changing(a)
		a.NoDefaultVPC = false // newWorld switched it off
		return tx.EnableRegion(customerAccount, "af-south-1")
	}); err != nil {
		t.Fatal(err)
	}
	subs, err := c.DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{Filters: []types.Filter{filter("default-for-az", "true")}})
	if err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, s := range subs.Subnets {
		zones = append(zones, aws.ToString(s.AvailabilityZone)+"="+aws.ToString(s.AvailabilityZoneId))
	}
	slices.Sort(zones)
	if want := []string{"af-south-1a=afs1-az1", "af-south-1b=afs1-az2", "af-south-1c=afs1-az3"}; !slices.Equal(zones, want) {
		t.Errorf("default subnets in an enabled opt-in region: %v, want %v", zones, want)
	}
	regs := regionNames(t, c, &ec2.DescribeRegionsInput{Filters: []types.Filter{filter("region-name", "af-south-1")}})
	if regs["af-south-1"] != "opted-in" {
		t.Errorf("enabled region: %v, want opted-in", regs)
	}
}

// TestAWSCLIRegions: the real AWS CLI v2 lists the regions and zones, and a call in a
// not-opted-in region fails the way it does on AWS.
func TestAWSCLIRegions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	var regs struct {
		Regions []struct{ RegionName, OptInStatus, Endpoint string }
	}
	cli.customer(&regs, "ec2", "describe-regions", "--all-regions", "--filters", "Name=opt-in-status,Values=not-opted-in")
	if len(regs.Regions) != len(emulator.Regions())-17 || regs.Regions[0].RegionName != "af-south-1" || regs.Regions[0].Endpoint != "ec2.af-south-1.amazonaws.com" {
		t.Errorf("describe-regions --all-regions (not opted in) = %+v", regs)
	}
	var zs struct {
		AvailabilityZones []struct{ ZoneName, ZoneId, ZoneType, OptInStatus string }
	}
	cli.ok(&zs, customerKey, customerSecret, "ap-northeast-1", "ec2", "describe-availability-zones", "--zone-ids", "apne1-az4")
	if len(zs.AvailabilityZones) != 1 || zs.AvailabilityZones[0].ZoneName != "ap-northeast-1d" || zs.AvailabilityZones[0].ZoneType != "availability-zone" {
		t.Errorf("describe-availability-zones --zone-ids apne1-az4 = %+v", zs)
	}
	_, stderr, code := cli.run(customerKey, customerSecret, "me-south-1", "ec2", "describe-vpcs")
	if code != 254 || !strings.Contains(stderr, "(AuthFailure)") {
		t.Errorf("describe-vpcs in a not-opted-in region: exit %d, %s", code, stderr)
	}
	_, stderr, code = cli.run(customerKey, customerSecret, customerRegion, "ec2", "describe-availability-zones", "--zone-names", "us-east-1z")
	if code != 254 || !strings.Contains(stderr, "(InvalidParameterValue)") || !strings.Contains(stderr, "us-east-1z") {
		t.Errorf("describe-availability-zones --zone-names us-east-1z: exit %d, %s", code, stderr)
	}
}
