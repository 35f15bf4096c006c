package fakeaws_test

import (
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type cliIPv6Perm struct {
	IpProtocol string
	FromPort   *int
	ToPort     *int
	IpRanges   []struct{ CidrIp string }
	Ipv6Ranges []struct{ CidrIpv6, Description string }
}

type cliSGs struct {
	SecurityGroups []struct {
		GroupId             string
		IpPermissions       []cliIPv6Perm
		IpPermissionsEgress []cliIPv6Perm
	}
}

type cliSGRule struct {
	SecurityGroupRuleId string
	GroupId             string
	IsEgress            bool
	IpProtocol          string
	FromPort, ToPort    int
	CidrIpv4, CidrIpv6  string
	Description         string
}

type cliNACLEntry struct {
	RuleNumber    int
	Protocol      string
	RuleAction    string
	Egress        bool
	CidrBlock     string
	Ipv6CidrBlock string
}

type cliNACLs struct {
	NetworkAcls []struct {
		NetworkAclId string
		Entries      []cliNACLEntry
	}
}

type cliRoute6 struct {
	DestinationCidrBlock     string
	DestinationIpv6CidrBlock string
	GatewayId                string
	State                    string
	Origin                   string
}

// ipv6Egress lists a permission list's IPv6 ranges as "proto cidr".
func ipv6Of(perms []cliIPv6Perm) []string {
	var out []string
	for _, p := range perms {
		for _, r := range p.Ipv6Ranges {
			out = append(out, p.IpProtocol+" "+r.CidrIpv6)
		}
	}
	return out
}

// TestAWSCLIIPv6Rules: with the real AWS CLI v2, IPv6 security group rules (inline and as
// sgr- objects: authorize, describe, modify, revoke by id), IPv6 network ACL entries and
// IPv6 routes (::/0 to an internet gateway, blackhole when it is detached) are stored and
// described as EC2 shapes them; the rules EC2 adds when a VPC gets an IPv6 block are there;
// bad input gets EC2's error and changes nothing; an instance cannot get an IPv6 address.
func TestAWSCLIIPv6Rules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	fail := func(want string, args ...string) {
		t.Helper()
		_, stderr, code := cli.run(customerKey, customerSecret, customerRegion, append([]string{"ec2"}, args...)...)
		if code != 254 || strings.TrimSpace(stderr) != want {
			t.Errorf("%v: exit %d, %q; want 254, %q", args, code, stderr, want)
		}
	}

	var assoc struct{ Ipv6CidrBlockAssociation cliIPv6Assoc }
	cli.customer(&assoc, "ec2", "associate-vpc-cidr-block", "--vpc-id", customerVPC, "--amazon-provided-ipv6-cidr-block")
	block := netip.MustParsePrefix(assoc.Ipv6CidrBlockAssociation.Ipv6CidrBlock)

	// The default security group gained an outbound ::/0 rule, the default ACL rules 101.
	var sgs cliSGs
	cli.customer(&sgs, "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values="+customerVPC, "Name=group-name,Values=default")
	if len(sgs.SecurityGroups) != 1 || !reflect.DeepEqual(ipv6Of(sgs.SecurityGroups[0].IpPermissionsEgress), []string{"-1 ::/0"}) {
		t.Fatalf("default group after the IPv6 association: %+v", sgs)
	}
	var acls cliNACLs
	cli.customer(&acls, "ec2", "describe-network-acls", "--filters", "Name=vpc-id,Values="+customerVPC, "Name=default,Values=true")
	if len(acls.NetworkAcls) != 1 {
		t.Fatalf("default ACL: %+v", acls)
	}
	var six []cliNACLEntry
	for _, en := range acls.NetworkAcls[0].Entries {
		if en.Ipv6CidrBlock != "" {
			six = append(six, en)
		}
	}
	want6 := []cliNACLEntry{
		{RuleNumber: 101, Protocol: "-1", RuleAction: "allow", Egress: true, Ipv6CidrBlock: "::/0"},
		{RuleNumber: 32768, Protocol: "-1", RuleAction: "deny", Egress: true, Ipv6CidrBlock: "::/0"},
		{RuleNumber: 101, Protocol: "-1", RuleAction: "allow", Egress: false, Ipv6CidrBlock: "::/0"},
		{RuleNumber: 32768, Protocol: "-1", RuleAction: "deny", Egress: false, Ipv6CidrBlock: "::/0"},
	}
	if !reflect.DeepEqual(six, want6) {
		t.Fatalf("default ACL's IPv6 entries = %+v\nwant %+v", six, want6)
	}

	// A new group in a VPC with IPv6 allows all outbound IPv6 too.
	var created struct{ GroupId string }
	cli.customer(&created, "ec2", "create-security-group", "--vpc-id", customerVPC, "--group-name", "v6", "--description", "v6 rules")
	sg := created.GroupId
	var auth struct{ SecurityGroupRules []cliSGRule }
	cli.customer(&auth, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--ip-permissions",
		`IpProtocol=tcp,FromPort=443,ToPort=443,Ipv6Ranges=[{CidrIpv6=2001:db8::/32,Description=web}]`)
	if r := auth.SecurityGroupRules; len(r) != 1 || r[0].CidrIpv6 != "2001:db8::/32" || r[0].CidrIpv4 != "" || r[0].Description != "web" || !strings.HasPrefix(r[0].SecurityGroupRuleId, "sgr-") {
		t.Fatalf("authorize-security-group-ingress = %+v", auth)
	}
	ruleID := auth.SecurityGroupRules[0].SecurityGroupRuleId
	cli.customer(nil, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--ip-permissions",
		`IpProtocol=icmpv6,FromPort=-1,ToPort=-1,Ipv6Ranges=[{CidrIpv6=::/0}]`)
	rulesOf := func() []string {
		var rs struct{ SecurityGroupRules []cliSGRule }
		cli.customer(&rs, "ec2", "describe-security-group-rules", "--filters", "Name=group-id,Values="+sg)
		var out []string
		for _, r := range rs.SecurityGroupRules {
			out = append(out, strings.Join([]string{map[bool]string{true: "out", false: "in"}[r.IsEgress], r.IpProtocol, r.CidrIpv4 + r.CidrIpv6, r.Description}, " "))
		}
		slices.Sort(out)
		return out
	}
	before := []string{"in icmpv6 ::/0 ", "in tcp 2001:db8::/32 web", "out -1 0.0.0.0/0 ", "out -1 ::/0 "}
	if got := rulesOf(); !reflect.DeepEqual(got, before) {
		t.Fatalf("describe-security-group-rules = %q, want %q", got, before)
	}
	cli.customer(&sgs, "ec2", "describe-security-groups", "--group-ids", sg)
	if got := ipv6Of(sgs.SecurityGroups[0].IpPermissions); !reflect.DeepEqual(got, []string{"tcp 2001:db8::/32", "icmpv6 ::/0"}) {
		t.Errorf("describe-security-groups ingress IPv6 ranges = %q", got)
	}
	var filtered cliSGs
	cli.customer(&filtered, "ec2", "describe-security-groups", "--filters", "Name=ip-permission.ipv6-cidr,Values=2001:db8::/32")
	if len(filtered.SecurityGroups) != 1 || filtered.SecurityGroups[0].GroupId != sg {
		t.Errorf("filter ip-permission.ipv6-cidr: %+v", filtered)
	}

	// Bad input: EC2's error, nothing changed.
	fail("An error occurred (InvalidParameterValue) when calling the AuthorizeSecurityGroupIngress operation: CIDR block 2001:db8::/999 is malformed",
		"authorize-security-group-ingress", "--group-id", sg, "--ip-permissions", `IpProtocol=tcp,FromPort=22,ToPort=22,Ipv6Ranges=[{CidrIpv6=2001:db8::/999}]`)
	fail("An error occurred (InvalidParameterValue) when calling the AuthorizeSecurityGroupIngress operation: CIDR block 10.0.0.0/8 is malformed",
		"authorize-security-group-ingress", "--group-id", sg, "--ip-permissions", `IpProtocol=tcp,FromPort=22,ToPort=22,Ipv6Ranges=[{CidrIpv6=10.0.0.0/8}]`)
	fail(`An error occurred (InvalidPermission.Duplicate) when calling the AuthorizeSecurityGroupIngress operation: the specified rule "peer: 2001:db8::/32, TCP, from port: 443, to port: 443, ALLOW" already exists`,
		"authorize-security-group-ingress", "--group-id", sg, "--ip-permissions", `IpProtocol=tcp,FromPort=443,ToPort=443,Ipv6Ranges=[{CidrIpv6=2001:db8::/32}]`)
	fail("An error occurred (InvalidParameterValue) when calling the ModifySecurityGroupRules operation: CIDR block fe80::/ is malformed",
		"modify-security-group-rules", "--group-id", sg, "--security-group-rules", "SecurityGroupRuleId="+ruleID+",SecurityGroupRule={IpProtocol=tcp,FromPort=443,ToPort=443,CidrIpv6=fe80::/}")
	if got := rulesOf(); !reflect.DeepEqual(got, before) {
		t.Fatalf("refused requests changed the rules: %q", got)
	}

	cli.customer(nil, "ec2", "modify-security-group-rules", "--group-id", sg, "--security-group-rules",
		"SecurityGroupRuleId="+ruleID+",SecurityGroupRule={IpProtocol=tcp,FromPort=8443,ToPort=8443,CidrIpv6=2001:db8:1::/48,Description=alt}")
	var one struct{ SecurityGroupRules []cliSGRule }
	cli.customer(&one, "ec2", "describe-security-group-rules", "--security-group-rule-ids", ruleID)
	if r := one.SecurityGroupRules; len(r) != 1 || r[0].CidrIpv6 != "2001:db8:1::/48" || r[0].FromPort != 8443 || r[0].Description != "alt" {
		t.Fatalf("after modify-security-group-rules: %+v", one)
	}
	// (This CLI's model has no RevokedSecurityGroupRules: the describe below shows the effect.)
	cli.customer(nil, "ec2", "revoke-security-group-ingress", "--group-id", sg, "--security-group-rule-ids", ruleID)
	cli.customer(nil, "ec2", "revoke-security-group-egress", "--group-id", sg, "--ip-permissions", `IpProtocol=-1,Ipv6Ranges=[{CidrIpv6=::/0}]`)
	fail("An error occurred (InvalidPermission.NotFound) when calling the RevokeSecurityGroupEgress operation: The specified rule does not exist in this security group.",
		"revoke-security-group-egress", "--group-id", sg, "--ip-permissions", `IpProtocol=-1,Ipv6Ranges=[{CidrIpv6=::/0}]`)
	if got := rulesOf(); !reflect.DeepEqual(got, []string{"in icmpv6 ::/0 ", "out -1 0.0.0.0/0 "}) {
		t.Fatalf("after the revokes: %q", got)
	}

	// Network ACL entries with Ipv6CidrBlock.
	var acl struct{ NetworkAcl struct{ NetworkAclId string } }
	cli.customer(&acl, "ec2", "create-network-acl", "--vpc-id", customerVPC)
	aclID := acl.NetworkAcl.NetworkAclId
	cli.customer(nil, "ec2", "create-network-acl-entry", "--network-acl-id", aclID, "--rule-number", "110", "--protocol", "tcp",
		"--port-range", "From=443,To=443", "--rule-action", "allow", "--ingress", "--ipv6-cidr-block", "2001:db8::/32")
	cli.customer(nil, "ec2", "create-network-acl-entry", "--network-acl-id", aclID, "--rule-number", "120", "--protocol", "58",
		"--icmp-type-code", "Type=-1,Code=-1", "--rule-action", "allow", "--egress", "--ipv6-cidr-block", "::/0")
	entries := func() []string {
		var a cliNACLs
		cli.customer(&a, "ec2", "describe-network-acls", "--network-acl-ids", aclID)
		var out []string
		for _, en := range a.NetworkAcls[0].Entries {
			out = append(out, strings.Join([]string{map[bool]string{true: "out", false: "in"}[en.Egress], en.Protocol, en.RuleAction, en.CidrBlock + en.Ipv6CidrBlock}, " ")+" "+strconv.Itoa(en.RuleNumber))
		}
		return out
	}
	wantEntries := []string{"out 58 allow ::/0 120", "out -1 deny 0.0.0.0/0 32767", "out -1 deny ::/0 32768",
		"in 6 allow 2001:db8::/32 110", "in -1 deny 0.0.0.0/0 32767", "in -1 deny ::/0 32768"}
	if got := entries(); !reflect.DeepEqual(got, wantEntries) {
		t.Fatalf("describe-network-acls = %q\nwant %q", got, wantEntries)
	}
	fail("An error occurred (InvalidParameterValue) when calling the CreateNetworkAclEntry operation: Value (10.0.0.0/8) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.",
		"create-network-acl-entry", "--network-acl-id", aclID, "--rule-number", "130", "--protocol", "-1", "--rule-action", "deny", "--ingress", "--ipv6-cidr-block", "10.0.0.0/8")
	fail("An error occurred (InvalidParameterValue) when calling the CreateNetworkAclEntry operation: Value (::/0) for parameter cidrBlock is invalid. This is not a valid CIDR block.",
		"create-network-acl-entry", "--network-acl-id", aclID, "--rule-number", "130", "--protocol", "-1", "--rule-action", "deny", "--ingress", "--cidr-block", "::/0")
	fail("An error occurred (NetworkAclEntryAlreadyExists) when calling the CreateNetworkAclEntry operation: The network acl entry identified by 110 already exists.",
		"create-network-acl-entry", "--network-acl-id", aclID, "--rule-number", "110", "--protocol", "-1", "--rule-action", "deny", "--ingress", "--ipv6-cidr-block", "::/0")
	if got := entries(); !reflect.DeepEqual(got, wantEntries) {
		t.Fatalf("refused entries changed the ACL: %q", got)
	}
	cli.customer(nil, "ec2", "replace-network-acl-entry", "--network-acl-id", aclID, "--rule-number", "110", "--protocol", "-1",
		"--rule-action", "deny", "--ingress", "--ipv6-cidr-block", "2001:db8:2::/48")
	cli.customer(nil, "ec2", "delete-network-acl-entry", "--network-acl-id", aclID, "--rule-number", "120", "--egress")
	if got := entries(); !reflect.DeepEqual(got, []string{"out -1 deny 0.0.0.0/0 32767", "out -1 deny ::/0 32768",
		"in -1 deny 2001:db8:2::/48 110", "in -1 deny 0.0.0.0/0 32767", "in -1 deny ::/0 32768"}) {
		t.Fatalf("after replace and delete: %q", got)
	}
	cli.customer(nil, "ec2", "delete-network-acl", "--network-acl-id", aclID)

	// Routes with DestinationIpv6CidrBlock.
	var rt struct{ RouteTable struct{ RouteTableId string } }
	cli.customer(&rt, "ec2", "create-route-table", "--vpc-id", customerVPC)
	rtb := rt.RouteTable.RouteTableId
	var igw struct {
		InternetGateway struct{ InternetGatewayId string }
	}
	cli.customer(&igw, "ec2", "create-internet-gateway")
	gw := igw.InternetGateway.InternetGatewayId
	cli.customer(nil, "ec2", "create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "::/0", "--gateway-id", gw)
	cli.customer(nil, "ec2", "create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "2001:db8::/32", "--gateway-id", gw)
	routes := func() []string {
		var tables struct {
			RouteTables []struct{ Routes []cliRoute6 }
		}
		cli.customer(&tables, "ec2", "describe-route-tables", "--route-table-ids", rtb)
		var out []string
		for _, r := range tables.RouteTables[0].Routes {
			out = append(out, strings.Join([]string{r.DestinationCidrBlock + r.DestinationIpv6CidrBlock, r.GatewayId, r.State, r.Origin}, " "))
		}
		return out
	}
	wantRoutes := []string{"172.16.0.0/16 local active CreateRouteTable", block.String() + " local active CreateRouteTable",
		"::/0 " + gw + " blackhole CreateRoute", "2001:db8::/32 " + gw + " blackhole CreateRoute"}
	if got := routes(); !reflect.DeepEqual(got, wantRoutes) {
		t.Fatalf("describe-route-tables = %q\nwant %q", got, wantRoutes)
	}
	fail("An error occurred (InvalidParameterValue) when calling the CreateRoute operation: Value (::/200) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.",
		"create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "::/200", "--gateway-id", gw)
	fail("An error occurred (InvalidParameterValue) when calling the CreateRoute operation: Value (0.0.0.0/0) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.",
		"create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "0.0.0.0/0", "--gateway-id", gw)
	fail("An error occurred (RouteAlreadyExists) when calling the CreateRoute operation: The route identified by ::/0 already exists.",
		"create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "::/0", "--gateway-id", gw)
	fail("An error occurred (RouteAlreadyExists) when calling the CreateRoute operation: The route identified by "+block.String()+" already exists.",
		"create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", block.String(), "--gateway-id", gw)
	sub := netip.PrefixFrom(block.Addr(), 64).String()
	fail("An error occurred (InvalidParameterValue) when calling the CreateRoute operation: The destination CIDR block "+sub+" is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.",
		"create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", sub, "--gateway-id", gw)
	fail("An error occurred (InvalidRoute.NotFound) when calling the DeleteRoute operation: no route with destination-ipv6-cidr-block 2001:db8:9::/48 in route table "+rtb,
		"delete-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "2001:db8:9::/48")
	if got := routes(); !reflect.DeepEqual(got, wantRoutes) {
		t.Fatalf("refused routes changed the table: %q", got)
	}
	cli.customer(nil, "ec2", "attach-internet-gateway", "--internet-gateway-id", gw, "--vpc-id", customerVPC)
	if got := routes(); got[2] != "::/0 "+gw+" active CreateRoute" {
		t.Errorf("::/0 to an attached gateway: %q", got)
	}
	var byDst struct {
		RouteTables []struct{ RouteTableId string }
	}
	cli.customer(&byDst, "ec2", "describe-route-tables", "--filters", "Name=route.destination-ipv6-cidr-block,Values=2001:db8::/32")
	if len(byDst.RouteTables) != 1 || byDst.RouteTables[0].RouteTableId != rtb {
		t.Errorf("filter route.destination-ipv6-cidr-block: %+v", byDst)
	}
	cli.customer(nil, "ec2", "replace-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "2001:db8::/32", "--gateway-id", gw)
	cli.customer(nil, "ec2", "delete-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "2001:db8::/32")
	cli.customer(nil, "ec2", "delete-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "::/0")
	if got := routes(); len(got) != 2 {
		t.Errorf("after delete-route: %q", got)
	}

	// What would give an instance an IPv6 address is refused, naming why.
	cli.customer(nil, "ec2", "associate-subnet-cidr-block", "--subnet-id", customerSubnet, "--ipv6-cidr-block", sub)
	fail("An error occurred (UnsupportedOperation) when calling the ModifySubnetAttribute operation: spacelab gives instances no IPv6 addresses (assignIpv6AddressOnCreation): its data plane carries IPv4 only; IPv6 blocks, routes and rules are stored and described",
		"modify-subnet-attribute", "--subnet-id", customerSubnet, "--assign-ipv6-address-on-creation")
	fail("An error occurred (UnsupportedOperation) when calling the RunInstances operation: spacelab gives instances no IPv6 addresses (Ipv6AddressCount): its data plane carries IPv4 only; IPv6 blocks, routes and rules are stored and described",
		"run-instances", "--image-id", "ami-0abcdef1234567890", "--count", "1", "--instance-type", "t3.micro", "--subnet-id", customerSubnet, "--ipv6-address-count", "1")
}

// TestBoto3IPv6Rules drives the same IPv6 rules, entries and routes with boto3
// (testdata/boto3/ipv6_rules.py).
func TestBoto3IPv6Rules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	got := runBoto3(t, e, "ipv6_rules.py")
	want := map[string]any{
		"AuthorizeSecurityGroupIngress":     "2001:db8::/32 -",
		"AuthorizeSecurityGroupIngress.bad": "InvalidParameterValue 400",
		"DescribeSecurityGroups":            []any{"in tcp 2001:db8::/32", "out -1 ::/0"},
		"ModifySecurityGroupRules":          "2001:db8:1::/48",
		"ModifySecurityGroupRules.bad":      "InvalidParameterValue 400",
		"RevokeSecurityGroupIngress":        true,
		"DescribeSecurityGroupRules.after":  []any{"out 0.0.0.0/0", "out ::/0"},
		"CreateNetworkAclEntry.bad":         "InvalidParameterValue 400",
		"DescribeNetworkAcls":               []any{"in 100 allow 2001:db8::/32", "in 32767 deny 0.0.0.0/0", "in 32768 deny ::/0"},
		"DeleteNetworkAclEntry":             []any{"in 32767 deny 0.0.0.0/0", "in 32768 deny ::/0"},
		"CreateRoute.bad":                   "InvalidParameterValue 400",
		"CreateRoute.dup":                   "RouteAlreadyExists 400",
		"DescribeRouteTables":               []any{"172.16.0.0/16 local active", "VPC/56 local active", "::/0 igw active"},
		"DeleteRoute":                       []any{"172.16.0.0/16 local active", "VPC/56 local active"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("boto3 report:\n got %v\nwant %v", got, want)
	}
}
