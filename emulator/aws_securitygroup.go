package emulator

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SGRule is one security group permission (a single CIDR or group reference).
type SGRule struct {
	ID       string
	Protocol string // "-1", "tcp", "udp", "icmp" or a protocol number
	FromPort int    // -1 when the protocol has no ports
	ToPort   int
	CIDR     netip.Prefix // valid unless Group or PrefixListID is set; IPv4 or IPv6 (IsIPv6)
	Group    *GroupRef
	// PrefixListID names a prefix list as the peer: its current entries.
	PrefixListID string
	Description  string
	// Tags are the rule's own (a rule is an object with its sgr- id).
	Tags Tags
}

// GroupRef names another security group as a rule's peer.
type GroupRef struct {
	GroupID   string
	UserID    string
	VPCID     string
	PeeringID string
	// Description is the rule's, as a permission's UserIdGroupPairs.N.Description gives it.
	Description string
}

// SecurityGroup is a stateful, allow-only filter on instance interfaces.
type SecurityGroup struct {
	ID          string
	Account     string
	Region      string
	VPCID       string
	Name        string
	Description string
	Ingress     []*SGRule
	Egress      []*SGRule
	Tags        Tags
}

// SecurityGroup returns a security group by id, or nil.
func (tx *Tx) SecurityGroup(id string) *SecurityGroup { return tx.w.sgs[id] }

// SecurityGroups returns every security group, ordered by id.
func (tx *Tx) SecurityGroups() []*SecurityGroup { return ordered(tx.w.sgs) }

