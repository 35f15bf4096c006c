package emulator

import "time"

// DeleteSubnet deletes a subnet without running instances; its route table and network ACL
// associations go with it.
func (tx *Tx) DeleteSubnet(c Caller, id string) error {
	tx.mustWrite()
	s := tx.w.subnets[id]
	if s == nil || !c.owns(s.Account, s.Region) {
		return AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
	}
	for _, i := range tx.w.instances {
		if i.SubnetID == id && i.State != "terminated" {
			return AWSErr("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
		}
	}
	for _, sp := range tx.w.spaces {
		for _, d := range sp.DynoSubnetIDs {
			if d == id {
				return AWSErr("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
			}
		}
	}
	for _, rt := range tx.w.rtbs {
		rt.Associations = dropWhere(rt.Associations, func(a *RouteTableAssociation) bool { return a.SubnetID == id })
	}
	for _, n := range tx.w.nacls {
		n.Associations = dropWhere(n.Associations, func(a *NetworkACLAssociation) bool { return a.SubnetID == id })
	}
	delete(tx.w.subnets, id)
	return nil
}

// DeleteVPC deletes a VPC that has nothing left in it but its main route table, default
// security group and default network ACL. Subnets, an attached internet gateway, other
// security groups, route tables or network ACLs, and a pending peering request from another
// account make it a DependencyViolation. Its active peerings are deleted with it, and its own
// pending requests too, as the console does.
func (tx *Tx) DeleteVPC(c Caller, id string) error {
	tx.mustWrite()
	v := tx.w.vpcs[id]
	if v == nil || !c.owns(v.Account, v.Region) {
		return AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
	}
	dep := AWSErr("DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted.", id)
	for _, s := range tx.w.subnets {
		if s.VPCID == id {
			return dep
		}
	}
	for _, g := range tx.w.igws {
		if g.VPCID == id {
			return dep
		}
	}
	for _, g := range tx.w.sgs {
		if g.VPCID == id && g.ID != v.DefaultSecurityGroupID {
			return dep
		}
	}
	for _, rt := range tx.w.rtbs {
		if rt.VPCID == id && rt.ID != v.MainRouteTableID {
			return dep
		}
	}
	for _, n := range tx.w.nacls {
		if n.VPCID == id && n.ID != v.DefaultNetworkACLID {
			return dep
		}
	}
	if v.SpaceID != "" {
		return dep
	}
	for _, p := range tx.w.pcxs {
		if p.Accepter.VPCID == id && p.Status(tx.now) == PcxPending && p.Requester.Account != v.Account {
			return dep
		}
	}
	for _, p := range tx.w.pcxs {
		if !p.Connects(id) {
			continue
		}
		switch p.Status(tx.now) {
		case PcxActive, PcxProvisioning, PcxPending, PcxInitiating:
			p.status = PcxDeleted
			p.EndedAt, p.EndedBy = tx.now, c.Account
			p.ExpiresAt = time.Time{}
		}
	}
	delete(tx.w.rtbs, v.MainRouteTableID)
	delete(tx.w.sgs, v.DefaultSecurityGroupID)
	delete(tx.w.nacls, v.DefaultNetworkACLID)
	delete(tx.w.vpcs, id)
	return nil
}

func dropWhere[T any](xs []T, drop func(T) bool) []T {
	out := xs[:0:0]
	for _, x := range xs {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}
