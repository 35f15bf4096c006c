package emulator

import "net/netip"

// ElasticIP is an Elastic IP address (domain vpc): a public address from the emulator's public
// pool that an account keeps until it releases it. Associated with an instance it replaces the
// instance's own public IP (the internet gateway maps it one to one); held by a NAT gateway it is
// the address the gateway's traffic leaves from.
type ElasticIP struct {
	AllocationID string // eipalloc-…
	Account      string
	Region       string
	PublicIP     netip.Addr
	// AssociationID (eipassoc-…) and InstanceID are set while associated with an instance;
	// NatGatewayID while a NAT gateway holds it (a NAT gateway's association is its own).
	AssociationID string
	InstanceID    string
	NatGatewayID  string
	// NetworkInterfaceID is set (with AssociationID, and InstanceID empty) while the address is
	// associated with an interface that is not an instance's primary one: it follows the
	// interface, reaching whichever instance the interface is attached to.
	NetworkInterfaceID string
	Tags               Tags
}

// Associated reports whether the address is in use by an instance, an interface or a NAT gateway.
func (e *ElasticIP) Associated() bool {
	return e.InstanceID != "" || e.NatGatewayID != "" || e.NetworkInterfaceID != ""
}

// ENIElasticIP returns the Elastic IP associated with a (non-primary) interface, or nil.
func (tx *Tx) ENIElasticIP(eniID string) *ElasticIP {
	for _, e := range tx.w.eips {
		if e.NetworkInterfaceID == eniID {
			return e
		}
	}
	return nil
}

// dropENIAddress disassociates the Elastic IP of an interface that is being deleted.
func (tx *Tx) dropENIAddress(eniID string) {
	if e := tx.ENIElasticIP(eniID); e != nil {
		e.NetworkInterfaceID, e.AssociationID = "", ""
	}
}

// vpcHasIGW reports whether an internet gateway is attached to the VPC.
func (tx *Tx) vpcHasIGW(vpcID string) bool {
	for _, g := range tx.w.igws {
		if g.VPCID == vpcID {
			return true
		}
	}
	return false
}

// AssociateAddressENI associates an Elastic IP with an interface that is not an instance's
// primary one (an instance's primary interface is AssociateAddress with its instance), at its
// private address (priv, if valid, must be it). The interface may be available or attached;
// the address reaches the instance it is attached to. An address in use elsewhere is refused
// unless allowReassociation; an interface that already has an Elastic IP gives it up for the
// new one. The interface's VPC needs an internet gateway.
func (tx *Tx) AssociateAddressENI(c Caller, allocationID, eniID string, priv netip.Addr, allowReassociation bool) (string, error) {
	e, err := tx.callerEIP(c, allocationID)
	if err != nil {
		return "", err
	}
	n := tx.w.enis[eniID]
	if n == nil || !c.owns(n.Account, n.Region) {
		return "", AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", eniID)
	}
	if priv.IsValid() && priv != n.PrivateIP {
		return "", AWSErr("InvalidParameterValue", "Value (%s) for parameter privateIpAddress is invalid. It is not assigned to the network interface %s.", priv, eniID)
	}
	if e.NatGatewayID != "" {
		return "", AWSErr("Resource.AlreadyAssociated", "resource %s is already associated with associate-id %s", allocationID, e.NatGatewayID)
	}
	if e.NetworkInterfaceID == eniID {
		tx.mustWriteModel(e) // changes nothing
		return e.AssociationID, nil
	}
	if e.Associated() && !allowReassociation {
		return "", AWSErr("Resource.AlreadyAssociated", "resource %s is already associated with associate-id %s", allocationID, e.AssociationID)
	}
	if !tx.vpcHasIGW(n.VPCID) {
		return "", AWSErr("Gateway.NotAttached", "Network %s is not attached to any internet gateway", n.VPCID)
	}
	// The mapping the address had goes; on the interface it replaces the interface's own
	// address, both reaching the instance the interface is attached to.
	tx.mustWriteModel(e)
	tx.eipMapping(e)
	if old := tx.ENIElasticIP(eniID); old != nil {
		tx.mustWriteModel(old)
	}
	if i := n.attachedTo(); i != "" {
		tx.networkChange(Changed{"instance", i})
	}
	tx.dropENIAddress(eniID)
	e.InstanceID, e.NetworkInterfaceID, e.AssociationID = "", eniID, tx.NewID("eipassoc")
	return e.AssociationID, nil
}

// ElasticIP returns an address by allocation id, or nil.
func (tx *Tx) ElasticIP(id string) *ElasticIP { return tx.w.eips[id] }

// ElasticIPs returns every Elastic IP, ordered by allocation id.
func (tx *Tx) ElasticIPs() []*ElasticIP { return ordered(tx.w.eips) }

// InstanceElasticIP returns the Elastic IP associated with an instance, or nil.
func (tx *Tx) InstanceElasticIP(instanceID string) *ElasticIP {
	for _, e := range tx.w.eips {
		if e.InstanceID == instanceID {
			return e
		}
	}
	return nil
}

// PublicIPOf is the address an instance has on the internet: its Elastic IP if one is
// associated, else the public IP it was launched with, else none.
func (tx *Tx) PublicIPOf(i *Instance) netip.Addr {
	if e := tx.InstanceElasticIP(i.ID); e != nil {
		return e.PublicIP
	}
	return i.PublicIP
}

