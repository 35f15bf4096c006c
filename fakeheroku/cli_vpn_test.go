package fakeheroku

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
)

// stdoutLines is a CLI's stdout as lines, without the trailing blank ones.
func stdoutLines(r cliResult) []string {
	return strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
}

// TestCLIVPNWalkthrough runs the VPN commands of heroku@11 against the seed space: connect,
// connections, info, config, wait (pending → provisioning → active on the world's clock),
// update by id, a refused second connect, destroy.
func TestCLIVPNWalkthrough(t *testing.T) {
	t.Parallel()
	// While ticking holds the world's clock, every GET of the connection first moves that clock
	// on by half the provisioning time, so spaces:vpn:wait sees what the recorded transcript
	// shows (provisioning, then active, then one more GET) whatever the CLI's start-up time.
	var ticking atomic.Pointer[clock]
	var gets atomic.Int32
	e := newEnv(t, func(s *Server) {
		s.Fault = func(r *http.Request) error {
			if c := ticking.Load(); c != nil && r.Method == http.MethodGet && r.URL.Path == vpnPath+"/office" {
				c.Add(emulator.VPNProvisionTime / 2)
				gets.Add(1)
			}
			return nil
		}
	})

	r := e.cli(testToken, "spaces:vpn:connect", "office", "--ip", officeIP, "--cidrs", "192.168.0.0/16", "--space", seedSpace)
	if r.Code != 0 || r.Stdout != "" || !strings.Contains(r.Stderr, "Creating VPN Connection in space enablement-jp... done") ||
		!strings.Contains(unwrap(r.Stderr), "Warning: Use heroku spaces:vpn:wait to track allocation.") {
		t.Errorf("spaces:vpn:connect: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	var v emulator.VPNConnection
	_ = e.world.View(func(tx *emulator.Tx) error {
		m, err := tx.VPNConnection(tx.Space(seedSpace), "office")
		if err != nil {
			t.Fatalf("connection not in the model: %v", err)
		}
		v = *m
		return nil
	})
	gw1, gw2 := v.Tunnels[0].IP.String(), v.Tunnels[1].IP.String()

	r = e.cli(testToken, "spaces:vpn:connections", "--space", seedSpace)
	if d := cmp.Diff([]string{"office", "pending", "DOWN/DOWN"}, row(t, r.Stdout, "office")); r.Code != 0 || d != "" ||
		!strings.HasPrefix(r.Stdout, "=== enablement-jp VPN Connections\n") {
		t.Errorf("spaces:vpn:connections: exit %d (-want +got):\n%s", r.Code, d)
	}

	r = e.cli(testToken, "spaces:vpn:info", "office", "--space", seedSpace)
	wantInfo := []string{
		"=== office VPN Info",
		"",
		"Name:           office",
		"ID:             " + v.ID,
		"Public IP:      " + officeIP,
		"Routable CIDRs: 192.168.0.0/16",
		"Status:         pending",
		"Status Message: ''",
		"=== office VPN Tunnel Info",
	}
	got := stdoutLines(r)
	if d := cmp.Diff(wantInfo, got[:min(len(got), len(wantInfo))]); r.Code != 0 || d != "" {
		t.Errorf("spaces:vpn:info: exit %d (-want +got):\n%s", r.Code, d)
	}
	for i, gw := range []string{gw1, gw2} {
		name := []string{"Tunnel 1", "Tunnel 2"}[i]
		if d := cmp.Diff([]string{name, gw, "DOWN", "2019-02-04T05:46:14Z"}, row(t, r.Stdout, name)); d != "" {
			t.Errorf("spaces:vpn:info %s (-want +got):\n%s", name, d)
		}
	}

	wantConfig := func(r cliResult, what string) {
		t.Helper()
		if !strings.Contains(r.Stdout, "=== office VPN Tunnels\n") {
			t.Errorf("%s: no header in:\n%s", what, r.Stdout)
		}
		for i, name := range []string{"Tunnel 1", "Tunnel 2"} {
			want := []string{name, officeIP, v.Tunnels[i].IP.String(), v.Tunnels[i].PreSharedKey, "10.0.0.0/16", "1"}
			if d := cmp.Diff(want, row(t, r.Stdout, name)); r.Code != 0 || d != "" {
				t.Errorf("%s: exit %d, %s (-want +got):\n%s", what, r.Code, name, d)
			}
		}
	}
	wantConfig(e.cli(testToken, "spaces:vpn:config", "office", "--space", seedSpace), "spaces:vpn:config")

	// The wait's first GET sees provisioning; it polls every second until active, then GETs
	// once more and prints the config table.
	before := e.world.Generation()
	ticking.Store(e.clock)
	r = e.cli(testToken, "spaces:vpn:wait", "office", "--space", seedSpace, "--interval", "1")
	ticking.Store(nil)
	wantConfig(r, "spaces:vpn:wait")
	if !strings.Contains(r.Stderr, "Waiting for VPN Connection office to allocate...") || !strings.Contains(r.Stderr, " done") {
		t.Errorf("spaces:vpn:wait: stderr %q", r.Stderr)
	}
	if n := gets.Load(); n != 3 {
		t.Errorf("spaces:vpn:wait made %d GETs, want 3 (provisioning, active, the final read)", n)
	}
	if e.world.Generation() != before {
		t.Error("spaces:vpn:wait changed the model (status follows the clock; reads must not write)")
	}
	if r = e.cli(testToken, "spaces:vpn:wait", "office", "--space", seedSpace); r.Code != 0 || r.Stdout != "VPN has been allocated.\n" {
		t.Errorf("second spaces:vpn:wait: exit %d, stdout %q", r.Code, r.Stdout)
	}

	// By id, with the CLI's comma-and-space list.
	r = e.cli(testToken, "spaces:vpn:update", v.ID, "--space", seedSpace, "--cidrs", "192.168.0.0/16, 172.20.0.0/16")
	if r.Code != 0 || !strings.Contains(r.Stderr, "Updating VPN Connection in space enablement-jp... done") {
		t.Errorf("spaces:vpn:update: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if d := cmp.Diff([]string{"office " + v.ID + " " + officeIP + " [192.168.0.0/16 172.20.0.0/16]"}, e.modelVPNs()); d != "" {
		t.Errorf("model after spaces:vpn:update (-want +got):\n%s", d)
	}

	r = e.cli(testToken, "spaces:vpn:connect", "office2", "--ip", "10.1.2.3", "--cidrs", "172.21.0.0/16", "--space", seedSpace)
	if msg := unwrap(r.Stderr); r.Code != 2 || !strings.Contains(msg, "Error: Public IP 10.1.2.3 is not a public IPv4 address.") ||
		!strings.Contains(msg, "Error ID: invalid_params") {
		t.Errorf("refused spaces:vpn:connect: exit %d, stderr %q", r.Code, r.Stderr)
	}

	r = e.cli(testToken, "spaces:vpn:destroy", "office", "--space", seedSpace, "--confirm", "office")
	if r.Code != 0 || !strings.Contains(r.Stderr, "Tearing down VPN Connection office in space enablement-jp... done") {
		t.Errorf("spaces:vpn:destroy: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if got := e.modelVPNs(); len(got) != 0 {
		t.Errorf("model after spaces:vpn:destroy: %v", got)
	}
	if r = e.cli(testToken, "spaces:vpn:connections", "--space", seedSpace); r.Code != 0 || r.Stdout != "No VPN Connections have been created yet\n" {
		t.Errorf("spaces:vpn:connections after destroy: exit %d, stdout %q", r.Code, r.Stdout)
	}
}

// TestCLIVPNTunnelsUp: when the data plane reports both tunnels up, spaces:vpn:connections
// shows UP/UP and spaces:vpn:info the time each came up and the details it reported.
func TestCLIVPNTunnelsUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v := e.createVPN("192.168.0.0/16")
	e.clock.Add(emulator.VPNProvisionTime)
	e.reportTunnels(v.ID, true, true, "IPSEC SA ESTABLISHED")

	r := e.cli(testToken, "spaces:vpn:connections", "--space", seedSpace)
	if d := cmp.Diff([]string{"office", "active", "UP/UP"}, row(t, r.Stdout, "office")); r.Code != 0 || d != "" {
		t.Errorf("spaces:vpn:connections: exit %d (-want +got):\n%s", r.Code, d)
	}
	r = e.cli(testToken, "spaces:vpn:info", v.ID, "--space", seedSpace)
	if !strings.Contains(r.Stdout, "Status:         active\n") {
		t.Errorf("spaces:vpn:info: exit %d, no active status", r.Code)
	}
	up := seedTime.Add(emulator.VPNProvisionTime).UTC().Format("2006-01-02T15:04:05Z")
	for i, name := range []string{"Tunnel 1", "Tunnel 2"} {
		want := []string{name, v.Tunnels[i].IP, "UP", up}
		if i == 1 {
			want = append(want, "IPSEC SA ESTABLISHED")
		}
		if d := cmp.Diff(want, row(t, r.Stdout, name)); r.Code != 0 || d != "" {
			t.Errorf("spaces:vpn:info %s: exit %d (-want +got):\n%s", name, r.Code, d)
		}
	}
}
