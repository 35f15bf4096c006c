package emulator

import (
	"net/netip"
	"slices"
	"sort"
	"time"
)

// Account is an AWS account. Kind is "customer" for accounts users drive with their own keys
// and "heroku" for the account that owns Private Space VPCs.
type Account struct {
	ID   string
	Kind string
}

// AccessKey maps an access key id to its secret and account, which is all SigV4 reveals.
type AccessKey struct {
	ID      string
	Secret  string
	Account string
	User    string // IAM user name shown by sts get-caller-identity
}

// Tags are resource tags. Keys are unique; output sorts them.
type Tags map[string]string

// Sorted returns the tag keys in order.
func (t Tags) Sorted() []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// VPCRole says who a VPC belongs to in the story.
type VPCRole string

const (
	RoleCustomer VPCRole = "customer"   // a user's own VPC
	RoleSpace    VPCRole = "space"      // the Heroku-managed VPC of a Private Space
	RoleData     VPCRole = "space-data" // the Heroku-managed VPC holding a space's data services
	RoleNone     VPCRole = ""           // unknown
	defaultAZ            = "a"          // suffix of the first availability zone
	peeringTTL           = 7 * 24 * time.Hour
)

// VPC is a virtual private cloud.
type VPC struct {
	ID                         string
	Account                    string
	Region                     string
	CIDR                       netip.Prefix
	CIDRAssociationID          string
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
}

// GatewayAddr is the VPC router's address in the subnet (base + 1).
func (s *Subnet) GatewayAddr() netip.Addr { return nthAddr(s.CIDR, 1) }

// TargetKind is what a route points at.
type TargetKind string

const (
	TargetLocal   TargetKind = "local"
	TargetPeering TargetKind = "pcx"
	TargetIGW     TargetKind = "igw"
)

// Route is one entry of a route table.
type Route struct {
	Dst    netip.Prefix
	Kind   TargetKind
	Target string // pcx-…, igw-…; "local" for the local route
	Origin string // CreateRouteTable, CreateRoute
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
	Tags              Tags
}

// SGRule is one security group permission (a single CIDR or group reference).
type SGRule struct {
	ID          string
	Protocol    string // "-1", "tcp", "udp", "icmp" or a protocol number
	FromPort    int    // -1 when the protocol has no ports
	ToPort      int
	CIDR        netip.Prefix // valid unless Group is set
	Group       *GroupRef
	Description string
}

// GroupRef names another security group as a rule's peer.
type GroupRef struct {
	GroupID   string
	UserID    string
	VPCID     string
	PeeringID string
}

// SecurityGroup is a stateful, allow-only filter on instance interfaces.
type SecurityGroup struct {
	ID          string
	Account     string
	Region      string
	VPCID       string
	Name        string
	Description string
	Ingress     []*SGRule
	Egress      []*SGRule
	Tags        Tags
}

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
	LaunchTime       time.Time
	ENIID            string
	ENIAttachmentID  string
	MAC              string
	ReservationID    string
	ClientToken      string
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

// Peering states, as EC2 spells them.
const (
	PcxInitiating   = "initiating-request"
	PcxPending      = "pending-acceptance"
	PcxProvisioning = "provisioning"
	PcxActive       = "active"
	PcxFailed       = "failed"
	PcxRejected     = "rejected"
	PcxDeleted      = "deleted"
	PcxExpired      = "expired"
	PcxDeleting     = "deleting"
)

// PeerSide is one end of a peering connection.
type PeerSide struct {
	Account string
	Region  string
	VPCID   string
	CIDR    netip.Prefix // captured when the VPC exists
}

// Peering is a VPC peering connection. The same object is seen from both accounts.
type Peering struct {
	ID        string
	Requester PeerSide
	Accepter  PeerSide
	status    string
	Message   string
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   time.Time // when it became failed, rejected or deleted
	EndedBy   string    // account that rejected or deleted it
	// Tags are the requester's tags. EC2 keeps tags per account and region, so when the
	// accepter is elsewhere its tags live apart in AccepterTags (see Tx.TagsOf).
	Tags         Tags
	AccepterTags Tags
	// HerokuManaged marks the peering between a space and its data VPC.
	HerokuManaged bool
	// AcceptedViaHeroku records that the space owner accepted it in Heroku.
	AcceptedViaHeroku bool
}

// Status returns the peering's state at time now (an unaccepted request expires after 7 days).
func (p *Peering) Status(now time.Time) string {
	if p.status == PcxPending && !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt) {
		return PcxExpired
	}
	return p.status
}

// StatusMessage returns the status message EC2 shows for the state at time now.
func (p *Peering) StatusMessage(now time.Time) string {
	switch s := p.Status(now); s {
	case PcxPending:
		return "Pending Acceptance by " + p.Accepter.Account
	case PcxInitiating:
		return "Initiating Request to " + p.Accepter.Account
	case PcxActive:
		return "Active"
	case PcxProvisioning:
		return "Provisioning"
	case PcxExpired:
		return "Expired"
	case PcxDeleted:
		return "Deleted by " + p.EndedBy
	case PcxRejected:
		return "Rejected by " + p.EndedBy
	default:
		return p.Message
	}
}

// Active reports whether traffic may cross the peering at time now.
func (p *Peering) Active(now time.Time) bool { return p.Status(now) == PcxActive }

// Other returns the side of p that is not vpcID.
func (p *Peering) Other(vpcID string) PeerSide {
	if p.Requester.VPCID == vpcID {
		return p.Accepter
	}
	return p.Requester
}

// Connects reports whether p joins vpcID to something.
func (p *Peering) Connects(vpcID string) bool {
	return p.Requester.VPCID == vpcID || p.Accepter.VPCID == vpcID
}

func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Masked().Addr()
	for range n {
		a = a.Next()
	}
	return a
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	bits := p.Bits()
	for i := bits; i < 32; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom4(b)
}

func overlaps(a, b netip.Prefix) bool { return a.IsValid() && b.IsValid() && a.Overlaps(b) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [8]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// sortedKeys returns a map's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
