package emulator

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// CreateSecurityGroup creates a group in a VPC: no inbound rules, all outbound allowed. Names
// are unique per VPC; "default" and names starting with sg- are reserved.
func (tx *Tx) CreateSecurityGroup(c Caller, vpcID, name, description string, tags Tags) (*SecurityGroup, error) {
	tx.mustWrite()
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
	tx.w.sgs[g.ID] = g
	return g, nil
}

// DeleteSecurityGroup deletes a group that no live instance uses and no other group's rule
// references. A VPC's default group cannot be deleted.
func (tx *Tx) DeleteSecurityGroup(c Caller, id string) error {
	tx.mustWrite()
	g, err := tx.callerGroup(c, id)
	if err != nil {
		return err
	}
	if v := tx.w.vpcs[g.VPCID]; v != nil && v.DefaultSecurityGroupID == id {
		return AWSErr("CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
	}
	if len(tx.InstancesIn(id)) > 0 {
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
