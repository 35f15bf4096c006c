package fakeheroku

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
)

// spaceRoutes lists the space VPC's main route table as "dst→target".
func (e *env) spaceRoutes() []string {
	var out []string
	_ = e.world.View(func(tx *emulator.Tx) error {
		vpc := tx.VPC(spaceVPC)
		for _, r := range tx.RouteTable(vpc.MainRouteTableID).Routes {
			out = append(out, r.Dst.String()+"→"+r.Target)
		}
		return nil
	})
	return out
}

// TestAcceptByBodyRoutesThePeer: the CLI's accept (POST …/peerings {"pcx_id"}) makes the
// AWS side active and gives the space a static route to the peer CIDR, as the seed's step 4
// says Heroku does.
func TestAcceptByBodyRoutesThePeer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pcx := e.requestPeering()
	before := e.spaceRoutes()
	r := e.do("POST", "/spaces/"+seedSpace+"/peerings", `{"pcx_id":"`+pcx+`"}`,
		"Accept", "application/vnd.heroku+json; version=3.dogwood")
	if r.Status != http.StatusAccepted {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var got peeringJSON
	r.JSON(t, &got)
	want := peeringJSON{Type: "customer-managed", PcxID: pcx, CIDRBlocks: []string{customerCIDR}, Status: "active",
		AWSVPCID: customerVPC, AWSRegion: customerRegio, AWSAccountID: customerAcct}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("answer (-want +got):\n%s", d)
	}
	if d := cmp.Diff(append(before, customerCIDR+"→"+pcx), e.spaceRoutes()); d != "" {
		t.Errorf("space routes (-want +got):\n%s", d)
	}

	r = e.do("DELETE", "/spaces/"+seedSpace+"/peerings/"+pcx, "")
	if r.Status != http.StatusAccepted {
		t.Fatalf("destroy status %d: %s", r.Status, r.Body)
	}
	if d := cmp.Diff(before, e.spaceRoutes()); d != "" {
		t.Errorf("routes after destroy (-want +got):\n%s", d)
	}
}

// TestDestroyPendingRejects: destroying a request Heroku never accepted rejects it on the
// AWS side (the accepter cannot delete a pending request).
func TestDestroyPendingRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pcx := e.requestPeering()
	r := e.do("DELETE", "/spaces/"+seedSpace+"/peerings/"+pcx, "")
	var got peeringJSON
	r.JSON(t, &got)
	if r.Status != http.StatusAccepted || got.Status != emulator.PcxRejected {
		t.Fatalf("status %d, peering %+v", r.Status, got)
	}
}

// TestPeeringRefusals: requests the model refuses get Heroku's error and change nothing.
func TestPeeringRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pcx := e.requestPeering()
	// A second space (another VPC in the same account) must not see the first one's peering.
	if err := e.world.Update(func(tx *emulator.Tx) error {
		_, err := tx.CreateSpace(emulator.SpaceSpec{Name: "other-space", Team: seedTeam, Region: "tokyo", CIDR: "10.20.0.0/16", DataCIDR: "10.21.0.0/16"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// An overlapping request: a customer VPC whose CIDR is the space's data CIDR.
	var overlapping string
	if err := e.world.Update(func(tx *emulator.Tx) error {
		c := emulator.Caller{Account: customerAcct, Region: customerRegio}
		v, err := tx.CreateVPC(c, netip.MustParsePrefix("10.1.0.0/16"), emulator.VPCOptions{})
		if err != nil {
			return err
		}
		p, err := tx.CreatePeering(c, emulator.PeeringRequest{VPCID: v.ID, PeerVPCID: spaceVPC, PeerOwner: herokuAcct, PeerRegion: "ap-northeast-1"})
		overlapping = p.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	data := e.dataPeering()
	tests := []apiCase{
		{"accept an unknown pcx", "POST", "/spaces/" + seedSpace + "/peerings/pcx-00000000000000000/actions/accept", "", 404, "not_found"},
		{"accept in another space", "POST", "/spaces/other-space/peerings/" + pcx + "/actions/accept", "", 404, "not_found"},
		{"accept in a missing space", "POST", "/spaces/nowhere/peerings", `{"pcx_id":"` + pcx + `"}`, 404, "not_found"},
		{"accept the heroku-managed peering", "POST", "/spaces/" + seedSpace + "/peerings", `{"pcx_id":"` + data + `"}`, 422, "invalid_params"},
		{"accept an overlapping peer", "POST", "/spaces/" + seedSpace + "/peerings/" + overlapping + "/actions/accept", "", 422, "invalid_params"},
		{"destroy the heroku-managed peering", "DELETE", "/spaces/" + seedSpace + "/peerings/" + data, "", 403, "forbidden"},
		{"destroy an unknown pcx", "DELETE", "/spaces/" + seedSpace + "/peerings/pcx-doesnotexist", "", 404, "not_found"},
		{"get in another space", "GET", "/spaces/other-space/peerings/" + pcx, "", 404, "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			routes := e.spaceRoutes()
			tc.run(t, e)
			if d := cmp.Diff(routes, e.spaceRoutes()); d != "" {
				t.Errorf("a refused request changed the space's routes (-before +after):\n%s", d)
			}
		})
	}
}
