package labtest_test

import (
	"context"
	"testing"

	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// In a test, Start gives a lab that closes when the test ends; it skips where no sandbox can
// be made (and fails under CI=true). Here the test checks that the EC2 instance resolves the
// Private Space app's name with the VPC's resolver.
func ExampleStart() {
	// func TestDNS(t *testing.T) { … } — TestStart below runs this very body.
	testDNS := func(t *testing.T) {
		l := labtest.Start(t)
		c, err := l.Check(context.Background(), netspec.Probe{From: "ip-172-16-0-8", Kind: "dns", Target: "test-vpn-compute.herokuapp.com"})
		if err != nil || !c.Passed() || !c.Agree {
			t.Fatalf("%v: %s", err, c.Summary())
		}
	}
	_ = testDNS
}

// TestStart is ExampleStart run for real.
func TestStart(t *testing.T) {
	l := labtest.Start(t)
	c, err := l.Check(context.Background(), netspec.Probe{From: "ip-172-16-0-8", Kind: "dns", Target: "test-vpn-compute.herokuapp.com"})
	if err != nil || !c.Passed() || !c.Agree {
		t.Fatalf("%v: %s", err, c.Summary())
	}
	if len(c.Result.Addrs) != 2 {
		t.Fatalf("resolved to %v, want the two internal router addresses", c.Result.Addrs)
	}
}
