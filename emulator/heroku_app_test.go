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
