package emulator

import (
	"slices"
	"strconv"
)

// VPN gateway attachment states.
const (
	AttachAttached = "attached"
	AttachDetached = "detached"
)

// VpnGateway is a virtual private gateway: the VPC's end of Site-to-Site VPN connections. While
// attached to a VPC it is a gateway host beside the VPC router that runs both tunnels of every
// VPN connection made on it; routes that target it (TargetVGW), and routes propagated from it
// into route tables that enable propagation, send traffic to it.
type VpnGateway struct {
	ID               string // vgw-…
	Account          string
	Region           string
	Type             string // ipsec.1
	AvailabilityZone string
	AmazonSideAsn    int64
	State            string
	// VPCID is the VPC of the (last) attachment; AttachState attached or detached ("" never).
	VPCID       string
	AttachState string
	Tags        Tags
}

// AttachedTo reports whether the gateway is attached to the VPC.
func (g *VpnGateway) AttachedTo(vpcID string) bool {
	return g != nil && g.State == GatewayAvailable && g.AttachState == AttachAttached && g.VPCID == vpcID
}

// VpnGateway returns a virtual private gateway by id, or nil.
func (tx *Tx) VpnGateway(id string) *VpnGateway { return tx.w.vgws[id] }

// VpnGateways returns every virtual private gateway (deleted ones included), ordered by id.
func (tx *Tx) VpnGateways() []*VpnGateway { return ordered(tx.w.vgws) }

func (tx *Tx) callerVGW(c Caller, id string) (*VpnGateway, error) {
	g := tx.w.vgws[id]
	if g == nil || !c.owns(g.Account, g.Region) || g.State == GatewayDeleted {
		return nil, AWSErr("InvalidVpnGatewayID.NotFound", "The vpnGateway ID '%s' does not exist", id)
	}
	return g, nil
}

// VpnGatewayRequest is CreateVpnGateway's input.
type VpnGatewayRequest struct {
	Type             string
	AvailabilityZone string
	AmazonSideAsn    string // empty: 64512
	Tags             Tags
}

// CreateVpnGateway creates a detached virtual private gateway.
func (tx *Tx) CreateVpnGateway(c Caller, req VpnGatewayRequest) (*VpnGateway, error) {
	// Detached and without connections: the data plane does not see it.
	tx.mustWriteModel(&tx.w.vgws, &tx.w.accounts)
	if req.Type != "ipsec.1" {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter type is invalid. Valid values: ipsec.1", req.Type)
	}
	asn := int64(64512)
	if req.AmazonSideAsn != "" {
		n, err := strconv.ParseInt(req.AmazonSideAsn, 10, 64)
		private16 := n >= 64512 && n <= 65534
		private32 := n >= 4200000000 && n <= 4294967294
		if err != nil || !(private16 || private32 || n == 7224 || n == 9059 || n == 10124 || n == 17493) {
			return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter amazonSideAsn is invalid. Amazon side ASN must be 7224, 9059, 10124, 17493, in 64512-65534 or in 4200000000-4294967294.", req.AmazonSideAsn)
		}
		asn = n
	}
	if req.AvailabilityZone != "" {
		if !slices.Contains(zoneNames(c.Region), req.AvailabilityZone) {
			return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter availabilityZone is invalid.", req.AvailabilityZone)
		}
	}
	tx.ensureAccount(c.Account, "customer")
	g := &VpnGateway{ID: tx.NewID("vgw"), Account: c.Account, Region: c.Region, Type: req.Type, AvailabilityZone: req.AvailabilityZone,
		AmazonSideAsn: asn, State: GatewayAvailable, Tags: cloneTags(req.Tags)}
	tx.w.vgws[g.ID] = g
	return g, nil
}

