package emulator

import (
	"fmt"
	"net/netip"
	"strings"
)

// Caller identifies who makes an AWS request: the account the access key belongs to and the
// region of the signature scope.
type Caller struct {
	Account string
	Region  string
}

func (tx *Tx) ensureAccount(id, kind string) *Account { return tx.w.ensureAccount(id, kind) }

func (w *World) ensureAccount(id, kind string) *Account {
	if a := w.accounts[id]; a != nil {
		return a
	}
	a := &Account{ID: id, Kind: kind}
	w.accounts[id] = a
	return a
}

// AddAccessKey registers credentials for an account, creating the account if needed.
func (tx *Tx) AddAccessKey(k AccessKey) {
	tx.mustWrite()
	tx.ensureAccount(k.Account, "customer")
	kk := k
	tx.w.keys[k.ID] = &kk
}

// AccessKey looks up credentials by access key id.
func (tx *Tx) AccessKey(id string) *AccessKey { return tx.w.keys[id] }

// Account looks up an account.
func (tx *Tx) Account(id string) *Account { return tx.w.accounts[id] }

// VPC returns a VPC by id, or nil.
func (tx *Tx) VPC(id string) *VPC { return tx.w.vpcs[id] }

// Subnet returns a subnet by id, or nil.
func (tx *Tx) Subnet(id string) *Subnet { return tx.w.subnets[id] }

// RouteTable returns a route table by id, or nil.
func (tx *Tx) RouteTable(id string) *RouteTable { return tx.w.rtbs[id] }

// SecurityGroup returns a security group by id, or nil.
func (tx *Tx) SecurityGroup(id string) *SecurityGroup { return tx.w.sgs[id] }

// Instance returns an instance by id, or nil.
func (tx *Tx) Instance(id string) *Instance { return tx.w.instances[id] }

// Peering returns a peering connection by id, or nil.
func (tx *Tx) Peering(id string) *Peering { return tx.w.pcxs[id] }

// VPCs returns every VPC, ordered by id.
func (tx *Tx) VPCs() []*VPC { return ordered(tx.w.vpcs) }

// Subnets returns every subnet, ordered by id.
func (tx *Tx) Subnets() []*Subnet { return ordered(tx.w.subnets) }

// RouteTables returns every route table, ordered by id.
func (tx *Tx) RouteTables() []*RouteTable { return ordered(tx.w.rtbs) }

// SecurityGroups returns every security group, ordered by id.
func (tx *Tx) SecurityGroups() []*SecurityGroup { return ordered(tx.w.sgs) }

// Instances returns every instance, ordered by id.
func (tx *Tx) Instances() []*Instance { return ordered(tx.w.instances) }

// Peerings returns every peering connection, ordered by id.
func (tx *Tx) Peerings() []*Peering { return ordered(tx.w.pcxs) }

