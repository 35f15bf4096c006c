package emulator

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTagsOps(t *testing.T) {
	w := NewWorld(Options{Seed: 3, HerokuAccountID: "884226375513"})
	cust := Caller{Account: "435886841536", Region: "us-east-1"}
	other := Caller{Account: "884226375513", Region: "ap-northeast-1"}
	var vpcID, peerID, pcxID string
	if err := w.Update(func(tx *Tx) error {
		v, err := tx.CreateVPC(cust, netip.MustParsePrefix("172.16.0.0/16"), VPCOptions{})
		if err != nil {
			return err
		}
		pv, err := tx.CreateVPC(other, netip.MustParsePrefix("10.0.0.0/16"), VPCOptions{})
		if err != nil {
			return err
		}
		p, err := tx.CreatePeering(cust, PeeringRequest{VPCID: v.ID, PeerVPCID: pv.ID, PeerOwner: other.Account, PeerRegion: other.Region})
		vpcID, peerID, pcxID = v.ID, pv.ID, p.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		c       Caller
		ids     []string
		tags    Tags
		wantErr string
	}{
		{"own vpc", cust, []string{vpcID}, Tags{"Name": "a"}, ""},
		{"another account's vpc", cust, []string{peerID}, Tags{"Name": "a"}, "emulator: InvalidVpcID.NotFound: The vpc ID '" + peerID + "' does not exist"},
		{"unknown kind", cust, []string{"foo-1"}, Tags{"Name": "a"}, "emulator: InvalidID: The ID 'foo-1' is not valid"},
		{"reserved prefix", cust, []string{vpcID}, Tags{"AWS:x": "a"}, "emulator: InvalidParameterValue: Tag keys starting with 'aws:' are reserved for internal use"},
		{"no tags", cust, []string{vpcID}, Tags{}, "emulator: MissingParameter: The request must contain the parameter tagSet"},
		{"requester tags the peering", cust, []string{pcxID}, Tags{"side": "requester"}, ""},
		{"accepter tags the peering", other, []string{pcxID}, Tags{"side": "accepter"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := w.Update(func(tx *Tx) error { return tx.CreateTags(tt.c, tt.ids, tt.tags) })
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tt.wantErr, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	_ = w.View(func(tx *Tx) error {
		p := tx.Peering(pcxID)
		if diff := cmp.Diff(Tags{"side": "requester"}, p.TagsOf(cust)); diff != "" {
			t.Errorf("requester's tags (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(Tags{"side": "accepter"}, p.TagsOf(other)); diff != "" {
			t.Errorf("accepter's tags (-want +got):\n%s", diff)
		}
		got := tx.TaggedResources(cust)
		want := []TaggedResource{{ID: vpcID, Type: "vpc", Tags: Tags{"Name": "a"}}, {ID: pcxID, Type: "vpc-peering-connection", Tags: Tags{"side": "requester"}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("TaggedResources (-want +got):\n%s", diff)
		}
		return nil
	})
	if err := w.Update(func(tx *Tx) error { return tx.DeleteTags(cust, []string{vpcID, pcxID}, nil) }); err != nil {
		t.Fatal(err)
	}
	_ = w.View(func(tx *Tx) error {
		if got := tx.TaggedResources(cust); len(got) != 0 {
			t.Errorf("after DeleteTags without keys: %v", got)
		}
		return nil
	})
}
