package emulator

// A security group's rules are objects of their own too (sgr- ids): they can be revoked and
// described by id.

// RevokeRulesByID removes rules of a group by their ids, inbound or outbound. Every id must be
// a rule of that direction of the group; nothing is removed otherwise.
func (tx *Tx) RevokeRulesByID(c Caller, groupID string, ids []string, egress bool) ([]*SGRule, error) {
	g, err := tx.callerGroup(c, groupID)
	if err != nil {
		return nil, err
	}
	tx.mustWrite(g)
	keep := g.Ingress
	if egress {
		keep = g.Egress
	}
	var removed []*SGRule
	for _, id := range ids {
		found := false
		for i, e := range keep {
			if e.ID == id {
				removed = append(removed, e)
				keep = append(keep[:i:i], keep[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return nil, AWSErr("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
	}
	if egress {
		g.Egress = keep
	} else {
		g.Ingress = keep
	}
	return removed, nil
}

// groupRule finds a rule of the caller's groups by id.
func (tx *Tx) groupRule(c Caller, id string) (*SecurityGroup, *SGRule, bool, error) {
	for _, g := range ordered(tx.w.sgs) {
		if !c.owns(g.Account, g.Region) {
			continue
		}
		for _, r := range g.Ingress {
			if r.ID == id {
				return g, r, false, nil
			}
		}
		for _, r := range g.Egress {
			if r.ID == id {
				return g, r, true, nil
			}
		}
	}
	return nil, nil, false, AWSErr("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
}

func init() {
	taggables = append(taggables, taggable{prefix: "sgr-", typ: "security-group-rule",
		tags: func(tx *Tx, c Caller, id string) (*Tags, error) {
			_, r, _, err := tx.groupRule(c, id)
			if err != nil {
				return nil, err
			}
			return &r.Tags, nil
		},
		list: func(tx *Tx, c Caller) []string {
			var out []string
			for _, g := range ordered(tx.w.sgs) {
				if c.owns(g.Account, g.Region) {
					for _, r := range append(append([]*SGRule(nil), g.Ingress...), g.Egress...) {
						out = append(out, r.ID)
					}
				}
			}
			return out
		}})
}

// RuleChange is one rule's new definition for ModifySecurityGroupRules: exactly one peer (a
// CIDR or a group), keeping the rule's id and tags.
type RuleChange struct {
	RuleID     string
	Permission Permission
}

// ModifyRules redefines rules of a group in place. Every change must name a rule of the group
// and describe one peer; a result equal to another rule of the same direction is a duplicate.
// Nothing changes unless all of them can.
func (tx *Tx) ModifyRules(c Caller, groupID string, changes []RuleChange) error {
	g, err := tx.callerGroup(c, groupID)
	if err != nil {
		return err
	}
	tx.mustWrite(g)
	type edit struct {
		old  *SGRule
		next *SGRule
		list []*SGRule
	}
	var edits []edit
	for _, ch := range changes {
		p := ch.Permission
		if len(p.CIDRs)+len(p.IPv6CIDRs)+len(p.Groups)+len(p.PrefixLists) != 1 {
			return AWSErr("InvalidParameterValue", "The security group rule %s must have exactly one of CidrIpv4, CidrIpv6, ReferencedGroupId, PrefixListId", ch.RuleID)
		}
		var old *SGRule
		var list []*SGRule
		for _, l := range [][]*SGRule{g.Ingress, g.Egress} {
			for _, r := range l {
				if r.ID == ch.RuleID {
					old, list = r, l
				}
			}
		}
		if old == nil {
			return AWSErr("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", ch.RuleID)
		}
		rules, err := tx.expand(c, g, []Permission{p}, false)
		if err != nil {
			return err
		}
		next := rules[0]
		for _, e := range list {
			if e != old && sameRule(e, next) {
				return AWSErr("InvalidPermission.Duplicate", "the specified rule %q already exists", RuleText(next))
			}
		}
		edits = append(edits, edit{old, next, list})
	}
	for _, e := range edits {
		id, tags := e.old.ID, e.old.Tags
		*e.old = *e.next
		e.old.ID, e.old.Tags = id, tags
	}
	return nil
}
