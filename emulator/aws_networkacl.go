package emulator

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
)

// NetworkACL is a VPC network ACL: stateless allow/deny rules evaluated in rule-number order
// where traffic enters or leaves a subnet. Every subnet is associated with exactly one; a
// VPC's default ACL allows everything (rule 100), a new custom ACL denies everything. The
// final "*" rule (deny all) is implicit and cannot be removed, so Entries holds only numbered
// rules.
type NetworkACL struct {
	ID           string
	Account      string
	Region       string
	VPCID        string
	IsDefault    bool
	Entries      []*NACLEntry
	Associations []*NetworkACLAssociation
	Tags         Tags
}

// NetworkACLAssociation ties a subnet to its network ACL.
type NetworkACLAssociation struct {
	ID       string
	SubnetID string
}

// NACLEntry is one numbered rule of a network ACL.
type NACLEntry struct {
	RuleNumber int          // 1 to 32766; lower numbers are evaluated first
	Egress     bool         // outbound rule
	Protocol   string       // "-1" (all) or an IP protocol number: "6" tcp, "17" udp, "1" icmp
	Allow      bool         // RuleAction allow (else deny)
	CIDR       netip.Prefix // IPv4 (CidrBlock) or IPv6 (Ipv6CidrBlock)
	FromPort   int          // for tcp and udp
	ToPort     int
	ICMPType   int // for icmp; -1 means all
	ICMPCode   int
}

// NACLDefaultRule is the number EC2 shows for the implicit final rule ("*").
const NACLDefaultRule = 32767

// maxNACLRule is the highest rule number a user may set.
const maxNACLRule = 32766

func (tx *Tx) newNetworkACL(c Caller, vpcID string, isDefault bool, tags Tags) *NetworkACL {
	n := &NetworkACL{ID: tx.NewID("acl"), Account: c.Account, Region: c.Region, VPCID: vpcID, IsDefault: isDefault, Tags: cloneTags(tags)}
	if isDefault {
		all := netip.MustParsePrefix("0.0.0.0/0")
		n.Entries = []*NACLEntry{
			{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: all},
			{RuleNumber: 100, Egress: true, Protocol: "-1", Allow: true, CIDR: all},
		}
	}
	tx.w.nacls[n.ID] = n
	return n
}

// NetworkACL returns a network ACL by id, or nil.
func (tx *Tx) NetworkACL(id string) *NetworkACL { return tx.w.nacls[id] }

// NetworkACLs returns every network ACL, ordered by id.
func (tx *Tx) NetworkACLs() []*NetworkACL { return ordered(tx.w.nacls) }

// SubnetNetworkACL returns the network ACL a subnet is associated with.
func (tx *Tx) SubnetNetworkACL(subnetID string) *NetworkACL {
	for _, n := range tx.w.nacls {
		for _, a := range n.Associations {
			if a.SubnetID == subnetID {
				return n
			}
		}
	}
	return nil
}

func (tx *Tx) callerNACL(c Caller, id string) (*NetworkACL, error) {
	n := tx.w.nacls[id]
	if n == nil || !c.owns(n.Account, n.Region) {
		return nil, AWSErr("InvalidNetworkAclID.NotFound", "The networkAcl ID '%s' does not exist", id)
	}
	return n, nil
}

// CreateNetworkACL creates a custom network ACL in a VPC. It denies all traffic until rules
// are added, and serves no subnet until one is associated with it.
func (tx *Tx) CreateNetworkACL(c Caller, vpcID string, tags Tags) (*NetworkACL, error) {
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	tx.mustWriteFor(Changed{"network-acl", vpcID}, &tx.w.nacls)
	return tx.newNetworkACL(c, vpcID, false, tags), nil
}

// DeleteNetworkACL deletes a custom network ACL that no subnet uses.
func (tx *Tx) DeleteNetworkACL(c Caller, id string) error {
	n, err := tx.callerNACL(c, id)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"network-acl", n.VPCID}, &tx.w.nacls)
	if n.IsDefault {
		return AWSErr("InvalidParameterValue", "cannot delete default network ACL %s", id)
	}
	if len(n.Associations) > 0 {
		return AWSErr("DependencyViolation", "The networkAcl '%s' has dependencies and cannot be deleted.", id)
	}
	delete(tx.w.nacls, id)
	return nil
}

// NormalizeNACLProtocol maps a network ACL protocol onto EC2's stored form: a protocol number
// as a string, or "-1" for all. tcp, udp, icmp and all are accepted by name.
func NormalizeNACLProtocol(p string) (string, error) {
	switch p {
	case "tcp":
		return "6", nil
	case "udp":
		return "17", nil
	case "icmp":
		return "1", nil
	case "all", "-1":
		return "-1", nil
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return strconv.Itoa(n), nil
	}
	return "", AWSErr("InvalidParameterValue", "Invalid value '%s' for protocol. Unknown protocol.", p)
}

// checkEntry validates a rule before it is stored.
func checkEntry(e *NACLEntry) error {
	if e.RuleNumber < 1 || e.RuleNumber > maxNACLRule {
		return AWSErr("InvalidParameterValue", "Invalid value '%d' for ruleNumber. Must be between 1 and %d.", e.RuleNumber, maxNACLRule)
	}
	p, err := NormalizeNACLProtocol(e.Protocol)
	if err != nil {
		return err
	}
	e.Protocol = p
	if IsIPv6(e.CIDR) {
		// An IPv6 entry (Ipv6CidrBlock): stored and described; the IPv4 data plane skips it.
	} else if !e.CIDR.IsValid() || !e.CIDR.Addr().Is4() {
		return AWSErr("InvalidParameterValue", "Value for parameter cidrBlock is invalid. This is not a valid CIDR block.")
	}
	e.CIDR = e.CIDR.Masked()
	switch p {
	case "6", "17":
		if e.FromPort < 0 || e.ToPort > 65535 || e.FromPort > e.ToPort {
			return AWSErr("InvalidParameterValue", "Invalid value for portRange. Must specify a valid port range with From and To for TCP and UDP (got %d to %d).", e.FromPort, e.ToPort)
		}
	case "1", "58":
		if e.ICMPType < -1 || e.ICMPType > 255 || e.ICMPCode < -1 || e.ICMPCode > 255 {
			return AWSErr("InvalidParameterValue", "Invalid value for icmpTypeCode.")
		}
	}
	return nil
}

