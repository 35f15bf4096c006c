package lab_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/internal/tftest"
)

// TestTerraformIPv6 applies a VPC with an Amazon-provided IPv6 /56 (assign_generated_ipv6_cidr_block),
// a subnet with a /64 of it, ::/0 to an internet gateway and an IPv6 prefix to an instance's
// interface (aws_route), IPv6 security group rules inline (ipv6_cidr_blocks) and as an object
// (aws_vpc_security_group_ingress_rule cidr_ipv6) and an IPv6 network ACL rule; a second plan
// is empty, so everything reads back as written. spacelab's data plane carries IPv4 only: the
// instances get no IPv6 address, and an IPv6-only rule admits no IPv4 packet (web:80 is open to
// ::/0 only and stays closed to the client's IPv4 address, while web:8080, open to the VPC's
// IPv4 block, answers). Destroy leaves the account as it was.
func TestTerraformIPv6(t *testing.T) {
	t.Parallel()
	l, env, c := terraformLab(t)
	ctx := context.Background()
	before := accountState(t, ctx, c)
	w := tftest.New(t, "testdata/terraform/ipv6", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	w.PlanIsEmpty()
	out := w.Outputs()
	vpc6, err := netip.ParsePrefix(out["vpc_ipv6"])
	if err != nil || vpc6.Bits() != 56 {
		t.Errorf("aws_vpc ipv6_cidr_block = %q, want an Amazon-provided /56", out["vpc_ipv6"])
	}
	if sub6, err := netip.ParsePrefix(out["subnet_ipv6"]); err != nil || sub6.Bits() != 64 || !vpc6.Contains(sub6.Addr()) {
		t.Errorf("aws_subnet ipv6_cidr_block = %q, want a /64 of %s", out["subnet_ipv6"], vpc6)
	}
	if out["web_ipv6"] != "" {
		t.Errorf("instance web has IPv6 addresses %q; spacelab gives none", out["web_ipv6"])
	}
	rules, err := c.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{SecurityGroupRuleIds: []string{out["rule"]}})
	if err != nil || len(rules.SecurityGroupRules) != 1 || aws.ToString(rules.SecurityGroupRules[0].CidrIpv6) != vpc6.String() {
		t.Errorf("DescribeSecurityGroupRules(%s) = %+v, %v; want cidr_ipv6 %s", out["rule"], rules, err, vpc6)
	}

	serveHTTP(t, l, out["web"], 80)
	serveHTTP(t, l, out["web"], 8080)
	if got := httpCode(t, l, out["client"], "http://"+out["web_ip"]+":8080/"); got != "200" {
		t.Errorf("client → web:8080 = %s, want 200 (the VPC's IPv4 block may)", got)
	}
	if got := httpCode(t, l, out["client"], "http://"+out["web_ip"]+":80/"); got != "000" {
		t.Errorf("client → web:80 = %s, want nothing (only ::/0 may, and no IPv4 packet is IPv6)", got)
	}
	w.Destroy()
	if d := cmp.Diff(before, accountState(t, ctx, c)); d != "" {
		t.Errorf("destroy left the account changed (-before +after):\n%s", d)
	}
}
