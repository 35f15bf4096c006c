package emulator

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// NetworkInterface is an elastic network interface (eni-…): an address in a subnet with its
// own security groups and source/destination check, attached to at most one instance.
//
// Every instance has a primary interface (device 0) that lives and dies with it; the model keeps
// that one in the Instance's own fields (ENIID, PrivateIP, SecurityGroupIDs,
// Attributes.SourceDestCheck, ENIDescription) and Tx.NetworkInterface returns a view of it with
// Primary set. Interfaces made by CreateNetworkInterface are stored in their own right.
type NetworkInterface struct {
	ID               string
	Account          string
	Region           string
	VPCID            string
	SubnetID         string
	PrivateIP        netip.Addr
	MAC              string
	Description      string
	SecurityGroupIDs []string
	SourceDestCheck  bool
	Tags             Tags
	// Attachment is nil while the interface is available.
	Attachment *ENIAttachment
	// Primary marks the view of an instance's primary interface (never stored).
	Primary bool
}

// ENIAttachment ties an interface to an instance at a device index.
type ENIAttachment struct {
	ID                  string // eni-attach-…
	InstanceID          string
	DeviceIndex         int
	DeleteOnTermination bool
	AttachTime          time.Time
}

// Status is EC2's interface status: in-use while attached, else available.
func (n *NetworkInterface) Status() string {
	if n.Attachment != nil {
		return "in-use"
	}
	return "available"
}

// PrivateDNSName is the interface's private DNS name in its region.
func (n *NetworkInterface) PrivateDNSName() string {
	return IPName(n.PrivateIP) + "." + InternalDomain(n.Region)
}

// primaryENI is the view of an instance's primary interface.
func primaryENI(i *Instance) *NetworkInterface {
	return &NetworkInterface{ID: i.ENIID, Account: i.Account, Region: i.Region, VPCID: i.VPCID, SubnetID: i.SubnetID,
		PrivateIP: i.PrivateIP, MAC: i.MAC, Description: i.ENIDescription, SecurityGroupIDs: slices.Clone(i.SecurityGroupIDs),
		SourceDestCheck: i.Attributes.SourceDestCheck, Primary: true, Tags: cloneTags(i.ENITags),
		Attachment: &ENIAttachment{ID: i.ENIAttachmentID, InstanceID: i.ID, DeviceIndex: 0,
			DeleteOnTermination: !i.ENIKeepOnTermination, AttachTime: i.LaunchTime}}
}

// primaryOwner returns the live instance whose primary interface is id, or nil.
func (tx *Tx) primaryOwner(id string) *Instance {
	for _, i := range tx.w.instances {
		if i.ENIID == id && i.State != "terminated" {
			return i
		}
	}
	return nil
}

// NetworkInterface returns an interface by id (a view, for a primary one), or nil.
func (tx *Tx) NetworkInterface(id string) *NetworkInterface {
	if n := tx.w.enis[id]; n != nil {
		return n
	}
	if i := tx.primaryOwner(id); i != nil {
		return primaryENI(i)
	}
	return nil
}