func (n *NetworkACL) entry(rule int, egress bool) (int, *NACLEntry) {
	for i, e := range n.Entries {
		if e.RuleNumber == rule && e.Egress == egress {
			return i, e
		}
	}
	return -1, nil
}

// CreateNetworkACLEntry adds a numbered rule. A rule number already used in that direction is
// refused with NetworkAclEntryAlreadyExists.
func (tx *Tx) CreateNetworkACLEntry(c Caller, aclID string, e NACLEntry) error {
	n, err := tx.callerNACL(c, aclID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"network-acl", n.VPCID}, n)
	if err := checkEntry(&e); err != nil {
		return err
	}
	if _, old := n.entry(e.RuleNumber, e.Egress); old != nil {
		return AWSErr("NetworkAclEntryAlreadyExists", "The network acl entry identified by %d already exists.", e.RuleNumber)
	}
	n.Entries = append(n.Entries, &e)
	sortEntries(n.Entries)
	return nil
}

// ReplaceNetworkACLEntry replaces an existing numbered rule.
func (tx *Tx) ReplaceNetworkACLEntry(c Caller, aclID string, e NACLEntry) error {
	n, err := tx.callerNACL(c, aclID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"network-acl", n.VPCID}, n)
	if err := checkEntry(&e); err != nil {
		return err
	}
	i, _ := n.entry(e.RuleNumber, e.Egress)
	if i < 0 {
		return AWSErr("InvalidNetworkAclEntry.NotFound", "The network acl entry identified by %d does not exist.", e.RuleNumber)
	}
	n.Entries[i] = &e
	return nil
}

// DeleteNetworkACLEntry removes a numbered rule.
func (tx *Tx) DeleteNetworkACLEntry(c Caller, aclID string, rule int, egress bool) error {
	n, err := tx.callerNACL(c, aclID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"network-acl", n.VPCID}, n)
	i, _ := n.entry(rule, egress)
	if i < 0 {
		return AWSErr("InvalidNetworkAclEntry.NotFound", "The network acl entry identified by %d does not exist.", rule)
	}
	n.Entries = append(n.Entries[:i:i], n.Entries[i+1:]...)
	return nil
}

// ReplaceNetworkACLAssociation moves the subnet of an association to another ACL of the same
// VPC and returns the new association id.
func (tx *Tx) ReplaceNetworkACLAssociation(c Caller, assocID, aclID string) (string, error) {
	var from *NetworkACL
	var idx int
	for _, n := range tx.w.nacls {
		for i, a := range n.Associations {
			if a.ID == assocID && c.owns(n.Account, n.Region) {
				from, idx = n, i
			}
		}
	}
	if from == nil {
		return "", AWSErr("InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assocID)
	}
	to, err := tx.callerNACL(c, aclID)
	if err != nil {
		return "", err
	}
	if to.VPCID != from.VPCID {
		return "", AWSErr("InvalidParameterValue", "Network ACL %s and subnet %s belong to different networks", aclID, from.Associations[idx].SubnetID)
	}
	tx.mustWriteFor(Changed{"network-acl", to.VPCID}, from, to)
	subnet := from.Associations[idx].SubnetID
	from.Associations = append(from.Associations[:idx:idx], from.Associations[idx+1:]...)
	a := &NetworkACLAssociation{ID: tx.NewID("aclassoc"), SubnetID: subnet}
	to.Associations = append(to.Associations, a)
	return a.ID, nil
}

func sortEntries(es []*NACLEntry) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Egress != es[j].Egress {
			return !es[i].Egress
		}
		return es[i].RuleNumber < es[j].RuleNumber
	})
}

// Evaluate runs a packet through the ACL's rules for one direction, in rule-number order, and
// says which rule decided: the first rule whose protocol, CIDR (the remote address) and port
// or ICMP type match, else the final "*" deny.
func (n *NetworkACL) Evaluate(egress bool, proto string, remote netip.Addr, port int) (bool, string) {
	p, err := NormalizeNACLProtocol(proto)
	if err != nil {
		return false, fmt.Sprintf("network ACL %s: unknown protocol %q", n.ID, proto)
	}
	dir := "inbound"
	if egress {
		dir = "outbound"
	}
	for _, e := range n.Entries {
		if e.Egress != egress || !e.CIDR.Contains(remote) || (e.Protocol != "-1" && e.Protocol != p) {
			continue
		}
		switch e.Protocol {
		case "6", "17":
			if port < e.FromPort || port > e.ToPort {
				continue
			}
		case "1":
			if e.ICMPType != -1 && port != e.ICMPType {
				continue
			}
		}
		verdict := "denies"
		if e.Allow {
			verdict = "allows"
		}
		return e.Allow, fmt.Sprintf("network ACL %s %s rule %d %s %s", n.ID, dir, e.RuleNumber, verdict, remote)
	}
	return false, fmt.Sprintf("network ACL %s has no %s rule allowing %s/%d from %s (rule * denies)", n.ID, dir, proto, port, remote)
}
