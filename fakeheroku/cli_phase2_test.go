package fakeheroku

import (
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// TestCLISpaceLifecycle: spaces:create with custom CIDRs, spaces:wait until allocated, refused
// creations, spaces:rename and spaces:destroy, with the real CLI.
func TestCLISpaceLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *Server) { s.SpaceAllocationTime = 2 * time.Second })
	e.clock.run()

	r := e.cli(testToken, "spaces:create", "--space", "new-space", "--team", "my-team", "--region", "oregon",
		"--cidr", "10.2.0.0/16", "--data-cidr", "10.3.0.0/20")
	for _, want := range []string{"=== new-space", "Team:       my-team", "Region:     oregon", "CIDR:       10.2.0.0/16",
		"Data CIDR:  10.3.0.0/20", "State:      allocating"} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want+"\n") {
			t.Errorf("spaces:create: exit %d, no line %q", r.Code, want)
		}
	}

	r = e.cli(testToken, "spaces:wait", "new-space", "--interval", "1")
	if r.Code != 0 || !strings.Contains(r.Stdout, "State:        allocated\n") || !strings.Contains(r.Stdout, "Region:       Oregon, United States\n") ||
		!strings.Contains(r.Stderr, "Waiting for space new-space to allocate... done") {
		t.Errorf("spaces:wait: exit %d", r.Code)
	}
	var nat []string
	_ = e.world.View(func(tx *emulator.Tx) error {
		sp := tx.Space("new-space")
		for _, a := range sp.NATAddrs {
			nat = append(nat, a.String())
		}
		if sp.State != emulator.SpaceAllocated || tx.VPC(sp.VPCID) == nil || tx.VPC(sp.VPCID).CIDR.String() != "10.2.0.0/16" {
			t.Errorf("model after wait: state %s, vpc %s", sp.State, sp.VPCID)
		}
		return nil
	})
	if want := "Outbound IPs: " + strings.Join(nat, ", ") + "\n"; !strings.Contains(r.Stdout, want) {
		t.Errorf("spaces:wait: no %q", want)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--region", "atlantis"}, "Couldn't find that region."},
		{[]string{"--cidr", "10.2.0.0/16", "--data-cidr", "10.2.0.0/20"}, "Data CIDR 10.2.0.0/20 overlaps the space CIDR 10.2.0.0/16."},
	} {
		r = e.cli(testToken, append([]string{"spaces:create", "--space", "bad", "--team", "my-team"}, tc.args...)...)
		if r.Code != 2 || !strings.Contains(unwrap(r.Stderr), tc.want) {
			t.Errorf("spaces:create %v: exit %d, want 2 and %q", tc.args, r.Code, tc.want)
		}
	}

	r = e.cli(testToken, "spaces:rename", "--from", "new-space", "--to", "renamed-space")
	if r.Code != 0 {
		t.Errorf("spaces:rename: exit %d", r.Code)
	}
	r = e.cli(testToken, "spaces:destroy", "renamed-space", "--confirm", "renamed-space")
	if r.Code != 0 || !strings.Contains(r.Stderr, "Destroying space renamed-space... done") {
		t.Errorf("spaces:destroy: exit %d", r.Code)
	}
	_ = e.world.View(func(tx *emulator.Tx) error {
		if tx.Space("renamed-space") != nil || tx.Space("new-space") != nil {
			t.Error("space still in the model after spaces:destroy")
		}
		return nil
	})
}

