package labtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestResetUndoesAPIState: POST /_spacelab/reset on either API port puts the model back to the
// topology and answers 200 only once the data plane has followed. The seed's peering and route
// made through the APIs open the path to the app; after a reset the peering, the route and a VPC
// made alongside are gone from both APIs and packets are blocked again; the lab can be peered
// again and reset again through the other port.
func TestResetUndoesAPIState(t *testing.T) {
	ctx := context.Background()
	l := labtest.Start(t)
	app := netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}
	expect := func(t *testing.T, pass bool) {
		t.Helper()
		c, err := l.Check(ctx, app)
		if err != nil {
			t.Fatal(err)
		}
		if c.Passed() != pass || !c.Agree {
			t.Fatalf("want passed=%v: %s\n%s", pass, c.Summary(), c.Verdict.Path())
		}
	}
	reset := func(t *testing.T, base string) {
		t.Helper()
		resp, err := http.Post(base+lab.ResetPath, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var h lab.Health
		if err := json.Unmarshal(b, &h); err != nil {
			t.Fatalf("reset answer %d %s: %v", resp.StatusCode, b, err)
		}
		if resp.StatusCode != http.StatusOK || !h.Ready || h.Applied != h.Generation {
			t.Fatalf("reset answered %d %s", resp.StatusCode, b)
		}
		// Answering means converged: the health endpoint agrees without waiting.
		if hh := l.Health(); !hh.Ready {
			t.Fatalf("health right after reset: %+v", hh)
		}
	}

	expect(t, false)
	before, err := l.HerokuClient().PeeringList(ctx, "enablement-jp", nil)
	if err != nil {
		t.Fatal(err)
	}
	peer(t, ctx, l)
	extra := ec2(t, ctx, l, "vpcId", "Action", "CreateVpc", "CidrBlock", "10.99.0.0/16")
	expect(t, true)

	reset(t, l.AWSURL)
	expect(t, false)
	if peerings, err := l.HerokuClient().PeeringList(ctx, "enablement-jp", nil); err != nil || len(peerings) != len(before) {
		t.Errorf("Heroku peerings after reset: %v, %v", peerings, err)
	}
	// An empty set is <vpcSet></vpcSet>; ec2 fails the test when the set has items.
	if got := ec2(t, ctx, l, "vpcSet", "Action", "DescribeVpcs", "Filter.1.Name", "vpc-id", "Filter.1.Value.1", extra); got != "" {
		t.Errorf("VPC %s made before the reset is still there", extra)
	}
	if got := ec2(t, ctx, l, "routeTableSet", "Action", "DescribeRouteTables", "Filter.1.Name", "route.destination-cidr-block", "Filter.1.Value.1", "10.0.0.0/16"); got != "" {
		t.Errorf("a route to the space survived the reset: %s", got)
	}

	peer(t, ctx, l)
	expect(t, true)
	reset(t, l.HerokuURL)
	expect(t, false)

	resp, err := http.Get(l.AWSURL + lab.ResetPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET %s: %d Allow=%q, want 405 Allow=POST", lab.ResetPath, resp.StatusCode, resp.Header.Get("Allow"))
	}
}
