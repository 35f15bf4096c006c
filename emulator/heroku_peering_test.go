package emulator_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

var seedTime = time.Date(2019, 2, 4, 5, 46, 14, 0, time.UTC)

// seedWorld is the default topology at the seed's time, with a clock the test can move.
func seedWorld(t *testing.T) (*emulator.World, *time.Time) {
	t.Helper()
	now := seedTime
	top := topology.Default()
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 3, Now: func() time.Time { return now }}))
	if err := top.Apply(w, func(string) string { return "tok" }); err != nil {
		t.Fatal(err)
	}
	return w, &now
}

func requestPeeringIn(t *testing.T, w *emulator.World) string {
	t.Helper()
	var id string
	if err := w.Update(func(tx *emulator.Tx) error {
		p, err := tx.CreatePeering(emulator.Caller{Account: "435886841536", Region: "us-east-1"}, emulator.PeeringRequest{
			VPCID: "vpc-0cb1a66017eed9372", PeerVPCID: "vpc-b39527d4", PeerOwner: "884226375513", PeerRegion: "ap-northeast-1"})
		if err != nil {
			return err
		}
		id = p.ID
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSpacePeeringInfoSeedOrder(t *testing.T) {
	w, _ := seedWorld(t)
	_ = w.View(func(tx *emulator.Tx) error {
		got := tx.SpacePeeringInfo(tx.Space("enablement-jp"))
		want := emulator.PeeringInfo{
			AWSAccountID: "884226375513", AWSRegion: "ap-northeast-1", VPCID: "vpc-b39527d4",
			VPCCIDR: netip.MustParsePrefix("10.0.0.0/16"),
			SpaceCIDRBlocks: []netip.Prefix{netip.MustParsePrefix("10.0.144.0/20"), netip.MustParsePrefix("10.0.128.0/20"),
				netip.MustParsePrefix("10.0.0.0/20"), netip.MustParsePrefix("10.0.16.0/20")},
			UnavailableCIDRBlocks: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		}
		if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
			t.Errorf("(-want +got):\n%s", d)
		}
		return nil
	})
}

// TestSpacePeeringOfLifecycle follows one request through the states Heroku shows.
func TestSpacePeeringOfLifecycle(t *testing.T) {
	w, now := seedWorld(t)
	pcx := requestPeeringIn(t, w)
	row := func() emulator.SpacePeering {
		var r emulator.SpacePeering
		_ = w.View(func(tx *emulator.Tx) error {
			sp := tx.Space("enablement-jp")
			r = tx.SpacePeeringOf(sp, tx.Peering(pcx))
			return nil
		})
		return r
	}
	type view struct{ Type, Status, Account string }
	short := func(r emulator.SpacePeering) view { return view{r.Type, r.Status, r.AWSAccountID} }

	pending := row()
	if d := cmp.Diff(view{"unknown", "pending-acceptance", ""}, short(pending)); d != "" {
		t.Errorf("pending (-want +got):\n%s", d)
	}
	if !pending.Expires.Equal(seedTime.Add(7 * 24 * time.Hour)) {
		t.Errorf("pending expires %v", pending.Expires)
	}
	if err := w.Update(func(tx *emulator.Tx) error {
		_, err := tx.AcceptSpacePeering(tx.Space("enablement-jp"), pcx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := row(); short(got) != (view{"customer-managed", "active", "435886841536"}) || !got.Expires.IsZero() {
		t.Errorf("accepted: %+v", got)
	}
	*now = now.Add(time.Minute)
	if err := w.Update(func(tx *emulator.Tx) error {
		_, err := tx.DestroySpacePeering(tx.Space("enablement-jp"), pcx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Destroyed after acceptance: Heroku still knows whose it was.
	if d := cmp.Diff(view{"customer-managed", "deleted", "435886841536"}, short(row())); d != "" {
		t.Errorf("deleted (-want +got):\n%s", d)
	}
}

func TestDynoHostname(t *testing.T) {
	app := &emulator.App{Name: "test-private-space"}
	tests := []struct {
		d    emulator.Dyno
		want string
	}{
		{emulator.Dyno{Type: "worker", Number: 1}, "1.worker.test-private-space.app.localspace"},
		{emulator.Dyno{Type: "web", Number: 12}, "12.web.test-private-space.app.localspace"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := emulator.DynoHostname(app, &tc.d); got != tc.want {
				t.Errorf("got %q", got)
			}
		})
	}
	if got := emulator.ProcessHostname(app, "worker"); got != "worker.test-private-space.app.localspace" {
		t.Errorf("ProcessHostname = %q", got)
	}
}

func TestUsersAndTeamsRecordCreation(t *testing.T) {
	w, _ := seedWorld(t)
	_ = w.View(func(tx *emulator.Tx) error {
		u := tx.UserByEmail("user@example.com")
		if u == nil || u.Token != "tok" || !u.CreatedAt.Equal(seedTime) {
			t.Errorf("UserByEmail = %+v", u)
		}
		if tx.UserByEmail("nobody@example.com") != nil {
			t.Error("unknown e-mail found a user")
		}
		if team := tx.Team("enablement"); team == nil || !team.CreatedAt.Equal(seedTime) {
			t.Errorf("team = %+v", team)
		}
		return nil
	})
}

// A peer VPC's secondary IPv4 block shows in the peering's blocks on both sides (Heroku's
// cidr_blocks, EC2's cidrBlockSet), associated before or after the request; a block being
// disassociated no longer shows.
func TestPeerBlocksFollowTheVPCsBlocks(t *testing.T) {
	customer := emulator.Caller{Account: "435886841536", Region: "us-east-1"}
	primary, secondary := netip.MustParsePrefix("172.16.0.0/16"), netip.MustParsePrefix("172.17.0.0/16")
	w, _ := seedWorld(t)
	id := requestPeeringIn(t, w)
	var assoc string
	blocks := func() (heroku, ec2 []netip.Prefix) {
		_ = w.View(func(tx *emulator.Tx) error {
			for _, row := range tx.SpacePeerings(tx.Space("enablement-jp")) {
				if row.PcxID == id {
					heroku = row.CIDRBlocks
				}
			}
			ec2 = tx.PeerBlocks(tx.Peering(id).Requester)
			return nil
		})
		return heroku, ec2
	}
	eq := cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })
	for _, tc := range []struct {
		name   string
		change func(tx *emulator.Tx) error
		want   []netip.Prefix
	}{
		{"before", func(*emulator.Tx) error { return nil }, []netip.Prefix{primary}},
		{"associated", func(tx *emulator.Tx) error {
			b, err := tx.AssociateVPCIPv4(customer, "vpc-0cb1a66017eed9372", secondary)
			if b != nil {
				assoc = b.AssociationID
			}
			return err
		}, []netip.Prefix{primary, secondary}},
		{"disassociated", func(tx *emulator.Tx) error {
			_, _, err := tx.DisassociateVPCIPv4(customer, assoc)
			return err
		}, []netip.Prefix{primary}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := w.Update(tc.change); err != nil {
				t.Fatal(err)
			}
			h, e := blocks()
			if d := cmp.Diff(tc.want, h, eq); d != "" {
				t.Errorf("Heroku cidr_blocks (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.want, e, eq); d != "" {
				t.Errorf("EC2 cidrBlockSet (-want +got):\n%s", d)
			}
		})
	}
}
