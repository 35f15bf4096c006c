package emulator

import (
	"fmt"
	"net/netip"
	"time"
)

// Service is a process a host runs: spacelab's built-in programs, or a user command.
type Service struct {
	Kind    string   // "http" (built-in web server), "command"
	Port    int      // listening port
	Command []string // for Kind "command"; run with $PORT set
}

// Instance is an EC2 instance: a host with one ENI in a subnet.
type Instance struct {
	ID        string
	Account   string
	Region    string
	VPCID     string
	SubnetID  string
	PrivateIP netip.Addr
	// PublicIP is the instance's public IPv4 address, if it has one (AssociatePublicIpAddress);
	// the internet reaches it, and it reaches the internet, only through an attached internet
	// gateway and a route to it.
	PublicIP         netip.Addr
	SecurityGroupIDs []string
	State            string // pending, running, shutting-down, terminated
	ImageID          string
	InstanceType     string
	KeyName          string
	UserData         string // decoded; a script runs once at boot
	LaunchTime       time.Time
	ENIID            string
	ENIAttachmentID  string
	// ENIDescription and ENIKeepOnTermination belong to the primary interface (its
	// description; DeleteOnTermination turned off).
	ENIDescription       string
	ENIKeepOnTermination bool
	ENITags              Tags
	MAC                  string
	ReservationID        string
	ClientToken          string
	// LaunchFingerprint identifies the RunInstances request that launched the instance, so a
	// repeated ClientToken can be told apart from a conflicting one.
	LaunchFingerprint string
	LaunchIndex       int
	Tags              Tags
	Services          []Service
	Attributes        InstanceAttributes
}

// HostName is the instance's host name label, e.g. ip-172-16-0-8.
func (i *Instance) HostName() string { return IPName(i.PrivateIP) }

// IPName spells an address the way EC2 host names do: 172.16.0.8 → ip-172-16-0-8.
func IPName(a netip.Addr) string {
	b := a.As4()
	return "ip-" + itoa(int(b[0])) + "-" + itoa(int(b[1])) + "-" + itoa(int(b[2])) + "-" + itoa(int(b[3]))
}

// PrivateDNSName is the instance's private DNS name in its region.
func (i *Instance) PrivateDNSName() string { return i.HostName() + "." + InternalDomain(i.Region) }

// InternalDomain is the private DNS domain EC2 uses in a region.
func InternalDomain(region string) string {
	if region == "us-east-1" {
		return "ec2.internal"
	}
	return region + ".compute.internal"
}

// Instance returns an instance by id, or nil.
func (tx *Tx) Instance(id string) *Instance { return tx.w.instances[id] }

// Instances returns every instance, ordered by id.
func (tx *Tx) Instances() []*Instance { return ordered(tx.w.instances) }

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
	// UserData is the decoded user data; a script (#!…) runs once at boot, as cloud-init does.
	UserData string
}

// RunInstance launches one instance in a subnet. It is running at once: the data plane gives it
// a namespace at the next reconcile.
func (tx *Tx) RunInstance(c Caller, subnetID string, o InstanceOptions) (*Instance, error) {
	s := tx.w.subnets[subnetID]
	if s == nil || !c.owns(s.Account, s.Region) {
		return nil, AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnetID)
	}
	groups := o.SecurityGroupIDs
	if len(groups) == 0 {
		groups = []string{tx.w.vpcs[s.VPCID].DefaultSecurityGroupID}
	}
	if n := tx.Quotas().SecurityGroupsPerENI; len(groups) > n {
		return nil, AWSErr("SecurityGroupsPerInstanceLimitExceeded", "The maximum number of security groups per interface has been reached (%d).", n)
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
		var ok bool
		if ip, ok = tx.freeAddr(s); !ok {
			return nil, AWSErr("InsufficientFreeAddressesInSubnet", "Insufficient free IP addresses in subnet %s", subnetID)
		}
	}
	id := o.ID
	if id == "" {
		id = tx.NewID("i")
	} else if tx.idTaken(id) {
		return nil, AWSErr("InvalidParameterValue", "id %s is already in use", id)
	}
	inst := &Instance{
		ID: id, Account: s.Account, Region: s.Region, VPCID: s.VPCID, SubnetID: s.ID, PrivateIP: ip,
		SecurityGroupIDs: append([]string(nil), groups...), State: "running",
		ImageID: orDefault(o.ImageID, "ami-0abcdef1234567890"), InstanceType: orDefault(o.InstanceType, "t3.micro"),
		KeyName: o.KeyName, LaunchTime: tx.now, ENIID: tx.NewID("eni"), ENIAttachmentID: tx.NewID("eni-attach"),
		MAC:           fmt.Sprintf("02:%s:%s:%s:%s:%s", tx.w.hex(2), tx.w.hex(2), tx.w.hex(2), tx.w.hex(2), tx.w.hex(2)),
		ReservationID: tx.NewID("r"), ClientToken: o.ClientToken, Tags: cloneTags(o.Tags),
		Services: append([]Service(nil), o.Services...), UserData: o.UserData,
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
	tx.mustWriteFor(Changed{"instance", id}, &tx.w.instances)
	for _, g := range inst.SecurityGroupIDs {
		tx.networkChange(Changed{"sg-members", g})
	}
	tx.w.instances[id] = inst
	tx.tookID(id)
	tx.tookAddr(inst.VPCID, ip, inst)
	return inst, nil
}

