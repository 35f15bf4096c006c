package emulator_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
)

var quotaCaller = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

// quotaWorld is two VPCs (172.16/16 and 172.17/16), each with a /24 subnet.
func quotaWorld(t *testing.T, q emulator.AWSQuotas) (w *emulator.World, vpcs [2]*emulator.VPC, subnet string) {
	t.Helper()
	w = emulator.NewWorld(emulator.Options{Seed: 9, AWSQuotas: q})
	if err := w.Update(func(tx *emulator.Tx) error {
		for i := range vpcs {
			v, err := tx.CreateVPC(quotaCaller, netip.MustParsePrefix(fmt.Sprintf("172.%d.0.0/16", 16+i)), emulator.VPCOptions{})
			if err != nil {
				return err
			}
			vpcs[i] = v
			s, err := tx.CreateSubnet(quotaCaller, v.ID, netip.MustParsePrefix(fmt.Sprintf("172.%d.0.0/24", 16+i)), emulator.SubnetOptions{})
			if err != nil {
				return err
			}
			if i == 0 {
				subnet = s.ID
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return w, vpcs, subnet
}

// code runs fn in an update and returns the AWS error code it failed with ("" for success).
func code(t *testing.T, w *emulator.World, fn func(tx *emulator.Tx) error) string {
	t.Helper()
	err := w.Update(fn)
	if err == nil {
		return ""
	}
	e, ok := emulator.AsAWS(err)
	if !ok {
		t.Fatalf("not an AWS error: %v", err)
	}
	return e.Code
}

func TestAWSQuotas(t *testing.T) {
	port := func(p int) *int { return &p }
	rules := func(n, from int) []emulator.Permission {
		var out []emulator.Permission
		for i := range n {
			out = append(out, emulator.Permission{Protocol: "tcp", FromPort: port(from + i), ToPort: port(from + i),
				CIDRs: []emulator.PermissionCIDR{{CIDR: "10.0.0.0/8"}}})
		}
		return out
	}
	tests := []struct {
		name   string
		quotas emulator.AWSQuotas
		// ok is within the quota, over one step beyond it.
		ok, over func(tx *emulator.Tx, vpcs [2]*emulator.VPC, subnet string) error
		code     string
	}{
		{"rules per security group (default 60)", emulator.AWSQuotas{},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				_, err := tx.AuthorizeIngress(quotaCaller, v[0].DefaultSecurityGroupID, rules(59, 1000)) // + the default self rule = 60
				return err
			},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				_, err := tx.AuthorizeIngress(quotaCaller, v[0].DefaultSecurityGroupID, rules(1, 2000))
				return err
			}, "RulesPerSecurityGroupLimitExceeded"},
		{"rules per security group, raised to 100", emulator.AWSQuotas{RulesPerSecurityGroup: 100},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				_, err := tx.AuthorizeIngress(quotaCaller, v[0].DefaultSecurityGroupID, rules(99, 1000))
				return err
			},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				_, err := tx.AuthorizeIngress(quotaCaller, v[0].DefaultSecurityGroupID, rules(1, 2000))
				return err
			}, "RulesPerSecurityGroupLimitExceeded"},
		{"security groups per ENI (default 5)", emulator.AWSQuotas{},
			func(tx *emulator.Tx, v [2]*emulator.VPC, s string) error {
				var groups []string
				for i := range 5 {
					g, err := tx.CreateSecurityGroup(quotaCaller, v[0].ID, fmt.Sprintf("g%d", i), "d", nil)
					if err != nil {
						return err
					}
					groups = append(groups, g.ID)
				}
				_, err := tx.RunInstance(quotaCaller, s, emulator.InstanceOptions{SecurityGroupIDs: groups})
				return err
			},
			func(tx *emulator.Tx, v [2]*emulator.VPC, s string) error {
				groups := []string{v[0].DefaultSecurityGroupID}
				for _, g := range tx.SecurityGroups() {
					if g.VPCID == v[0].ID && g.ID != v[0].DefaultSecurityGroupID {
						groups = append(groups, g.ID)
					}
				}
				_, err := tx.RunInstance(quotaCaller, s, emulator.InstanceOptions{SecurityGroupIDs: groups})
				return err
			}, "SecurityGroupsPerInstanceLimitExceeded"},
		{"routes per route table (default 50)", emulator.AWSQuotas{},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				igw, err := tx.CreateInternetGateway(quotaCaller, nil)
				if err != nil {
					return err
				}
				if err := tx.AttachInternetGateway(quotaCaller, igw.ID, v[0].ID); err != nil {
					return err
				}
				for i := range 50 {
					if err := tx.CreateRoute(quotaCaller, v[0].MainRouteTableID, netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", i)), emulator.RouteTarget{GatewayID: igw.ID}); err != nil {
						return err
					}
				}
				return nil
			},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				igw := tx.InternetGateways()[0]
				return tx.CreateRoute(quotaCaller, v[0].MainRouteTableID, netip.MustParsePrefix("10.200.0.0/16"), emulator.RouteTarget{GatewayID: igw.ID})
			}, "RouteLimitExceeded"},
		{"instances per RunInstances (default 20): MaxCount 1000 launches 20, MinCount 21 is refused", emulator.AWSQuotas{},
			func(tx *emulator.Tx, _ [2]*emulator.VPC, s string) error {
				insts, _, err := tx.RunInstances(quotaCaller, emulator.RunRequest{SubnetID: s, MinCount: 1, MaxCount: 1000})
				if err == nil && len(insts) != 20 {
					return fmt.Errorf("launched %d", len(insts))
				}
				return err
			},
			func(tx *emulator.Tx, _ [2]*emulator.VPC, s string) error {
				_, _, err := tx.RunInstances(quotaCaller, emulator.RunRequest{SubnetID: s, MinCount: 21, MaxCount: 21})
				return err
			}, "InstanceLimitExceeded"},
		{"active peerings per VPC, set to 1", emulator.AWSQuotas{PeeringsPerVPC: 1},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				p, err := tx.CreatePeering(quotaCaller, emulator.PeeringRequest{VPCID: v[0].ID, PeerVPCID: v[1].ID})
				if err != nil {
					return err
				}
				_, err = tx.AcceptPeering(quotaCaller, p.ID)
				return err
			},
			func(tx *emulator.Tx, v [2]*emulator.VPC, _ string) error {
				v3, err := tx.CreateVPC(quotaCaller, netip.MustParsePrefix("172.18.0.0/16"), emulator.VPCOptions{})
				if err != nil {
					return err
				}
				p, err := tx.CreatePeering(quotaCaller, emulator.PeeringRequest{VPCID: v3.ID, PeerVPCID: v[0].ID})
				if err != nil {
					return err
				}
				_, err = tx.AcceptPeering(quotaCaller, p.ID)
				return err
			}, "ActiveVpcPeeringConnectionPerVpcLimitExceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, vpcs, subnet := quotaWorld(t, tc.quotas)
			if c := code(t, w, func(tx *emulator.Tx) error { return tc.ok(tx, vpcs, subnet) }); c != "" {
				t.Fatalf("within the quota: %s", c)
			}
			gen := w.Generation()
			if c := code(t, w, func(tx *emulator.Tx) error { return tc.over(tx, vpcs, subnet) }); c != tc.code {
				t.Fatalf("over the quota: got %q, want %s", c, tc.code)
			}
			if w.Generation() != gen {
				t.Fatal("a refused call changed the model")
			}
		})
	}
}

