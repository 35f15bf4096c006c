package lab_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestLabAddonIsolatedLikeTopologyData: a Postgres add-on created through the API answers the
// space's dynos and nobody else, by packets, like a data service of the topology.
func TestLabAddonIsolatedLikeTopologyData(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	var target string
	if err := l.World.Update(func(tx *emulator.Tx) error {
		d, err := tx.CreateAddon("test-vpn-compute", "heroku-postgresql:private-0", "")
		if err == nil {
			target = fmt.Sprintf("%s:%d", d.Addr, d.Port())
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from string
		ok   bool
	}{{"test-vpn-compute/web.1", true}, {"ip-172-16-0-8", false}} {
		c, err := l.Check(context.Background(), netspec.Probe{From: tc.from, Kind: "tcp", Target: target})
		if err != nil {
			t.Fatal(err)
		}
		if c.Result.OK != tc.ok || !c.Agree {
			t.Errorf("%s → %s: %s (model agrees: %v)", tc.from, target, c.Summary(), c.Agree)
		}
	}
}
