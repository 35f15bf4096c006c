package render_test

import (
	"net/netip"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestDataplaneNACLShared gives VPC A a second subnet with instance a2 and one network ACL
// shared by both subnets (one chain, reached through the verdict map from both bridges), then
// checks with packets, and with the explanation agreeing, that rule numbers order the rules,
// the first match decides, a deny stops what a later allow would let in, and that stateless
// replies need the ephemeral-port rules.
func TestDataplaneNACLShared(t *testing.T) {
	g := newRig(t)
	a16 := netip.MustParsePrefix("172.16.0.0/16")
	var acl, a2IP string
	g.update(func(tx *emulator.Tx) error {
		s, err := tx.CreateSubnet(custA, vpcA, netip.MustParsePrefix("172.16.1.0/24"), emulator.SubnetOptions{})
		if err != nil {
			return err
		}
		i, err := tx.RunInstance(custA, s.ID, emulator.InstanceOptions{Tags: emulator.Tags{"Name": "a2"}, Services: []emulator.Service{{Kind: "http", Port: 80}}})
		if err != nil {
			return err
		}
		a2IP = i.PrivateIP.String()
		n, err := tx.CreateNetworkACL(custA, vpcA, nil)
		if err != nil {
			return err
		}
		acl = n.ID
		for _, e := range []emulator.NACLEntry{
			// Inbound: a2 is denied port 80 by a lower number than the allow that covers it.
			{RuleNumber: 100, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: a16, Allow: true},
			{RuleNumber: 90, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: netip.PrefixFrom(i.PrivateIP, 32), Allow: false},
			{RuleNumber: 110, Protocol: "6", FromPort: 1024, ToPort: 65535, CIDR: a16, Allow: true},
			// Outbound: requests to port 80 and replies to ephemeral ports.
			{RuleNumber: 100, Egress: true, Protocol: "6", FromPort: 80, ToPort: 80, CIDR: a16, Allow: true},
			{RuleNumber: 110, Egress: true, Protocol: "6", FromPort: 1024, ToPort: 65535, CIDR: a16, Allow: true},
		} {
			if err := tx.CreateNetworkACLEntry(custA, n.ID, e); err != nil {
				return err
			}
		}
		for _, old := range tx.NetworkACLs() {
			for _, as := range old.Associations {
				if as.SubnetID == "subnet-0a1a1a1a1a1a1a1a1" || as.SubnetID == s.ID {
					if _, err := tx.ReplaceNetworkACLAssociation(custA, as.ID, n.ID); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	a2ToA1 := netspec.Probe{From: "a2", Kind: "http", Target: "http://172.16.0.8/"}
	a1ToA2 := netspec.Probe{From: "a1", Kind: "http", Target: "http://" + a2IP + "/"}
	g.wantBlocked(a2ToA1, "inbound rule 90: deny tcp/80-80")
	g.wantOK(a1ToA2) // the same chain, entered from the other subnet's bridge
	g.update(func(tx *emulator.Tx) error { return tx.DeleteNetworkACLEntry(custA, acl, 90, false) })
	g.wantOK(a2ToA1)
	// Without the outbound ephemeral rule the replies leaving a1's subnet are denied.
	g.update(func(tx *emulator.Tx) error { return tx.DeleteNetworkACLEntry(custA, acl, 110, true) })
	g.wantBlocked(a2ToA1, "no outbound rule matches")
}

// TestDataplaneSelfReferencingGroup checks with packets a group whose inbound rule references
// the group itself (one set of the members in each member's rule): members reach each other,
// an instance outside the group does not, and a member launched later is let in.
func TestDataplaneSelfReferencingGroup(t *testing.T) {
	g := newRig(t)
	var peers string
	launch := func(name string, groups ...string) {
		g.update(func(tx *emulator.Tx) error {
			_, err := tx.RunInstance(custA, "subnet-0a1a1a1a1a1a1a1a1", emulator.InstanceOptions{SecurityGroupIDs: groups,
				Tags: emulator.Tags{"Name": name}, Services: []emulator.Service{{Kind: "http", Port: 80}}})
			return err
		})
	}
	g.update(func(tx *emulator.Tx) error {
		sg, err := tx.CreateSecurityGroup(custA, vpcA, "peers", "members reach each other", nil)
		if err != nil {
			return err
		}
		peers = sg.ID
		port := 80
		_, err = tx.AuthorizeIngress(custA, sg.ID, []emulator.Permission{{Protocol: "tcp", FromPort: &port, ToPort: &port, Groups: []emulator.GroupRef{{GroupID: sg.ID}}}})
		return err
	})
	launch("x1", peers)
	launch("x2", peers)
	launch("x3") // the VPC's default group only
	addr := func(name string) string {
		var ip string
		g.update(func(tx *emulator.Tx) error {
			for _, i := range tx.Instances() {
				if i.Tags["Name"] == name {
					ip = i.PrivateIP.String()
				}
			}
			return nil
		})
		return ip
	}
	x2 := "http://" + addr("x2") + "/"
	g.wantOK(netspec.Probe{From: "x1", Kind: "http", Target: x2})
	g.wantBlocked(netspec.Probe{From: "x3", Kind: "http", Target: x2}, "no inbound rule")
	g.wantBlocked(netspec.Probe{From: "a1", Kind: "http", Target: x2}, "no inbound rule")
	launch("x4", peers)
	g.wantOK(netspec.Probe{From: "x4", Kind: "http", Target: x2})
	g.wantOK(netspec.Probe{From: "x2", Kind: "http", Target: "http://" + addr("x4") + "/"})
}
