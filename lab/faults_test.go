package lab_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/faults"
	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// TestFaultLossDropsTheSeededPings: a 30% loss from office-pc to echo drops exactly the pings at
// the positions the seed chose (30 of 100), the fault counts them, and clearing it ends it.
func TestFaultLossDropsTheSeededPings(t *testing.T) {
	top := topology.Default()
	top.FaultSeed = 7
	l := labtest.Start(t, lab.Options{Topology: top})
	ctx := context.Background()
	f, err := l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindLoss, Link: &faults.LinkRule{From: "office-pc", To: "echo", Loss: 30}})
	if err != nil {
		t.Fatal(err)
	}
	want := faults.LossSlots(7, f.ID, 30)
	var lost []int
	for i := range 100 {
		r, err := l.Probe(ctx, netspec.Probe{From: "office-pc", Kind: "icmp", Target: "203.0.113.10", Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK {
			lost = append(lost, i)
		}
	}
	t.Logf("lost pings %v", lost)
	if !slices.Equal(lost, want) {
		t.Fatalf("lost %d pings at %v, want %d at %v", len(lost), lost, len(want), want)
	}
	fs := l.ListFaults(ctx)
	if len(fs) != 1 || fs[0].Dropped != 30 {
		t.Fatalf("faults: %+v", fs)
	}
	if err := l.ClearFault(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if r, err := l.Probe(ctx, netspec.Probe{From: "office-pc", Kind: "icmp", Target: "203.0.113.10"}); err != nil || !r.OK {
			t.Fatalf("after clear: %+v %v", r, err)
		}
	}
}

// TestFaultDelayHoldsThePackets: a 300ms delay from office-pc to echo makes each ping's answer
// come at least 300ms later (the echo request waits in the kernel's queue), and clearing it
// ends that.
func TestFaultDelayHoldsThePackets(t *testing.T) {
	l := labtest.Start(t)
	ctx := context.Background()
	ping := netspec.Probe{From: "office-pc", Kind: "icmp", Target: "203.0.113.10"}
	before, err := l.Probe(ctx, ping)
	if err != nil || !before.OK {
		t.Fatalf("before: %+v %v", before, err)
	}
	f, err := l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindDelay, Link: &faults.LinkRule{From: "office-pc", To: "echo", Delay: "300ms"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		r, err := l.Probe(ctx, ping)
		if err != nil || !r.OK || r.Elapsed < 300*time.Millisecond {
			t.Fatalf("with the delay: %+v %v, want an answer after 300ms or more", r, err)
		}
		t.Logf("answered in %v (before: %v)", r.Elapsed, before.Elapsed)
	}
	if fs := l.ListFaults(ctx); len(fs) != 1 || fs[0].Dropped != 3 {
		t.Fatalf("faults: %+v", fs)
	}
	if err := l.ClearFault(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := l.Probe(ctx, ping); err != nil || !r.OK || r.Elapsed >= 300*time.Millisecond {
		t.Fatalf("after clear: %+v %v", r, err)
	}
	for _, bad := range []faults.LinkRule{{From: "office-pc", To: "echo", Delay: "forever"}, {From: "office-pc", To: "echo", Delay: "1h"}} {
		if _, err := l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindDelay, Link: &bad}); err == nil {
			t.Errorf("delay %q accepted", bad.Delay)
		}
	}
}

