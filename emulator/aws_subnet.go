package emulator

import (
	"net/netip"
	"slices"
	"time"
)

// Subnet is a subnet of a VPC in one availability zone.
type Subnet struct {
	ID        string
	Account   string
	Region    string
	VPCID     string
	CIDR      netip.Prefix
	AZ        string
	Tags      Tags
	CreatedAt time.Time
	// Launch settings (ModifySubnetAttribute): MapPublicIPOnLaunch gives instances launched
	// here a public address unless the launch says otherwise.
	MapPublicIPOnLaunch bool
	EnableDNS64         bool
	HostnameType        string // ip-name (default) or resource-name
	ResourceNameARecord bool
	// DefaultForAZ marks the default subnet of its zone in a default VPC.
	DefaultForAZ bool
}

// GatewayAddr is the VPC router's address in the subnet (base + 1).
func (s *Subnet) GatewayAddr() netip.Addr { return nthAddr(s.CIDR, 1) }

// Subnet returns a subnet by id, or nil.
func (tx *Tx) Subnet(id string) *Subnet { return tx.w.subnets[id] }

// Subnets returns every subnet, ordered by id.
func (tx *Tx) Subnets() []*Subnet { return ordered(tx.w.subnets) }

// SubnetOptions are the optional parts of CreateSubnet.
type SubnetOptions struct {
	ID   string
	AZ   string // empty picks the region's first zone
	Tags Tags
}

// CreateSubnet creates a subnet inside one of a VPC's IPv4 CIDR blocks that overlaps no other subnet of it.
//
// The subnet changes its VPC's routing (the router's subnets and their table associations)
// and joins the VPC's default network ACL.
func (tx *Tx) CreateSubnet(c Caller, vpcID string, cidr netip.Prefix, o SubnetOptions) (*Subnet, error) {
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if !cidr.IsValid() || !cidr.Addr().Is4() {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	cidr = cidr.Masked()
	if cidr.Bits() < 16 || cidr.Bits() > 28 || !v.BlockOf(cidr).IsValid() {
		return nil, AWSErr("InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr)
	}
	for _, s := range tx.w.subnets {
		if s.VPCID == vpcID && s.CIDR.Overlaps(cidr) {
			return nil, AWSErr("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", cidr)
		}
	}
	az := o.AZ
	zones := zoneNames(c.Region)
	if az == "" && len(zones) > 0 {
		az = zones[0]
	}
	if !slices.Contains(zones, az) {
		return nil, ErrZone(c.Region, az)
	}
	id := o.ID
	if id == "" {
		id = tx.NewID("subnet")
	} else if tx.idTaken(id) {
		return nil, AWSErr("InvalidParameterValue", "id %s is already in use", id)
	}
	acl := tx.w.nacls[v.DefaultNetworkACLID]
	tx.mustWriteFor(Changed{"route-table", vpcID}, &tx.w.subnets, acl)
	tx.tookID(id)
	s := &Subnet{ID: id, Account: v.Account, Region: v.Region, VPCID: vpcID, CIDR: cidr, AZ: az, Tags: cloneTags(o.Tags), CreatedAt: tx.now}
	tx.w.subnets[id] = s
	// Every subnet is associated with exactly one network ACL: the VPC's default to begin with.
	acl.Associations = append(acl.Associations, &NetworkACLAssociation{ID: tx.NewID("aclassoc"), SubnetID: id})
	return s, nil
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

// DeleteSubnet deletes a subnet without running instances; its route table and network ACL
// associations go with it.
func (tx *Tx) DeleteSubnet(c Caller, id string) error {
	s := tx.w.subnets[id]
	if s == nil || !c.owns(s.Account, s.Region) {
		return AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
	}
	for _, i := range tx.w.instances {
		if i.SubnetID == id && i.State != "terminated" {
			return AWSErr("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
		}
	}
	for _, n := range tx.w.enis {
		if n.SubnetID == id {
			return AWSErr("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
		}
	}
	if len(tx.liveNatGatewaysIn(id)) > 0 {
		return AWSErr("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
	}
	for _, sp := range tx.w.spaces {
		for _, d := range sp.DynoSubnetIDs {
			if d == id {
				return AWSErr("DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id)
			}
		}
	}
	// What goes: the subnet, its associations (tables and ACLs of its VPC) and its IPv6
	// addresses; the VPC's routing changes.
	what := []any{&tx.w.subnets, &tx.w.ipv6}
	for _, rt := range tx.w.rtbs {
		if rt.VPCID == s.VPCID {
			what = append(what, rt)
		}
	}
	for _, n := range tx.w.nacls {
		if n.VPCID == s.VPCID {
			what = append(what, n)
		}
	}
	tx.mustWriteFor(Changed{"route-table", s.VPCID}, what...)
	for _, rt := range tx.w.rtbs {
		rt.Associations = dropWhere(rt.Associations, func(a *RouteTableAssociation) bool { return a.SubnetID == id })
	}
	for _, n := range tx.w.nacls {
		n.Associations = dropWhere(n.Associations, func(a *NetworkACLAssociation) bool { return a.SubnetID == id })
	}
	delete(tx.w.subnets, id)
	tx.dropIPv6Of(id)
	return nil
}
