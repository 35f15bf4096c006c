package lab_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// A blocked check ends when its packets are seen dying where the model says; packets that
// vanish elsewhere make it wait for its timeout, and it says so.
func TestLabBlockedCheckWitnessed(t *testing.T) {
	l := labtest.Start(t)
	ctx := context.Background()
	curl := netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}

	c, err := l.Check(ctx, curl)
	if err != nil {
		t.Fatal(err)
	}
	if c.Result.OK || !c.Agree || c.Expected == nil || c.Expected.Host != "vpc/vpc-0cb1a66017eed9372" {
		t.Fatalf("%s; expected drop at %+v", c.Summary(), c.Expected)
	}
	if !strings.Contains(c.Result.Witnessed, "arrived at vpc/vpc-0cb1a66017eed9372") || !strings.Contains(c.Result.Witnessed, "blackhole") {
		t.Fatalf("the drop was not witnessed: %q (%s)", c.Result.Witnessed, c.Result.Err)
	}

	// A filter drop is witnessed by its rule's counter.
	c, err = l.Check(ctx, netspec.Probe{From: "test-vpn-compute/web.1", Kind: "tcp", Target: "10.1.0.10:6379"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Result.OK || c.Expected == nil || c.Expected.Rule == "" || !strings.Contains(c.Result.Witnessed, "drop counter") {
		t.Fatalf("%s; expected %+v, witnessed %q", c.Summary(), c.Expected, c.Result.Witnessed)
	}

	// Told to watch a hop the packets never reach, the probe waits for its timeout and says it
	// did not see them die there.
	wrong := curl
	wrong.Timeout = 300 * time.Millisecond
	wrong.Expect = &netspec.DropPoint{Host: "internet", Dst: netip.MustParseAddr("10.0.25.212"), Proto: netspec.TCP, Port: 80}
	r, err := l.Probe(ctx, wrong)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.Witnessed != "" || !strings.Contains(r.Err, "timed out") {
		t.Fatalf("a drop elsewhere: ok %v, witnessed %q, err %q", r.OK, r.Witnessed, r.Err)
	}
}