func TestHerokuTrustedRangesLimit(t *testing.T) {
	for _, tc := range []struct {
		limit, rules int
		ok           bool
	}{{0, 1000, true}, {10, 10, true}, {10, 11, false}} {
		t.Run(fmt.Sprintf("limit %d, %d rules", tc.limit, tc.rules), func(t *testing.T) {
			w := emulator.NewWorld(emulator.Options{Seed: 3, HerokuLimits: emulator.HerokuLimits{TrustedIPRanges: tc.limit}})
			err := w.Update(func(tx *emulator.Tx) error {
				sp, err := tx.ProvisionSpace(emulator.SpaceSpec{Name: "limits", Team: "t", Region: "virginia"})
				if err != nil {
					return err
				}
				var rules []emulator.InboundRule
				for i := range tc.rules {
					rules = append(rules, emulator.InboundRule{Action: emulator.RuleAllow, Source: netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64, byte(i / 256), byte(i)}), 32)})
				}
				_, err = tx.PutInboundRuleset(sp, rules, "u@example.com")
				return err
			})
			if he, isHeroku := emulator.AsHeroku(err); (err == nil) != tc.ok || (err != nil && (!isHeroku || he.ID != "invalid_params")) {
				t.Fatalf("%v", err)
			}
		})
	}
}
