package topology

import (
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

// FuzzTopology feeds arbitrary documents to the topology loader: parsing, resolving and
// applying never panic, and a document that fails to apply leaves the world as it was.
func FuzzTopology(f *testing.F) {
	f.Add(string(DefaultYAML()))
	for _, s := range []string{
		"name: x\nheroku:\n  users: [{email: a@b.c, teams: {t: viewer}}]\n  spaces: [{name: s, team: t}]\n",
		"heroku:\n  spaces: [{name: s, cidr: 10.0.0.0/33}]\n",
		"aws:\n  accounts: [{id: \"123456789012\", vpcs: [{id: vpc-1, cidr: 10.0.0.0/16, subnets: [{cidr: 10.0.0.0/24, instances: [{private_ip: 10.0.0.5}]}]}]}]\n",
		"heroku:\n  spaces: [{name: s, vpn_policy: {ike: [\"aes128-sha1-modp1024\"], esp: [\"{\"]}}]\n",
		"offices: [{name: o, lan: 192.168.1.0/24}]\n", "&a [*a]", "{", "heroku: {users: 3}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if len(doc) > 8<<10 {
			return
		}
		raw, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		top, err := raw.Resolve()
		if err != nil {
			return
		}
		w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 1}))
		before := census(w)
		if err := top.Apply(w, func(string) string { return "tok" }); err != nil {
			if after := census(w); after != before {
				t.Fatalf("a failed Apply (%v) changed the world: %v → %v", err, before, after)
			}
		}
	})
}

// census counts what a world holds.
func census(w *emulator.World) [4]int {
	var c [4]int
	_ = w.View(func(tx *emulator.Tx) error {
		c = [4]int{len(tx.Spaces()), len(tx.Apps()), len(tx.Teams()), len(tx.RouteTables())}
		return nil
	})
	return c
}