// addrInUse reports whether an address of a VPC is taken: by a live instance, a live NAT
// gateway, a network interface or, in a Private Space's VPC, by the space.
func (tx *Tx) addrInUse(vpcID string, a netip.Addr) bool {
	if tx.addrTaken(vpcID, tx.vpcAddrs(vpcID), a) {
		return true
	}
	v := tx.w.vpcs[vpcID]
	if v != nil && v.SpaceID != "" {
		if sp := tx.w.spaces[v.SpaceID]; sp != nil {
			return tx.spaceAddrInUse(sp, a)
		}
	}
	return false
}

// addrsInUse is addrInUse for many addresses of one VPC, from the Tx's index of addresses
// (txindex.go): each address costs a lookup, not a pass over the instances.
func (tx *Tx) addrsInUse(vpcID string) func(netip.Addr) bool {
	va := tx.vpcAddrs(vpcID)
	var sp *Space
	if v := tx.w.vpcs[vpcID]; v != nil && v.SpaceID != "" {
		sp = tx.w.spaces[v.SpaceID]
	}
	return func(a netip.Addr) bool { return tx.addrTaken(vpcID, va, a) || (sp != nil && tx.spaceAddrInUse(sp, a)) }
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

// RunRequest is RunInstances' input as the model sees it.
type RunRequest struct {
	SubnetID string
	MinCount int
	MaxCount int
	Options  InstanceOptions
	// Fingerprint identifies the request's parameters (without its ClientToken); a repeated
	// ClientToken with another fingerprint is refused with IdempotentParameterMismatch.
	Fingerprint string
}

// RunInstances launches between MinCount and MaxCount instances (as many as the subnet has
// addresses for) in one reservation. A ClientToken the caller used before returns the
// instances of that earlier call instead, as EC2's idempotency does; replay reports that.
func (tx *Tx) RunInstances(c Caller, req RunRequest) (insts []*Instance, replay bool, err error) {
	if tok := req.Options.ClientToken; tok != "" {
		for _, i := range tx.Instances() {
			if i.ClientToken == tok && c.owns(i.Account, i.Region) {
				if i.LaunchFingerprint != req.Fingerprint {
					return nil, false, AWSErr("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
				}
				insts = append(insts, i)
			}
		}
		if len(insts) > 0 {
			return insts, true, nil
		}
	}
	switch {
	case req.MinCount < 1 || req.MaxCount < 1:
		return nil, false, AWSErr("InvalidParameterValue", "Value for parameter minCount and maxCount must be at least 1.")
	case req.MinCount > req.MaxCount:
		return nil, false, AWSErr("InvalidParameterValue", "Value (%d) for parameter maxCount is invalid. Must be greater than or equal to minCount (%d).", req.MaxCount, req.MinCount)
	case req.Options.PrivateIP.IsValid() && req.MaxCount > 1:
		return nil, false, AWSErr("InvalidParameterCombination", "The parameter privateIpAddress cannot be used when launching more than one instance.")
	case req.Options.ID != "" && req.MaxCount > 1:
		return nil, false, AWSErr("InvalidParameterCombination", "A fixed instance id cannot be used when launching more than one instance.")
	}
	// As AWS: a request beyond the quota launches as many as allowed if that is MinCount or
	// more, and is refused otherwise.
	count := req.MaxCount
	if q := tx.Quotas().InstancesPerRun; count > q {
		if req.MinCount > q {
			// A subnet too small for the request is reported before the quota.
			if s := tx.w.subnets[req.SubnetID]; s != nil && c.owns(s.Account, s.Region) && !tx.hasFreeAddrs(s, req.MinCount) {
				return nil, false, AWSErr("InsufficientFreeAddressesInSubnet", "Insufficient free IP addresses in subnet %s", req.SubnetID)
			}
			return nil, false, AWSErr("InstanceLimitExceeded", "You have requested more instances (%d) than your current instance limit of %d allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.", req.MinCount, q)
		}
		count = q
	}
	for n := 0; n < count; n++ {
		i, err := tx.RunInstance(c, req.SubnetID, req.Options)
		if err != nil {
			if e, ok := AsAWS(err); ok && e.Code == "InsufficientFreeAddressesInSubnet" && n >= req.MinCount {
				break
			}
			for _, done := range insts {
				delete(tx.w.instances, done.ID)
			}
			tx.freedAddrs()
			return nil, false, err
		}
		i.LaunchFingerprint, i.LaunchIndex = req.Fingerprint, n
		if n > 0 {
			i.ReservationID = insts[0].ReservationID
		}
		insts = append(insts, i)
	}
	return insts, false, nil
}

// StateChange is an instance's state before and after TerminateInstances.
type StateChange struct {
	InstanceID string
	Previous   string
	Current    string
}

// TerminateInstances terminates instances of the caller. Every id must exist first. EC2
// reports shutting-down for a running instance; the model records it terminated at once
// (its address and security group memberships are free immediately).
func (tx *Tx) TerminateInstances(c Caller, ids []string) ([]StateChange, error) {
	if len(ids) == 0 {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter instanceId")
	}
	for _, id := range ids {
		i := tx.w.instances[id]
		if i == nil || !c.owns(i.Account, i.Region) {
			return nil, AWSErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
		if err := i.checkTerminable(); err != nil {
			return nil, err
		}
	}
	var out []StateChange
	tx.freedAddrs()
	for _, id := range ids {
		i := tx.w.instances[id]
		tx.nameTermination(i)
		ch := StateChange{InstanceID: id, Previous: i.State, Current: "shutting-down"}
		if i.State == "terminated" {
			ch.Current = "terminated"
		}
		if i.State != "terminated" {
			tx.releaseInterfaces(i)
		}
		i.State = "terminated"
		out = append(out, ch)
	}
	return out, nil
}

// hasFreeAddrs reports whether subnet s has at least n addresses an instance could take.
func (tx *Tx) hasFreeAddrs(s *Subnet, n int) bool {
	free := 0
	inUse := tx.addrsInUse(s.VPCID)
	for a := nthAddr(s.CIDR, 4); s.CIDR.Contains(a) && a != lastAddr(s.CIDR) && free < n; a = a.Next() {
		if !inUse(a) {
			free++
		}
	}
	return free >= n
}

// nameTermination journals what terminating i changes: the instance, its interfaces (detached,
// or deleted from the map), and for the network the instance and the members of its groups and
// its interfaces' groups.
func (tx *Tx) nameTermination(i *Instance) {
	tx.mustWriteFor(Changed{"instance", i.ID}, i, &tx.w.enis)
	for _, g := range i.SecurityGroupIDs {
		tx.networkChange(Changed{"sg-members", g})
	}
	for _, n := range tx.w.enis {
		if n.Attachment != nil && n.Attachment.InstanceID == i.ID {
			tx.mustWriteFor(Changed{"instance", i.ID}, n)
			for _, g := range n.SecurityGroupIDs {
				tx.networkChange(Changed{"sg-members", g})
			}
		}
	}
}
