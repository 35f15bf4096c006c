package emulator

import (
	"net/netip"
	"time"
)

// VPCRole says who a VPC belongs to in the story.
type VPCRole string

const (
	RoleCustomer VPCRole = "customer"   // a user's own VPC
	RoleSpace    VPCRole = "space"      // the Heroku-managed VPC of a Private Space
	RoleData     VPCRole = "space-data" // the Heroku-managed VPC holding a space's data services
	RoleNone     VPCRole = ""           // unknown
	peeringTTL           = 7 * 24 * time.Hour
)

// VPC is a virtual private cloud.
type VPC struct {
	ID                string
	Account           string
	Region            string
	CIDR              netip.Prefix
	CIDRAssociationID string
	// Secondary are the IPv4 blocks associated after creation (aws_vpcipv4cidr.go).
	Secondary                  []*VPCCIDRBlock
	State                      string // available
	IsDefault                  bool
	DHCPOptionsID              string
	MainRouteTableID           string
	DefaultSecurityGroupID     string
	DefaultNetworkACLID        string
	EnableDNSSupport           bool
	EnableDNSHostnames         bool
	NetworkAddressUsageMetrics bool
	Tags                       Tags
	Role                       VPCRole
	SpaceID                    string // for RoleSpace and RoleData
	CreatedAt                  time.Time
}

// ResolverAddr is the AmazonProvidedDNS address: the VPC's base address plus two.
func (v *VPC) ResolverAddr() netip.Addr { return nthAddr(v.CIDR, 2) }

// VPC returns a VPC by id, or nil.
func (tx *Tx) VPC(id string) *VPC { return tx.w.vpcs[id] }

// VPCs returns every VPC, ordered by id.
func (tx *Tx) VPCs() []*VPC { return ordered(tx.w.vpcs) }

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
	if !cidr.IsValid() || !cidr.Addr().Is4() {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	if cidr.Bits() < 16 || cidr.Bits() > 28 {
		return nil, AWSErr("InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr)
	}
	if o.ID != "" && tx.idTaken(o.ID) {
		return nil, AWSErr("InvalidParameterValue", "id %s is already in use", o.ID)
	}
	id := o.ID
	if id == "" {
		id = tx.NewID("vpc")
	}
	// A new VPC router with its link to the internet; its table, group and ACL filter
	// nothing yet (no subnets).
	tx.mustWriteFor(Changed{"vpc", id}, &tx.w.vpcs, &tx.w.rtbs, &tx.w.sgs, &tx.w.nacls, &tx.w.dopts, &tx.w.accounts)
	tx.ensureAccount(c.Account, "customer")
	tx.tookID(id)
	v := &VPC{
		ID: id, Account: c.Account, Region: c.Region, CIDR: cidr.Masked(),
		CIDRAssociationID: tx.NewID("vpc-cidr-assoc"), State: "available",
		DHCPOptionsID: tx.defaultDHCPOptions(c.Account, c.Region, "dopt-"+tx.w.hex(17)), EnableDNSSupport: true,
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

// DeleteVPC deletes a VPC that has nothing left in it but its main route table, default
// security group and default network ACL. Subnets, an attached internet gateway, other
// security groups, route tables or network ACLs, and a pending peering request from another
// account make it a DependencyViolation. Its active peerings are deleted with it, and its own
// pending requests too, as the console does.
func (tx *Tx) DeleteVPC(c Caller, id string) error {
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
	if tx.attachedVGW(id) != nil {
		return dep
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
	// Its router and wan link go, and the peerings it ends stop routing on the other side.
	ended := tx.unendedPeeringsOf(id)
	what := []any{&tx.w.vpcs, &tx.w.rtbs, &tx.w.sgs, &tx.w.nacls, &tx.w.ipv6}
	for _, p := range ended {
		what = append(what, p)
	}
	tx.mustWriteFor(Changed{"vpc", id}, what...)
	tx.endPeerings(ended, c.Account)
	delete(tx.w.rtbs, v.MainRouteTableID)
	delete(tx.w.sgs, v.DefaultSecurityGroupID)
	delete(tx.w.nacls, v.DefaultNetworkACLID)
	delete(tx.w.vpcs, id)
	tx.dropIPv6Of(id)
	return nil
}