// TestFaultTunnelFlap: with the office connected over spacelab's own IPsec, a tunnel flap
// takes both tunnels DOWN with reason "fault", a request through the tunnel fails, and once the
// fault ends it passes again.
func TestFaultTunnelFlap(t *testing.T) {
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
	tunnels := func() []string {
		var out []string
		l.World.View(func(tx *emulator.Tx) error {
			for _, tn := range tx.VPNConnections("")[0].Tunnels {
				out = append(out, tn.Status+" "+tn.StatusMessage)
			}
			return nil
		})
		return out
	}
	for ts := tunnels(); !strings.HasPrefix(ts[0], "UP") || !strings.HasPrefix(ts[1], "UP"); ts = tunnels() {
		time.Sleep(50 * time.Millisecond) // the tunnel watcher polls the gateway
	}
	through := netspec.Probe{From: "office-pc", Kind: "tcp", Target: "10.0.25.212:80", Timeout: time.Second}
	if r, err := l.Probe(ctx, through); err != nil || !r.OK {
		t.Fatalf("before the flap: %+v %v", r, err)
	}
	f, err := l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindTunnelFlap, Tunnel: &faults.TunnelRule{Space: "enablement-jp", VPN: "office"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tunnels() {
		if !strings.HasPrefix(s, "DOWN fault: "+f.ID) {
			t.Fatalf("during the flap: %q", tunnels())
		}
	}
	if r, err := l.Probe(ctx, through); err != nil || r.OK {
		t.Fatalf("during the flap the tunnel still carries: %+v %v", r, err)
	}
	if fs := l.ListFaults(ctx); len(fs) != 1 || fs[0].Dropped == 0 {
		t.Fatalf("the flap dropped nothing: %+v", fs)
	}
	if err := l.ClearFault(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	for {
		r, err := l.Probe(ctx, through)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK {
			break
		}
	}
	for ts := tunnels(); !strings.HasPrefix(ts[0], "UP") || !strings.HasPrefix(ts[1], "UP"); ts = tunnels() {
		time.Sleep(50 * time.Millisecond)
	}
	// A timed flap ends by itself.
	f, err = l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindTunnelFlap, Tunnel: &faults.TunnelRule{Space: "enablement-jp", VPN: "office", For: "500ms"}})
	if err != nil {
		t.Fatal(err)
	}
	if f.Until == nil {
		t.Fatalf("a timed flap without its end: %+v", f)
	}
	for len(l.ListFaults(ctx)) > 0 {
		time.Sleep(50 * time.Millisecond)
	}
	for {
		r, err := l.Probe(ctx, through)
		if err != nil {
			t.Fatal(err)
		}
		if r.OK {
			break
		}
	}
}

// TestFaultDynoStop: stopping both web dynos makes curl through the app's router get Heroku's
// 503 (H14), the API shows them crashed, and clearing the fault brings them back.
func TestFaultDynoStop(t *testing.T) {
	curl := testenv.Binary(t, "curl")
	l := labtest.Start(t)
	ctx := context.Background()
	// The router's own address, so that the check does not depend on the space's resolver.
	get := func() (string, int) {
		return execIn(t, l, "test-vpn-compute/router.1", curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
			"--resolve", "test-vpn-compute.herokuapp.com:80:10.0.25.212", "http://test-vpn-compute.herokuapp.com/")
	}
	if out, _ := get(); out != "200" {
		t.Fatalf("before: %s", out)
	}
	for _, d := range []string{"web.1", "web.2"} {
		if _, err := l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindDynoStop, Dyno: &faults.DynoRule{App: "test-vpn-compute", Dyno: d}}); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := get(); out != "503" {
		t.Fatalf("stopped: curl got %s, want the router's 503", out)
	}
	if got := dynoStates(t, l); got != "web.1=crashed web.2=crashed" {
		t.Fatalf("dynos %s", got)
	}
	if err := l.ClearFault(ctx, ""); err != nil {
		t.Fatal(err)
	}
	// A dyno made again can miss its first packets while the space's bridge learns it: wait
	// for the answer, not for a time.
	for out, _ := get(); out != "200"; out, _ = get() {
		t.Logf("after clear: curl got %s", out)
	}
	// Back, they are starting until the data plane sees each listen on its port, then up.
	for got := dynoStates(t, l); got != "web.1=up web.2=up"; got = dynoStates(t, l) {
		if strings.Contains(got, "crashed") {
			t.Fatalf("dynos %s after the fault was cleared", got)
		}
		time.Sleep(20 * time.Millisecond) // the boot watcher reports by polling the dynos
	}
}

func dynoStates(t *testing.T, l *lab.Lab) string {
	t.Helper()
	req, _ := http.NewRequest("GET", l.HerokuURL+"/apps/test-vpn-compute/dynos", nil)
	req.Header.Set("Authorization", "Bearer "+l.HerokuToken)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var ds []struct{ Name, State string }
	if err := json.NewDecoder(res.Body).Decode(&ds); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.Name+"="+d.State)
	}
	return strings.Join(out, " ")
}