func ordered[V any](m map[string]*V) []*V {
	out := make([]*V, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

// owned reports whether a resource of account/region is visible to the caller.
func (c Caller) owns(account, region string) bool { return c.Account == account && c.Region == region }

// VPCOptions are the optional parts of CreateVPC.
type VPCOptions struct {
	ID      string // empty generates one
	Tags    Tags
	Role    VPCRole
	SpaceID string
}

// CreateVPC creates a VPC with its main route table (local route only), default security group
// (inbound from itself, all outbound) and a DHCP options id. The CIDR must be /16 to /28.
func (tx *Tx) CreateVPC(c Caller, cidr netip.Prefix, o VPCOptions) (*VPC, error) {
	tx.mustWrite()
	if !cidr.IsValid() || !cidr.Addr().Is4() {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	if cidr.Bits() < 16 || cidr.Bits() > 28 {
		return nil, AWSErr("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
	}
	if o.ID != "" && tx.w.idTaken(o.ID) {
		return nil, AWSErr("InvalidParameterValue", "id %s is already in use", o.ID)
	}
	tx.ensureAccount(c.Account, "customer")
	id := o.ID
	if id == "" {
		id = tx.NewID("vpc")
	}
	v := &VPC{
		ID: id, Account: c.Account, Region: c.Region, CIDR: cidr.Masked(),
		CIDRAssociationID: tx.NewID("vpc-cidr-assoc"), State: "available",
		DHCPOptionsID: "dopt-" + tx.w.hex(17), EnableDNSSupport: true,
		Tags: cloneTags(o.Tags), Role: o.Role, SpaceID: o.SpaceID, CreatedAt: tx.now,
	}
	if v.Role == RoleNone {
		v.Role = RoleCustomer
	}
	tx.w.vpcs[id] = v
	rt := &RouteTable{ID: tx.NewID("rtb"), Account: c.Account, Region: c.Region, VPCID: id, Main: true, Tags: Tags{}}
	tx.w.rtbs[rt.ID] = rt
	rt.MainAssociationID = tx.NewID("rtbassoc")
	v.MainRouteTableID = rt.ID
	sg := &SecurityGroup{ID: tx.NewID("sg"), Account: c.Account, Region: c.Region, VPCID: id,
		Name: "default", Description: "default VPC security group", Tags: Tags{}}
	tx.w.sgs[sg.ID] = sg
	sg.Ingress = []*SGRule{{ID: tx.NewID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1,
		Group: &GroupRef{GroupID: sg.ID, UserID: c.Account}}}
	sg.Egress = []*SGRule{{ID: tx.NewID("sgr"), Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0")}}
	v.DefaultSecurityGroupID = sg.ID
	v.DefaultNetworkACLID = tx.newNetworkACL(c, id, true, Tags{}).ID
	return v, nil
}

// SubnetOptions are the optional parts of CreateSubnet.
type SubnetOptions struct {
	ID   string
	AZ   string // empty picks the region's first zone
	Tags Tags
}

// CreateSubnet creates a subnet inside a VPC's CIDR that overlaps no other subnet of it.
func (tx *Tx) CreateSubnet(c Caller, vpcID string, cidr netip.Prefix, o SubnetOptions) (*Subnet, error) {
	tx.mustWrite()
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if !cidr.IsValid() || !cidr.Addr().Is4() {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	cidr = cidr.Masked()
	if cidr.Bits() < 16 || cidr.Bits() > 28 || !v.CIDR.Contains(cidr.Addr()) || cidr.Bits() < v.CIDR.Bits() {
		return nil, AWSErr("InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr)
	}
	for _, s := range tx.w.subnets {
		if s.VPCID == vpcID && s.CIDR.Overlaps(cidr) {
			return nil, AWSErr("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", cidr)
		}
	}
	az := o.AZ
	if az == "" {
		az = c.Region + defaultAZ
	}
	if !strings.HasPrefix(az, c.Region) {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %sa, %sb, %sc.", az, c.Region, c.Region, c.Region)
	}
	id := o.ID
	if id == "" {
		id = tx.NewID("subnet")
	} else if tx.w.idTaken(id) {
		return nil, AWSErr("InvalidParameterValue", "id %s is already in use", id)
	}
	s := &Subnet{ID: id, Account: v.Account, Region: v.Region, VPCID: vpcID, CIDR: cidr, AZ: az, Tags: cloneTags(o.Tags), CreatedAt: tx.now}
	tx.w.subnets[id] = s
	// Every subnet is associated with exactly one network ACL: the VPC's default to begin with.
	acl := tx.w.nacls[v.DefaultNetworkACLID]
	acl.Associations = append(acl.Associations, &NetworkACLAssociation{ID: tx.NewID("aclassoc"), SubnetID: id})
	return s, nil
}

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

// SubnetsOf returns the subnets of a VPC, ordered by id.
func (tx *Tx) SubnetsOf(vpcID string) []*Subnet {
	var out []*Subnet
	for _, s := range tx.Subnets() {
		if s.VPCID == vpcID {
			out = append(out, s)
		}
	}
	return out
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
	}
	return "blackhole"
}

// LocalRoutes returns the implicit local route(s) of a table.
func (tx *Tx) LocalRoutes(rt *RouteTable) []*Route {
	v := tx.w.vpcs[rt.VPCID]
	return []*Route{{Dst: v.CIDR, Kind: TargetLocal, Target: "local", Origin: "CreateRouteTable"}}
}

// RouteTarget names where CreateRoute/ReplaceRoute should point.
type RouteTarget struct {
	PeeringID string
	GatewayID string
}

func (tx *Tx) resolveTarget(c Caller, rt *RouteTable, t RouteTarget) (TargetKind, string, error) {
	switch {
	case t.PeeringID != "" && t.GatewayID != "":
		return "", "", AWSErr("InvalidParameterCombination", "The parameter gatewayId cannot be used with the parameter vpcPeeringConnectionId")
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
	if !dst.IsValid() || !dst.Addr().Is4() || dst.Masked() != dst {
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", raw)
	}
	return nil
}

// CreateRoute adds a route to a table. A destination equal to the local route, or one already
// present, is refused with EC2's errors. A route to a peering that is not active is accepted
// and shows as blackhole.
func (tx *Tx) CreateRoute(c Caller, rtbID string, dst netip.Prefix, t RouteTarget) error {
	tx.mustWrite()
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	if err := checkRouteDst(dst, dst.String()); err != nil {
		return err
	}
	for _, r := range append(tx.LocalRoutes(rt), rt.Routes...) {
		if r.Dst == dst {
			return AWSErr("RouteAlreadyExists", "The route identified by %s already exists.", dst)
		}
	}
	if v := tx.w.vpcs[rt.VPCID]; v.CIDR.Overlaps(dst) && dst.Bits() >= v.CIDR.Bits() {
		return AWSErr("InvalidParameterValue", "The destination CIDR block %s is equal to or more specific than one of this VPC's CIDR blocks. This route can target only an interface or an instance.", dst)
	}
	kind, target, err := tx.resolveTarget(c, rt, t)
	if err != nil {
		return err
	}
	rt.Routes = append(rt.Routes, &Route{Dst: dst, Kind: kind, Target: target, Origin: "CreateRoute"})
	return nil
}

// ReplaceRoute points an existing route at a new target.
func (tx *Tx) ReplaceRoute(c Caller, rtbID string, dst netip.Prefix, t RouteTarget) error {
	tx.mustWrite()
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
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
	tx.mustWrite()
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	if err := checkRouteDst(dst, dst.String()); err != nil {
		return err
	}
	for _, r := range tx.LocalRoutes(rt) {
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
	return AWSErr("InvalidRoute.NotFound", "no route with destination-cidr-block %s in route table %s", dst, rtbID)
}

// InstanceOptions are the parts of RunInstances spacelab models.
type InstanceOptions struct {
	ID               string
	PrivateIP        netip.Addr // zero picks the first free address
	SecurityGroupIDs []string   // empty means the VPC's default group
	ImageID          string
	InstanceType     string
	KeyName          string
	ClientToken      string
	Tags             Tags
	Services         []Service
	// PublicIP asks for a public IPv4 address (AssociatePublicIpAddress).
	PublicIP bool
	// Attributes nil means DefaultInstanceAttributes.
	Attributes *InstanceAttributes
}

// RunInstance launches one instance in a subnet. It is running at once: the data plane gives it
// a namespace at the next reconcile.
func (tx *Tx) RunInstance(c Caller, subnetID string, o InstanceOptions) (*Instance, error) {
	tx.mustWrite()
	s := tx.w.subnets[subnetID]
	if s == nil || !c.owns(s.Account, s.Region) {
		return nil, AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnetID)
	}
	groups := o.SecurityGroupIDs
	if len(groups) == 0 {
		groups = []string{tx.w.vpcs[s.VPCID].DefaultSecurityGroupID}
	}
	for _, g := range groups {
		sg := tx.w.sgs[g]
		if sg == nil || !c.owns(sg.Account, sg.Region) {
			return nil, AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", g)
		}
		if sg.VPCID != s.VPCID {
			return nil, AWSErr("InvalidParameter", "Security group %s and subnet %s belong to different networks.", g, subnetID)
		}
	}
	ip := o.PrivateIP
	if ip.IsValid() {
		if !s.CIDR.Contains(ip) || ip.Compare(nthAddr(s.CIDR, 4)) < 0 || ip == lastAddr(s.CIDR) {
			return nil, AWSErr("InvalidParameterValue", "Address %s is not in a valid range for subnet %s.", ip, subnetID)
		}
		if tx.addrInUse(s.VPCID, ip) {
			return nil, AWSErr("InvalidIPAddress.InUse", "Address %s is in use.", ip)
		}
	} else {
		for a := nthAddr(s.CIDR, 4); s.CIDR.Contains(a) && a != lastAddr(s.CIDR); a = a.Next() {
			if !tx.addrInUse(s.VPCID, a) {
				ip = a
				break
			}
		}
		if !ip.IsValid() {
			return nil, AWSErr("InsufficientFreeAddressesInSubnet", "Insufficient free IP addresses in subnet %s", subnetID)
		}
	}
	id := o.ID
	if id == "" {
		id = tx.NewID("i")
	} else if tx.w.idTaken(id) {
		return nil, AWSErr("InvalidParameterValue", "id %s is already in use", id)
	}
	inst := &Instance{
		ID: id, Account: s.Account, Region: s.Region, VPCID: s.VPCID, SubnetID: s.ID, PrivateIP: ip,
		SecurityGroupIDs: append([]string(nil), groups...), State: "running",
		ImageID: orDefault(o.ImageID, "ami-0abcdef1234567890"), InstanceType: orDefault(o.InstanceType, "t3.micro"),
		KeyName: o.KeyName, LaunchTime: tx.now, ENIID: tx.NewID("eni"), ENIAttachmentID: tx.NewID("eni-attach"),
		MAC:           fmt.Sprintf("02:%s:%s:%s:%s:%s", tx.w.hex(2), tx.w.hex(2), tx.w.hex(2), tx.w.hex(2), tx.w.hex(2)),
		ReservationID: tx.NewID("r"), ClientToken: o.ClientToken, Tags: cloneTags(o.Tags),
		Services: append([]Service(nil), o.Services...),
	}
	inst.Attributes = DefaultInstanceAttributes()
	if o.Attributes != nil {
		if err := o.Attributes.Validate(); err != nil {
			return nil, err
		}
		inst.Attributes = *o.Attributes
	}
	if o.PublicIP {
		inst.PublicIP = tx.newPublicAddr()
	}
	tx.w.instances[id] = inst
	return inst, nil
}

func (tx *Tx) addrInUse(vpcID string, a netip.Addr) bool {
	for _, i := range tx.w.instances {
		if i.VPCID == vpcID && i.PrivateIP == a && i.State != "terminated" {
			return true
		}
	}
	v := tx.w.vpcs[vpcID]
	if v != nil && v.SpaceID != "" {
		if sp := tx.w.spaces[v.SpaceID]; sp != nil {
			return tx.spaceAddrInUse(sp, a)
		}
	}
	return false
}

// InstancesIn returns the live instances in a security group.
func (tx *Tx) InstancesIn(groupID string) []*Instance {
	var out []*Instance
	for _, i := range tx.Instances() {
		if i.State == "terminated" {
			continue
		}
		for _, g := range i.SecurityGroupIDs {
			if g == groupID {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func cloneTags(t Tags) Tags {
	out := Tags{}
	for k, v := range t {
		out[k] = v
	}
	return out
}
