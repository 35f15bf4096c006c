package emulator

import (
	"net/netip"
	"strings"
)

// TargetKind is what a route points at.
type TargetKind string

const (
	TargetLocal   TargetKind = "local"
	TargetPeering TargetKind = "pcx"
	TargetIGW     TargetKind = "igw"
	TargetNAT     TargetKind = "nat"
	TargetVGW     TargetKind = "vgw"
	// TargetInstance and TargetENI deliver to an interface: an instance's primary one, or a
	// network interface (eni-…) wherever it is attached.
	TargetInstance TargetKind = "instance"
	TargetENI      TargetKind = "eni"
)

// Route is one entry of a route table.
type Route struct {
	Dst netip.Prefix
	// PrefixListID, when set, is the destination instead of Dst: a prefix list's CIDRs.
	PrefixListID string
	Kind         TargetKind
	Target       string // pcx-…, igw-…, nat-…, vgw-…, i-…, eni-…; "local" for the local route
	Origin       string // CreateRouteTable, CreateRoute, EnableVgwRoutePropagation
}

// RouteTableAssociation ties a subnet to a route table explicitly.
type RouteTableAssociation struct {
	ID       string
	SubnetID string
}

// RouteTable is a VPC route table. The local route is implicit: Routes holds only the others.
type RouteTable struct {
	ID                string
	Account           string
	Region            string
	VPCID             string
	Main              bool
	MainAssociationID string
	Routes            []*Route
	Associations      []*RouteTableAssociation
	// PropagatingVGWs are the virtual private gateways whose routes the table learns.
	PropagatingVGWs []string
	Tags            Tags
}

// RouteTable returns a route table by id, or nil.
func (tx *Tx) RouteTable(id string) *RouteTable { return tx.w.rtbs[id] }

// RouteTables returns every route table, ordered by id.
func (tx *Tx) RouteTables() []*RouteTable { return ordered(tx.w.rtbs) }

// SubnetRouteTable returns the route table that governs a subnet: its explicit association,
// else its VPC's main table.
func (tx *Tx) SubnetRouteTable(subnetID string) *RouteTable {
	s := tx.w.subnets[subnetID]
	if s == nil {
		return nil
	}
	for _, rt := range tx.w.rtbs {
		for _, a := range rt.Associations {
			if a.SubnetID == subnetID {
				return rt
			}
		}
	}
	return tx.w.rtbs[tx.w.vpcs[s.VPCID].MainRouteTableID]
}

// RouteState is "active" or "blackhole": whether the route's target can carry traffic now.
func (tx *Tx) RouteState(rt *RouteTable, r *Route) string {
	switch r.Kind {
	case TargetLocal:
		return "active"
	case TargetPeering:
		p := tx.w.pcxs[r.Target]
		if p != nil && p.Active(tx.now) && p.Connects(rt.VPCID) {
			return "active"
		}
		return "blackhole"
	case TargetIGW:
		// An internet gateway carries traffic only while attached to the table's VPC.
		if g := tx.w.igws[r.Target]; g != nil && g.VPCID == rt.VPCID {
			return "active"
		}
		return "blackhole"
	case TargetVGW:
		// A virtual private gateway carries traffic while attached to the table's VPC.
		if tx.w.vgws[r.Target].AttachedTo(rt.VPCID) {
			return "active"
		}
		return "blackhole"
	case TargetNAT:
		// A NAT gateway carries traffic while it is available in the table's VPC.
		if n := tx.w.natgws[r.Target]; n != nil && n.Live() && n.VPCID == rt.VPCID {
			return "active"
		}
		return "blackhole"
	case TargetInstance, TargetENI:
		if n := tx.RouteInterface(r); n != nil && n.VPCID == rt.VPCID {
			return "active"
		}
		return "blackhole"
	}
	return "blackhole"
}

// RouteInterface is the interface a route to an instance or an interface delivers to while it
// can: the instance's primary interface, or the interface while attached to a live instance.
func (tx *Tx) RouteInterface(r *Route) *NetworkInterface {
	switch r.Kind {
	case TargetInstance:
		if i := tx.w.instances[r.Target]; i != nil && i.State == "running" {
			return primaryENI(i)
		}
	case TargetENI:
		n := tx.NetworkInterface(r.Target)
		if n == nil || n.Attachment == nil {
			return nil
		}
		if i := tx.w.instances[n.Attachment.InstanceID]; i != nil && i.State == "running" {
			return n
		}
	}
	return nil
}

// LocalRoutes returns the implicit local routes of a table: one per IPv4 CIDR block of its VPC.
func (tx *Tx) LocalRoutes(rt *RouteTable) []*Route {
	v := tx.w.vpcs[rt.VPCID]
	var out []*Route
	for _, b := range v.IPv4CIDRs() {
		out = append(out, &Route{Dst: b, Kind: TargetLocal, Target: "local", Origin: "CreateRouteTable"})
	}
	return out
}

// RouteTarget names where CreateRoute/ReplaceRoute should point.
type RouteTarget struct {
	PeeringID    string
	GatewayID    string
	NatGatewayID string
	InstanceID   string
	// NetworkInterfaceID is an eni-….
	NetworkInterfaceID string
}

