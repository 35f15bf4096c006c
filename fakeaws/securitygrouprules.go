package fakeaws

import (
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeSecurityGroupRules", describeSecurityGroupRules)
}

var ruleFields = fields[securityGroupRuleXML]{
	"group-id":               func(x securityGroupRuleXML) []string { return one(x.GroupID) },
	"security-group-rule-id": func(x securityGroupRuleXML) []string { return one(x.SecurityGroupRuleID) },
	"is-egress":              func(x securityGroupRuleXML) []string { return one(strconv.FormatBool(x.IsEgress)) },
	"ip-protocol":            func(x securityGroupRuleXML) []string { return one(x.IPProtocol) },
	"cidr-ipv4":              func(x securityGroupRuleXML) []string { return one(x.CidrIpv4) },
	"cidr-ipv6":              func(x securityGroupRuleXML) []string { return one(x.CidrIpv6) },
	"prefix-list-id":         func(x securityGroupRuleXML) []string { return one(x.PrefixListID) },
}

type describeSecurityGroupRulesResponse struct {
	SecurityGroupRuleSet items[securityGroupRuleXML] `xml:"securityGroupRuleSet"`
	NextToken            string                      `xml:"nextToken,omitempty"`
}

// describeSecurityGroupRules lists the rules of the caller's groups as objects, each with its
// sgr- id: ingress rules before egress rules, group by group.
func describeSecurityGroupRules(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("SecurityGroupRuleId")
	resp := &describeSecurityGroupRulesResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []securityGroupRuleXML
		tagsOf := map[string]emulator.Tags{}
		for _, g := range tx.SecurityGroups() {
			if g.Account != r.Caller.Account || g.Region != r.Caller.Region {
				continue
			}
			for _, rule := range g.Ingress {
				all = append(all, renderRule(tx, g, rule, false))
				tagsOf[rule.ID] = rule.Tags
			}
			for _, rule := range g.Egress {
				all = append(all, renderRule(tx, g, rule, true))
				tagsOf[rule.ID] = rule.Tags
			}
		}
		sel := selection[securityGroupRuleXML]{id: func(x securityGroupRuleXML) string { return x.SecurityGroupRuleID },
			notFound: func(missing []string) error {
				return emulator.AWSErr("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", joinIDs(missing))
			},
			fields: ruleFields, tags: func(x securityGroupRuleXML) emulator.Tags { return tagsOf[x.SecurityGroupRuleID] }, maxPage: 1000}
		pg, err := sel.page(all, ids, fs, r.Params)
		if err != nil {
			return err
		}
		resp.SecurityGroupRuleSet.Items = pg.Items
		resp.NextToken = pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func init() {
	register("ModifySecurityGroupRules", modifySecurityGroupRules)
}

// modifySecurityGroupRules redefines rules by id (SecurityGroupRule.N.SecurityGroupRuleId and
// .SecurityGroupRule.{IpProtocol,FromPort,ToPort,CidrIpv4,CidrIpv6,PrefixListId,ReferencedGroupId,Description}).
func modifySecurityGroupRules(s *Server, r *request) (response, error) {
	p := r.Params
	groupID, err := p.required("GroupId")
	if err != nil {
		return nil, err
	}
	var changes []emulator.RuleChange
	for _, n := range p.indexes("SecurityGroupRule") {
		pre := "SecurityGroupRule." + strconv.Itoa(n)
		id := p.get(pre + ".SecurityGroupRuleId")
		if id == "" {
			return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter SecurityGroupRule.%d.SecurityGroupRuleId", n)
		}
		def := pre + ".SecurityGroupRule."
		perm := emulator.Permission{Protocol: p.get(def + "IpProtocol")}
		for _, f := range []struct {
			name string
			dst  **int
		}{{"FromPort", &perm.FromPort}, {"ToPort", &perm.ToPort}} {
			v, set, err := p.integer(def + f.name)
			if err != nil {
				return nil, err
			}
			if set {
				*f.dst = &v
			}
		}
		desc := p.get(def + "Description")
		if c := p.get(def + "CidrIpv4"); c != "" {
			perm.CIDRs = append(perm.CIDRs, emulator.PermissionCIDR{CIDR: c, Description: desc})
		}
		if c := p.get(def + "CidrIpv6"); c != "" {
			perm.IPv6CIDRs = append(perm.IPv6CIDRs, emulator.PermissionCIDR{CIDR: c, Description: desc})
		}
		if pl := p.get(def + "PrefixListId"); pl != "" {
			perm.PrefixLists = append(perm.PrefixLists, emulator.PermissionCIDR{CIDR: pl, Description: desc})
		}
		if g := p.get(def + "ReferencedGroupId"); g != "" {
			perm.Groups = append(perm.Groups, emulator.GroupRef{GroupID: g, Description: desc})
		}
		changes = append(changes, emulator.RuleChange{RuleID: id, Permission: perm})
	}
	if len(changes) == 0 {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter SecurityGroupRule")
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.ModifyRules(r.Caller, groupID, changes) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
