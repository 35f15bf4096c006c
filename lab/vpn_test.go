package lab_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// TestLabVPNBuiltinOffice connects the space to the office with spacelab's own IPsec on both
// ends (Go ↔ Go, nothing installed): the tunnels come up, the model shows UP/UP, office-pc reaches
// the internal app and a dyno, and never the data services.
func TestLabVPNBuiltinOffice(t *testing.T) {
	top := topology.Default()
	top.Offices[0].IPsec = "builtin"
	l := labtest.Start(t, lab.Options{Topology: top})
	ctx := context.Background()
	if err := l.World.Update(func(tx *emulator.Tx) error {
		_, err := tx.CreateVPNConnection(tx.Space("enablement-jp"), "office", netip.MustParseAddr("203.0.113.20"), []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var tunnels []string
	for time.Now().Before(deadline) {
		tunnels = nil
		l.World.View(func(tx *emulator.Tx) error {
			for _, tn := range tx.VPNConnections("")[0].Tunnels {
				tunnels = append(tunnels, tn.Status+" "+tn.StatusMessage)
			}
			return nil
		})
		if strings.HasPrefix(tunnels[0], "UP") && strings.HasPrefix(tunnels[1], "UP") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.HasPrefix(tunnels[0], "UP") || !strings.HasPrefix(tunnels[1], "UP") {
		t.Fatalf("tunnels: %q", tunnels)
	}
	t.Logf("tunnels: %q", tunnels)
	var dyno string // web.1's own address: VPN-connected networks reach only the internal routers
	l.World.View(func(tx *emulator.Tx) error {
		dyno = tx.App("test-vpn-compute").Dynos[0].PrivateIP.String()
		return nil
	})
	for _, tc := range []struct {
		name  string
		probe netspec.Probe
		ok    bool
	}{
		{"office-pc → the internal app", netspec.Probe{From: "office-pc", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}, true},
		{"office-pc → the app's internal router", netspec.Probe{From: "office-pc", Kind: "tcp", Target: "10.0.25.212:80"}, true},
		{"office-pc → a dyno's own address", netspec.Probe{From: "office-pc", Kind: "tcp", Target: dyno + ":5000"}, false},
		{"dyno → office-pc", netspec.Probe{From: "test-vpn-compute/web.1", Kind: "icmp", Target: "192.168.0.10"}, true},
		{"office-pc → Postgres", netspec.Probe{From: "office-pc", Kind: "tcp", Target: "10.1.0.10:5432"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := l.Check(ctx, tc.probe)
			if err != nil {
				t.Fatal(err)
			}
			if c.Result.OK != tc.ok {
				t.Fatalf("%s\n%s", c.Summary(), c.Verdict.Path())
			}
			t.Log(c.Summary())
		})
	}
}

// TestLabVPNProposalMismatchIsNamed: a space whose gateway insists on aes256 against an office
// offering Heroku's aes128 — the tunnels stay down, the model says why, and a check from the
// office explains the block with the same words.
func TestLabVPNProposalMismatchIsNamed(t *testing.T) {
	top := topology.Default()
	top.Offices[0].IPsec = "builtin"
	top.Spaces[0].Spec.VPNPolicy = &emulator.VPNPolicy{IKE: []string{"aes256-sha256-modp2048"}}
	l := labtest.Start(t, lab.Options{Topology: top})
	if err := l.World.Update(func(tx *emulator.Tx) error {
		_, err := tx.CreateVPNConnection(tx.Space("enablement-jp"), "office", netip.MustParseAddr("203.0.113.20"), []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var msg string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !strings.Contains(strings.ToLower(msg), "proposal"); time.Sleep(100 * time.Millisecond) {
		l.World.View(func(tx *emulator.Tx) error {
			tn := tx.VPNConnections("")[0].Tunnels[0]
			msg = tn.Status + " " + tn.StatusMessage
			return nil
		})
	}
	// Which side names it depends on who initiated first: "no acceptable phase 1 proposal: …"
	// or "phase 1 refused by the customer gateway (NO_PROPOSAL_CHOSEN): …".
	if !strings.HasPrefix(msg, "DOWN") || !strings.Contains(strings.ToLower(msg), "proposal") {
		t.Fatalf("tunnel 1: %q", msg)
	}
	t.Logf("tunnel 1: %s", msg)
	c, err := l.Check(context.Background(), netspec.Probe{From: "office-pc", Kind: "tcp", Target: "10.0.25.212:80"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Result.OK || !c.Agree || c.Verdict.Code != "TUNNEL_DOWN" {
		t.Fatalf("%s (%s)\n%s", c.Summary(), c.Verdict.Code, c.Verdict.Path())
	}
	t.Log(c.Summary())
}