func (tx *Tx) resolveTarget(c Caller, rt *RouteTable, t RouteTarget) (TargetKind, string, error) {
	n := 0
	for _, s := range []string{t.PeeringID, t.GatewayID, t.NatGatewayID, t.InstanceID, t.NetworkInterfaceID} {
		if s != "" {
			n++
		}
	}
	switch {
	case n > 1 && (t.InstanceID != "" || t.NetworkInterfaceID != ""):
		return "", "", AWSErr("InvalidParameterCombination", "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, carrierGatewayId, or coreNetworkArn")
	case t.InstanceID != "":
		i := tx.w.instances[t.InstanceID]
		if i == nil || !c.owns(i.Account, i.Region) || i.State == "terminated" {
			return "", "", AWSErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", t.InstanceID)
		}
		if i.VPCID != rt.VPCID {
			return "", "", AWSErr("InvalidParameterValue", "route table %s and instance %s belong to different networks", rt.ID, i.ID)
		}
		if len(tx.InstanceInterfaces(i.ID)) > 1 {
			return "", "", AWSErr("InvalidInstanceID", "There are multiple interfaces attached to instance '%s'. Please specify an interface ID for the operation instead.", i.ID)
		}
		return TargetInstance, i.ID, nil
	case t.NetworkInterfaceID != "":
		e, err := tx.callerENI(c, t.NetworkInterfaceID)
		if err != nil {
			return "", "", err
		}
		if e.VPCID != rt.VPCID {
			return "", "", AWSErr("InvalidParameterValue", "route table %s and interface %s belong to different networks", rt.ID, e.ID)
		}
		return TargetENI, e.ID, nil
	case t.PeeringID != "" && t.GatewayID != "":
		return "", "", AWSErr("InvalidParameterCombination", "The parameter gatewayId cannot be used with the parameter vpcPeeringConnectionId")
	case t.NatGatewayID != "" && (t.PeeringID != "" || t.GatewayID != ""):
		return "", "", AWSErr("InvalidParameterCombination", "The parameter natGatewayId cannot be used with the parameter gatewayId or vpcPeeringConnectionId")
	case t.NatGatewayID != "":
		n := tx.w.natgws[t.NatGatewayID]
		if n == nil || !c.owns(n.Account, n.Region) || n.State == NatDeleted || n.State == NatFailed {
			return "", "", AWSErr("InvalidNatGatewayID.NotFound", "The natGateway ID '%s' does not exist", t.NatGatewayID)
		}
		if n.VPCID != rt.VPCID {
			return "", "", AWSErr("InvalidParameterValue", "route table %s and network gateway %s belong to different networks", rt.ID, n.ID)
		}
		return TargetNAT, n.ID, nil
	case t.PeeringID != "":
		p := tx.w.pcxs[t.PeeringID]
		if p == nil || !p.Connects(rt.VPCID) || !tx.visibleTo(p, c) {
			return "", "", AWSErr("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '%s' does not exist", t.PeeringID)
		}
		return TargetPeering, p.ID, nil
	case t.GatewayID == "local":
		return "", "", AWSErr("InvalidParameterValue", "Cannot create or replace a prefix list route targeting the local route.")
	case strings.HasPrefix(t.GatewayID, "igw-"):
		g := tx.w.igws[t.GatewayID]
		if g == nil || !c.owns(g.Account, g.Region) {
			return "", "", AWSErr("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist", t.GatewayID)
		}
		if g.VPCID != "" && g.VPCID != rt.VPCID {
			return "", "", AWSErr("InvalidParameterValue", "route table %s and network gateway %s belong to different networks", rt.ID, g.ID)
		}
		return TargetIGW, g.ID, nil
	case strings.HasPrefix(t.GatewayID, "vgw-"):
		g := tx.w.vgws[t.GatewayID]
		if g == nil || !c.owns(g.Account, g.Region) || g.State == GatewayDeleted {
			return "", "", AWSErr("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", t.GatewayID)
		}
		if g.AttachState == AttachAttached && g.VPCID != rt.VPCID {
			return "", "", AWSErr("InvalidParameterValue", "route table %s and network gateway %s belong to different networks", rt.ID, g.ID)
		}
		return TargetVGW, g.ID, nil
	case t.GatewayID != "":
		return "", "", AWSErr("InvalidGatewayID.NotFound", "The gateway ID '%s' does not exist", t.GatewayID)
	}
	return "", "", AWSErr("MissingParameter", "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, carrierGatewayId, or coreNetworkArn")
}

func (tx *Tx) callerRouteTable(c Caller, id string) (*RouteTable, error) {
	rt := tx.w.rtbs[id]
	if rt == nil || !c.owns(rt.Account, rt.Region) {
		return nil, AWSErr("InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist", id)
	}
	return rt, nil
}

func checkRouteDst(dst netip.Prefix, raw string) error {
	if IsIPv6(dst) {
		if dst.Masked() != dst {
			return AWSErr("InvalidParameterValue", "Value (%s) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", raw)
		}
		return nil
	}
	if !dst.IsValid() || !dst.Addr().Is4() || dst.Masked() != dst {
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", raw)
	}
	return nil
}

