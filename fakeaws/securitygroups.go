package fakeaws

import (
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("DescribeSecurityGroups", describeSecurityGroups)
	register("AuthorizeSecurityGroupIngress", func(s *Server, r *request) (response, error) { return authorize(s, r, false) })
	register("AuthorizeSecurityGroupEgress", func(s *Server, r *request) (response, error) { return authorize(s, r, true) })
	register("RevokeSecurityGroupIngress", func(s *Server, r *request) (response, error) { return revoke(s, r, false) })
	register("RevokeSecurityGroupEgress", func(s *Server, r *request) (response, error) { return revoke(s, r, true) })
}

// securityGroupXML is EC2's SecurityGroup shape.
type securityGroupXML struct {
	OwnerID             string              `xml:"ownerId"`
	GroupID             string              `xml:"groupId"`
	GroupName           string              `xml:"groupName"`
	GroupDescription    string              `xml:"groupDescription"`
	VpcID               string              `xml:"vpcId"`
	SecurityGroupArn    string              `xml:"securityGroupArn"`
	IPPermissions       items[ipPermission] `xml:"ipPermissions"`
	IPPermissionsEgress items[ipPermission] `xml:"ipPermissionsEgress"`
	TagSet              items[tagXML]       `xml:"tagSet"`
}

// ipPermission is EC2's IpPermission: rules sharing protocol and ports, grouped.
type ipPermission struct {
	IPProtocol    string                 `xml:"ipProtocol"`
	FromPort      *int                   `xml:"fromPort,omitempty"`
	ToPort        *int                   `xml:"toPort,omitempty"`
	Groups        items[groupPair]       `xml:"groups"`
	IPRanges      items[ipRange]         `xml:"ipRanges"`
	Ipv6Ranges    items[ipv6Range]       `xml:"ipv6Ranges"`
	PrefixListIDs items[prefixListIDXML] `xml:"prefixListIds"`
}

// prefixListIDXML is EC2's PrefixListId: a prefix list as a permission's peer.
type prefixListIDXML struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

type groupPair struct {
	UserID                 string `xml:"userId"`
	GroupID                string `xml:"groupId"`
	VpcID                  string `xml:"vpcId,omitempty"`
	VpcPeeringConnectionID string `xml:"vpcPeeringConnectionId,omitempty"`
	PeeringStatus          string `xml:"peeringStatus,omitempty"`
	Description            string `xml:"description,omitempty"`
}

type ipRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type ipv6Range struct {
	CidrIpv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

func intp(n int) *int { return &n }

// refPeering finds the peering a cross-VPC group reference goes over, with its status.
func refPeering(tx *emulator.Tx, g *emulator.SecurityGroup, ref *emulator.GroupRef) (string, string) {
	if ref.VPCID == "" || ref.VPCID == g.VPCID {
		return "", ""
	}
	var found *emulator.Peering
	for _, p := range tx.Peerings() {
		if p.Connects(g.VPCID) && p.Connects(ref.VPCID) && (ref.PeeringID == "" || ref.PeeringID == p.ID) {
			if found == nil || p.CreatedAt.After(found.CreatedAt) {
				found = p
			}
		}
	}
	if found == nil {
		return ref.PeeringID, "deleted"
	}
	return found.ID, found.Status(tx.Now())
}

func groupRule(tx *emulator.Tx, g *emulator.SecurityGroup, ref *emulator.GroupRef) groupPair {
	gp := groupPair{UserID: ref.UserID, GroupID: ref.GroupID}
	if pcx, st := refPeering(tx, g, ref); st != "" {
		gp.VpcID, gp.VpcPeeringConnectionID, gp.PeeringStatus = ref.VPCID, pcx, st
	}
	return gp
}

// permissions groups rules that share protocol and port range, in order of first appearance.
func permissions(tx *emulator.Tx, g *emulator.SecurityGroup, rules []*emulator.SGRule) items[ipPermission] {
	var out []ipPermission
	index := map[string]int{}
	for _, r := range rules {
		key := r.Protocol + "/" + strconv.Itoa(r.FromPort) + "/" + strconv.Itoa(r.ToPort)
		i, ok := index[key]
		if !ok {
			p := ipPermission{IPProtocol: r.Protocol}
			if r.Protocol != "-1" {
				p.FromPort, p.ToPort = intp(r.FromPort), intp(r.ToPort)
			}
			out = append(out, p)
			i = len(out) - 1
			index[key] = i
		}
		if r.Group != nil {
			gp := groupRule(tx, g, r.Group)
			gp.Description = r.Description
			out[i].Groups.Items = append(out[i].Groups.Items, gp)
		} else if r.PrefixListID != "" {
			out[i].PrefixListIDs.Items = append(out[i].PrefixListIDs.Items, prefixListIDXML{PrefixListID: r.PrefixListID, Description: r.Description})
		} else if emulator.IsIPv6(r.CIDR) {
			out[i].Ipv6Ranges.Items = append(out[i].Ipv6Ranges.Items, ipv6Range{CidrIpv6: r.CIDR.String(), Description: r.Description})
		} else {
			out[i].IPRanges.Items = append(out[i].IPRanges.Items, ipRange{CidrIP: r.CIDR.String(), Description: r.Description})
		}
	}
	return list(out)
}

func renderSecurityGroup(tx *emulator.Tx, g *emulator.SecurityGroup) securityGroupXML {
	return securityGroupXML{
		OwnerID: g.Account, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VpcID: g.VPCID,
		SecurityGroupArn: "arn:aws:ec2:" + g.Region + ":" + g.Account + ":security-group/" + g.ID,
		IPPermissions:    permissions(tx, g, g.Ingress), IPPermissionsEgress: permissions(tx, g, g.Egress),
		TagSet: tagSet(g.Tags),
	}
}

func permFields(get func(securityGroupXML) []ipPermission, f func(ipPermission) []string) func(securityGroupXML) []string {
	return func(x securityGroupXML) []string {
		var out []string
		for _, p := range get(x) {
			out = append(out, f(p)...)
		}
		return out
	}
}

func sgFields() fields[securityGroupXML] {
	f := fields[securityGroupXML]{
		"group-id":    func(x securityGroupXML) []string { return one(x.GroupID) },
		"group-name":  func(x securityGroupXML) []string { return one(x.GroupName) },
		"description": func(x securityGroupXML) []string { return one(x.GroupDescription) },
		"vpc-id":      func(x securityGroupXML) []string { return one(x.VpcID) },
		"owner-id":    func(x securityGroupXML) []string { return one(x.OwnerID) },
	}
	perm := map[string]func(ipPermission) []string{
		"cidr": func(p ipPermission) []string {
			return mapItems(p.IPRanges.Items, func(r ipRange) string { return r.CidrIP })
		},
		"ipv6-cidr": func(p ipPermission) []string {
			return mapItems(p.Ipv6Ranges.Items, func(r ipv6Range) string { return r.CidrIpv6 })
		},
		"protocol": func(p ipPermission) []string { return one(p.IPProtocol) },
		"from-port": func(p ipPermission) []string {
			if p.FromPort == nil {
				return nil
			}
			return one(strconv.Itoa(*p.FromPort))
		},
		"to-port": func(p ipPermission) []string {
			if p.ToPort == nil {
				return nil
			}
			return one(strconv.Itoa(*p.ToPort))
		},
		"group-id": func(p ipPermission) []string {
			return mapItems(p.Groups.Items, func(g groupPair) string { return g.GroupID })
		},
		"user-id": func(p ipPermission) []string {
			return mapItems(p.Groups.Items, func(g groupPair) string { return g.UserID })
		},
		"prefix-list-id": func(p ipPermission) []string {
			return mapItems(p.PrefixListIDs.Items, func(x prefixListIDXML) string { return x.PrefixListID })
		},
	}
	for name, get := range perm {
		f["ip-permission."+name] = permFields(func(x securityGroupXML) []ipPermission { return x.IPPermissions.Items }, get)
		f["egress.ip-permission."+name] = permFields(func(x securityGroupXML) []ipPermission { return x.IPPermissionsEgress.Items }, get)
	}
	return f
}

func mapItems[T any](xs []T, f func(T) string) []string {
	var out []string
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

type describeSecurityGroupsResponse struct {
	SecurityGroupInfo items[securityGroupXML] `xml:"securityGroupInfo"`
	NextToken         string                  `xml:"nextToken,omitempty"`
}

func describeSecurityGroups(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids, names := r.Params.list("GroupId"), r.Params.list("GroupName")
	resp := &describeSecurityGroupsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []securityGroupXML
		tagsOf := map[string]emulator.Tags{}
		for _, g := range tx.SecurityGroups() {
			if g.Account == r.Caller.Account && g.Region == r.Caller.Region {
				all = append(all, renderSecurityGroup(tx, g))
				tagsOf[g.ID] = g.Tags
			}
		}
		groupNotFound := func(missing []string) error {
			return emulator.AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", joinIDs(missing))
		}
		rows, missing := pickIDs(all, func(x securityGroupXML) string { return x.GroupID }, ids)
		if len(missing) > 0 {
			return groupNotFound(missing)
		}
		rows, missing = pickIDs(rows, func(x securityGroupXML) string { return x.GroupName }, names)
		if len(missing) > 0 {
			return groupNotFound(missing)
		}
		sel := selection[securityGroupXML]{id: func(x securityGroupXML) string { return x.GroupID },
			fields: sgFields(), tags: func(x securityGroupXML) emulator.Tags { return tagsOf[x.GroupID] }, maxPage: 1000}
		pg, err := sel.page(rows, nil, fs, r.Params)
		if err != nil {
			return err
		}
		resp.SecurityGroupInfo, resp.NextToken = list(pg.Items), pg.Next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// permissionsParam reads IpPermissions.N (and the legacy top-level IpProtocol / FromPort /
// ToPort / CidrIp / SourceSecurityGroupName / SourceSecurityGroupOwnerId form). Group names in
// references are resolved later, inside the transaction.
func permissionsParam(p params) ([]emulator.Permission, []string, error) {
	var perms []emulator.Permission
	var groupNames []string // parallel to the flattened group references, "" when by id
	port := func(name string) (*int, error) {
		n, set, err := p.integer(name)
		if err != nil || !set {
			return nil, err
		}
		return &n, nil
	}
	for _, n := range p.indexes("IpPermissions") {
		pre := "IpPermissions." + strconv.Itoa(n)
		perm := emulator.Permission{Protocol: p.get(pre + ".IpProtocol")}
		var err error
		if perm.FromPort, err = port(pre + ".FromPort"); err != nil {
			return nil, nil, err
		}
		if perm.ToPort, err = port(pre + ".ToPort"); err != nil {
			return nil, nil, err
		}
		for _, m := range p.indexes(pre + ".IpRanges") {
			perm.CIDRs = append(perm.CIDRs, emulator.PermissionCIDR{
				CIDR: p.get(member(pre+".IpRanges", m, "CidrIp")), Description: p.get(member(pre+".IpRanges", m, "Description"))})
		}
		for _, m := range p.indexes(pre + ".Ipv6Ranges") {
			perm.IPv6CIDRs = append(perm.IPv6CIDRs, emulator.PermissionCIDR{
				CIDR: p.get(member(pre+".Ipv6Ranges", m, "CidrIpv6")), Description: p.get(member(pre+".Ipv6Ranges", m, "Description"))})
		}
		for _, m := range p.indexes(pre + ".PrefixListIds") {
			perm.PrefixLists = append(perm.PrefixLists, emulator.PermissionCIDR{
				CIDR: p.get(member(pre+".PrefixListIds", m, "PrefixListId")), Description: p.get(member(pre+".PrefixListIds", m, "Description"))})
		}
		for _, m := range p.indexes(pre + ".Groups") {
			g := func(k string) string { return p.get(member(pre+".Groups", m, k)) }
			perm.Groups = append(perm.Groups, emulator.GroupRef{GroupID: g("GroupId"), UserID: g("UserId"), VPCID: g("VpcId"), PeeringID: g("VpcPeeringConnectionId"), Description: g("Description")})
			groupNames = append(groupNames, g("GroupName"))
		}
		perms = append(perms, perm)
	}
	if proto := p.get("IpProtocol"); proto != "" || p.get("CidrIp") != "" || p.get("SourceSecurityGroupName") != "" {
		perm := emulator.Permission{Protocol: proto}
		if proto == "" {
			perm.Protocol = "-1"
		}
		var err error
		if perm.FromPort, err = port("FromPort"); err != nil {
			return nil, nil, err
		}
		if perm.ToPort, err = port("ToPort"); err != nil {
			return nil, nil, err
		}
		if c := p.get("CidrIp"); c != "" {
			perm.CIDRs = append(perm.CIDRs, emulator.PermissionCIDR{CIDR: c})
		}
		if name := p.get("SourceSecurityGroupName"); name != "" {
			perm.Groups = append(perm.Groups, emulator.GroupRef{UserID: p.get("SourceSecurityGroupOwnerId")})
			groupNames = append(groupNames, name)
		}
		perms = append(perms, perm)
	}
	if len(perms) == 0 {
		return nil, nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter ipPermissions")
	}
	return perms, groupNames, nil
}

// targetGroup finds the group an Authorize/Revoke call names by GroupId or GroupName.
func targetGroup(tx *emulator.Tx, c emulator.Caller, p params) (*emulator.SecurityGroup, error) {
	if id := p.get("GroupId"); id != "" {
		g := tx.SecurityGroup(id)
		if g == nil || g.Account != c.Account || g.Region != c.Region {
			return nil, emulator.AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
		}
		return g, nil
	}
	name := p.get("GroupName")
	if name == "" {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter groupName or groupId")
	}
	if g := groupByName(tx, c, "", name); g != nil {
		return g, nil
	}
	return nil, emulator.AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", name)
}

// groupByName finds the caller's group with that name (in vpcID when given).
func groupByName(tx *emulator.Tx, c emulator.Caller, vpcID, name string) *emulator.SecurityGroup {
	for _, g := range tx.SecurityGroups() {
		if g.Account == c.Account && g.Region == c.Region && g.Name == name && (vpcID == "" || g.VPCID == vpcID) {
			return g
		}
	}
	return nil
}

// resolveGroupNames fills in group ids of references given by name, looked up in the target
// group's VPC.
func resolveGroupNames(tx *emulator.Tx, c emulator.Caller, g *emulator.SecurityGroup, perms []emulator.Permission, names []string) error {
	k := 0
	for i := range perms {
		for j := range perms[i].Groups {
			name := names[k]
			k++
			if perms[i].Groups[j].GroupID != "" || name == "" {
				continue
			}
			ref := groupByName(tx, c, g.VPCID, name)
			if ref == nil {
				return emulator.AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", name)
			}
			perms[i].Groups[j].GroupID = ref.ID
		}
	}
	return nil
}

// securityGroupRuleXML is EC2's SecurityGroupRule (one CIDR or group per rule).
type securityGroupRuleXML struct {
	SecurityGroupRuleID  string        `xml:"securityGroupRuleId"`
	GroupID              string        `xml:"groupId"`
	GroupOwnerID         string        `xml:"groupOwnerId"`
	IsEgress             bool          `xml:"isEgress"`
	IPProtocol           string        `xml:"ipProtocol"`
	FromPort             int           `xml:"fromPort"`
	ToPort               int           `xml:"toPort"`
	CidrIpv4             string        `xml:"cidrIpv4,omitempty"`
	CidrIpv6             string        `xml:"cidrIpv6,omitempty"`
	PrefixListID         string        `xml:"prefixListId,omitempty"`
	ReferencedGroupInfo  *groupPair    `xml:"referencedGroupInfo,omitempty"`
	Description          string        `xml:"description,omitempty"`
	SecurityGroupRuleArn string        `xml:"securityGroupRuleArn"`
	TagSet               items[tagXML] `xml:"tagSet"`
}

// renderRule is one rule of a group as a SecurityGroupRule object.
func renderRule(tx *emulator.Tx, g *emulator.SecurityGroup, rule *emulator.SGRule, egress bool) securityGroupRuleXML {
	x := securityGroupRuleXML{SecurityGroupRuleID: rule.ID, GroupID: g.ID, GroupOwnerID: g.Account, IsEgress: egress,
		IPProtocol: rule.Protocol, FromPort: rule.FromPort, ToPort: rule.ToPort, Description: rule.Description,
		SecurityGroupRuleArn: "arn:aws:ec2:" + g.Region + ":" + g.Account + ":security-group-rule/" + rule.ID, TagSet: tagSet(rule.Tags)}
	if rule.Group != nil {
		gp := groupRule(tx, g, rule.Group)
		x.ReferencedGroupInfo = &gp
	} else if rule.PrefixListID != "" {
		x.PrefixListID = rule.PrefixListID
	} else if emulator.IsIPv6(rule.CIDR) {
		x.CidrIpv6 = rule.CIDR.String()
	} else {
		x.CidrIpv4 = rule.CIDR.String()
	}
	return x
}

type authorizeResponse struct {
	Return               bool                        `xml:"return"`
	SecurityGroupRuleSet items[securityGroupRuleXML] `xml:"securityGroupRuleSet"`
}

// ruleOp adds rules to a group or takes them away: one of the Tx's Authorize / Revoke methods.
type ruleOp func(tx *emulator.Tx, c emulator.Caller, groupID string, perms []emulator.Permission) ([]*emulator.SGRule, error)

// changeRules runs an Authorize or Revoke action: op on the group the request names, with the
// request's permissions (group names resolved); each rule op changed goes to each.
func changeRules(s *Server, r *request, op ruleOp, each func(tx *emulator.Tx, g *emulator.SecurityGroup, rule *emulator.SGRule) error) error {
	var perms []emulator.Permission
	var names []string
	if len(r.Params.list("SecurityGroupRuleId")) == 0 {
		var err error
		if perms, names, err = permissionsParam(r.Params); err != nil {
			return err
		}
	}
	return s.update(r, func(tx *emulator.Tx) error {
		g, err := targetGroup(tx, r.Caller, r.Params)
		if err != nil {
			return err
		}
		if err := resolveGroupNames(tx, r.Caller, g, perms, names); err != nil {
			return err
		}
		rules, err := op(tx, r.Caller, g.ID, perms)
		if err != nil {
			return err
		}
		for _, rule := range rules {
			if err := each(tx, g, rule); err != nil {
				return err
			}
		}
		return nil
	})
}

func authorize(s *Server, r *request, egress bool) (response, error) {
	op := (*emulator.Tx).AuthorizeIngress
	if egress {
		op = (*emulator.Tx).AuthorizeEgress
	}
	if len(r.Params.list("SecurityGroupRuleId")) > 0 {
		return nil, emulator.AWSErr("UnknownParameter", "The parameter SecurityGroupRuleId is not recognized")
	}
	tags, err := r.Params.tagSpecs("security-group-rule")
	if err != nil {
		return nil, err
	}
	resp := &authorizeResponse{Return: true}
	err = changeRules(s, r, op, func(tx *emulator.Tx, g *emulator.SecurityGroup, rule *emulator.SGRule) error {
		if len(tags) > 0 {
			if err := tx.CreateTags(r.Caller, []string{rule.ID}, tags); err != nil {
				return err
			}
		}
		resp.SecurityGroupRuleSet.Items = append(resp.SecurityGroupRuleSet.Items, renderRule(tx, g, rule, egress))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// revokedRuleXML is EC2's RevokedSecurityGroupRule.
type revokedRuleXML struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int    `xml:"fromPort"`
	ToPort              int    `xml:"toPort"`
	CidrIpv4            string `xml:"cidrIpv4,omitempty"`
	CidrIpv6            string `xml:"cidrIpv6,omitempty"`
	PrefixListID        string `xml:"prefixListId,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupId,omitempty"`
	Description         string `xml:"description,omitempty"`
}

type revokeResponse struct {
	Return                      bool                  `xml:"return"`
	RevokedSecurityGroupRuleSet items[revokedRuleXML] `xml:"revokedSecurityGroupRuleSet"`
}

func revoke(s *Server, r *request, egress bool) (response, error) {
	op := (*emulator.Tx).RevokeIngress
	if egress {
		op = (*emulator.Tx).RevokeEgress
	}
	resp := &revokeResponse{Return: true}
	if ids := r.Params.list("SecurityGroupRuleId"); len(ids) > 0 {
		if len(r.Params.indexes("IpPermissions")) > 0 {
			return nil, emulator.AWSErr("InvalidParameterCombination", "The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions")
		}
		op = func(tx *emulator.Tx, c emulator.Caller, groupID string, _ []emulator.Permission) ([]*emulator.SGRule, error) {
			return tx.RevokeRulesByID(c, groupID, ids, egress)
		}
	}
	err := changeRules(s, r, op, func(_ *emulator.Tx, g *emulator.SecurityGroup, rule *emulator.SGRule) error {
		x := revokedRuleXML{SecurityGroupRuleID: rule.ID, GroupID: g.ID, IsEgress: egress, IPProtocol: rule.Protocol,
			FromPort: rule.FromPort, ToPort: rule.ToPort, Description: rule.Description}
		if rule.Group != nil {
			x.ReferencedGroupID = rule.Group.GroupID
		} else if rule.PrefixListID != "" {
			x.PrefixListID = rule.PrefixListID
		} else if emulator.IsIPv6(rule.CIDR) {
			x.CidrIpv6 = rule.CIDR.String()
		} else {
			x.CidrIpv4 = rule.CIDR.String()
		}
		resp.RevokedSecurityGroupRuleSet.Items = append(resp.RevokedSecurityGroupRuleSet.Items, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func init() {
	register("CreateSecurityGroup", createSecurityGroup)
	register("DeleteSecurityGroup", deleteSecurityGroup)
}

type createSecurityGroupResponse struct {
	Return           bool          `xml:"return"`
	GroupID          string        `xml:"groupId"`
	SecurityGroupArn string        `xml:"securityGroupArn"`
	TagSet           items[tagXML] `xml:"tagSet"`
}

func createSecurityGroup(s *Server, r *request) (response, error) {
	tags, err := r.Params.tagSpecs("security-group")
	if err != nil {
		return nil, err
	}
	resp := &createSecurityGroupResponse{Return: true}
	err = s.update(r, func(tx *emulator.Tx) error {
		g, err := tx.CreateSecurityGroup(r.Caller, r.Params.get("VpcId"), r.Params.get("GroupName"), r.Params.get("GroupDescription"), tags)
		if err != nil {
			return err
		}
		resp.GroupID, resp.TagSet = g.ID, tagSet(g.Tags)
		resp.SecurityGroupArn = renderSecurityGroup(tx, g).SecurityGroupArn
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteSecurityGroup(s *Server, r *request) (response, error) {
	resp := &struct {
		Return  bool   `xml:"return"`
		GroupID string `xml:"groupId"`
	}{Return: true}
	err := s.update(r, func(tx *emulator.Tx) error {
		g, err := targetGroup(tx, r.Caller, r.Params)
		if err != nil {
			return err
		}
		resp.GroupID = g.ID
		return tx.DeleteSecurityGroup(r.Caller, g.ID)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
