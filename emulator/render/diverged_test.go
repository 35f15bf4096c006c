package render_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netspec"
)

// failingDataplane applies everything but the hosts named in fail, as the sandbox reports
// hosts it had to close.
type failingDataplane struct{ fail map[string]string }

func (d *failingDataplane) Apply(_ context.Context, spec *netspec.Spec) error {
	bad := map[string]string{}
	for _, h := range spec.Hosts {
		if why, ok := d.fail[h.Name]; ok {
			bad[h.Name] = why
		}
	}
	if e := netspec.NewApplyError(bad); e != nil {
		return e
	}
	return nil
}

// TestDivergedHostsReachTheModel: a host the data plane could not converge makes the objects
// behind it failed (with the host and why), Sync says so, and fixing it makes them applied.
func TestDivergedHostsReachTheModel(t *testing.T) {
	w := world(t)
	dp := &failingDataplane{fail: map[string]string{"space-router/enablement-jp": "nftables: message too long"}}
	rec := &render.Reconciler{World: w, Dataplane: dp}
	ctx := t.Context()
	state := func() (rs, app emulator.DataplaneState) {
		w.View(func(tx *emulator.Tx) error {
			sp := tx.Space("enablement-jp")
			rs = tx.DataplaneState(sp.InboundRuleset().ID)
			app = tx.DataplaneState(tx.App("test-vpn-compute").ID)
			return nil
		})
		return
	}
	if rs, _ := state(); rs.State != "" {
		t.Fatalf("before any report: %+v", rs)
	}
	err := rec.Sync(ctx)
	var de *render.DivergedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "space-router/enablement-jp") || !strings.Contains(err.Error(), "message too long") {
		t.Fatalf("sync: %v", err)
	}
	rs, app := state()
	if rs.State != emulator.DataplaneFailed || !strings.Contains(rs.Reason, "space-router/enablement-jp: nftables: message too long") {
		t.Fatalf("ruleset: %+v", rs)
	}
	if app.State != emulator.DataplaneApplied {
		t.Fatalf("an app on healthy hosts: %+v", app)
	}
	if d := rec.Diverged(); len(d) != 1 || d[0].Host != "space-router/enablement-jp" || len(d[0].Objects) == 0 {
		t.Fatalf("diverged: %+v", d)
	}
	// A change is pending until the data plane has seen it.
	if err := w.Update(func(tx *emulator.Tx) error {
		_, err := tx.PutInboundRuleset(tx.Space("enablement-jp"), []emulator.InboundRule{{Action: emulator.RuleAllow, Source: netip.MustParsePrefix("203.0.113.0/24")}}, "u@example.com")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, app := state(); app.State != emulator.DataplanePending {
		t.Fatalf("after a change: %+v", app)
	}
	dp.fail = nil
	if err := rec.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if rs, _ := state(); rs.State != emulator.DataplaneApplied || len(rec.Diverged()) != 0 {
		t.Fatalf("after the fix: %+v %v", rs, rec.Diverged())
	}
}