// NetworkInterfaces returns every interface, the live instances' primary ones included,
// ordered by id.
func (tx *Tx) NetworkInterfaces() []*NetworkInterface {
	out := ordered(tx.w.enis)
	for _, i := range tx.w.instances {
		if i.State != "terminated" {
			out = append(out, primaryENI(i))
		}
	}
	slices.SortFunc(out, func(a, b *NetworkInterface) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// InstanceInterfaces returns an instance's interfaces by device index, the primary first.
func (tx *Tx) InstanceInterfaces(instanceID string) []*NetworkInterface {
	i := tx.w.instances[instanceID]
	if i == nil || i.State == "terminated" {
		return nil
	}
	out := []*NetworkInterface{primaryENI(i)}
	for _, n := range ordered(tx.w.enis) {
		if n.Attachment != nil && n.Attachment.InstanceID == instanceID {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b *NetworkInterface) int { return a.Attachment.DeviceIndex - b.Attachment.DeviceIndex })
	return out
}

// InterfacesIn returns the interfaces (primary ones included) in a security group.
func (tx *Tx) InterfacesIn(groupID string) []*NetworkInterface {
	var out []*NetworkInterface
	for _, n := range tx.NetworkInterfaces() {
		if slices.Contains(n.SecurityGroupIDs, groupID) {
			out = append(out, n)
		}
	}
	return out
}

func (tx *Tx) callerENI(c Caller, id string) (*NetworkInterface, error) {
	n := tx.NetworkInterface(id)
	if n == nil || !c.owns(n.Account, n.Region) {
		return nil, AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
	}
	return n, nil
}

// checkGroups validates security groups for an interface in a VPC.
func (tx *Tx) checkENIGroups(c Caller, vpcID, subnetID string, groups []string) error {
	if n := tx.Quotas().SecurityGroupsPerENI; len(groups) > n {
		return AWSErr("SecurityGroupsPerInterfaceLimitExceeded", "The maximum number of security groups per interface has been reached.")
	}
	for _, g := range groups {
		sg := tx.w.sgs[g]
		if sg == nil || !c.owns(sg.Account, sg.Region) {
			return AWSErr("InvalidGroup.NotFound", "The security group '%s' does not exist", g)
		}
		if sg.VPCID != vpcID {
			return AWSErr("InvalidParameter", "Security group %s and subnet %s belong to different networks.", g, subnetID)
		}
	}
	return nil
}

// ENIOptions are CreateNetworkInterface's parameters.
type ENIOptions struct {
	PrivateIP        netip.Addr // zero picks the first free address
	SecurityGroupIDs []string   // empty means the VPC's default group
	Description      string
	// SourceDestCheck nil means on (EC2's default).
	SourceDestCheck *bool
	Tags            Tags
}

// CreateNetworkInterface makes an available interface in a subnet.
func (tx *Tx) CreateNetworkInterface(c Caller, subnetID string, o ENIOptions) (*NetworkInterface, error) {
	s := tx.w.subnets[subnetID]
	if s == nil || !c.owns(s.Account, s.Region) {
		return nil, AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", subnetID)
	}
	groups := slices.Compact(slices.Clone(o.SecurityGroupIDs))
	if len(groups) == 0 {
		groups = []string{tx.w.vpcs[s.VPCID].DefaultSecurityGroupID}
	}
	if err := tx.checkENIGroups(c, s.VPCID, subnetID, groups); err != nil {
		return nil, err
	}
	ip, err := tx.pickAddr(s, o.PrivateIP)
	if err != nil {
		return nil, err
	}
	tx.eniChange(s.VPCID, "", groups, &tx.w.enis)
	n := &NetworkInterface{ID: tx.NewID("eni"), Account: s.Account, Region: s.Region, VPCID: s.VPCID, SubnetID: s.ID,
		PrivateIP: ip, Description: o.Description, SecurityGroupIDs: groups, SourceDestCheck: true, Tags: cloneTags(o.Tags),
		MAC: fmt.Sprintf("02:%s:%s:%s:%s:%s", tx.w.hex(2), tx.w.hex(2), tx.w.hex(2), tx.w.hex(2), tx.w.hex(2))}
	if o.SourceDestCheck != nil {
		n.SourceDestCheck = *o.SourceDestCheck
	}
	tx.w.enis[n.ID] = n
	tx.tookAddr(n.VPCID, n.PrivateIP, n)
	return n, nil
}

// attachedTo is the instance an interface is attached to, or "".
func (n *NetworkInterface) attachedTo() string {
	if n.Attachment == nil {
		return ""
	}
	return n.Attachment.InstanceID
}

// eniChange names what an operation on an interface of a VPC changes: what is named, and
// for the data plane the VPC's routing (its router's DNS records and the routes to the
// interface), the instance it is or was attached to (its links, filters and forwarding), and
// the members of groups (an interface is a member of its groups, attached or not).
func (tx *Tx) eniChange(vpcID, instanceID string, groups []string, what ...any) {
	tx.mustWriteFor(Changed{"route-table", vpcID}, what...)
	if instanceID != "" {
		tx.networkChange(Changed{"instance", instanceID})
	}
	for _, g := range groups {
		tx.networkChange(Changed{"sg-members", g})
	}
}

// pickAddr checks a requested address of a subnet, or picks its first free one.
func (tx *Tx) pickAddr(s *Subnet, ip netip.Addr) (netip.Addr, error) {
	if ip.IsValid() {
		if !s.CIDR.Contains(ip) || ip.Compare(nthAddr(s.CIDR, 4)) < 0 || ip == lastAddr(s.CIDR) {
			return ip, AWSErr("InvalidParameterValue", "Address %s is not in a valid range for subnet %s.", ip, s.ID)
		}
		if tx.addrInUse(s.VPCID, ip) {
			return ip, AWSErr("InvalidIPAddress.InUse", "The specified address is already in use.")
		}
		return ip, nil
	}
	if a, ok := tx.freeAddr(s); ok {
		return a, nil
	}
	return ip, AWSErr("InsufficientFreeAddressesInSubnet", "Insufficient free IP addresses in subnet %s", s.ID)
}

// maxInterfaces is the number of interfaces an instance type takes (EC2's per-type limit for
// the common types; 4 for others).
func maxInterfaces(instanceType string) int {
	switch instanceType {
	case "t2.nano", "t2.micro", "t3.nano", "t3.micro", "t3a.nano", "t3a.micro", "t4g.nano", "t4g.micro":
		return 2
	case "t2.small", "t3.small", "t3a.small", "t4g.small":
		return 3
	}
	return 4
}

// AttachNetworkInterface attaches an available interface to a running instance at a device
// index and returns the attachment id.
func (tx *Tx) AttachNetworkInterface(c Caller, eniID, instanceID string, deviceIndex int) (string, error) {
	n, err := tx.callerENI(c, eniID)
	if err != nil {
		return "", err
	}
	i := tx.w.instances[instanceID]
	if i == nil || !c.owns(i.Account, i.Region) || i.State == "terminated" {
		return "", AWSErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", instanceID)
	}
	if deviceIndex < 0 {
		return "", AWSErr("InvalidParameterValue", "Value (%d) for parameter deviceIndex is invalid.", deviceIndex)
	}
	if n.Attachment != nil {
		return "", AWSErr("InvalidNetworkInterface.InUse", "Interface: [%s] in use.", n.ID)
	}
	if n.VPCID != i.VPCID {
		return "", AWSErr("InvalidParameterValue", "The network interface %s and instance %s are not in the same VPC.", n.ID, i.ID)
	}
	if tx.w.subnets[n.SubnetID].AZ != tx.w.subnets[i.SubnetID].AZ {
		return "", AWSErr("InvalidParameterCombination", "You may not attach a network interface to an instance if they are not in the same availability zone")
	}
	attached := tx.InstanceInterfaces(i.ID)
	for _, a := range attached {
		if a.Attachment.DeviceIndex == deviceIndex {
			return "", AWSErr("InvalidParameterValue", "Instance '%s' already has an interface attached at device index '%d'.", i.ID, deviceIndex)
		}
	}
	if max := maxInterfaces(i.InstanceType); len(attached) >= max {
		return "", AWSErr("AttachmentLimitExceeded", "Interface count %d exceeds the limit for %s", len(attached)+1, i.InstanceType)
	}
	tx.eniChange(n.VPCID, i.ID, nil, n)
	n.Attachment = &ENIAttachment{ID: tx.NewID("eni-attach"), InstanceID: i.ID, DeviceIndex: deviceIndex, AttachTime: tx.now}
	return n.Attachment.ID, nil
}

// DetachNetworkInterface detaches the interface of an attachment. The primary interface
// cannot be detached.
func (tx *Tx) DetachNetworkInterface(c Caller, attachmentID string) error {
	for _, n := range tx.w.enis {
		if n.Attachment != nil && n.Attachment.ID == attachmentID && c.owns(n.Account, n.Region) {
			tx.eniChange(n.VPCID, n.Attachment.InstanceID, nil, n)
			n.Attachment = nil
			return nil
		}
	}
	for _, i := range tx.w.instances {
		if i.ENIAttachmentID == attachmentID && i.State != "terminated" && c.owns(i.Account, i.Region) {
			return AWSErr("OperationNotPermitted", "The network interface at device index 0 cannot be detached.")
		}
	}
	return AWSErr("InvalidAttachmentID.NotFound", "The attachment ID '%s' does not exist", attachmentID)
}

// DeleteNetworkInterface deletes an available interface.
func (tx *Tx) DeleteNetworkInterface(c Caller, id string) error {
	n, err := tx.callerENI(c, id)
	if err != nil {
		return err
	}
	if n.Attachment != nil {
		return AWSErr("InvalidNetworkInterface.InUse", "The network interface '%s' is currently in use.", id)
	}
	what := []any{&tx.w.enis}
	if e := tx.ENIElasticIP(id); e != nil {
		what = append(what, e)
	}
	tx.eniChange(n.VPCID, "", n.SecurityGroupIDs, what...)
	// Routes to it stay, as blackhole (RouteState), as in EC2; its Elastic IP is disassociated.
	tx.dropENIAddress(id)
	delete(tx.w.enis, id)
	tx.freedAddrs()
	return nil
}

// ENIChange is what ModifyNetworkInterfaceAttribute changes; nil fields stay as they are.
type ENIChange struct {
	Description     *string
	Groups          []string // nil: unchanged
	SourceDestCheck *bool
	// Attachment's DeleteOnTermination, for AttachmentID.
	AttachmentID        string
	DeleteOnTermination *bool
}

// ModifyNetworkInterface changes an interface's attributes.
func (tx *Tx) ModifyNetworkInterface(c Caller, id string, ch ENIChange) error {
	n, err := tx.callerENI(c, id)
	if err != nil {
		return err
	}
	if ch.Groups != nil {
		ch.Groups = slices.Compact(slices.Clone(ch.Groups))
		if len(ch.Groups) == 0 {
			return AWSErr("MissingParameter", "The request must contain the parameter groupId")
		}
		if err := tx.checkENIGroups(c, n.VPCID, n.SubnetID, ch.Groups); err != nil {
			return err
		}
	}
	if ch.DeleteOnTermination != nil {
		if n.Attachment == nil || n.Attachment.ID != ch.AttachmentID {
			return AWSErr("InvalidAttachmentID.NotFound", "The attachment ID '%s' does not exist", ch.AttachmentID)
		}
	}
	// A description or DeleteOnTermination is the model's only; groups change the filters of
	// the instance and the members of the groups before and after; the source/destination
	// check, the instance's forwarding.
	var groups []string
	if ch.Groups != nil {
		groups = append(slices.Clone(n.SecurityGroupIDs), ch.Groups...)
	}
	network := ch.Groups != nil || ch.SourceDestCheck != nil
	if n.Primary {
		i := tx.primaryOwner(id)
		if network {
			tx.mustWriteFor(Changed{"instance", i.ID}, i)
			for _, g := range groups {
				tx.networkChange(Changed{"sg-members", g})
			}
		} else {
			tx.mustWriteModel(i)
		}
		if ch.Description != nil {
			i.ENIDescription = *ch.Description
		}
		if ch.Groups != nil {
			i.SecurityGroupIDs = ch.Groups
		}
		if ch.SourceDestCheck != nil {
			i.Attributes.SourceDestCheck = *ch.SourceDestCheck
		}
		if ch.DeleteOnTermination != nil {
			i.ENIKeepOnTermination = !*ch.DeleteOnTermination
		}
		return nil
	}
	if network {
		tx.eniChange(n.VPCID, n.attachedTo(), groups, n)
	} else {
		tx.mustWriteModel(n)
	}
	if ch.Description != nil {
		n.Description = *ch.Description
	}
	if ch.Groups != nil {
		n.SecurityGroupIDs = ch.Groups
	}
	if ch.SourceDestCheck != nil {
		n.SourceDestCheck = *ch.SourceDestCheck
	}
	if ch.DeleteOnTermination != nil {
		n.Attachment.DeleteOnTermination = *ch.DeleteOnTermination
	}
	return nil
}

// releaseInterfaces is what terminating an instance does to its interfaces: those marked
// DeleteOnTermination go, the others become available; a primary interface kept on
// termination becomes an interface of its own.
func (tx *Tx) releaseInterfaces(i *Instance) {
	for id, n := range tx.w.enis {
		if n.Attachment == nil || n.Attachment.InstanceID != i.ID {
			continue
		}
		if n.Attachment.DeleteOnTermination {
			tx.dropENIAddress(id)
			delete(tx.w.enis, id)
		} else {
			n.Attachment = nil
		}
	}
	if i.ENIKeepOnTermination {
		n := primaryENI(i)
		n.Primary, n.Attachment = false, nil
		tx.w.enis[n.ID] = n
		tx.tookAddr(n.VPCID, n.PrivateIP, n)
	}
}

func init() {
	taggables = append(taggables, taggable{prefix: "eni-", typ: "network-interface",
		tags: func(tx *Tx, c Caller, id string) (*Tags, error) {
			if n := tx.w.enis[id]; n != nil && c.owns(n.Account, n.Region) {
				return &n.Tags, nil
			}
			if i := tx.primaryOwner(id); i != nil && c.owns(i.Account, i.Region) {
				return &i.ENITags, nil
			}
			return nil, AWSErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
		},
		list: func(tx *Tx, c Caller) []string {
			var out []string
			for _, n := range tx.NetworkInterfaces() {
				if c.owns(n.Account, n.Region) {
					out = append(out, n.ID)
				}
			}
			return out
		}})
}
