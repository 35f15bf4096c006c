//go:build linux

package netns_test

import (
	"context"
	"testing"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestSandboxFaultsSurviveHostRecreation: a host with a fault that an Apply removes and a
// later Apply makes again (a dyno restarted, an instance replaced) gets its fault back, and
// clearing the faults then clears it there too.
func TestSandboxFaultsSurviveHostRecreation(t *testing.T) {
	t.Parallel()
	s := netnstest.Start(t)
	ctx := context.Background()
	ping := func(what string, want bool) {
		t.Helper()
		r, err := s.Probe(ctx, netspec.Probe{From: "a", Kind: "icmp", Target: "10.9.0.2"})
		if err != nil {
			t.Fatal(err)
		}
		if r.OK != want {
			t.Errorf("%s: ping a → b answered %v, want %v (%+v)", what, r.OK, want, r)
		}
	}
	if err := s.Apply(ctx, twoHosts()); err != nil {
		t.Fatal(err)
	}
	// b drops everything it sends: the replies.
	if err := s.SetFaults(ctx, []netspec.Fault{{ID: "drop-b", Host: "b"}}); err != nil {
		t.Fatal(err)
	}
	ping("with the fault", false)
	alone := &netspec.Spec{Hosts: []*netspec.Host{twoHosts().Host("a")}}
	if err := s.Apply(ctx, alone); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, twoHosts()); err != nil {
		t.Fatal(err)
	}
	ping("b made again", false)
	cs, err := s.FaultCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].ID != "drop-b" || cs[0].Host != "b" || cs[0].Dropped == 0 {
		t.Errorf("counters after b was made again: %+v, want drop-b on b with drops", cs)
	}
	if err := s.SetFaults(ctx, nil); err != nil {
		t.Fatal(err)
	}
	ping("faults cleared", true)
}
