package fakeaws_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
)

func flt(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// filterWorld sets up: pcx1 customer VPC → space (pending, tagged Name=to-heroku by the
// customer); a second customer VPC 10.5.0.0/16 with pcx2 towards the customer VPC (active); a
// route to pcx1; an ingress rule from 10.0.0.0/16.
type filterWorld struct {
	*env
	pcx1, pcx2, vpc2 string
}

func newFilterWorld(t *testing.T) filterWorld {
	t.Helper()
	e := newEnv(t)
	fw := filterWorld{env: e}
	if err := e.world.Update(func(tx *emulator.Tx) error {
		v, err := tx.CreateVPC(emulator.Caller{Account: customerAccount, Region: customerRegion}, mustPrefix("10.5.0.0/16"), emulator.VPCOptions{})
		fw.vpc2 = v.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fw.pcx1 = pendingPeering(t, e)
	c := e.customer()
	out, err := c.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{VpcId: aws.String(fw.vpc2), PeerVpcId: aws.String(customerVPC)})
	if err != nil {
		t.Fatal(err)
	}
	fw.pcx2 = aws.ToString(out.VpcPeeringConnection.VpcPeeringConnectionId)
	if _, err := c.AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(fw.pcx2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTags(ctx(), &ec2.CreateTagsInput{Resources: []string{fw.pcx1}, Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("to-heroku")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(customerRTB(t, e)), DestinationCidrBlock: aws.String("10.0.0.0/16"), VpcPeeringConnectionId: aws.String(fw.pcx1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(defaultSG(t, e)), IpPermissions: tcp(80, "10.0.0.0/16")}); err != nil {
		t.Fatal(err)
	}
	return fw
}

func TestPeeringFilters(t *testing.T) {
	fw := newFilterWorld(t)
	tests := []struct {
		name    string
		heroku  bool
		filters []types.Filter
		want    []string // "pcx1", "pcx2", "data" (the space's heroku-managed peering)
	}{
		{name: "none", want: []string{"pcx1", "pcx2"}},
		{name: "status-code", filters: []types.Filter{flt("status-code", "pending-acceptance")}, want: []string{"pcx1"}},
		{name: "status-code values are OR'ed", filters: []types.Filter{flt("status-code", "pending-acceptance", "active")}, want: []string{"pcx1", "pcx2"}},
		{name: "filters are AND'ed", filters: []types.Filter{flt("status-code", "active"), flt("requester-vpc-info.vpc-id", customerVPC)}},
		{name: "requester vpc", filters: []types.Filter{flt("requester-vpc-info.vpc-id", customerVPC)}, want: []string{"pcx1"}},
		{name: "accepter vpc", filters: []types.Filter{flt("accepter-vpc-info.vpc-id", customerVPC)}, want: []string{"pcx2"}},
		{name: "accepter owner", filters: []types.Filter{flt("accepter-vpc-info.owner-id", herokuAccount)}, want: []string{"pcx1"}},
		{name: "requester owner", filters: []types.Filter{flt("requester-vpc-info.owner-id", customerAccount)}, want: []string{"pcx1", "pcx2"}},
		{name: "requester cidr wildcard", filters: []types.Filter{flt("requester-vpc-info.cidr-block", "172.16.*")}, want: []string{"pcx1"}},
		{name: "accepter cidr hidden while pending", filters: []types.Filter{flt("accepter-vpc-info.cidr-block", "10.0.0.0/16")}},
		{name: "accepter cidr once active", filters: []types.Filter{flt("accepter-vpc-info.cidr-block", "172.16.0.0/16")}, want: []string{"pcx2"}},
		{name: "status-message wildcard", filters: []types.Filter{flt("status-message", "Pending Acceptance by ????????????")}, want: []string{"pcx1"}},
		{name: "expiration-time", filters: []types.Filter{flt("expiration-time", "20*Z")}, want: []string{"pcx1"}},
		{name: "tag:Name", filters: []types.Filter{flt("tag:Name", "to-*")}, want: []string{"pcx1"}},
		{name: "tag-key", filters: []types.Filter{flt("tag-key", "Name")}, want: []string{"pcx1"}},
		{name: "tag-value", filters: []types.Filter{flt("tag-value", "to-heroku")}, want: []string{"pcx1"}},
		{name: "id", filters: []types.Filter{flt("vpc-peering-connection-id", "PCX2")}, want: []string{"pcx2"}},
		{name: "heroku sees the request and its data peering", heroku: true, want: []string{"data", "pcx1"}},
		{name: "tags are per account", heroku: true, filters: []types.Filter{flt("tag-key", "Name")}},
	}
	names := map[string]string{fw.pcx1: "pcx1", fw.pcx2: "pcx2"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fw.customer()
			if tt.heroku {
				c = fw.heroku()
			}
			for i, f := range tt.filters {
				for j, v := range f.Values {
					if v == "PCX2" {
						tt.filters[i].Values[j] = fw.pcx2
					}
				}
			}
			out, err := c.DescribeVpcPeeringConnections(ctx(), &ec2.DescribeVpcPeeringConnectionsInput{Filters: tt.filters})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range out.VpcPeeringConnections {
				n, ok := names[aws.ToString(p.VpcPeeringConnectionId)]
				if !ok {
					n = "data"
				}
				got = append(got, n)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeFilters(t *testing.T) {
	fw := newFilterWorld(t)
	c := fw.customer()
	rtbs := func(fs ...types.Filter) []string {
		out, err := c.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range out.RouteTables {
			ids = append(ids, aws.ToString(r.VpcId))
		}
		return ids
	}
	sgs := func(fs ...types.Filter) []string {
		out, err := c.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, g := range out.SecurityGroups {
			ids = append(ids, aws.ToString(g.VpcId))
		}
		return ids
	}
	subnets := func(fs ...types.Filter) []string {
		out, err := c.DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range out.Subnets {
			ids = append(ids, aws.ToString(s.SubnetId))
		}
		return ids
	}
	instances := func(fs ...types.Filter) []string {
		out, err := c.DescribeInstances(ctx(), &ec2.DescribeInstancesInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				ids = append(ids, aws.ToString(i.InstanceId))
			}
		}
		return ids
	}
	vpcs := func(fs ...types.Filter) []string {
		out, err := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{Filters: fs})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range out.Vpcs {
			ids = append(ids, aws.ToString(v.VpcId))
		}
		return ids
	}
	both := []string{fw.vpc2, customerVPC}
	slices.Sort(both)
	sorted := func(xs []string) []string { slices.Sort(xs); return xs }
	tests := []struct {
		name string
		got  func() []string
		want []string
	}{
		{"rtb vpc-id", func() []string { return rtbs(flt("vpc-id", customerVPC)) }, []string{customerVPC}},
		{"rtb association.main", func() []string { return sorted(rtbs(flt("association.main", "true"))) }, both},
		{"rtb association.main false", func() []string { return rtbs(flt("association.main", "false")) }, nil},
		{"rtb route.vpc-peering-connection-id", func() []string { return rtbs(flt("route.vpc-peering-connection-id", fw.pcx1)) }, []string{customerVPC}},
		{"rtb route.state blackhole", func() []string { return rtbs(flt("route.state", "blackhole")) }, []string{customerVPC}},
		{"rtb route.gateway-id local", func() []string { return sorted(rtbs(flt("route.gateway-id", "local"))) }, both},
		{"rtb route.destination-cidr-block", func() []string { return rtbs(flt("route.destination-cidr-block", "10.5.0.0/16")) }, []string{fw.vpc2}},
		{"rtb route.origin", func() []string { return rtbs(flt("route.origin", "CreateRoute")) }, []string{customerVPC}},
		{"sg vpc-id", func() []string { return sgs(flt("vpc-id", fw.vpc2)) }, []string{fw.vpc2}},
		{"sg group-name", func() []string { return sorted(sgs(flt("group-name", "def*"))) }, both},
		{"sg ip-permission.cidr", func() []string { return sgs(flt("ip-permission.cidr", "10.0.0.0/16")) }, []string{customerVPC}},
		{"sg ip-permission.from-port", func() []string {
			return sgs(flt("ip-permission.from-port", "80"), flt("ip-permission.protocol", "tcp"))
		}, []string{customerVPC}},
		{"sg egress.ip-permission.cidr", func() []string { return sorted(sgs(flt("egress.ip-permission.cidr", "0.0.0.0/0"))) }, both},
		{"subnet cidr-block", func() []string { return subnets(flt("cidr-block", "172.16.0.0/24")) }, []string{customerSubnet}},
		{"subnet availability-zone", func() []string { return subnets(flt("availability-zone", "us-east-1b")) }, nil},
		{"subnet tag:Name", func() []string { return subnets(flt("tag:Name", "customer-a")) }, []string{customerSubnet}},
		{"instance private-ip-address", func() []string { return instances(flt("private-ip-address", "172.16.0.8")) }, []string{customerInst}},
		{"instance state and vpc", func() []string {
			return instances(flt("instance-state-name", "running"), flt("vpc-id", customerVPC))
		}, []string{customerInst}},
		{"instance tag", func() []string { return instances(flt("tag:Name", "ec2-user-box")) }, []string{customerInst}},
		{"instance other vpc", func() []string { return instances(flt("vpc-id", fw.vpc2)) }, nil},
		{"vpc cidr", func() []string { return vpcs(flt("cidr", "10.5.0.0/16")) }, []string{fw.vpc2}},
		{"vpc tag", func() []string { return vpcs(flt("tag:Name", "customer-vpc")) }, []string{customerVPC}},
		{"vpc is-default", func() []string { return vpcs(flt("is-default", "true")) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDescribeShapes checks rendered details clients read.
func TestDescribeShapes(t *testing.T) {
	fw := newFilterWorld(t)
	c := fw.customer()
	sgs, err := c.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{defaultSG(t, fw.env)}})
	if err != nil {
		t.Fatal(err)
	}
	type perm struct {
		Proto      string
		From, To   int32
		CIDRs      []string
		GroupPairs []string
	}
	perms := func(ps []types.IpPermission) []perm {
		var out []perm
		for _, p := range ps {
			x := perm{Proto: aws.ToString(p.IpProtocol), From: aws.ToInt32(p.FromPort), To: aws.ToInt32(p.ToPort)}
			for _, r := range p.IpRanges {
				x.CIDRs = append(x.CIDRs, aws.ToString(r.CidrIp))
			}
			for _, g := range p.UserIdGroupPairs {
				x.GroupPairs = append(x.GroupPairs, aws.ToString(g.UserId)+"/"+aws.ToString(g.GroupId))
			}
			out = append(out, x)
		}
		return out
	}
	g := sgs.SecurityGroups[0]
	wantIn := []perm{
		{Proto: "-1", GroupPairs: []string{customerAccount + "/" + aws.ToString(g.GroupId)}},
		{Proto: "tcp", From: 80, To: 80, CIDRs: []string{"10.0.0.0/16"}},
	}
	if diff := cmp.Diff(wantIn, perms(g.IpPermissions)); diff != "" {
		t.Errorf("ingress (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]perm{{Proto: "-1", CIDRs: []string{"0.0.0.0/0"}}}, perms(g.IpPermissionsEgress)); diff != "" {
		t.Errorf("egress (-want +got):\n%s", diff)
	}

	subs, err := c.DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{SubnetIds: []string{customerSubnet}})
	if err != nil {
		t.Fatal(err)
	}
	s := subs.Subnets[0]
	got := fmt.Sprintf("%s %s %d %s", aws.ToString(s.AvailabilityZone), aws.ToString(s.AvailabilityZoneId), aws.ToInt32(s.AvailableIpAddressCount), aws.ToString(s.SubnetArn))
	if want := "us-east-1a use1-az1 250 arn:aws:ec2:us-east-1:435886841536:subnet/" + customerSubnet; got != want {
		t.Errorf("subnet = %q, want %q", got, want)
	}

	inst, err := c.DescribeInstances(ctx(), &ec2.DescribeInstancesInput{InstanceIds: []string{customerInst}})
	if err != nil {
		t.Fatal(err)
	}
	i := inst.Reservations[0].Instances[0]
	got = fmt.Sprintf("%s %d %s %s %d", i.State.Name, aws.ToInt32(i.State.Code), aws.ToString(i.PrivateDnsName), aws.ToString(i.PrivateIpAddress), len(i.NetworkInterfaces))
	if want := "running 16 ip-172-16-0-8.ec2.internal 172.16.0.8 1"; got != want {
		t.Errorf("instance = %q, want %q", got, want)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	if err := e.world.Update(func(tx *emulator.Tx) error {
		c := emulator.Caller{Account: customerAccount, Region: customerRegion}
		for i := 1; i <= 12; i++ {
			if _, err := tx.CreateSubnet(c, customerVPC, mustPrefix(fmt.Sprintf("172.16.%d.0/24", i)), emulator.SubnetOptions{}); err != nil {
				return err
			}
			if i <= 6 {
				if _, err := tx.CreateVPC(c, mustPrefix(fmt.Sprintf("10.%d.0.0/16", 100+i)), emulator.VPCOptions{}); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := e.customer()

	var pages []int
	var ids []string
	p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx())
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.Subnets))
		for _, s := range out.Subnets {
			ids = append(ids, aws.ToString(s.SubnetId))
		}
	}
	if diff := cmp.Diff([]int{5, 5, 3}, pages); diff != "" {
		t.Errorf("subnet page sizes (-want +got):\n%s", diff)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 13 {
		t.Errorf("subnet ids not 13 distinct in order: %v", ids)
	}

	pages = nil
	rp := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{MaxResults: aws.Int32(5)})
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx())
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(out.RouteTables))
	}
	if diff := cmp.Diff([]int{5, 2}, pages); diff != "" {
		t.Errorf("route table page sizes (-want +got):\n%s", diff)
	}

	// Without MaxResults everything comes back at once.
	all, err := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
	if err != nil || len(all.Vpcs) != 7 || all.NextToken != nil {
		t.Errorf("DescribeVpcs: %d VPCs, token %v, err %v; want 7 and no token", len(all.Vpcs), all.NextToken, err)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	c := e.customer()
	pcx := pendingPeering(t, e)
	if _, err := c.CreateTags(ctx(), &ec2.CreateTagsInput{Resources: []string{customerVPC, pcx},
		Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("peer")}, {Key: aws.String("env"), Value: aws.String("")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.heroku().CreateTags(ctx(), &ec2.CreateTagsInput{Resources: []string{pcx}, Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("heroku")}}}); err != nil {
		t.Fatal(err)
	}
	describe := func(c *ec2.Client, fs ...types.Filter) []string {
		var out []string
		p := ec2.NewDescribeTagsPaginator(c, &ec2.DescribeTagsInput{Filters: fs, MaxResults: aws.Int32(5)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx())
			if err != nil {
				t.Fatal(err)
			}
			for _, td := range page.Tags {
				out = append(out, fmt.Sprintf("%s %s %s=%s", aws.ToString(td.ResourceId), td.ResourceType, aws.ToString(td.Key), aws.ToString(td.Value)))
			}
		}
		return out
	}
	want := []string{
		pcx + " vpc-peering-connection Name=peer", pcx + " vpc-peering-connection env=",
		"subnet-0a8e2d3c5b7f91e04 subnet Name=customer-a",
		customerVPC + " vpc Name=peer", customerVPC + " vpc env=",
	}
	all := describe(c)
	inst := customerInst + " instance Name=ec2-user-box"
	if diff := cmp.Diff(append([]string{inst}, want...), all); diff != "" {
		t.Errorf("customer tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{pcx + " vpc-peering-connection owner=heroku"}, describe(e.heroku(), flt("resource-id", pcx))); diff != "" {
		t.Errorf("heroku's tags on the peering (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{customerVPC + " vpc Name=peer"}, describe(c, flt("resource-type", "vpc"), flt("key", "Name"))); diff != "" {
		t.Errorf("filtered (-want +got):\n%s", diff)
	}
	// DeleteTags: a key with a value deletes only on a match; a bare key deletes whatever.
	if _, err := c.DeleteTags(ctx(), &ec2.DeleteTagsInput{Resources: []string{customerVPC},
		Tags: []types.Tag{{Key: aws.String("Name"), Value: aws.String("other")}, {Key: aws.String("env")}}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{customerVPC + " vpc Name=peer"}, describe(c, flt("resource-id", customerVPC))); diff != "" {
		t.Errorf("after DeleteTags (-want +got):\n%s", diff)
	}
	vpcs, err := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{VpcIds: []string{customerVPC}})
	if err != nil || len(vpcs.Vpcs[0].Tags) != 1 {
		t.Errorf("DescribeVpcs tags = %v, %v", vpcs.Vpcs[0].Tags, err)
	}
}

// snapshot renders everything both accounts can describe, as JSON.
func snapshot(t *testing.T, e *env) string {
	t.Helper()
	var parts []any
	for _, c := range []*ec2.Client{e.customer(), e.heroku()} {
		v, err1 := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
		s, err2 := c.DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{})
		r, err3 := c.DescribeRouteTables(ctx(), &ec2.DescribeRouteTablesInput{})
		g, err4 := c.DescribeSecurityGroups(ctx(), &ec2.DescribeSecurityGroupsInput{})
		p, err5 := c.DescribeVpcPeeringConnections(ctx(), &ec2.DescribeVpcPeeringConnectionsInput{})
		i, err6 := c.DescribeInstances(ctx(), &ec2.DescribeInstancesInput{})
		tg, err7 := c.DescribeTags(ctx(), &ec2.DescribeTagsInput{})
		n, err8 := c.DescribeNetworkAcls(ctx(), &ec2.DescribeNetworkAclsInput{})
		ig, err9 := c.DescribeInternetGateways(ctx(), &ec2.DescribeInternetGatewaysInput{})
		for _, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9} {
			if err != nil {
				t.Fatal(err)
			}
		}
		parts = append(parts, v.Vpcs, s.Subnets, r.RouteTables, g.SecurityGroups, p.VpcPeeringConnections, i.Reservations, tg.Tags, n.NetworkAcls, ig.InternetGateways)
	}
	b, err := json.MarshalIndent(parts, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBadInputLeavesStateUntouched: refused requests and dry runs change nothing.
func TestBadInputLeavesStateUntouched(t *testing.T) {
	fw := newFilterWorld(t)
	c, h := fw.customer(), fw.heroku()
	rtb, sg := customerRTB(t, fw.env), defaultSG(t, fw.env)
	dry := aws.Bool(true)
	calls := []struct {
		name string
		call func() error
	}{
		{"duplicate route", func() error {
			_, err := c.CreateRoute(ctx(), &ec2.CreateRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("10.0.0.0/16"), VpcPeeringConnectionId: aws.String(fw.pcx2)})
			return err
		}},
		{"authorize with one duplicate among new rules", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg),
				IpPermissions: append(tcp(443, "10.0.0.0/16"), tcp(80, "10.0.0.0/16")...)})
			return err
		}},
		{"authorize with a bad CIDR", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg),
				IpPermissions: append(tcp(443, "10.0.0.0/16"), tcp(444, "10.0.0.0/33")...)})
			return err
		}},
		{"revoke a present and a missing rule", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx(), &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sg),
				IpPermissions: append(tcp(80, "10.0.0.0/16"), tcp(81, "10.0.0.0/16")...)})
			return err
		}},
		{"tag a good and a bad id", func() error {
			_, err := c.CreateTags(ctx(), &ec2.CreateTagsInput{Resources: []string{customerVPC, "subnet-0000000000000dead"}, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}})
			return err
		}},
		{"untag a good and a bad id", func() error {
			_, err := c.DeleteTags(ctx(), &ec2.DeleteTagsInput{Resources: []string{fw.pcx1, "pcx-0000000000000dead"}})
			return err
		}},
		{"accept as the requester", func() error {
			_, err := c.AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(fw.pcx1)})
			return err
		}},
		{"reject as the requester", func() error {
			_, err := c.RejectVpcPeeringConnection(ctx(), &ec2.RejectVpcPeeringConnectionInput{VpcPeeringConnectionId: aws.String(fw.pcx1)})
			return err
		}},
		{"delete the local route", func() error {
			_, err := c.DeleteRoute(ctx(), &ec2.DeleteRouteInput{RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("172.16.0.0/16")})
			return err
		}},
		{"dry-run create peering", func() error {
			_, err := c.CreateVpcPeeringConnection(ctx(), &ec2.CreateVpcPeeringConnectionInput{DryRun: dry, VpcId: aws.String(fw.vpc2), PeerVpcId: aws.String(spaceVPC), PeerOwnerId: aws.String(herokuAccount), PeerRegion: aws.String(herokuRegion)})
			return err
		}},
		{"dry-run accept", func() error {
			_, err := h.AcceptVpcPeeringConnection(ctx(), &ec2.AcceptVpcPeeringConnectionInput{DryRun: dry, VpcPeeringConnectionId: aws.String(fw.pcx1)})
			return err
		}},
		{"dry-run delete peering", func() error {
			_, err := c.DeleteVpcPeeringConnection(ctx(), &ec2.DeleteVpcPeeringConnectionInput{DryRun: dry, VpcPeeringConnectionId: aws.String(fw.pcx2)})
			return err
		}},
		{"dry-run route", func() error {
			_, err := c.CreateRoute(ctx(), &ec2.CreateRouteInput{DryRun: dry, RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("10.5.0.0/16"), VpcPeeringConnectionId: aws.String(fw.pcx2)})
			return err
		}},
		{"dry-run delete route", func() error {
			_, err := c.DeleteRoute(ctx(), &ec2.DeleteRouteInput{DryRun: dry, RouteTableId: aws.String(rtb), DestinationCidrBlock: aws.String("10.0.0.0/16")})
			return err
		}},
		{"dry-run authorize", func() error {
			_, err := c.AuthorizeSecurityGroupIngress(ctx(), &ec2.AuthorizeSecurityGroupIngressInput{DryRun: dry, GroupId: aws.String(sg), IpPermissions: tcp(443, "10.0.0.0/16")})
			return err
		}},
		{"dry-run revoke", func() error {
			_, err := c.RevokeSecurityGroupIngress(ctx(), &ec2.RevokeSecurityGroupIngressInput{DryRun: dry, GroupId: aws.String(sg), IpPermissions: tcp(80, "10.0.0.0/16")})
			return err
		}},
		{"delete a VPC with dependencies", func() error {
			_, err := c.DeleteVpc(ctx(), &ec2.DeleteVpcInput{VpcId: aws.String(customerVPC)})
			return err
		}},
		{"delete a subnet with an instance", func() error {
			_, err := c.DeleteSubnet(ctx(), &ec2.DeleteSubnetInput{SubnetId: aws.String(customerSubnet)})
			return err
		}},
		{"launch more than the subnet holds", func() error {
			_, err := c.RunInstances(ctx(), &ec2.RunInstancesInput{ImageId: aws.String("ami-1"), SubnetId: aws.String(customerSubnet), MinCount: aws.Int32(260), MaxCount: aws.Int32(260)})
			return err
		}},
		{"terminate a good and a bad id", func() error {
			_, err := c.TerminateInstances(ctx(), &ec2.TerminateInstancesInput{InstanceIds: []string{customerInst, "i-0000000000000dead"}})
			return err
		}},
		{"duplicate ACL entry", func() error {
			var acl string
			_ = fw.world.View(func(tx *emulator.Tx) error { acl = tx.VPC(customerVPC).DefaultNetworkACLID; return nil })
			_, err := c.CreateNetworkAclEntry(ctx(), &ec2.CreateNetworkAclEntryInput{NetworkAclId: aws.String(acl), RuleNumber: aws.Int32(100), Protocol: aws.String("-1"),
				RuleAction: types.RuleActionDeny, Egress: aws.Bool(false), CidrBlock: aws.String("0.0.0.0/0")})
			return err
		}},
		{"dry-run create VPC", func() error {
			_, err := c.CreateVpc(ctx(), &ec2.CreateVpcInput{DryRun: dry, CidrBlock: aws.String("10.60.0.0/16")})
			return err
		}},
		{"dry-run run instances", func() error {
			_, err := c.RunInstances(ctx(), &ec2.RunInstancesInput{DryRun: dry, ImageId: aws.String("ami-1"), SubnetId: aws.String(customerSubnet), MinCount: aws.Int32(2), MaxCount: aws.Int32(2)})
			return err
		}},
		{"dry-run terminate", func() error {
			_, err := c.TerminateInstances(ctx(), &ec2.TerminateInstancesInput{DryRun: dry, InstanceIds: []string{customerInst}})
			return err
		}},
		{"dry-run delete VPC", func() error {
			_, err := c.DeleteVpc(ctx(), &ec2.DeleteVpcInput{DryRun: dry, VpcId: aws.String(fw.vpc2)})
			return err
		}},
		{"dry-run internet gateway", func() error {
			_, err := c.CreateInternetGateway(ctx(), &ec2.CreateInternetGatewayInput{DryRun: dry})
			return err
		}},
		{"dry-run tags", func() error {
			_, err := c.CreateTags(ctx(), &ec2.CreateTagsInput{DryRun: dry, Resources: []string{customerVPC}, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}})
			return err
		}},
	}
	before := snapshot(t, fw.env)
	gen := fw.world.Generation()
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err == nil {
				t.Fatal("call succeeded; want a refusal")
			}
			if diff := cmp.Diff(before, snapshot(t, fw.env)); diff != "" {
				t.Errorf("state changed (-before +after):\n%s", diff)
			}
		})
	}
	if got := fw.world.Generation(); got != gen {
		t.Errorf("world generation moved from %d to %d", gen, got)
	}
}