// AttachVpnGateway attaches a gateway to a VPC of the caller; a VPC has at most one.
func (tx *Tx) AttachVpnGateway(c Caller, vgwID, vpcID string) (*VpnGateway, error) {
	g, err := tx.callerVGW(c, vgwID)
	if err != nil {
		return nil, err
	}
	v := tx.w.vpcs[vpcID]
	if v == nil || !c.owns(v.Account, v.Region) {
		return nil, AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if g.AttachState == AttachAttached {
		return nil, AWSErr("IncorrectState", "The vpnGateway '%s' is already attached to '%s'.", g.ID, g.VPCID)
	}
	for _, o := range ordered(tx.w.vgws) {
		if o.AttachedTo(vpcID) {
			return nil, AWSErr("VpnGatewayAttachmentLimitExceeded", "The VPC '%s' already has the virtual private gateway '%s' attached.", vpcID, o.ID)
		}
	}
	tx.mustWriteFor(Changed{"vpn-gateway", g.ID}, g)
	g.VPCID, g.AttachState = vpcID, AttachAttached
	return g, nil
}

// DetachVpnGateway detaches a gateway from a VPC: routes to it turn blackhole and the routes
// it propagated go.
func (tx *Tx) DetachVpnGateway(c Caller, vgwID, vpcID string) error {
	g, err := tx.callerVGW(c, vgwID)
	if err != nil {
		return err
	}
	if v := tx.w.vpcs[vpcID]; v == nil || !c.owns(v.Account, v.Region) {
		return AWSErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", vpcID)
	}
	if !g.AttachedTo(vpcID) {
		return AWSErr("InvalidVpnGatewayAttachment.NotFound", "The attachment with vpn gateway ID '%s' and vpc ID '%s' does not exist", g.ID, vpcID)
	}
	tx.mustWriteFor(Changed{"vpn-gateway", g.ID}, g)
	g.AttachState = AttachDetached
	return nil
}

// DeleteVpnGateway deletes a detached gateway without live VPN connections.
func (tx *Tx) DeleteVpnGateway(c Caller, vgwID string) error {
	g, err := tx.callerVGW(c, vgwID)
	if err != nil {
		return err
	}
	if g.AttachState == AttachAttached {
		return AWSErr("IncorrectState", "The vpnGateway '%s' is in the incorrect state: attached to '%s'.", g.ID, g.VPCID)
	}
	for _, v := range ordered(tx.w.s2svpns) {
		if v.VpnGatewayID == g.ID && v.State != VPNConnDeleted {
			return AWSErr("IncorrectState", "The vpnGateway '%s' has VPN connection '%s' and cannot be deleted.", g.ID, v.ID)
		}
	}
	// Detached, without live connections: its unit draws nothing, and tables that
	// propagated from it learned nothing while it was detached.
	what := []any{g}
	for _, rt := range ordered(tx.w.rtbs) {
		if slices.Contains(rt.PropagatingVGWs, g.ID) {
			what = append(what, rt)
		}
	}
	tx.mustWriteModel(what...)
	g.State = GatewayDeleted
	for _, rt := range tx.w.rtbs {
		rt.PropagatingVGWs = slices.DeleteFunc(rt.PropagatingVGWs, func(id string) bool { return id == g.ID })
	}
	return nil
}

// attachedVGW returns the gateway attached to a VPC, or nil.
func (tx *Tx) attachedVGW(vpcID string) *VpnGateway {
	for _, g := range ordered(tx.w.vgws) {
		if g.AttachedTo(vpcID) {
			return g
		}
	}
	return nil
}

// EnableVgwRoutePropagation makes a route table learn the routes of a gateway's VPN
// connections while the gateway is attached to the table's VPC.
func (tx *Tx) EnableVgwRoutePropagation(c Caller, rtbID, vgwID string) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	g, err := tx.callerVGW(c, vgwID)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	if !slices.Contains(rt.PropagatingVGWs, g.ID) {
		rt.PropagatingVGWs = append(rt.PropagatingVGWs, g.ID)
	}
	return nil
}

// DisableVgwRoutePropagation stops a route table learning a gateway's routes.
func (tx *Tx) DisableVgwRoutePropagation(c Caller, rtbID, vgwID string) error {
	rt, err := tx.callerRouteTable(c, rtbID)
	if err != nil {
		return err
	}
	g, err := tx.callerVGW(c, vgwID)
	if err != nil {
		return err
	}
	if !slices.Contains(rt.PropagatingVGWs, g.ID) {
		return AWSErr("Gateway.NotAttached", "route propagation of %s is not enabled in %s", g.ID, rt.ID)
	}
	tx.mustWriteFor(Changed{"route-table", rt.VPCID}, rt)
	rt.PropagatingVGWs = slices.DeleteFunc(rt.PropagatingVGWs, func(id string) bool { return id == g.ID })
	return nil
}

// PropagatedRoutes returns the routes a table learns from its propagating gateways: every
// static route of every available VPN connection of a gateway attached to the table's VPC,
// except destinations the table already routes itself (a static route wins).
func (tx *Tx) PropagatedRoutes(rt *RouteTable) []*Route {
	var out []*Route
	seen := map[string]bool{}
	for _, r := range append(tx.LocalRoutes(rt), rt.Routes...) {
		seen[r.Dst.String()] = true
	}
	for _, id := range rt.PropagatingVGWs {
		g := tx.w.vgws[id]
		if !g.AttachedTo(rt.VPCID) {
			continue
		}
		for _, v := range ordered(tx.w.s2svpns) {
			if v.VpnGatewayID != g.ID || v.State != VPNConnAvailable {
				continue
			}
			for _, r := range v.Routes {
				if !seen[r.Dst.String()] {
					seen[r.Dst.String()] = true
					out = append(out, &Route{Dst: r.Dst, Kind: TargetVGW, Target: g.ID, Origin: "EnableVgwRoutePropagation"})
				}
			}
		}
	}
	return out
}