// CreateSecurityGroup creates a group in a VPC: no inbound rules, all outbound allowed. Names
// are unique per VPC; "default" and names starting with sg- are reserved.
//
// A new group has no members and no group's rule names it yet, so it filters no host: the
// data plane does not see it until an instance or interface joins it.
func (tx *Tx) CreateSecurityGroup(c Caller, vpcID, name, description string, tags Tags) (*SecurityGroup, error) {
	tx.mustWriteModel(&tx.w.sgs)
	switch {
	case name == "":
		return nil, AWSErr("MissingParameter", "The request must contain the parameter groupName")
	case description == "":
		return nil, AWSErr("MissingParameter", "The request must contain the parameter groupDescription")
	case vpcID == "":
		return nil, AWSErr("VPCIdNotSpecified", "No default VPC for this user")
	case name == "default":
		return nil, AWSErr("InvalidParameterValue", "Cannot use reserved security group name: default")
	case strings.HasPrefix(strings.ToLower(name), "sg-"):
		return nil, AWSErr("InvalidParameterValue", "Group names may not be in the format sg-*")
	case utf8.RuneCountInString(name) > 255 || utf8.RuneCountInString(description) > 255:
		return nil, AWSErr("InvalidParameterValue", "Group name and description may not be longer than 255 characters")
	}
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	for _, g := range tx.w.sgs {
		if g.VPCID == vpcID && g.Name == name {
			return nil, AWSErr("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpcID)
		}
	}
	g := &SecurityGroup{ID: tx.NewID("sg"), Account: v.Account, Region: v.Region, VPCID: vpcID, Name: name, Description: description, Tags: cloneTags(tags)}
	g.Egress = []*SGRule{{ID: tx.NewID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0")}}
	if tx.VPCHasIPv6(vpcID) {
		// In a VPC with an IPv6 block a new group also allows all outbound IPv6.
		g.Egress = append(g.Egress, &SGRule{ID: tx.NewID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: AllIPv6})
	}
	tx.w.sgs[g.ID] = g
	return g, nil
}

// DeleteSecurityGroup deletes a group that no live instance uses and no other group's rule
// references. A VPC's default group cannot be deleted. Such a group filters no host, so
// deleting it changes nothing in the data plane.
func (tx *Tx) DeleteSecurityGroup(c Caller, id string) error {
	tx.mustWriteModel(&tx.w.sgs)
	g, err := tx.callerGroup(c, id)
	if err != nil {
		return err
	}
	if v := tx.w.vpcs[g.VPCID]; v != nil && v.DefaultSecurityGroupID == id {
		return AWSErr("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
	}
	if len(tx.InterfacesIn(id)) > 0 {
		return AWSErr("DependencyViolation", "resource %s has a dependent object", id)
	}
	for _, o := range tx.w.sgs {
		if o.ID == id {
			continue
		}
		for _, r := range append(append([]*SGRule(nil), o.Ingress...), o.Egress...) {
			if r.Group != nil && r.Group.GroupID == id {
				return AWSErr("DependencyViolation", "resource %s has a dependent object", id)
			}
		}
	}
	delete(tx.w.sgs, id)
	return nil
}

// Permission is one IpPermission of an Authorize/Revoke request: a protocol and port range with
// any number of CIDRs and group references.
type Permission struct {
	Protocol string // as sent: tcp, udp, icmp, -1, all, or a number
	FromPort *int
	ToPort   *int
	CIDRs    []PermissionCIDR
	// IPv6CIDRs are the Ipv6Ranges (CidrIpv6) peers.
	IPv6CIDRs []PermissionCIDR
	Groups    []GroupRef
	// PrefixLists are prefix list peers (CIDR holds the pl- id).
	PrefixLists []PermissionCIDR
}

// PermissionCIDR is a CIDR with its optional description.
type PermissionCIDR struct {
	CIDR        string
	Description string
}

// NormalizeProtocol maps EC2 protocol spellings onto the canonical ones: 6→tcp, 17→udp,
// 1→icmp, 58→icmpv6, all→-1. Other numbers stay numbers.
func NormalizeProtocol(p string) (string, error) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "icmpv6", "58":
		return "icmpv6", nil
	case "-1", "all":
		return "-1", nil
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return p, nil
	}
	return "", AWSErr("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

func (tx *Tx) callerGroup(c Caller, id string) (*SecurityGroup, error) {
	g := tx.w.sgs[id]
	if g == nil || !c.owns(g.Account, g.Region) {
		return nil, AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
	}
	return g, nil
}

// expand validates permissions and turns them into one rule per CIDR or group. When revoking,
// a group reference is matched by id alone: a rule whose peering has since gone (a stale rule,
// in EC2's words) must still be removable.
func (tx *Tx) expand(c Caller, g *SecurityGroup, perms []Permission, revoking bool) ([]*SGRule, error) {
	var out []*SGRule
	for _, p := range perms {
		proto, err := NormalizeProtocol(p.Protocol)
		if err != nil {
			return nil, err
		}
		from, to := -1, -1
		switch proto {
		case "tcp", "udp":
			if p.FromPort == nil || p.ToPort == nil {
				return nil, AWSErr("InvalidParameterValue", "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
			}
			from, to = *p.FromPort, *p.ToPort
			if from < 0 || to > 65535 || from > to {
				return nil, AWSErr("InvalidParameterValue", "Invalid value 'Invalid TCP/UDP port range: %d to %d.' for portRange.", from, to)
			}
		case "icmp", "icmpv6":
			if p.FromPort != nil {
				from = *p.FromPort
			}
			if p.ToPort != nil {
				to = *p.ToPort
			}
		}
		if len(p.CIDRs) == 0 && len(p.IPv6CIDRs) == 0 && len(p.Groups) == 0 && len(p.PrefixLists) == 0 {
			return nil, AWSErr("InvalidParameterValue", "The request must contain the parameter ipPermissions.ipRanges or ipPermissions.groups")
		}
		for _, cidr := range p.CIDRs {
			pfx, err := netip.ParsePrefix(cidr.CIDR)
			if err != nil || !pfx.Addr().Is4() {
				return nil, AWSErr("InvalidParameterValue", "CIDR block %s is malformed", cidr.CIDR)
			}
			out = append(out, &SGRule{Protocol: proto, FromPort: from, ToPort: to, CIDR: pfx.Masked(), Description: cidr.Description})
		}
		for _, cidr := range p.IPv6CIDRs {
			pfx, err := netip.ParsePrefix(cidr.CIDR)
			if err != nil || !IsIPv6(pfx) {
				return nil, AWSErr("InvalidParameterValue", "CIDR block %s is malformed", cidr.CIDR)
			}
			out = append(out, &SGRule{Protocol: proto, FromPort: from, ToPort: to, CIDR: pfx.Masked(), Description: cidr.Description})
		}
		for _, pl := range p.PrefixLists {
			if !revoking {
				if _, err := tx.callerPrefixList(c, pl.CIDR); err != nil {
					return nil, err
				}
			}
			out = append(out, &SGRule{Protocol: proto, FromPort: from, ToPort: to, PrefixListID: pl.CIDR, Description: pl.Description})
		}
		for _, ref := range p.Groups {
			peer := tx.w.sgs[ref.GroupID]
			if revoking {
				r := ref
				out = append(out, &SGRule{Protocol: proto, FromPort: from, ToPort: to, Group: &r})
				continue
			}
			if peer == nil {
				return nil, AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", ref.GroupID)
			}
			if peer.VPCID != g.VPCID {
				if !tx.peeredSameRegion(g.VPCID, peer.VPCID) {
					return nil, AWSErr("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.")
				}
			} else if peer.Account != c.Account {
				return nil, AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", ref.GroupID)
			}
			r := ref
			r.UserID = peer.Account
			r.VPCID = peer.VPCID
			r.Description = ""
			out = append(out, &SGRule{Protocol: proto, FromPort: from, ToPort: to, Group: &r, Description: ref.Description})
		}
	}
	return out, nil
}

func (tx *Tx) peeredSameRegion(a, b string) bool {
	for _, p := range tx.w.pcxs {
		if p.Active(tx.now) && p.Connects(a) && p.Connects(b) && p.Requester.Region == p.Accepter.Region {
			return true
		}
	}
	return false
}

func sameRule(a, b *SGRule) bool {
	if a.Protocol != b.Protocol || a.FromPort != b.FromPort || a.ToPort != b.ToPort {
		return false
	}
	if (a.Group == nil) != (b.Group == nil) {
		return false
	}
	if a.Group != nil {
		return a.Group.GroupID == b.Group.GroupID
	}
	if a.PrefixListID != "" || b.PrefixListID != "" {
		return a.PrefixListID == b.PrefixListID
	}
	return a.CIDR == b.CIDR
}

// RuleText renders a rule the way EC2's duplicate error quotes it.
func RuleText(r *SGRule) string {
	peer := r.CIDR.String()
	if r.Group != nil {
		peer = r.Group.GroupID
	}
	if r.PrefixListID != "" {
		peer = r.PrefixListID
	}
	switch r.Protocol {
	case "-1":
		return fmt.Sprintf("peer: %s, ALL, ALLOW", peer)
	case "icmp":
		t, c := "ALL", "ALL"
		if r.FromPort >= 0 {
			t = strconv.Itoa(r.FromPort)
		}
		if r.ToPort >= 0 {
			c = strconv.Itoa(r.ToPort)
		}
		return fmt.Sprintf("peer: %s, ICMP, type: %s, code: %s, ALLOW", peer, t, c)
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
}

// AuthorizeIngress adds inbound rules. It returns the new rules (with sgr- ids). A rule that
// exists already refuses the whole request with InvalidPermission.Duplicate.
func (tx *Tx) AuthorizeIngress(c Caller, groupID string, perms []Permission) ([]*SGRule, error) {
	return tx.authorize(c, groupID, perms, false)
}

// AuthorizeEgress adds outbound rules, like AuthorizeIngress.
func (tx *Tx) AuthorizeEgress(c Caller, groupID string, perms []Permission) ([]*SGRule, error) {
	return tx.authorize(c, groupID, perms, true)
}

func (tx *Tx) authorize(c Caller, groupID string, perms []Permission, egress bool) ([]*SGRule, error) {
	g, err := tx.callerGroup(c, groupID)
	if err != nil {
		return nil, err
	}
	tx.mustWrite(g)
	rules, err := tx.expand(c, g, perms, false)
	if err != nil {
		return nil, err
	}
	existing := g.Ingress
	if egress {
		existing = g.Egress
	}
	for i, r := range rules {
		for _, e := range existing {
			if sameRule(e, r) {
				return nil, AWSErr("InvalidPermission.Duplicate", "the specified rule %q already exists", RuleText(r))
			}
		}
		for _, e := range rules[:i] {
			if sameRule(e, r) {
				return nil, AWSErr("InvalidPermission.Duplicate", "the specified rule %q already exists", RuleText(r))
			}
		}
	}
	if len(existing)+len(rules) > tx.Quotas().RulesPerSecurityGroup {
		return nil, AWSErr("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.")
	}
	for _, r := range rules {
		r.ID = tx.NewID("sgr")
		existing = append(existing, r)
	}
	if egress {
		g.Egress = existing
	} else {
		g.Ingress = existing
	}
	return rules, nil
}

// RevokeIngress removes inbound rules that match exactly. It returns the removed rules; a
// permission that matches nothing refuses the request with InvalidPermission.NotFound.
func (tx *Tx) RevokeIngress(c Caller, groupID string, perms []Permission) ([]*SGRule, error) {
	return tx.revoke(c, groupID, perms, false)
}

// RevokeEgress removes outbound rules, like RevokeIngress.
func (tx *Tx) RevokeEgress(c Caller, groupID string, perms []Permission) ([]*SGRule, error) {
	return tx.revoke(c, groupID, perms, true)
}

func (tx *Tx) revoke(c Caller, groupID string, perms []Permission, egress bool) ([]*SGRule, error) {
	g, err := tx.callerGroup(c, groupID)
	if err != nil {
		return nil, err
	}
	tx.mustWrite(g)
	rules, err := tx.expand(c, g, perms, true)
	if err != nil {
		return nil, err
	}
	existing := g.Ingress
	if egress {
		existing = g.Egress
	}
	var removed []*SGRule
	keep := existing
	for _, r := range rules {
		found := false
		for i, e := range keep {
			if sameRule(e, r) {
				removed = append(removed, e)
				keep = append(keep[:i:i], keep[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return nil, AWSErr("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
		}
	}
	if egress {
		g.Egress = keep
	} else {
		g.Ingress = keep
	}
	return removed, nil
}
