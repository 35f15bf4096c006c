package render_test

import (
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/emulatortest"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// world builds the default topology and applies setup steps to it.
func world(t *testing.T, setup ...func(tx *emulator.Tx) error) *emulator.World {
	t.Helper()
	return emulatortest.World(t, setup...)
}

const (
	customerVPC = emulatortest.CustomerVPC
	spaceVPC    = emulatortest.SpaceVPC
)

var pcxID string

func requestPeering(tx *emulator.Tx) error {
	id, err := emulatortest.RequestPeering(tx)
	if err == nil {
		pcxID = id
	}
	return err
}

func TestReconcilerAppliesOnChangeOnly(t *testing.T) {
	w := world(t)
	rec := &netnstest.Recorder{}
	r := &render.Reconciler{World: w, Dataplane: rec}
	ctx := t.Context()
	for range 3 {
		if err := r.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if rec.Count() != 1 {
		t.Fatalf("applied %d times without a change", rec.Count())
	}
	if err := w.Update(requestPeering); err != nil {
		t.Fatal(err)
	}
	r.Sync(ctx)
	if rec.Count() != 2 {
		t.Fatalf("applied %d times", rec.Count())
	}
	spec := rec.Last()
	for _, want := range []string{"internet", "vpc/" + customerVPC, "vpc/" + spaceVPC, "instance/i-0f3c2b1a998877665", "dyno/test-vpn-compute/web.1", "dyno/test-vpn-compute/web.2", "router/test-vpn-compute/1", "router/test-vpn-compute/2"} {
		if spec.Host(want) == nil {
			t.Errorf("no host %s", want)
		}
	}
	if h := spec.Resolve("ip-172-16-0-8"); h == nil || h.Hostname != "ip-172-16-0-8.ec2.internal" {
		t.Errorf("instance host: %+v", h)
	}
}