func (tx *Tx) callerEIP(c Caller, id string) (*ElasticIP, error) {
	e := tx.w.eips[id]
	if e == nil || !c.owns(e.Account, e.Region) {
		return nil, AWSErr("InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist", id)
	}
	return e, nil
}

// EIPByPublicIP returns the caller's Elastic IP with a public address, or InvalidAddress.NotFound.
func (tx *Tx) EIPByPublicIP(c Caller, raw string) (*ElasticIP, error) {
	a, err := netip.ParseAddr(raw)
	if err == nil {
		for _, e := range tx.w.eips {
			if e.PublicIP == a && c.owns(e.Account, e.Region) {
				return e, nil
			}
		}
	}
	return nil, AWSErr("InvalidAddress.NotFound", "Address '%s' not found.", raw)
}

// AllocateAddress allocates an Elastic IP from the public pool.
//
// An address associated with nothing is in no host's configuration: the data plane does not
// see it.
func (tx *Tx) AllocateAddress(c Caller, tags Tags) (*ElasticIP, error) {
	tx.mustWriteModel(&tx.w.eips, &tx.w.accounts)
	tx.ensureAccount(c.Account, "customer")
	n := 0
	for _, e := range tx.w.eips {
		if e.Account == c.Account && e.Region == c.Region {
			n++
		}
	}
	if q := tx.Quotas().ElasticIPsPerRegion; n >= q {
		return nil, AWSErr("AddressLimitExceeded", "The maximum number of addresses has been reached.")
	}
	e := &ElasticIP{AllocationID: tx.NewID("eipalloc"), Account: c.Account, Region: c.Region, PublicIP: tx.newPublicAddr(), Tags: cloneTags(tags)}
	tx.w.eips[e.AllocationID] = e
	return e, nil
}

// AssociateAddress associates an Elastic IP with an instance and returns the association id.
// An address already in use is refused unless allowReassociation; an instance that already has
// an Elastic IP gives it up for the new one. The instance's VPC needs an internet gateway.
func (tx *Tx) AssociateAddress(c Caller, allocationID, instanceID string, allowReassociation bool) (string, error) {
	e, err := tx.callerEIP(c, allocationID)
	if err != nil {
		return "", err
	}
	i := tx.w.instances[instanceID]
	if i == nil || !c.owns(i.Account, i.Region) || i.State == "terminated" {
		return "", AWSErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", instanceID)
	}
	if e.NatGatewayID != "" {
		return "", AWSErr("Resource.AlreadyAssociated", "resource %s is already associated with associate-id %s", allocationID, e.NatGatewayID)
	}
	if e.InstanceID == instanceID {
		return e.AssociationID, nil
	}
	if e.InstanceID != "" && !allowReassociation {
		return "", AWSErr("Resource.AlreadyAssociated", "resource %s is already associated with associate-id %s", allocationID, e.AssociationID)
	}
	attached := false
	for _, g := range tx.w.igws {
		attached = attached || g.VPCID == i.VPCID
	}
	if !attached {
		return "", AWSErr("Gateway.NotAttached", "Network %s is not attached to any internet gateway", i.VPCID)
	}
	// The instance's public mapping changes, and so does that of whatever held the address.
	tx.mustWriteFor(Changed{"instance", instanceID}, e)
	tx.eipMapping(e)
	if old := tx.InstanceElasticIP(instanceID); old != nil {
		tx.mustWriteModel(old)
		old.InstanceID, old.AssociationID = "", ""
	}
	e.InstanceID, e.NetworkInterfaceID, e.AssociationID = instanceID, "", tx.NewID("eipassoc")
	return e.AssociationID, nil
}

// DisassociateAddress ends an instance's or an interface's association by its id. A NAT gateway's address cannot
// be disassociated: delete the gateway.
func (tx *Tx) DisassociateAddress(c Caller, associationID string) error {
	for _, e := range tx.w.eips {
		if e.AssociationID == associationID && c.owns(e.Account, e.Region) {
			if e.NatGatewayID != "" {
				return AWSErr("AuthFailure", "You do not have permission to access the specified resource.")
			}
			tx.mustWriteModel(e)
			tx.eipMapping(e)
			e.InstanceID, e.NetworkInterfaceID, e.AssociationID = "", "", ""
			return nil
		}
	}
	return AWSErr("InvalidAssociationID.NotFound", "The association ID '%s' does not exist", associationID)
}

// ReleaseAddress returns an Elastic IP to the pool. One in use must be disassociated first.
//
// Only an address associated with nothing can go: the data plane does not see it.
func (tx *Tx) ReleaseAddress(c Caller, allocationID string) error {
	tx.mustWriteModel(&tx.w.eips)
	e, err := tx.callerEIP(c, allocationID)
	if err != nil {
		return err
	}
	if e.Associated() {
		return AWSErr("InvalidIPAddress.InUse", "Address %s is in use.", e.PublicIP)
	}
	delete(tx.w.eips, allocationID)
	return nil
}

// eipMapping names the data-plane change of an Elastic IP's current mapping going away or
// moving: the instance it is associated with, or that its interface is attached to (the
// public address, which its VPC's router and the internet map). An address on an interface
// attached to nothing maps nowhere.
func (tx *Tx) eipMapping(e *ElasticIP) {
	switch {
	case e.NetworkInterfaceID != "":
		if n := tx.w.enis[e.NetworkInterfaceID]; n != nil && n.attachedTo() != "" {
			tx.networkChange(Changed{"instance", n.attachedTo()})
		}
	case e.InstanceID != "":
		tx.networkChange(Changed{"instance", e.InstanceID})
	}
}
