package emulator

// CreateRouteTable creates a route table in a VPC with only the local route; it governs no
// subnet until one is associated with it.
func (tx *Tx) CreateRouteTable(c Caller, vpcID string, tags Tags) (*RouteTable, error) {
	tx.mustWrite()
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	rt := &RouteTable{ID: tx.NewID("rtb"), Account: v.Account, Region: v.Region, VPCID: vpcID, Tags: cloneTags(tags)}
	tx.w.rtbs[rt.ID] = rt
	return rt, nil
}

// AssociateRouteTable makes a table govern a subnet of its VPC. A subnet has at most one
// explicit association; without one it follows the main table.
func (tx *Tx) AssociateRouteTable(c Caller, rtbID, subnetID string) (string, error) {
	tx.mustWrite()
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return "", err
	}
	s := tx.w.subnets[subnetID]
	if s == nil || !c.owns(s.Account, s.Region) {
		return "", AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnetID)
	}
	if s.VPCID != rt.VPCID {
		return "", AWSErr("InvalidParameterValue", "Route table %s and subnet %s belong to different networks", rtbID, subnetID)
	}
	for _, o := range tx.w.rtbs {
		for _, a := range o.Associations {
			if a.SubnetID == subnetID {
				return "", AWSErr("Resource.AlreadyAssociated", "the specified association for route table %s conflicts with an existing association", rtbID)
			}
		}
	}
	a := &RouteTableAssociation{ID: tx.NewID("rtbassoc"), SubnetID: subnetID}
	rt.Associations = append(rt.Associations, a)
	return a.ID, nil
}

// findAssociation locates an explicit subnet association, or the main association, by id.
func (tx *Tx) findAssociation(c Caller, assocID string) (*RouteTable, int, bool, error) {
	for _, rt := range tx.w.rtbs {
		if !c.owns(rt.Account, rt.Region) {
			continue
		}
		if rt.Main && rt.MainAssociationID == assocID {
			return rt, -1, true, nil
		}
		for i, a := range rt.Associations {
			if a.ID == assocID {
				return rt, i, false, nil
			}
		}
	}
	return nil, 0, false, AWSErr("InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assocID)
}

// DisassociateRouteTable removes an explicit subnet association; the subnet falls back to the
// main table. The main association cannot be removed, only replaced.
func (tx *Tx) DisassociateRouteTable(c Caller, assocID string) error {
	tx.mustWrite()
	rt, i, main, err := tx.findAssociation(c, assocID)
	if err != nil {
		return err
	}
	if main {
		return AWSErr("InvalidParameterValue", "cannot disassociate the main route table association %s", assocID)
	}
	rt.Associations = append(rt.Associations[:i:i], rt.Associations[i+1:]...)
	return nil
}

// ReplaceRouteTableAssociation points an association at another table of the same VPC and
// returns the new association id. Replacing the main association makes that table the VPC's
// main table.
func (tx *Tx) ReplaceRouteTableAssociation(c Caller, assocID, rtbID string) (string, error) {
	tx.mustWrite()
	from, i, main, err := tx.findAssociation(c, assocID)
	if err != nil {
		return "", err
	}
	to, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return "", err
	}
	if to.VPCID != from.VPCID {
		return "", AWSErr("InvalidParameterValue", "Route table %s and association %s belong to different networks", rtbID, assocID)
	}
	id := tx.NewID("rtbassoc")
	if main {
		from.Main, from.MainAssociationID = false, ""
		to.Main, to.MainAssociationID = true, id
		tx.w.vpcs[to.VPCID].MainRouteTableID = to.ID
		return id, nil
	}
	subnet := from.Associations[i].SubnetID
	from.Associations = append(from.Associations[:i:i], from.Associations[i+1:]...)
	to.Associations = append(to.Associations, &RouteTableAssociation{ID: id, SubnetID: subnet})
	return id, nil
}

// DeleteRouteTable deletes a table that is neither main nor associated with a subnet. Routes
// elsewhere are unaffected.
func (tx *Tx) DeleteRouteTable(c Caller, rtbID string) error {
	tx.mustWrite()
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	if rt.Main || len(rt.Associations) > 0 {
		return AWSErr("DependencyViolation", "The routeTable '%s' has dependencies and cannot be deleted.", rtbID)
	}
	delete(tx.w.rtbs, rtbID)
	return nil
}
