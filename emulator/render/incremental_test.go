package render_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/emulatortest"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// patcher is a DeltaDataplane double: it holds what a sandbox would hold, the last whole spec
// patched by every delta since.
type patcher struct {
	held   *netspec.Spec
	deltas []*netspec.Delta
}

func (p *patcher) Apply(_ context.Context, s *netspec.Spec) error {
	p.held = s
	return nil
}

func (p *patcher) ApplyDelta(_ context.Context, d *netspec.Delta) error {
	p.deltas = append(p.deltas, d)
	p.held = p.held.Patch(d)
	return nil
}

// change is one random API change; model says whether it can only change the model (then the
// incremental reconciler must render nothing).
type change struct {
	name  string
	model bool
	fn    func(tx *emulator.Tx) error
}

var errAbort = errors.New("aborted on purpose")

// idsOf is the ids of objects, in their order.
func idsOf[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

// randomChange picks a change through the model's Tx API. Many fail (a duplicate rule, a
// revoke of a missing one, a subnet that overlaps): failures must leave no trace either.
func randomChange(rng *rand.Rand, tx *emulator.Tx) change {
	c := emulatortest.Customer
	pick := func(n int) int { return rng.IntN(max(n, 1)) }
	var groups, subnets, instances []string
	for _, g := range tx.SecurityGroups() {
		if g.Account == c.Account && g.Region == c.Region {
			groups = append(groups, g.ID)
		}
	}
	for _, s := range tx.Subnets() {
		if s.VPCID == emulatortest.CustomerVPC {
			subnets = append(subnets, s.ID)
		}
	}
	var used []string // groups with members: their rule changes reach instances' filters
	for _, i := range tx.Instances() {
		if i.Account == c.Account && i.State != "terminated" {
			instances = append(instances, i.ID)
			used = append(used, i.SecurityGroupIDs...)
		}
	}
	at := func(xs []string) string {
		if len(xs) == 0 {
			return "missing"
		}
		return xs[pick(len(xs))]
	}
	group := func() string {
		if len(used) > 0 && pick(3) > 0 {
			return used[pick(len(used))]
		}
		return at(groups)
	}
	// ingressRule picks a group and one of its ingress rules' ids ("missing" when it has none).
	ingressRule := func() (string, string) {
		g := group()
		var ids []string
		if sg := tx.SecurityGroup(g); sg != nil {
			for _, r := range sg.Ingress {
				ids = append(ids, r.ID)
			}
		}
		return g, at(ids)
	}
	taggable := append(append([]string{emulatortest.CustomerVPC}, groups...), instances...)
	port := 8000 + pick(4)
	cidr := fmt.Sprintf("198.51.100.%d/32", pick(4))
	perm := []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, CIDRs: []emulator.PermissionCIDR{{CIDR: cidr}}}}
	anApp := func() *emulator.App {
		spaces := tx.Spaces()
		apps := tx.AppsIn(spaces[pick(len(spaces))].ID)
		if len(apps) == 0 {
			return nil
		}
		return apps[pick(len(apps))]
	}
	// Routing and network ACLs of the customer VPC: tables, their associations, ACLs and theirs.
	var rtbs, rtbAssocs, acls, aclAssocs []string
	for _, rt := range tx.RouteTables() {
		if rt.VPCID != emulatortest.CustomerVPC {
			continue
		}
		rtbs = append(rtbs, rt.ID)
		if rt.Main {
			rtbAssocs = append(rtbAssocs, rt.MainAssociationID)
		}
		for _, a := range rt.Associations {
			rtbAssocs = append(rtbAssocs, a.ID)
		}
	}
	for _, n := range tx.NetworkACLs() {
		if n.VPCID != emulatortest.CustomerVPC {
			continue
		}
		acls = append(acls, n.ID)
		for _, a := range n.Associations {
			aclAssocs = append(aclAssocs, a.ID)
		}
	}
	dst := netip.MustParsePrefix(fmt.Sprintf("10.200.%d.0/24", pick(3)))
	pcxs := idsOf(tx.Peerings(), func(p *emulator.Peering) string { return p.ID })
	switch k := pick(29); k {
	case 28:
		id := at(idsOf(tx.DHCPOptionsSets(), func(d *emulator.DHCPOptions) string { return d.ID }))
		switch pick(4) {
		case 0:
			domain := fmt.Sprintf("d%d.example", pick(3))
			return change{"CreateDHCPOptions " + domain, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateDHCPOptions(c, []emulator.DHCPOption{{Key: "domain-name", Values: []string{domain}}, {Key: "domain-name-servers", Values: []string{"AmazonProvidedDNS"}}}, nil)
				return err
			}}
		case 1:
			return change{"AssociateDHCPOptions default", false, func(tx *emulator.Tx) error {
				return tx.AssociateDHCPOptions(c, "default", emulatortest.CustomerVPC)
			}}
		case 2:
			return change{"AssociateDHCPOptions " + id, false, func(tx *emulator.Tx) error {
				return tx.AssociateDHCPOptions(c, id, emulatortest.CustomerVPC)
			}}
		}
		return change{"DeleteDHCPOptions " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteDHCPOptions(c, id)
		}}
	case 27:
		var eips, assocs []string
		for _, e := range tx.ElasticIPs() {
			eips = append(eips, e.AllocationID)
			if e.AssociationID != "" {
				assocs = append(assocs, e.AssociationID)
			}
		}
		id, inst := at(eips), at(instances)
		switch pick(4) {
		case 0:
			return change{"AllocateAddress", false, func(tx *emulator.Tx) error {
				_, err := tx.AllocateAddress(c, nil)
				return err
			}}
		case 1:
			again := pick(2) == 0
			return change{"AssociateAddress " + id + " " + inst, false, func(tx *emulator.Tx) error {
				// The instance's VPC needs an internet gateway: attach one in the same Update.
				if !slices.ContainsFunc(tx.InternetGateways(), func(g *emulator.InternetGateway) bool { return g.VPCID == emulatortest.CustomerVPC }) {
					g, err := tx.CreateInternetGateway(c, nil)
					if err != nil {
						return err
					}
					if err := tx.AttachInternetGateway(c, g.ID, emulatortest.CustomerVPC); err != nil {
						return err
					}
				}
				alloc := id
				if len(eips) == 0 { // and an address to associate
					e, err := tx.AllocateAddress(c, nil)
					if err != nil {
						return err
					}
					alloc = e.AllocationID
				}
				_, err := tx.AssociateAddress(c, alloc, inst, again)
				return err
			}}
		case 2:
			a := at(assocs)
			return change{"DisassociateAddress " + a, false, func(tx *emulator.Tx) error {
				return tx.DisassociateAddress(c, a)
			}}
		}
		return change{"ReleaseAddress " + id, false, func(tx *emulator.Tx) error {
			return tx.ReleaseAddress(c, id)
		}}
	case 26:
		id := at(idsOf(tx.InternetGateways(), func(g *emulator.InternetGateway) string { return g.ID }))
		switch pick(4) {
		case 0:
			return change{"CreateInternetGateway", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateInternetGateway(c, nil)
				return err
			}}
		case 1:
			return change{"AttachInternetGateway " + id, false, func(tx *emulator.Tx) error {
				return tx.AttachInternetGateway(c, id, emulatortest.CustomerVPC)
			}}
		case 2:
			return change{"DetachInternetGateway " + id, false, func(tx *emulator.Tx) error {
				return tx.DetachInternetGateway(c, id, emulatortest.CustomerVPC)
			}}
		}
		return change{"DeleteInternetGateway " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteInternetGateway(c, id)
		}}
	case 25:
		if pick(2) == 0 {
			cidr := netip.MustParsePrefix(fmt.Sprintf("172.16.%d.0/24", 200+pick(3)))
			return change{"CreateSubnet " + cidr.String(), false, func(tx *emulator.Tx) error {
				_, err := tx.CreateSubnet(c, emulatortest.CustomerVPC, cidr, emulator.SubnetOptions{})
				return err
			}}
		}
		id := at(subnets)
		return change{"DeleteSubnet " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteSubnet(c, id)
		}}
	case 24:
		if pick(2) == 0 {
			name := fmt.Sprintf("g%d", pick(3))
			return change{"CreateSecurityGroup " + name, false, func(tx *emulator.Tx) error {
				_, err := tx.CreateSecurityGroup(c, emulatortest.CustomerVPC, name, "random", nil)
				return err
			}}
		}
		id := at(groups)
		return change{"DeleteSecurityGroup " + id, false, func(tx *emulator.Tx) error {
			return tx.DeleteSecurityGroup(c, id)
		}}
	case 22:
		id := at(pcxs)
		accepter := emulator.Caller{Account: "884226375513", Region: "ap-northeast-1"} // RequestPeering's peer
		if pick(2) == 0 {
			return change{"AcceptPeering " + id, false, func(tx *emulator.Tx) error {
				_, err := tx.AcceptPeering(accepter, id)
				return err
			}}
		}
		return change{"RejectPeering " + id, false, func(tx *emulator.Tx) error {
			return tx.RejectPeering(accepter, id)
		}}
	case 23:
		id := at(pcxs)
		if pick(2) == 0 {
			on := pick(2) == 0
			return change{fmt.Sprintf("ModifyPeeringOptions %s dns=%v", id, on), false, func(tx *emulator.Tx) error {
				_, err := tx.ModifyPeeringOptions(c, id, &emulator.PeeringOptionsChange{AllowDNSResolutionFromRemoteVPC: &on}, nil)
				return err
			}}
		}
		return change{"DeletePeering " + id, false, func(tx *emulator.Tx) error {
			return tx.DeletePeering(c, id)
		}}
	case 16:
		rt, to := at(rtbs), at(instances)
		return change{"CreateRoute " + rt + " " + dst.String() + " → " + to, false, func(tx *emulator.Tx) error {
			return tx.CreateRoute(c, rt, dst, emulator.RouteTarget{InstanceID: to})
		}}
	case 17:
		rt, to := at(rtbs), at(instances)
		if pick(2) == 0 {
			return change{"ReplaceRoute " + rt + " " + dst.String() + " → " + to, false, func(tx *emulator.Tx) error {
				return tx.ReplaceRoute(c, rt, dst, emulator.RouteTarget{InstanceID: to})
			}}
		}
		return change{"DeleteRoute " + rt + " " + dst.String(), false, func(tx *emulator.Tx) error {
			return tx.DeleteRoute(c, rt, dst)
		}}
	case 18:
		switch rt, s, a := at(rtbs), at(subnets), at(rtbAssocs); pick(5) {
		case 0:
			return change{"CreateRouteTable", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateRouteTable(c, emulatortest.CustomerVPC, nil)
				return err
			}}
		case 1:
			return change{"AssociateRouteTable " + rt + " " + s, false, func(tx *emulator.Tx) error {
				_, err := tx.AssociateRouteTable(c, rt, s)
				return err
			}}
		case 2:
			return change{"DisassociateRouteTable " + a, false, func(tx *emulator.Tx) error {
				return tx.DisassociateRouteTable(c, a)
			}}
		case 3:
			return change{"ReplaceRouteTableAssociation " + a + " " + rt, false, func(tx *emulator.Tx) error {
				_, err := tx.ReplaceRouteTableAssociation(c, a, rt)
				return err
			}}
		default:
			return change{"DeleteRouteTable " + rt, false, func(tx *emulator.Tx) error {
				return tx.DeleteRouteTable(c, rt)
			}}
		}
	case 19:
		acl := at(acls)
		e := emulator.NACLEntry{RuleNumber: 50 + pick(3), Egress: pick(2) == 0, Protocol: "6", Allow: pick(3) > 0,
			CIDR: netip.MustParsePrefix(cidr), FromPort: port, ToPort: port}
		switch pick(3) {
		case 0:
			return change{fmt.Sprintf("CreateNetworkACLEntry %s %d", acl, e.RuleNumber), false, func(tx *emulator.Tx) error {
				return tx.CreateNetworkACLEntry(c, acl, e)
			}}
		case 1:
			return change{fmt.Sprintf("ReplaceNetworkACLEntry %s %d", acl, e.RuleNumber), false, func(tx *emulator.Tx) error {
				return tx.ReplaceNetworkACLEntry(c, acl, e)
			}}
		default:
			return change{fmt.Sprintf("DeleteNetworkACLEntry %s %d", acl, e.RuleNumber), false, func(tx *emulator.Tx) error {
				return tx.DeleteNetworkACLEntry(c, acl, e.RuleNumber, e.Egress)
			}}
		}
	case 20:
		switch acl, a := at(acls), at(aclAssocs); pick(3) {
		case 0:
			return change{"CreateNetworkACL", false, func(tx *emulator.Tx) error {
				_, err := tx.CreateNetworkACL(c, emulatortest.CustomerVPC, nil)
				return err
			}}
		case 1:
			return change{"ReplaceNetworkACLAssociation " + a + " " + acl, false, func(tx *emulator.Tx) error {
				_, err := tx.ReplaceNetworkACLAssociation(c, a, acl)
				return err
			}}
		default:
			return change{"DeleteNetworkACL " + acl, false, func(tx *emulator.Tx) error {
				return tx.DeleteNetworkACL(c, acl)
			}}
		}
	case 21:
		return change{"RunInstance", false, func(tx *emulator.Tx) error {
			_, err := tx.RunInstance(c, at(subnets), emulator.InstanceOptions{})
			return err
		}}
	case 14:
		app := anApp()
		if app == nil {
			return change{"nothing", true, func(*emulator.Tx) error { return nil }}
		}
		v := fmt.Sprint("v", pick(3))
		if pick(2) == 0 {
			return change{"UpdateConfigVars " + app.Name, false, func(tx *emulator.Tx) error {
				_, err := tx.UpdateConfigVars(app.ID, map[string]*string{"K": &v})
				return err
			}}
		}
		return change{"RestartDynos " + app.Name, false, func(tx *emulator.Tx) error {
			_, err := tx.RestartDynos(app.ID, "")
			return err
		}}
	case 15:
		app := anApp()
		if app == nil {
			return change{"nothing", true, func(*emulator.Tx) error { return nil }}
		}
		crashed := pick(2) == 0
		return change{fmt.Sprintf("SetDynoCrashed %s web.1 %v", app.Name, crashed), false, func(tx *emulator.Tx) error {
			return tx.SetDynoCrashed(app.ID, "web.1", crashed)
		}}
	case 12:
		g, id := ingressRule()
		return change{"RevokeRulesByID " + g + " " + id, false, func(tx *emulator.Tx) error {
			_, err := tx.RevokeRulesByID(c, g, []string{id}, false)
			return err
		}}
	case 13:
		g, id := ingressRule()
		return change{"ModifyRules " + g + " " + id, false, func(tx *emulator.Tx) error {
			return tx.ModifyRules(c, g, []emulator.RuleChange{{RuleID: id, Permission: perm[0]}})
		}}
	case 0, 1:
		id, key := at(taggable), []string{"env", "team", "Name"}[pick(3)]
		return change{"CreateTags " + id + " " + key, key != "Name", func(tx *emulator.Tx) error {
			return tx.CreateTags(c, []string{id}, emulator.Tags{key: fmt.Sprint("v", pick(3))})
		}}
	case 2:
		id, key := at(taggable), []string{"env", "Name"}[pick(2)]
		return change{"DeleteTags " + id + " " + key, key != "Name", func(tx *emulator.Tx) error {
			return tx.DeleteTags(c, []string{id}, []emulator.TagMatch{{Key: key}})
		}}
	case 3:
		g := group()
		return change{"AuthorizeIngress " + g, false, func(tx *emulator.Tx) error {
			_, err := tx.AuthorizeIngress(c, g, perm)
			return err
		}}
	case 4:
		g := group()
		return change{"RevokeIngress " + g, false, func(tx *emulator.Tx) error {
			_, err := tx.RevokeIngress(c, g, perm)
			return err
		}}
	case 5:
		spaces := tx.Spaces()
		sp := spaces[pick(len(spaces))]
		apps := tx.AppsIn(sp.ID)
		if len(apps) == 0 {
			return change{"nothing", true, func(*emulator.Tx) error { return nil }}
		}
		app, q := apps[pick(len(apps))].ID, pick(4)
		return change{fmt.Sprintf("Scale %s web=%d", app, q), false, func(tx *emulator.Tx) error {
			_, err := tx.Scale(app, []emulator.ScaleUpdate{{Type: "web", Quantity: &q}})
			return err
		}}
	case 6:
		spaces := tx.Spaces()
		sp := spaces[pick(len(spaces))].ID
		rules := []emulator.InboundRule{{Action: "allow", Source: netip.MustParsePrefix("0.0.0.0/0")}}
		if pick(2) == 0 {
			rules = append([]emulator.InboundRule{{Action: "deny", Source: netip.MustParsePrefix(cidr)}}, rules...)
		}
		return change{"PutInboundRuleset " + sp, false, func(tx *emulator.Tx) error {
			_, err := tx.PutInboundRuleset(tx.Space(sp), rules, "user@example.com")
			return err
		}}
	case 7:
		return change{"RequestPeering", false, func(tx *emulator.Tx) error {
			_, err := emulatortest.RequestPeering(tx)
			return err
		}}
	case 8:
		s := at(subnets)
		return change{"RunInstance in " + s, false, func(tx *emulator.Tx) error {
			_, err := tx.RunInstance(c, s, emulator.InstanceOptions{})
			return err
		}}
	case 9:
		id := at(instances)
		return change{"TerminateInstances " + id, false, func(tx *emulator.Tx) error {
			_, err := tx.TerminateInstances(c, []string{id})
			return err
		}}
	case 10:
		p := netip.MustParsePrefix(fmt.Sprintf("172.31.%d.0/24", 200+pick(3)))
		return change{"CreateSubnet " + p.String(), false, func(tx *emulator.Tx) error {
			_, err := tx.CreateSubnet(c, emulatortest.CustomerVPC, p, emulator.SubnetOptions{})
			return err
		}}
	default:
		// Several changes, then a failure: the whole Update is rolled back.
		g := at(groups)
		return change{"AuthorizeIngress+tags then abort", true, func(tx *emulator.Tx) error {
			tx.AuthorizeIngress(c, g, perm)
			tx.CreateTags(c, []string{emulatortest.CustomerVPC}, emulator.Tags{"Name": "x"})
			return errAbort
		}}
	}
}

