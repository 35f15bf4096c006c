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
		for _, g := range tx.SecurityGroups() {
			if g.Account != r.Caller.Account || g.Region != r.Caller.Region {
				continue
			}
			for _, rule := range g.Ingress {
				all = append(all, renderRule(tx, g, rule, false))
			}
			for _, rule := range g.Egress {
				all = append(all, renderRule(tx, g, rule, true))
			}
		}
		sel := selection[securityGroupRuleXML]{id: func(x securityGroupRuleXML) string { return x.SecurityGroupRuleID },
			notFound: func(missing []string) error {
				return emulator.AWSErr("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", joinIDs(missing))
			},
			fields: ruleFields, tags: func(securityGroupRuleXML) emulator.Tags { return nil }, maxPage: 1000}
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
