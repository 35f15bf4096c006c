package fakeaws_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/fakeaws"
)

var requestIDRE = regexp.MustCompile(`(?i)<request(id)>[0-9a-f-]{36}</request(id)>`)

// scrub replaces request ids so documents compare exactly.
func scrub(s string) string {
	return requestIDRE.ReplaceAllStringFunc(s, func(m string) string {
		open := m[:strings.Index(m, ">")+1]
		return open + "ID" + "</" + open[1:]
	})
}

// TestRawProtocol pins the wire format: documents, statuses and the Query protocol's corners.
func TestRawProtocol(t *testing.T) {
	const ec2Err = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>ID</RequestID></Response>`
	errDoc := func(code, msg string) string {
		return strings.Replace(strings.Replace(ec2Err, "%s", code, 1), "%s", msg, 1)
	}
	tests := []struct {
		name       string
		form       []string
		key        string // "" = unsigned
		service    string
		region     string
		at         time.Time
		wantStatus int
		wantBody   string // exact, after scrubbing request ids; "" = not checked
		wantIn     []string
	}{
		{name: "unknown action", form: []string{"Action", "DescribeUnicorns", "Version", "2016-11-15"}, key: customerKey, service: "ec2", region: customerRegion,
			wantStatus: 400, wantBody: errDoc("InvalidAction", "The action DescribeUnicorns is not valid for this web service.")},
		{name: "missing action", form: []string{"Version", "2016-11-15"}, key: customerKey, service: "ec2", region: customerRegion,
			wantStatus: 400, wantBody: errDoc("MissingAction", "The request must contain the parameter Action")},
		{name: "unsigned", form: []string{"Action", "DescribeVpcs", "Version", "2016-11-15"},
			wantStatus: 401, wantBody: errDoc("MissingAuthenticationToken", "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.")},
		{name: "signed for another service", form: []string{"Action", "DescribeVpcs", "Version", "2016-11-15"}, key: customerKey, service: "s3", region: customerRegion,
			wantStatus: 401, wantIn: []string{"<Code>AuthFailure</Code>", "Credential should be scoped to correct service"}},
		{name: "signed for an unknown region", form: []string{"Action", "DescribeVpcs", "Version", "2016-11-15"}, key: customerKey, service: "ec2", region: "moon-1",
			wantStatus: 401, wantIn: []string{"<Code>AuthFailure</Code>"}},
		{name: "missing parameter", form: []string{"Action", "AcceptVpcPeeringConnection", "Version", "2016-11-15"}, key: customerKey, service: "ec2", region: customerRegion,
			wantStatus: 400, wantBody: errDoc("MissingParameter", "The request must contain the parameter vpcPeeringConnectionId")},
		{name: "bad boolean", form: []string{"Action", "DescribeVpcs", "Version", "2016-11-15", "DryRun", "maybe"}, key: customerKey, service: "ec2", region: customerRegion,
			wantStatus: 400, wantBody: errDoc("InvalidParameterValue", "Value (maybe) for parameter dryRun is invalid.")},
		{name: "unknown parameters are ignored", form: []string{"Action", "DescribeVpcs", "Version", "2016-11-15", "SomeFutureMember", "x", "ClientToken", "abc"}, key: customerKey, service: "ec2", region: customerRegion,
			wantStatus: 200, wantIn: []string{`<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>ID</requestId><vpcSet><item><vpcId>vpc-0cb1a66017eed9372</vpcId><ownerId>435886841536</ownerId><state>available</state><cidrBlock>172.16.0.0/16</cidrBlock>`}},
		{name: "sts caller identity", form: []string{"Action", "GetCallerIdentity", "Version", "2011-06-15"}, key: customerKey, service: "sts", region: "eu-west-1",
			wantStatus: 200, wantIn: []string{`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::435886841536:user/admin</Arn><UserId>AIDA`, `<Account>435886841536</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>ID</RequestId></ResponseMetadata></GetCallerIdentityResponse>`}},
		{name: "sts unknown action", form: []string{"Action", "AssumeRole", "Version", "2011-06-15"}, key: customerKey, service: "sts", region: customerRegion,
			wantStatus: 400, wantBody: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation AssumeRole for version 2011-06-15</Message></Error><RequestId>ID</RequestId></ErrorResponse>`},
		{name: "legacy top-level permission", form: []string{"Action", "AuthorizeSecurityGroupIngress", "Version", "2016-11-15", "GroupName", "default", "IpProtocol", "tcp", "FromPort", "443", "ToPort", "443", "CidrIp", "10.0.0.0/16"},
			key: customerKey, service: "ec2", region: customerRegion,
			wantStatus: 200, wantIn: []string{"<return>true</return><securityGroupRuleSet><item><securityGroupRuleId>sgr-", "<groupOwnerId>435886841536</groupOwnerId><isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort><cidrIpv4>10.0.0.0/16</cidrIpv4>"}},
		{name: "regions", form: []string{"Action", "DescribeRegions", "Version", "2016-11-15", "RegionName.1", "ap-northeast-1"}, key: customerKey, service: "ec2", region: customerRegion,
			wantStatus: 200, wantIn: []string{"<regionInfo><item><regionName>ap-northeast-1</regionName><regionEndpoint>ec2.ap-northeast-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item></regionInfo>"}},
		{name: "zones of the signing region", form: []string{"Action", "DescribeAvailabilityZones", "Version", "2016-11-15", "Filter.1.Name", "zone-name", "Filter.1.Value.1", "*c"}, key: herokuKey, service: "ec2", region: herokuRegion,
			wantStatus: 200, wantIn: []string{"<availabilityZoneInfo><item><zoneName>ap-northeast-1c</zoneName><zoneId>apne1-az2</zoneId><zoneState>available</zoneState>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			secret := map[string]string{customerKey: customerSecret, herokuKey: herokuSecret}[tt.key]
			got := e.raw(form(tt.form...), tt.key, secret, tt.service, tt.region, tt.at)
			body := scrub(got.Body)
			if got.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d; body %s", got.Status, tt.wantStatus, body)
			}
			if tt.wantBody != "" {
				if diff := cmp.Diff(tt.wantBody, body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %s\nbody: %s", s, body)
				}
			}
		})
	}
}