// TestIncrementalEqualsFull drives random sequences of API changes through the model and, after
// each (or after a few at once), compares what the incremental path left in a data plane
// (deltas patched onto the last whole spec; nothing at all for model-only changes; hosts the
// change does not affect taken from the last render) with what the full path gives: a second
// reconciler that renders and applies the whole spec every time, and a fresh full render.
// Every partial render is also compared with a full one inside the reconciler (test binaries:
// render.checkPartial).
// Seeded: a failure names its seed and step, and replays with it.
func TestIncrementalEqualsFull(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x1ec))
			w := emulatortest.World(t)
			ctx := t.Context()
			dp := &patcher{}
			inc := &render.Reconciler{World: w, Dataplane: dp}
			full := &netnstest.Recorder{}
			ref := &render.Reconciler{World: w, Dataplane: full}
			// Both start from the same world, so both address books number the same tables.
			if err := inc.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ref.Resync(ctx); err != nil {
				t.Fatal(err)
			}
			var log []string
			for step := range 60 {
				// One change between syncs, or a few: the reconciler then renders for all of
				// them at once (NetworkChanges joins what each named).
				quiet := true // no change reached the network
				for n := range 1 + rng.IntN(3)/2*rng.IntN(3) {
					var ch change
					w.View(func(tx *emulator.Tx) error { ch = randomChange(rng, tx); return nil })
					err := w.Update(ch.fn)
					log = append(log, fmt.Sprintf("%d.%d: %s: %v", step, n, ch.name, err))
					quiet = quiet && (ch.model || err != nil)
				}
				before := inc.Stats()
				if err := inc.Sync(ctx); err != nil {
					t.Fatal(err)
				}
				if err := ref.Resync(ctx); err != nil { // renders and applies the whole spec, always
					t.Fatal(err)
				}
				after := inc.Stats()
				if quiet && after.Renders != before.Renders {
					t.Fatalf("step %s rendered the network though it changes only the model\n%v", log[len(log)-1], log)
				}
				if after.Full != before.Full {
					t.Fatalf("step %s applied the whole spec, not a delta", log[len(log)-1])
				}
				want := full.Last()
				if host, why := specDiff(dp.held, want); host != "" {
					t.Fatalf("after %s the incremental data plane differs from the full render at %s: %s\nsteps:\n%v", log[len(log)-1], host, why, log)
				}
				if host, why := specDiff(dp.held, inc.Render()); host != "" {
					t.Fatalf("after %s the incremental data plane differs from a fresh render at %s: %s", log[len(log)-1], host, why)
				}
			}
			if st := inc.Stats(); st.Skipped == 0 || st.Deltas == 0 || st.Partial == 0 || st.Partial == st.Renders {
				t.Errorf("the sequence never exercised every path (nothing rendered, partial render, full render, delta): %+v", st)
			}
			// Level-triggered: a full reconcile converges a data plane that drifted.
			dp.held = &netspec.Spec{}
			if err := inc.Resync(ctx); err != nil {
				t.Fatal(err)
			}
			if host, why := specDiff(dp.held, full.Last()); host != "" {
				t.Fatalf("a full reconcile left %s different: %s", host, why)
			}
		})
	}
}

// specDiff names the first host or link in which a and b differ, and how ("" when equal).
func specDiff(a, b *netspec.Spec) (string, string) {
	if reflect.DeepEqual(a, b) {
		return "", ""
	}
	d := netspec.Diff(a, b)
	for _, h := range d.Hosts {
		if a.Host(h.Name) == nil {
			return h.Name, "missing from the incremental data plane"
		}
		return h.Name, fmt.Sprintf("held %+v, full %+v", *a.Host(h.Name), *h)
	}
	for _, n := range d.RemovedHosts {
		return n, "still in the incremental data plane"
	}
	for _, l := range d.Links {
		return "link " + l.Key(), "differs or is missing"
	}
	for _, k := range d.RemovedLinks {
		return "link " + k, "still in the incremental data plane"
	}
	return "spec", "equal hosts and links, different order or empty slices"
}