// TestCLIAppsAndScaling: an internal-routing app created in the seed space, scaled with
// absolute and relative quantities and a size, shown by ps, spaces:ps, spaces:topology and
// apps:info, then destroyed.
func TestCLIAppsAndScaling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.cli(testToken, "apps:create", "internal-app2", "--space", seedSpace, "--internal-routing")
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "https://internal-app2.herokuapp.com/ | ") {
		t.Errorf("apps:create: exit %d, stdout %q", r.Code, r.Stdout)
	}
	r = e.cli(testToken, "ps:scale", "web=2", "worker+1:Private-M", "--app", "internal-app2")
	if want := "done, now running web at 2:Private-S, worker at 1:Private-M"; r.Code != 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("ps:scale: exit %d, want %q", r.Code, want)
	}
	r = e.cli(testToken, "ps:scale", "web-1", "--app", "internal-app2")
	if want := "done, now running web at 1:Private-S"; r.Code != 0 || !strings.Contains(r.Stderr, want) {
		t.Errorf("ps:scale web-1: exit %d, want %q", r.Code, want)
	}
	r = e.cli(testToken, "ps:scale", "web=1:Huge", "--app", "internal-app2")
	if r.Code != 2 || !strings.Contains(unwrap(r.Stderr), "Dyno size Huge is not available") {
		t.Errorf("ps:scale with a bad size: exit %d", r.Code)
	}

	var dynos []*emulator.Dyno
	var app *emulator.App
	_ = e.world.View(func(tx *emulator.Tx) error {
		app = tx.App("internal-app2")
		dynos = app.Dynos
		return nil
	})
	if len(dynos) != 2 || dynos[0].Name() != "web.1" || dynos[1].Name() != "worker.1" || dynos[1].Size != "Private-M" {
		t.Fatalf("model dynos: %+v", dynos)
	}

	r = e.cli(testToken, "ps", "--app", "internal-app2")
	for _, want := range []string{"=== web (Private-S): (spacelab built-in web process) (1)", "=== worker (Private-M): (spacelab built-in worker process) (1)",
		"web.1: up ", "worker.1: up "} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("ps: exit %d, no %q", r.Code, want)
		}
	}
	r = e.cli(testToken, "spaces:ps", seedSpace)
	for _, want := range []string{"=== internal-app2 worker (Private-M)", "=== test-vpn-compute web (Private-S)"} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("spaces:ps: exit %d, no %q", r.Code, want)
		}
	}
	r = e.cli(testToken, "spaces:topology", seedSpace)
	for _, d := range dynos {
		want := d.Name() + " - " + d.PrivateIP.String() + " - " + emulator.DynoHostname(app, d)
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("spaces:topology: exit %d, no %q", r.Code, want)
		}
	}
	if !strings.Contains(r.Stdout, "=== internal-app2 (web, worker)") {
		t.Errorf("spaces:topology: no header for internal-app2")
	}
	r = e.cli(testToken, "apps:info", "internal-app2")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Internal Routing: true\n") || !strings.Contains(r.Stdout, "Space:            enablement-jp\n") {
		t.Errorf("apps:info: exit %d", r.Code)
	}
	r = e.cli(testToken, "apps:destroy", "internal-app2", "--confirm", "internal-app2")
	if r.Code != 0 {
		t.Errorf("apps:destroy: exit %d", r.Code)
	}
	_ = e.world.View(func(tx *emulator.Tx) error {
		if tx.App("internal-app2") != nil {
			t.Error("app still in the model after apps:destroy")
		}
		return nil
	})
}

// TestCLITrustedIPs: the CLI reads the ruleset, PUTs it back whole (read-only fields
// included) with a rule added or removed, and reads it again.
func TestCLITrustedIPs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.cli(testToken, "spaces:trusted-ips", seedSpace)
	if r.Code != 0 || r.Stdout != "=== Trusted IP Ranges\n\n0.0.0.0/0\nTrusted IP rules are applied to this space.\n" {
		t.Errorf("trusted-ips: exit %d, stdout %q", r.Code, r.Stdout)
	}
	r = e.cli(testToken, "spaces:trusted-ips:add", "203.0.113.0/24", "--space", seedSpace)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Added 203.0.113.0/24 to trusted IP ranges on enablement-jp") {
		t.Errorf("trusted-ips:add: exit %d", r.Code)
	}
	r = e.cli(testToken, "spaces:trusted-ips:remove", "0.0.0.0/0", "--space", seedSpace)
	if r.Code != 0 || !strings.Contains(r.Stdout, "Removed 0.0.0.0/0 from trusted IP ranges on enablement-jp") {
		t.Errorf("trusted-ips:remove: exit %d", r.Code)
	}
	r = e.cli(testToken, "spaces:trusted-ips:add", "203.0.113.5/24", "--space", seedSpace)
	if r.Code != 2 || !strings.Contains(unwrap(r.Stderr), "did you mean 203.0.113.0/24?") {
		t.Errorf("trusted-ips:add with host bits: exit %d", r.Code)
	}
	_ = e.world.View(func(tx *emulator.Tx) error {
		sp := tx.Space(seedSpace)
		rs := sp.InboundRuleset()
		if len(sp.InboundRulesets) != 3 || len(rs.Rules) != 1 || rs.Rules[0].Source.String() != "203.0.113.0/24" || rs.CreatedBy != "user@example.com" {
			t.Errorf("model: %d versions, current %+v", len(sp.InboundRulesets), rs)
		}
		return nil
	})
}
