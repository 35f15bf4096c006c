package emulator

// A security group's rules are objects of their own too (sgr- ids): they can be revoked and
// described by id.

// RevokeRulesByID removes rules of a group by their ids, inbound or outbound. Every id must be
// a rule of that direction of the group; nothing is removed otherwise.
func (tx *Tx) RevokeRulesByID(c Caller, groupID string, ids []string, egress bool) ([]*SGRule, error) {
	tx.mustWrite()
	g, err := tx.callerGroup(c, groupID)
	if err != nil {
		return nil, err
	}
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
