package emulator

import (
	"net/netip"
	"strconv"
)

// Customer and VPN gateway states (DescribeCustomerGateways, DescribeVpnGateways).
const (
	GatewayAvailable = "available"
	GatewayDeleted   = "deleted"
)

// CustomerGateway is the AWS record of the customer's side of a Site-to-Site VPN: the public
// address of a device on the internet (an office gateway in the topology, or any other host
// that runs IPsec). A deleted gateway stays visible (state deleted), as AWS shows it for a while.
type CustomerGateway struct {
	ID             string // cgw-…
	Account        string
	Region         string
	Type           string // ipsec.1
	IPAddress      netip.Addr
	BgpAsn         int64
	DeviceName     string
	CertificateArn string
	State          string
	Tags           Tags
}

// CustomerGateway returns a customer gateway by id, or nil.
func (tx *Tx) CustomerGateway(id string) *CustomerGateway { return tx.w.cgws[id] }

// CustomerGateways returns every customer gateway (deleted ones included), ordered by id.
func (tx *Tx) CustomerGateways() []*CustomerGateway { return ordered(tx.w.cgws) }

func (tx *Tx) callerCGW(c Caller, id string) (*CustomerGateway, error) {
	g := tx.w.cgws[id]
	if g == nil || !c.owns(g.Account, g.Region) || g.State == GatewayDeleted {
		return nil, AWSErr("InvalidCustomerGatewayID.NotFound", "The customerGateway ID '%s' does not exist", id)
	}
	return g, nil
}

// CustomerGatewayRequest is CreateCustomerGateway's input.
type CustomerGatewayRequest struct {
	Type       string
	IPAddress  string
	BgpAsn     string // empty: 65000
	DeviceName string
	Tags       Tags
}

// CreateCustomerGateway records a customer gateway. As in AWS, creating one with the type,
// address and ASN of an existing (not deleted) gateway returns that gateway.
func (tx *Tx) CreateCustomerGateway(c Caller, req CustomerGatewayRequest) (*CustomerGateway, error) {
	// No VPN connection uses a new gateway yet: the data plane does not see it.
	tx.mustWriteModel(&tx.w.cgws, &tx.w.accounts)
	if req.Type != "ipsec.1" {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter type is invalid. Valid values: ipsec.1", req.Type)
	}
	ip, err := netip.ParseAddr(req.IPAddress)
	if err != nil || !ip.Is4() {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter ipAddress is invalid. Invalid Format.", req.IPAddress)
	}
	asn := int64(65000)
	if req.BgpAsn != "" {
		n, err := strconv.ParseInt(req.BgpAsn, 10, 64)
		if err != nil || n < 1 || n > 4294967294 {
			return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter bgpAsn is invalid. Value must be between 1 and 2147483647 (or 4294967294 with BgpAsnExtended).", req.BgpAsn)
		}
		asn = n
	}
	if len(req.DeviceName) > 255 {
		return nil, AWSErr("InvalidParameterValue", "Value for parameter deviceName is invalid. It must be at most 255 characters.")
	}
	for _, g := range ordered(tx.w.cgws) {
		if c.owns(g.Account, g.Region) && g.State != GatewayDeleted && g.IPAddress == ip && g.BgpAsn == asn && g.Type == req.Type {
			return g, nil
		}
	}
	tx.ensureAccount(c.Account, "customer")
	g := &CustomerGateway{ID: tx.NewID("cgw"), Account: c.Account, Region: c.Region, Type: req.Type, IPAddress: ip, BgpAsn: asn,
		DeviceName: req.DeviceName, State: GatewayAvailable, Tags: cloneTags(req.Tags)}
	tx.w.cgws[g.ID] = g
	return g, nil
}

// DeleteCustomerGateway deletes a customer gateway no live VPN connection uses.
func (tx *Tx) DeleteCustomerGateway(c Caller, id string) error {
	g, err := tx.callerCGW(c, id)
	if err != nil {
		return err
	}
	for _, v := range ordered(tx.w.s2svpns) {
		if v.CustomerGatewayID == g.ID && v.State != VPNConnDeleted {
			return AWSErr("IncorrectState", "The customer gateway '%s' is in use by VPN connection '%s'.", g.ID, v.ID)
		}
	}
	tx.mustWriteModel(g) // no live connection uses it
	g.State = GatewayDeleted
	return nil
}
