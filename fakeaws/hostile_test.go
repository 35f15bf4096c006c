package fakeaws_test

import (
	"strings"
	"testing"
	"time"
)

// TestHostileInput: input EC2 and STS refuse gets their error (code, status) and changes
// nothing: no Version or an unknown one, text that is not UTF-8 or holds control characters,
// ids that cannot be ids (.Malformed, where a well-formed unknown id is .NotFound), and an
// oversize body.
func TestHostileInput(t *testing.T) {
	e := newEnv(t)
	const v = "2016-11-15"
	tests := []struct {
		name    string
		form    []string
		service string
		status  int
		code    string
		msg     string
	}{
		{"no Version", []string{"Action", "DescribeVpcs"}, "ec2", 400, "MissingParameter", "The request must contain the parameter Version"},
		{"empty Version", []string{"Action", "DescribeVpcs", "Version", ""}, "ec2", 400, "MissingParameter", "The request must contain the parameter Version"},
		{"unknown Version", []string{"Action", "DescribeVpcs", "Version", "2099-01-01"}, "ec2", 400, "NoSuchVersion", "The requested version (2099-01-01) of service AmazonEC2 does not exist"},
		{"STS in an EC2 version", []string{"Action", "GetCallerIdentity", "Version", v}, "sts", 400, "InvalidAction", "Could not find operation GetCallerIdentity for version 2016-11-15"},
		{"invalid UTF-8 in a group name", []string{"Action", "CreateSecurityGroup", "Version", v, "VpcId", customerVPC, "GroupName", "web\xff", "GroupDescription", "d"}, "ec2", 400, "InvalidParameterValue", "Value for parameter GroupName is not valid UTF-8"},
		{"invalid UTF-8 in a tag", []string{"Action", "CreateVpc", "Version", v, "CidrBlock", "10.9.0.0/16", "TagSpecification.1.ResourceType", "vpc", "TagSpecification.1.Tag.1.Key", "Name", "TagSpecification.1.Tag.1.Value", "\xc3\x28"}, "ec2", 400, "InvalidParameterValue", "not valid UTF-8"},
		{"control character in a group name", []string{"Action", "CreateSecurityGroup", "Version", v, "VpcId", customerVPC, "GroupName", "web\x00x", "GroupDescription", "d"}, "ec2", 400, "InvalidParameterValue", `contains a control character (U+0000)`},
		{"escape in a description", []string{"Action", "CreateSecurityGroup", "Version", v, "VpcId", customerVPC, "GroupName", "web", "GroupDescription", "\x1b[31mred"}, "ec2", 400, "InvalidParameterValue", `contains a control character (U+001B)`},
		{"malformed vpc id", []string{"Action", "DescribeVpcs", "Version", v, "VpcId.1", "vpc-nope"}, "ec2", 400, "InvalidVpcID.Malformed", `Invalid id: "vpc-nope"`},
		{"malformed vpc id to delete", []string{"Action", "DeleteVpc", "Version", v, "VpcId", "vpc-0cb1a66017eed9372'--"}, "ec2", 400, "InvalidVpcID.Malformed", `Invalid id: "vpc-0cb1a66017eed9372'--"`},
		{"vpc id with upper case", []string{"Action", "DeleteVpc", "Version", v, "VpcId", "vpc-0CB1A66017EED9372"}, "ec2", 400, "InvalidVpcID.Malformed", `Invalid id: "vpc-0CB1A66017EED9372"`},
		{"vpc id too long", []string{"Action", "DeleteVpc", "Version", v, "VpcId", "vpc-" + strings.Repeat("0", 18)}, "ec2", 400, "InvalidVpcID.Malformed", "Invalid id"},
		{"subnet id of another kind", []string{"Action", "DeleteSubnet", "Version", v, "SubnetId", customerVPC}, "ec2", 400, "InvalidSubnetID.Malformed", `Invalid id: "vpc-0cb1a66017eed9372"`},
		{"malformed group id", []string{"Action", "DeleteSecurityGroup", "Version", v, "GroupId", "sg-zz"}, "ec2", 400, "InvalidGroupId.Malformed", `Invalid id: "sg-zz"`},
		{"malformed instance id", []string{"Action", "TerminateInstances", "Version", v, "InstanceId.1", "i-"}, "ec2", 400, "InvalidInstanceID.Malformed", `Invalid id: "i-"`},
		{"malformed route table id", []string{"Action", "DeleteRouteTable", "Version", v, "RouteTableId", "rtb-../../x"}, "ec2", 400, "InvalidRouteTableID.Malformed", `Invalid id: "rtb-../../x"`},
		{"malformed peering id", []string{"Action", "AcceptVpcPeeringConnection", "Version", v, "VpcPeeringConnectionId", "pcx-\u00e9"}, "ec2", 400, "InvalidVpcPeeringConnectionId.Malformed", `Invalid id: "pcx-\u00e9"`},
		{"well-formed unknown vpc id", []string{"Action", "DeleteVpc", "Version", v, "VpcId", "vpc-0000000000000dead"}, "ec2", 400, "InvalidVpcID.NotFound", "The vpc ID 'vpc-0000000000000dead' does not exist"},
		{"oversize body", []string{"Action", "DescribeVpcs", "Version", v, "Filter.1.Name", "vpc-id", "Filter.1.Value.1", strings.Repeat("v", 1<<20)}, "ec2", 413, "RequestEntityTooLarge", ""},
	}
	gen := e.world.Generation()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.raw(form(tc.form...), customerKey, customerSecret, tc.service, customerRegion, time.Time{})
			if r.Status != tc.status || !strings.Contains(r.Body, "<Code>"+tc.code+"</Code>") || !strings.Contains(r.Body, xmlEscape(tc.msg)) {
				t.Errorf("status %d body %s\nwant %d %s %q", r.Status, r.Body, tc.status, tc.code, tc.msg)
			}
		})
	}
	if g := e.world.Generation(); g != gen {
		t.Errorf("refused requests changed the world (generation %d → %d)", gen, g)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer(`"`, "&#34;", "'", "&#39;", "<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(s)
}