// TestTimestampsAndShapes checks EC2's timestamp spelling and the peering document's shape.
func TestTimestampsAndShapes(t *testing.T) {
	e := newEnv(t)
	pcx := pendingPeering(t, e)
	got := scrub(e.raw(form("Action", "DescribeVpcPeeringConnections", "Version", "2016-11-15", "VpcPeeringConnectionId.1", pcx),
		customerKey, customerSecret, "ec2", customerRegion, time.Time{}).Body)
	want := regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>
<DescribeVpcPeeringConnectionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>ID</requestId><vpcPeeringConnectionSet><item><vpcPeeringConnectionId>` + pcx + `</vpcPeeringConnectionId><requesterVpcInfo><ownerId>435886841536</ownerId><vpcId>vpc-0cb1a66017eed9372</vpcId><region>us-east-1</region><cidrBlock>172.16.0.0/16</cidrBlock><cidrBlockSet><item><cidrBlock>172.16.0.0/16</cidrBlock></item></cidrBlockSet><peeringOptions><allowDnsResolutionFromRemoteVpc>false</allowDnsResolutionFromRemoteVpc><allowEgressFromLocalClassicLinkToRemoteVpc>false</allowEgressFromLocalClassicLinkToRemoteVpc><allowEgressFromLocalVpcToRemoteClassicLink>false</allowEgressFromLocalVpcToRemoteClassicLink></peeringOptions></requesterVpcInfo><accepterVpcInfo><ownerId>884226375513</ownerId><vpcId>vpc-b39527d4</vpcId><region>ap-northeast-1</region></accepterVpcInfo><status><code>pending-acceptance</code><message>Pending Acceptance by 884226375513</message></status><expirationTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z</expirationTime><tagSet></tagSet></item></vpcPeeringConnectionSet></DescribeVpcPeeringConnectionsResponse>$`)
	if !want.MatchString(got) {
		t.Errorf("document does not have the expected shape:\n%s", got)
	}
}

// TestPanicBecomesInternalError: a panic anywhere in serving becomes a 500 InternalError and
// the server (and the world's lock) keeps working.
func TestPanicBecomesInternalError(t *testing.T) {
	e := newEnv(t, func(s *fakeaws.Server) {
		s.Inject = func(action string, c emulator.Caller) *emulator.AWSError {
			if action == "DescribeVpcs" {
				panic("boom")
			}
			return nil
		}
	})
	got := e.raw(form("Action", "DescribeVpcs", "Version", "2016-11-15"), customerKey, customerSecret, "ec2", customerRegion, time.Time{})
	if got.Status != http.StatusInternalServerError || !strings.Contains(got.Body, "<Code>InternalError</Code>") {
		t.Errorf("got %d %s; want 500 InternalError", got.Status, got.Body)
	}
	if _, err := e.customer().DescribeSubnets(ctx(), &ec2.DescribeSubnetsInput{}); err != nil {
		t.Errorf("server after a panic: %v", err)
	}
}

// TestPanicInTransactionReleasesTheWorld: a panic inside World.Update (recovered by the
// server) must not leave the world locked.
func TestPanicInTransactionReleasesTheWorld(t *testing.T) {
	e := newEnv(t)
	func() {
		defer func() { _ = recover() }()
		_ = e.world.Update(func(tx *emulator.Tx) error { panic("boom") })
	}()
	done := make(chan error, 1)
	go func() {
		_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server hangs after a panic in a transaction")
	}
}

// TestZeroValueServer: &fakeaws.Server{} serves, with an empty world that knows no keys.
func TestZeroValueServer(t *testing.T) {
	s := &fakeaws.Server{}
	hs := newHTTPTest(t, s)
	e := &env{t: t, srv: s, url: hs}
	_, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
	if got := asAPIErr(t, err); got.Code != "AuthFailure" {
		t.Errorf("got %+v, want AuthFailure", got)
	}
	if s.World == nil {
		t.Fatal("World was not created")
	}
	if err := s.World.Update(func(tx *emulator.Tx) error {
		tx.AddAccessKey(emulator.AccessKey{ID: customerKey, Secret: customerSecret, Account: customerAccount})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	out, err := e.customer().DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{})
	if err != nil || len(out.Vpcs) != 1 || !aws.ToBool(out.Vpcs[0].IsDefault) || aws.ToString(out.Vpcs[0].CidrBlock) != "172.31.0.0/16" {
		t.Errorf("DescribeVpcs = %v, %v; want only the account's default VPC", out, err)
	}
}

// TestBasePath: an endpoint URL with a path is signed with that path, and works.
func TestBasePath(t *testing.T) {
	e := newEnv(t)
	c := ec2.NewFromConfig(e.cfg(customerKey, customerSecret, customerRegion), func(o *ec2.Options) { o.BaseEndpoint = aws.String(e.url + "/some/base path") })
	if _, err := c.DescribeVpcs(ctx(), &ec2.DescribeVpcsInput{}); err != nil {
		t.Fatal(err)
	}
}
