package render_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/emulatortest"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestIncrementalEqualsFullInSandbox is the privileged variant of TestIncrementalEqualsFull: the
// incremental reconciler drives a real sandbox with deltas, and after every change what the
// sandbox holds (its hosts, their kinds, aliases and addresses) must be what a full render of
// the model gives. At the end a full reconcile of the same sandbox must find nothing it could
// not converge.
func TestIncrementalEqualsFullInSandbox(t *testing.T) {
	sb := netnstest.Start(t)
	rng := rand.New(rand.NewPCG(7, 0x1ec))
	w := emulatortest.World(t)
	ctx := t.Context()
	inc := &render.Reconciler{World: w, Dataplane: sb}
	if err := inc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for step := range 25 {
		var ch change
		w.View(func(tx *emulator.Tx) error { ch = randomChange(rng, tx); return nil })
		err := w.Update(ch.fn)
		what := fmt.Sprintf("step %d: %s: %v", step, ch.name, err)
		if err := inc.Sync(ctx); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		held, err := sb.Hosts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := inc.Render()
		if got, exp := hostLines(held), specLines(want); !slices.Equal(got, exp) {
			t.Fatalf("after %s the sandbox holds\n%v\nbut a full render gives\n%v", what, got, exp)
		}
	}
	if st := inc.Stats(); st.Deltas == 0 || st.Full != 1 || st.Partial == 0 {
		t.Errorf("the sandbox was not driven by deltas, partial renders among them: %+v", st)
	}
	if err := inc.Resync(ctx); err != nil {
		t.Fatalf("a full reconcile after the deltas: %v", err)
	}
}

func hostLines(hs []netns.HostInfo) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s %v %v", h.Name, h.Kind, h.Aliases, h.Addrs))
	}
	slices.Sort(out)
	return out
}

func specLines(s *netspec.Spec) []string {
	var out []string
	for _, h := range s.Hosts {
		var addrs []string
		for _, p := range s.AddrsOf(h.Name) {
			addrs = append(addrs, p.String())
		}
		out = append(out, fmt.Sprintf("%s %s %v %v", h.Name, h.Kind, h.Aliases, addrs))
	}
	slices.Sort(out)
	return out
}
