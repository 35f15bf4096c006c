package emulator_test

import (
	"net/netip"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

// TestAssociateVPCIPv4 checks EC2's rules for a secondary IPv4 block against the primary block's
// range, the peering and the quota, and that a refusal leaves the VPC as it was.
func TestAssociateVPCIPv4(t *testing.T) {
	for _, tc := range []struct {
		name, primary, cidr, want string
	}{
		{"same RFC 1918 range", "10.0.0.0/16", "10.1.0.0/16", ""},
		{"other RFC 1918 range (172.16/12)", "10.0.0.0/16", "172.20.0.0/16", "InvalidVpc.Range"},
		{"other RFC 1918 range (192.168/16)", "172.16.0.0/16", "192.168.0.0/20", "InvalidVpc.Range"},
		{"198.19.0.0/16 from an RFC 1918 primary", "192.168.0.0/16", "198.19.0.0/24", "InvalidVpc.Range"},
		{"100.64.0.0/10 from an RFC 1918 primary", "10.0.0.0/16", "100.64.0.0/16", ""},
		{"public from an RFC 1918 primary", "10.0.0.0/16", "11.0.0.0/16", ""},
		{"RFC 1918 from a 100.64 primary", "100.64.0.0/16", "10.0.0.0/16", "InvalidVpc.Range"},
		{"public from a 100.64 primary", "100.64.0.0/16", "11.0.0.0/16", ""},
		{"RFC 1918 from a 198.19 primary", "198.19.0.0/16", "172.16.0.0/16", "InvalidVpc.Range"},
		{"100.64 from a 198.19 primary", "198.19.0.0/16", "100.64.0.0/16", ""},
		{"too large", "10.0.0.0/16", "10.2.0.0/15", "InvalidVpc.Range"},
		{"too small", "10.0.0.0/16", "10.2.0.0/29", "InvalidVpc.Range"},
		{"overlaps the primary", "10.0.0.0/16", "10.0.128.0/20", "CidrConflict"},
		{"overlaps the peer", "10.0.0.0/16", "10.9.0.0/16", "CidrConflict"},
		{"IPv6", "10.0.0.0/16", "2001:db8::/56", "InvalidParameterValue"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := emulator.NewWorld(emulator.Options{Seed: 3})
			var vpc string
			if err := w.Update(func(tx *emulator.Tx) error {
				v, err := tx.CreateVPC(quotaCaller, netip.MustParsePrefix(tc.primary), emulator.VPCOptions{})
				if err != nil {
					return err
				}
				peer, err := tx.CreateVPC(quotaCaller, netip.MustParsePrefix("10.9.0.0/16"), emulator.VPCOptions{})
				if err != nil {
					return err
				}
				if tc.primary == "198.19.0.0/16" || tc.primary == "100.64.0.0/16" {
					vpc = v.ID
					return nil // no peering: 10.9/16 is refused for its range already
				}
				p, err := tx.CreatePeering(quotaCaller, emulator.PeeringRequest{VPCID: v.ID, PeerVPCID: peer.ID})
				if err != nil {
					return err
				}
				_, err = tx.AcceptPeering(quotaCaller, p.ID)
				vpc = v.ID
				return err
			}); err != nil {
				t.Fatal(err)
			}
			got := code(t, w, func(tx *emulator.Tx) error {
				_, err := tx.AssociateVPCIPv4(quotaCaller, vpc, netip.MustParsePrefix(tc.cidr))
				return err
			})
			if got != tc.want {
				t.Fatalf("associate %s to a VPC of %s: %q, want %q", tc.cidr, tc.primary, got, tc.want)
			}
			_ = w.View(func(tx *emulator.Tx) error {
				n := len(tx.VPC(vpc).IPv4CIDRs())
				if (tc.want == "" && n != 2) || (tc.want != "" && n != 1) {
					t.Errorf("the VPC has %d IPv4 blocks after the call", n)
				}
				return nil
			})
		})
	}
	t.Run("quota", func(t *testing.T) {
		w := emulator.NewWorld(emulator.Options{Seed: 3, AWSQuotas: emulator.AWSQuotas{IPv4CIDRBlocksPerVPC: 2}})
		var vpc string
		if err := w.Update(func(tx *emulator.Tx) error {
			v, err := tx.CreateVPC(quotaCaller, netip.MustParsePrefix("10.0.0.0/16"), emulator.VPCOptions{})
			vpc = v.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"", "CidrLimitExceeded"} {
			got := code(t, w, func(tx *emulator.Tx) error {
				_, err := tx.AssociateVPCIPv4(quotaCaller, vpc, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(1 + i), 0, 0}), 16))
				return err
			})
			if got != want {
				t.Errorf("block %d: %q, want %q", i+2, got, want)
			}
		}
	})
}
