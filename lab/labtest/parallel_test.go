package labtest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestParallelLabs runs 8 labs in one process at the same time. None shares a port, a
// directory, a sandbox process or a token with another, and each is its own world: the labs
// that make the seed's peering (through both APIs) reach the app, the others stay blocked, so
// no lab's API calls or data plane leak into another's. CI runs it under -race; it talks EC2's
// Query protocol with a SigV4 signature itself, so its test binary does without the (large) EC2
// SDK package.
func TestParallelLabs(t *testing.T) {
	const n = 8
	var mu sync.Mutex
	owner := map[string]int{}
	claim := func(t *testing.T, i int, what, v string) {
		mu.Lock()
		defer mu.Unlock()
		if j, dup := owner[what+" "+v]; dup {
			t.Errorf("lab %d has the %s %s of lab %d", i, what, v, j)
		}
		owner[what+" "+v] = i
	}
	app := netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}
	for i := range n {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			l := labtest.Start(t)
			claim(t, i, "Heroku API", l.HerokuURL)
			claim(t, i, "AWS API", l.AWSURL)
			claim(t, i, "sandbox directory", l.Sandbox.Dir())
			claim(t, i, "sandbox pid", strconv.Itoa(l.Sandbox.Pid()))
			claim(t, i, "token", l.HerokuToken)
			peered := i%2 == 0
			if peered {
				peer(t, ctx, l)
			}
			c, err := l.Check(ctx, app)
			if err != nil {
				t.Fatal(err)
			}
			if c.Passed() != peered || !c.Agree {
				t.Fatalf("peered=%v: %s\n%s", peered, c.Summary(), c.Verdict.Path())
			}
		})
	}
}

// peer makes the seed's peering: peering info and acceptance through heroku-go, the request
// and the route through the EC2 API.
func peer(t *testing.T, ctx context.Context, l *lab.Lab) {
	t.Helper()
	heroku := l.HerokuClient()
	info, err := heroku.PeeringInfoInfo(ctx, "enablement-jp")
	if err != nil {
		t.Fatal(err)
	}
	vpc := ec2(t, ctx, l, "vpcId", "Action", "DescribeVpcs", "Filter.1.Name", "cidr", "Filter.1.Value.1", "172.16.0.0/16")
	pcx := ec2(t, ctx, l, "vpcPeeringConnectionId", "Action", "CreateVpcPeeringConnection", "VpcId", vpc,
		"PeerVpcId", info.VpcID, "PeerOwnerId", info.AwsAccountID, "PeerRegion", info.AwsRegion)
	if _, err := heroku.PeeringAccept(ctx, "enablement-jp", pcx); err != nil {
		t.Fatal(err)
	}
	rtb := ec2(t, ctx, l, "routeTableId", "Action", "DescribeRouteTables", "Filter.1.Name", "vpc-id", "Filter.1.Value.1", vpc,
		"Filter.2.Name", "association.main", "Filter.2.Value.1", "true")
	ec2(t, ctx, l, "return", "Action", "CreateRoute", "RouteTableId", rtb, "DestinationCidrBlock", info.VpcCIDR, "VpcPeeringConnectionId", pcx)
}

// ec2 sends one signed EC2 Query request with the topology's first account and returns the
// first <field> of the answer.
func ec2(t *testing.T, ctx context.Context, l *lab.Lab, field string, kv ...string) string {
	t.Helper()
	form := url.Values{"Version": {"2016-11-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	cfg, err := l.AWSConfig(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.AWSURL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ec2", cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile("<" + field + ">([^<]*)</" + field + ">").FindSubmatch(b)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("%s: %d, no %s in\n%s", form.Get("Action"), resp.StatusCode, field, b)
	}
	return string(m[1])
}