// CreateRoute adds a route to a table. A destination equal to the local route, or one already
// present, is refused with EC2's errors. A route to a peering that is not active is accepted
// and shows as blackhole.
func (tx *Tx) CreateRoute(c Caller, rtbID string, dst netip.Prefix, t RouteTarget) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	if err := checkRouteDst(dst, dst.String()); err != nil {
		return err
	}
	for _, r := range append(append(tx.LocalRoutes(rt), tx.LocalIPv6Routes(rt)...), rt.Routes...) {
		if r.Dst == dst {
			return AWSErr("RouteAlreadyExists", "The route identified by %s already exists.", dst)
		}
	}
	if err := tx.checkIPv6RouteDst(rt, dst, t); err != nil {
		return err
	}
	if v := tx.w.vpcs[rt.VPCID]; v.BlockOf(dst).IsValid() && !tx.middleboxRoute(rt, dst, t) {
		return AWSErr("InvalidParameterValue", "The destination CIDR block %s is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.", dst)
	}
	kind, target, err := tx.resolveTarget(c, rt, t)
	if err != nil {
		return err
	}
	if len(rt.Routes) >= tx.Quotas().RoutesPerRouteTable {
		return AWSErr("RouteLimitExceeded", "The maximum number of routes has been reached for the specified route table %s (%d).", rt.ID, tx.Quotas().RoutesPerRouteTable)
	}
	rt.Routes = append(rt.Routes, &Route{Dst: dst, Kind: kind, Target: target, Origin: "CreateRoute"})
	return nil
}

// middleboxRoute reports whether a route inside the VPC's range is one EC2 allows: a whole
// subnet's CIDR to an interface or an instance.
func (tx *Tx) middleboxRoute(rt *RouteTable, dst netip.Prefix, t RouteTarget) bool {
	if t.InstanceID == "" && t.NetworkInterfaceID == "" {
		return false
	}
	for _, s := range tx.w.subnets {
		if s.VPCID == rt.VPCID && s.CIDR == dst {
			return true
		}
	}
	return false
}

// ReplaceRoute points an existing route at a new target.
func (tx *Tx) ReplaceRoute(c Caller, rtbID string, dst netip.Prefix, t RouteTarget) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	if err := checkRouteDst(dst, dst.String()); err != nil {
		return err
	}
	for _, r := range rt.Routes {
		if r.Dst == dst {
			kind, target, err := tx.resolveTarget(c, rt, t)
			if err != nil {
				return err
			}
			r.Kind, r.Target = kind, target
			return nil
		}
	}
	return AWSErr("InvalidParameterValue", "There is no route defined for '%s' in the route table. Use CreateRoute instead.", dst)
}

// DeleteRoute removes a route. The local route cannot be deleted.
func (tx *Tx) DeleteRoute(c Caller, rtbID string, dst netip.Prefix) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	if err := checkRouteDst(dst, dst.String()); err != nil {
		return err
	}
	for _, r := range append(tx.LocalRoutes(rt), tx.LocalIPv6Routes(rt)...) {
		if r.Dst == dst {
			return AWSErr("InvalidParameterValue", "cannot remove local route %s in route table %s", dst, rtbID)
		}
	}
	for i, r := range rt.Routes {
		if r.Dst == dst {
			rt.Routes = append(rt.Routes[:i:i], rt.Routes[i+1:]...)
			return nil
		}
	}
	if IsIPv6(dst) {
		return AWSErr("InvalidRoute.NotFound", "no route with destination-ipv6-cidr-block %s in route table %s", dst, rtbID)
	}
	return AWSErr("InvalidRoute.NotFound", "no route with destination-cidr-block %s in route table %s", dst, rtbID)
}

// CreateRouteTable creates a route table in a VPC with only the local route; it governs no
// subnet until one is associated with it.
func (tx *Tx) CreateRouteTable(c Caller, vpcID string, tags Tags) (*RouteTable, error) {
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	tx.mustWriteFor(Changed{"route-table", vpcID}, &tx.w.rtbs)
	rt := &RouteTable{ID: tx.NewID("rtb"), Account: v.Account, Region: v.Region, VPCID: vpcID, Tags: cloneTags(tags)}
	tx.w.rtbs[rt.ID] = rt
	return rt, nil
}

// AssociateRouteTable makes a table govern a subnet of its VPC. A subnet has at most one
// explicit association; without one it follows the main table.
func (tx *Tx) AssociateRouteTable(c Caller, rtbID, subnetID string) (string, error) {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return "", err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
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
	rt, i, main, err := tx.findAssociation(c, assocID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
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
	tx.mustWriteFor(Changed{"route-table", to.VPCID}, from, to, tx.w.vpcs[to.VPCID])
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
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, &tx.w.rtbs)
	if rt.Main || len(rt.Associations) > 0 {
		return AWSErr("DependencyViolation", "The routeTable '%s' has dependencies and cannot be deleted.", rtbID)
	}
	delete(tx.w.rtbs, rtbID)
	return nil
}
