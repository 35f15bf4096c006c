package netns_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

var manyN = 20000

// guarded is twoHosts with b accepting web traffic only from the prefixes allow (a set rule).
func guarded(allow []netip.Prefix) *netspec.Spec {
	spec := twoHosts()
	b := spec.Host("b")
	b.Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "in", Hook: netspec.Input, Policy: netspec.Drop, PolicyWhy: "not allowed",
		Rules: []netspec.FilterRule{
			{Established: true, Verdict: netspec.Accept},
			{Iif: "lo", Verdict: netspec.Accept},
			{SrcIn: allow, Proto: netspec.TCP, PortFrom: 80, PortTo: 80, Verdict: netspec.Accept, Why: "allowed sources"},
		}}}}
	return spec
}

// TestSandboxSetRules checks a rule over a set of prefixes (overlapping, adjacent, more than
// one netlink batch) with packets: a's address in the set is served, out of it refused.
func TestSandboxSetRules(t *testing.T) {
	s := netnstest.Start(t)
	ctx := context.Background()
	web := netspec.Probe{From: "a", Kind: "http", Target: "http://10.9.0.2/", Timeout: time.Second}
	var many []netip.Prefix
	for i := range manyN { // 40,000 interval elements, all sorting before a's: several batches, a's in the last
		n := 2 * i
		many = append(many, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(n / 256), byte(n)}), 32))
	}
	tests := []struct {
		name  string
		allow []netip.Prefix
		ok    bool
	}{
		{"a's /32 among others", []netip.Prefix{pfx("192.0.2.0/24"), pfx("10.9.0.1/32"), pfx("198.51.100.0/24")}, true},
		{"overlapping and adjacent ranges", []netip.Prefix{pfx("10.9.0.0/25"), pfx("10.9.0.0/24"), pfx("10.9.1.0/24"), pfx("10.8.0.0/16")}, true},
		{"a left out", []netip.Prefix{pfx("10.9.0.2/32"), pfx("10.9.0.128/25"), pfx("192.0.2.0/24")}, false},
		{"20,000 others, a last", append(append([]netip.Prefix(nil), many...), pfx("10.9.0.1/32")), true},
		{"20,000 others without a", many, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Apply(ctx, guarded(tc.allow)); err != nil {
				t.Fatal(err)
			}
			p := web
			if tc.ok {
				p.Timeout = 0 // the default: a refusal needs a bound, an answer does not
			}
			r, err := s.Probe(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK != tc.ok {
				t.Fatalf("served = %v, want %v: %+v", r.OK, tc.ok, r)
			}
		})
	}
}

// TestSandboxFailsClosed gives b a route the kernel refuses next to a filter that would let a
// in: the apply names b, and b drops everything rather than keep its old (open) rules.
func TestSandboxFailsClosed(t *testing.T) {
	s := netnstest.Start(t)
	ctx := context.Background()
	web := netspec.Probe{From: "a", Kind: "http", Target: "http://10.9.0.2/", Timeout: time.Second}
	if err := s.Apply(ctx, twoHosts()); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Probe(ctx, netspec.Probe{From: "a", Kind: "http", Target: "http://10.9.0.2/"}); err != nil || !r.OK {
		t.Fatalf("open b: %v %+v", err, r)
	}
	bad := guarded([]netip.Prefix{pfx("10.9.0.0/24"), pfx("10.8.0.0/24")})
	bad.Host("b").Routes = []netspec.Route{{Dst: pfx("192.0.2.0/24"), Dev: "no-such-if", Why: "a route to a device b does not have"}}
	err := s.Apply(ctx, bad)
	var ae *netspec.ApplyError
	if !errors.As(err, &ae) || len(ae.Hosts) != 1 || ae.Hosts[0].Host != "b" {
		t.Fatalf("apply: %v", err)
	}
	r, err := s.Probe(ctx, web)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK {
		t.Fatalf("b failed to converge and still serves: %+v", r)
	}
	if r, _ := s.Probe(ctx, netspec.Probe{From: "a", Kind: "icmp", Target: "10.9.0.2", Timeout: time.Second}); r.OK {
		t.Fatal("a closed host answers ping")
	}
	// Fixed, it converges and opens again.
	good := guarded([]netip.Prefix{pfx("10.9.0.0/24"), pfx("10.8.0.0/24")})
	if err := s.Apply(ctx, good); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Probe(ctx, netspec.Probe{From: "a", Kind: "http", Target: "http://10.9.0.2/"}); err != nil || !r.OK {
		t.Fatalf("after the fix: %v %+v", err, r)
	}
	if !strings.Contains(ae.Hosts[0].Err, "192.0.2.0/24") {
		t.Fatalf("the failure does not say why: %v", ae)
	}
	t.Log(ae)
}
