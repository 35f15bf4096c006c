package render_test

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netspec"
)

// groupWorld is one VPC with two subnets and n instances, alternately in each, all in the VPC's
// default group, whose default inbound rule references the group itself; acls more subnets
// share one network ACL of entries rules.
func groupWorld(t *testing.T, n, subnets, entries int) *emulator.World {
	t.Helper()
	w := emulator.NewWorld(emulator.Options{Seed: 1})
	if err := w.Update(func(tx *emulator.Tx) error {
		v, err := tx.CreateVPC(custA, netip.MustParsePrefix("10.0.0.0/16"), emulator.VPCOptions{})
		if err != nil {
			return err
		}
		var ids []string
		for i := range 2 + subnets {
			cidr := netip.MustParsePrefix(fmt.Sprintf("10.0.%d.0/24", 128+i))
			if i < 2 {
				cidr = netip.MustParsePrefix(fmt.Sprintf("10.0.%d.0/18", 64*i))
			}
			s, err := tx.CreateSubnet(custA, v.ID, cidr, emulator.SubnetOptions{})
			if err != nil {
				return err
			}
			ids = append(ids, s.ID)
		}
		for i := range n {
			if _, err := tx.RunInstance(custA, ids[i%2], emulator.InstanceOptions{}); err != nil {
				return err
			}
		}
		if entries == 0 {
			return nil
		}
		acl, err := tx.CreateNetworkACL(custA, v.ID, nil)
		if err != nil {
			return err
		}
		for i := range entries {
			if err := tx.CreateNetworkACLEntry(custA, acl.ID, emulator.NACLEntry{RuleNumber: 10 + i, Egress: i%2 == 1, Protocol: "6",
				FromPort: 1000 + i, ToPort: 1000 + i, CIDR: netip.MustParsePrefix("192.0.2.0/24"), Allow: i%3 != 0}); err != nil {
				return err
			}
		}
		for _, a := range tx.NetworkACLs() {
			for _, as := range a.Associations {
				if _, err := tx.ReplaceNetworkACLAssociation(custA, as.ID, acl.ID); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// size counts what a rendered spec asks the kernels for: filter rules, the elements of their
// sets (an interval set holds a start and an end per run of addresses, however many prefixes
// make the run) and the entries of their jump maps, over every host.
func size(spec *netspec.Spec) (rules, elems int) {
	for _, h := range spec.Hosts {
		if h.Filter == nil {
			continue
		}
		for _, c := range h.Filter.Chains {
			rules += len(c.Rules)
			for _, r := range c.Rules {
				elems += 2*runs(r.SrcIn) + 2*runs(r.DstIn) + len(r.JumpIif) + len(r.JumpOif)
			}
		}
	}
	return rules, elems
}

// runs is the number of runs of consecutive addresses ps cover.
func runs(ps []netip.Prefix) int {
	type span struct{ lo, hi uint64 }
	var spans []span
	for _, p := range ps {
		b := p.Masked().Addr().As4()
		lo := uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
		spans = append(spans, span{lo, lo + 1<<(32-p.Bits()) - 1})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	n := 0
	var hi uint64
	for i, s := range spans {
		if i == 0 || s.lo > hi+1 {
			n++
		}
		hi = max(hi, s.hi)
	}
	return n
}

// TestSecurityGroupRulesetLinear renders a group of 1,000 and of 10,000 members whose rules
// reference the group itself: the rules and set elements, summed over every host, grow by the
// factor the group does (not its square), and the rule still tells members from others.
func TestSecurityGroupRulesetLinear(t *testing.T) {
	counts := map[int][2]int{}
	for _, n := range []int{1000, 10000} {
		spec := (&render.Reconciler{World: groupWorld(t, n, 0, 0)}).Render()
		rules, elems := size(spec)
		counts[n] = [2]int{rules, elems}
		t.Logf("%d members: %d hosts, %d rules, %d set elements", n, len(spec.Hosts), rules, elems)
		// The self-reference: member 0 accepts member n-1 (the other subnet) by the group's rule,
		// and drops an address of the VPC that no member has.
		var first, last *netspec.Host
		for _, h := range spec.Hosts {
			if h.Kind == "instance" {
				if first == nil {
					first = h
				}
				last = h
			}
		}
		src := func(h *netspec.Host) netip.Addr {
			for _, l := range spec.Links {
				if l.A.Host == h.Name {
					return l.A.Addrs[0].Addr()
				}
			}
			t.Fatalf("no address for %s", h.Name)
			return netip.Addr{}
		}
		d := first.Filter.Decide(netspec.Input, netspec.Packet{Src: src(last), Dst: src(first), Proto: netspec.TCP, DstPort: 5432, Iif: "eth0"})
		if d.Verdict != netspec.Accept || !strings.Contains(d.Why, "inbound rule") {
			t.Fatalf("%d members: a member is not let in by the group's own rule: %s %s", n, d.Verdict, d.Why)
		}
		d = first.Filter.Decide(netspec.Input, netspec.Packet{Src: netip.MustParseAddr("10.0.63.250"), Dst: src(first), Proto: netspec.TCP, DstPort: 5432, Iif: "eth0"})
		if d.Verdict != netspec.Drop {
			t.Fatalf("%d members: a non-member address is let in: %s", n, d.Why)
		}
	}
	small, big := counts[1000], counts[10000]
	for i, what := range []string{"rules", "set elements"} {
		if ratio := float64(big[i]) / float64(small[i]); ratio > 10.1 {
			t.Errorf("%s grow %.2f× from 1,000 to 10,000 members (%d → %d): want at most 10× (linear)", what, ratio, small[i], big[i])
		}
	}
}

// TestNACLRulesetLinear shares one network ACL of 40 entries between 2 and 50 subnets: the VPC
// router gets each entry once (in the ACL's chains) and one jump-map entry per subnet, not
// entries × subnets.
func TestNACLRulesetLinear(t *testing.T) {
	router := func(subnets int) (rules, elems int) {
		spec := (&render.Reconciler{World: groupWorld(t, 0, subnets, 40)}).Render()
		for _, h := range spec.Hosts {
			if h.Kind == "vpc-router" {
				return size(&netspec.Spec{Hosts: []*netspec.Host{h}})
			}
		}
		t.Fatal("no VPC router")
		return 0, 0
	}
	r0, e0 := router(0)
	r48, e48 := router(48)
	t.Logf("2 subnets: %d rules, %d elements; 50 subnets: %d rules, %d elements", r0, e0, r48, e48)
	if r48 != r0 {
		t.Errorf("48 more subnets sharing the ACL added %d rules, want none", r48-r0)
	}
	if e48-e0 != 2*48 {
		t.Errorf("48 more subnets added %d jump-map entries, want %d (one per subnet and direction)", e48-e0, 2*48)
	}
}
