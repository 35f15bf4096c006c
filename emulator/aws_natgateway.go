package emulator

import (
	"net/netip"
	"time"
)

// NAT gateway states, as DescribeNatGateways reports them.
const (
	NatPending   = "pending"
	NatAvailable = "available"
	NatDeleting  = "deleting"
	NatDeleted   = "deleted"
	NatFailed    = "failed"
)

// NatGateway is a public NAT gateway: an address in a (public) subnet that translates the
// traffic routed to it to its own address and sends it on by that subnet's route table; the
// internet gateway maps that address to the gateway's Elastic IP. A deleted gateway stays
// visible (state deleted), as AWS shows it for a while.
type NatGateway struct {
	ID           string // nat-…
	Account      string
	Region       string
	VPCID        string
	SubnetID     string
	AllocationID string
	PublicIP     netip.Addr
	PrivateIP    netip.Addr
	ENIID        string
	State        string
	FailureCode  string
	FailureMsg   string
	ClientToken  string
	CreateTime   time.Time
	DeleteTime   time.Time
	Tags         Tags
}

// Live reports whether the gateway holds its address and carries traffic.
func (n *NatGateway) Live() bool { return n.State == NatAvailable || n.State == NatPending }

// NatGateway returns a NAT gateway by id, or nil.
func (tx *Tx) NatGateway(id string) *NatGateway { return tx.w.natgws[id] }

// NatGateways returns every NAT gateway (deleted ones included), ordered by id.
func (tx *Tx) NatGateways() []*NatGateway { return ordered(tx.w.natgws) }

func (tx *Tx) callerNatGateway(c Caller, id string) (*NatGateway, error) {
	n := tx.w.natgws[id]
	if n == nil || !c.owns(n.Account, n.Region) {
		return nil, AWSErr("NatGatewayNotFound", "The Nat Gateway %s was not found", id)
	}
	return n, nil
}

// NatGatewayRequest is CreateNatGateway's input.
type NatGatewayRequest struct {
	SubnetID     string
	AllocationID string
	ClientToken  string
	Tags         Tags
}

// CreateNatGateway creates a public NAT gateway in a subnet with an Elastic IP. A repeated
// ClientToken returns the gateway made by the first call. An Elastic IP already in use makes a
// gateway that failed, as AWS reports it (state failed, failure code Resource.AlreadyAssociated).
func (tx *Tx) CreateNatGateway(c Caller, req NatGatewayRequest) (*NatGateway, error) {
	if req.ClientToken != "" {
		for _, n := range tx.w.natgws {
			if n.ClientToken == req.ClientToken && c.owns(n.Account, n.Region) {
				if n.SubnetID != req.SubnetID || n.AllocationID != req.AllocationID {
					return nil, AWSErr("IdempotentParameterMismatch", "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
				}
				tx.mustWriteModel(n) // changes nothing
				return n, nil
			}
		}
	}
	s := tx.w.subnets[req.SubnetID]
	if s == nil || !c.owns(s.Account, s.Region) {
		return nil, AWSErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", req.SubnetID)
	}
	if req.AllocationID == "" {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter AllocationId for a public NAT gateway")
	}
	e, err := tx.callerEIP(c, req.AllocationID)
	if err != nil {
		return nil, err
	}
	n := &NatGateway{ID: tx.NewID("nat"), Account: s.Account, Region: s.Region, VPCID: s.VPCID, SubnetID: s.ID,
		AllocationID: e.AllocationID, PublicIP: e.PublicIP, ClientToken: req.ClientToken, CreateTime: tx.now, Tags: cloneTags(req.Tags)}
	if e.Associated() {
		// Failed: it holds no address and carries nothing; no route can name it yet.
		tx.mustWriteModel(&tx.w.natgws)
		n.State, n.FailureCode = NatFailed, "Resource.AlreadyAssociated"
		n.FailureMsg = "Elastic IP address [" + e.AllocationID + "] is already associated"
		n.DeleteTime = tx.now
		tx.w.natgws[n.ID] = n
		return n, nil
	}
	if a, ok := tx.freeAddr(s); ok {
		n.PrivateIP = a
	}
	if !n.PrivateIP.IsValid() {
		return nil, AWSErr("InsufficientFreeAddressesInSubnet", "Insufficient free IP addresses in subnet %s", s.ID)
	}
	tx.mustWriteFor(Changed{"nat-gateway", n.ID}, &tx.w.natgws, e)
	n.ENIID, n.State = tx.NewID("eni"), NatAvailable
	e.NatGatewayID, e.AssociationID = n.ID, tx.NewID("eipassoc")
	tx.w.natgws[n.ID] = n
	tx.tookAddr(n.VPCID, n.PrivateIP, n)
	return n, nil
}

// DeleteNatGateway deletes a NAT gateway: its Elastic IP is free again and routes to it turn
// blackhole. Deleting a deleted gateway is a no-op.
func (tx *Tx) DeleteNatGateway(c Caller, id string) (*NatGateway, error) {
	n, err := tx.callerNatGateway(c, id)
	if err != nil {
		return nil, err
	}
	if n.State == NatDeleted {
		tx.mustWriteModel(n) // changes nothing
		return n, nil
	}
	what := []any{n}
	e := tx.w.eips[n.AllocationID]
	held := e != nil && e.NatGatewayID == n.ID
	if held {
		what = append(what, e)
	}
	tx.mustWriteFor(Changed{"nat-gateway", n.ID}, what...)
	if held {
		e.NatGatewayID, e.AssociationID = "", ""
	}
	n.State, n.DeleteTime = NatDeleted, tx.now
	tx.freedAddrs()
	return n, nil
}

// liveNatGatewaysIn returns the gateways that hold an address in a subnet.
func (tx *Tx) liveNatGatewaysIn(subnetID string) []*NatGateway {
	var out []*NatGateway
	for _, n := range ordered(tx.w.natgws) {
		if n.SubnetID == subnetID && n.Live() {
			out = append(out, n)
		}
	}
	return out
}
