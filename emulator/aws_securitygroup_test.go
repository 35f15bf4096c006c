package emulator

import (
	"net/netip"
	"testing"
)

// TestRevokeStaleGroupRule: a rule referencing a peer VPC's group stays after the peering is
// deleted (a stale rule) and can still be revoked.
func TestRevokeStaleGroupRule(t *testing.T) {
	w := NewWorld(Options{Seed: 5, HerokuAccountID: "884226375513"})
	a := Caller{Account: "111111111111", Region: "us-east-1"}
	b := Caller{Account: "222222222222", Region: "us-east-1"}
	var sgA, sgB, pcx string
	if err := w.Update(func(tx *Tx) error {
		va, err := tx.CreateVPC(a, netip.MustParsePrefix("10.1.0.0/16"), VPCOptions{})
		if err != nil {
			return err
		}
		vb, err := tx.CreateVPC(b, netip.MustParsePrefix("10.2.0.0/16"), VPCOptions{})
		if err != nil {
			return err
		}
		p, err := tx.CreatePeering(a, PeeringRequest{VPCID: va.ID, PeerVPCID: vb.ID, PeerOwner: b.Account})
		if err != nil {
			return err
		}
		if _, err := tx.AcceptPeering(b, p.ID); err != nil {
			return err
		}
		sgA, sgB, pcx = va.DefaultSecurityGroupID, vb.DefaultSecurityGroupID, p.ID
		_, err = tx.AuthorizeIngress(a, sgA, []Permission{{Protocol: "tcp", FromPort: ptr(443), ToPort: ptr(443), Groups: []GroupRef{{GroupID: sgB, UserID: b.Account}}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Update(func(tx *Tx) error { return tx.DeletePeering(b, pcx) }); err != nil {
		t.Fatal(err)
	}
	perm := []Permission{{Protocol: "tcp", FromPort: ptr(443), ToPort: ptr(443), Groups: []GroupRef{{GroupID: sgB}}}}
	// Authorizing the same reference again is refused now that the VPCs are not peered...
	if err := w.Update(func(tx *Tx) error { _, err := tx.AuthorizeIngress(a, sgA, perm); return err }); err == nil {
		t.Error("authorizing a reference to an unpeered VPC's group succeeded")
	}
	// ...but the stale rule can be revoked.
	var removed []*SGRule
	if err := w.Update(func(tx *Tx) error {
		var err error
		removed, err = tx.RevokeIngress(a, sgA, perm)
		return err
	}); err != nil {
		t.Fatalf("revoking the stale rule: %v", err)
	}
	if len(removed) != 1 || removed[0].Group == nil || removed[0].Group.GroupID != sgB {
		t.Errorf("removed = %+v", removed)
	}
}

func ptr(n int) *int { return &n }
