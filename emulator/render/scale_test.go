package render_test

import (
	"context"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

func TestDataplaneScale(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	sb := netnstest.Start(t)
	w := world(t)
	rec := &render.Reconciler{World: w, Dataplane: sb}
	ctx := context.Background()
	start := time.Now()
	if err := rec.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("default topology: %v", time.Since(start))
	for _, n := range []int{100, 200, 0, 5} {
		q := n
		if err := w.Update(func(tx *emulator.Tx) error {
			_, err := tx.Scale("test-vpn-compute", []emulator.ScaleUpdate{{Type: "web", Quantity: &q}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := rec.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("scale web=%d: %v (%d hosts)", n, time.Since(start), len(rec.Spec().Hosts))
	}
}
