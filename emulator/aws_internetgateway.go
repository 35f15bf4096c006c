package emulator

// InternetGateway is a VPC's door to the internet. Routes that target it (TargetIGW) are
// active only while it is attached to the route table's VPC; a VPC has at most one.
type InternetGateway struct {
	ID      string
	Account string
	Region  string
	VPCID   string // the attached VPC; empty while detached
	Tags    Tags
}

// InternetGateway returns an internet gateway by id, or nil.
func (tx *Tx) InternetGateway(id string) *InternetGateway { return tx.w.igws[id] }

// InternetGateways returns every internet gateway, ordered by id.
func (tx *Tx) InternetGateways() []*InternetGateway { return ordered(tx.w.igws) }

func (tx *Tx) callerIGW(c Caller, id string) (*InternetGateway, error) {
	g := tx.w.igws[id]
	if g == nil || !c.owns(g.Account, g.Region) {
		return nil, AWSErr("InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist", id)
	}
	return g, nil
}

// CreateInternetGateway creates a detached internet gateway: nothing in the data plane sees
// it until it is attached.
func (tx *Tx) CreateInternetGateway(c Caller, tags Tags) (*InternetGateway, error) {
	tx.mustWriteModel(&tx.w.igws, &tx.w.accounts)
	tx.ensureAccount(c.Account, "customer")
	g := &InternetGateway{ID: tx.NewID("igw"), Account: c.Account, Region: c.Region, Tags: cloneTags(tags)}
	tx.w.igws[g.ID] = g
	return g, nil
}

// AttachInternetGateway attaches a gateway to a VPC of the caller: routes to it turn active.
func (tx *Tx) AttachInternetGateway(c Caller, igwID, vpcID string) error {
	g, err := tx.callerIGW(c, igwID)
	if err != nil {
		return err
	}
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if g.VPCID != "" {
		return AWSErr("Resource.AlreadyAssociated", "resource %s is already attached to network %s", g.ID, g.VPCID)
	}
	for _, o := range tx.w.igws {
		if o.VPCID == vpcID {
			return AWSErr("Resource.AlreadyAssociated", "Network %s already has an internet gateway attached", vpcID)
		}
	}
	tx.mustWriteFor(Changed{"internet-gateway", vpcID}, g)
	g.VPCID = vpcID
	return nil
}

// DetachInternetGateway detaches a gateway from the VPC it is attached to; routes to it turn
// blackhole.
func (tx *Tx) DetachInternetGateway(c Caller, igwID, vpcID string) error {
	g, err := tx.callerIGW(c, igwID)
	if err != nil {
		return err
	}
	if v := tx.w.vpcs[vpcID]; v == nil || !c.owns(v.Account, v.Region) {
		return AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if g.VPCID != vpcID {
		return AWSErr("Gateway.NotAttached", "resource %s is not attached to network %s", g.ID, vpcID)
	}
	if tx.hasMappedPublicAddrs(vpcID) {
		return AWSErr("DependencyViolation", "Network %s has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.", vpcID)
	}
	tx.mustWriteFor(Changed{"internet-gateway", vpcID}, g)
	g.VPCID = ""
	return nil
}

// DeleteInternetGateway deletes a detached gateway, which nothing in the data plane sees.
func (tx *Tx) DeleteInternetGateway(c Caller, igwID string) error {
	tx.mustWriteModel(&tx.w.igws)
	g, err := tx.callerIGW(c, igwID)
	if err != nil {
		return err
	}
	if g.VPCID != "" {
		return AWSErr("DependencyViolation", "The internetGateway '%s' has dependencies and cannot be deleted.", g.ID)
	}
	delete(tx.w.igws, igwID)
	return nil
}

// hasMappedPublicAddrs reports whether an Elastic IP is mapped into a VPC: associated with one
// of its instances or held by one of its live NAT gateways.
func (tx *Tx) hasMappedPublicAddrs(vpcID string) bool {
	for _, e := range tx.w.eips {
		if i := tx.w.instances[e.InstanceID]; i != nil && i.VPCID == vpcID && i.State != "terminated" {
			return true
		}
		if n := tx.w.natgws[e.NatGatewayID]; n != nil && n.VPCID == vpcID && n.Live() {
			return true
		}
		if n := tx.w.enis[e.NetworkInterfaceID]; n != nil && n.VPCID == vpcID {
			return true
		}
	}
	return false
}
