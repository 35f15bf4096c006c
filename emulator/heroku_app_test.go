package emulator_test

import (
	"net/netip"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

func TestScaleChecksDynoSize(t *testing.T) {
	tests := []struct {
		name, app, size string
		wantErr         bool
	}{
		{"private size in a space", "test-vpn-compute", "Private-M", false},
		{"case-insensitive", "test-vpn-compute", "private-l", false},
		{"common runtime size in a space", "test-vpn-compute", "Standard-1X", true},
		{"shield size in a plain space", "test-vpn-compute", "Shield-M", true},
		{"unknown", "test-vpn-compute", "Huge", true},
		{"common runtime app", "cr-app", "Standard-2X", false},
		{"private size outside a space", "cr-app", "Private-S", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := seedWorld(t)
			if err := w.Update(func(tx *emulator.Tx) error {
				_, err := tx.CreateApp(emulator.AppSpec{Name: "cr-app"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			gen := w.Generation()
			one := 1
			err := w.Update(func(tx *emulator.Tx) error {
				_, err := tx.Scale(tc.app, []emulator.ScaleUpdate{{Type: "web", Quantity: &one, Size: tc.size}})
				return err
			})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr && w.Generation() != gen {
				t.Error("refusal advanced the generation")
			}
		})
	}
}

func TestDeleteAppFreesItsAddresses(t *testing.T) {
	w, _ := seedWorld(t)
	if err := w.Update(func(tx *emulator.Tx) error {
		app := tx.App("test-vpn-compute")
		if err := tx.DeleteApp(app); err != nil {
			return err
		}
		if err := tx.DeleteApp(app); err == nil {
			t.Error("deleting twice succeeded")
		}
		// The router addresses the topology pinned are free again.
		_, err := tx.CreateApp(emulator.AppSpec{Name: "again", Space: "enablement-jp", InternalRouting: true,
			RouterAddrs: app.RouterAddrs})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestShownCommand(t *testing.T) {
	if got := emulator.ShownCommand("web", "npm start"); got != "npm start" {
		t.Errorf("own command: %q", got)
	}
	if a, b := emulator.ShownCommand("web", ""), emulator.ShownCommand("worker", ""); a == b || a == "" {
		t.Errorf("built-in commands %q and %q must differ", a, b)
	}
}

// A router address the user pins wins over the space router's own (random) pick: the space
// router moves, so the built-in topology loads whatever the seed.
func TestPinnedRouterAddrMovesSpaceRouter(t *testing.T) {
	w, _ := seedWorld(t)
	if err := w.Update(func(tx *emulator.Tx) error {
		sp := tx.Space("enablement-jp")
		taken := sp.RouterPrivateAddr
		app, err := tx.CreateApp(emulator.AppSpec{Name: "pinned", Space: sp.Name, InternalRouting: true,
			RouterAddrs: []netip.Addr{taken}})
		if err != nil {
			return err
		}
		if app.RouterAddrs[0] != taken {
			t.Errorf("router address %s, want the pinned %s", app.RouterAddrs[0], taken)
		}
		if sp.RouterPrivateAddr == taken || !sp.RouterPrivateAddr.IsValid() || tx.SpaceSubnet(sp, sp.RouterPrivateAddr) == nil {
			t.Errorf("space router still at (or off) %s: %s", taken, sp.RouterPrivateAddr)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestScaleGivesEveryDynoItsOwnAddress scales two apps of one space to 1,000 dynos each (the
// addresses in use gathered once per formation, not once per dyno), down and up again in the
// same Tx: every dyno, router node, the space router and the space VPC's instances hold
// distinct addresses, each in a dyno subnet of the space.
func TestScaleGivesEveryDynoItsOwnAddress(t *testing.T) {
	w, _ := seedWorld(t)
	scale := func(tx *emulator.Tx, app string, n int) {
		t.Helper()
		if _, err := tx.Scale(app, []emulator.ScaleUpdate{{Type: "web", Quantity: &n}}); err != nil {
			t.Fatalf("scale %s to %d: %v", app, n, err)
		}
	}
	check := func(tx *emulator.Tx, want int) {
		t.Helper()
		sp := tx.Space("enablement-jp")
		owner := map[netip.Addr]string{sp.RouterPrivateAddr: "space router"}
		take := func(a netip.Addr, who string) {
			t.Helper()
			if prev, dup := owner[a]; dup {
				t.Errorf("%s and %s both hold %s", prev, who, a)
			}
			owner[a] = who
		}
		dynos := 0
		for _, app := range tx.Apps() {
			if app.SpaceID != sp.ID {
				continue
			}
			for _, r := range app.RouterAddrs {
				take(r, app.Name+" router")
			}
			for _, d := range app.Dynos {
				take(d.PrivateIP, app.Name+" dyno "+d.ID)
				if tx.SpaceSubnet(sp, d.PrivateIP) == nil {
					t.Errorf("dyno %s of %s has %s, outside the space's dyno subnets", d.ID, app.Name, d.PrivateIP)
				}
				dynos++
			}
		}
		for _, i := range tx.Instances() {
			if i.VPCID == sp.VPCID {
				take(i.PrivateIP, "instance "+i.ID)
			}
		}
		if dynos != want {
			t.Errorf("%d dynos in the space, want %d", dynos, want)
		}
	}
	for _, step := range []struct {
		name string
		do   func(tx *emulator.Tx)
		want int
	}{
		{"two apps of 1,000", func(tx *emulator.Tx) {
			if _, err := tx.CreateApp(emulator.AppSpec{Name: "second", Space: "enablement-jp"}); err != nil {
				t.Fatal(err)
			}
			scale(tx, "test-vpn-compute", 1000)
			scale(tx, "second", 1000)
		}, 2000},
		{"down to 500 and up again in one Tx", func(tx *emulator.Tx) {
			scale(tx, "second", 500)
			scale(tx, "test-vpn-compute", 500)
			scale(tx, "second", 1000)
		}, 1500},
	} {
		t.Run(step.name, func(t *testing.T) {
			if err := w.Update(func(tx *emulator.Tx) error {
				step.do(tx)
				check(tx, step.want)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
