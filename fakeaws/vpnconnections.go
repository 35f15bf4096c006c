package fakeaws

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

func init() {
	register("CreateVpnConnection", createVpnConnection)
	register("DescribeVpnConnections", describeVpnConnections)
	register("DeleteVpnConnection", deleteVpnConnection)
	register("CreateVpnConnectionRoute", createVpnConnectionRoute)
	register("DeleteVpnConnectionRoute", deleteVpnConnectionRoute)
}

// vpnConnectionXML is EC2's VpnConnection shape.
type vpnConnectionXML struct {
	VpnConnectionID              string                   `xml:"vpnConnectionId"`
	CustomerGatewayConfiguration string                   `xml:"customerGatewayConfiguration,omitempty"`
	CustomerGatewayID            string                   `xml:"customerGatewayId"`
	Category                     string                   `xml:"category"`
	State                        string                   `xml:"state"`
	Type                         string                   `xml:"type"`
	VpnGatewayID                 string                   `xml:"vpnGatewayId"`
	GatewayAssociationState      string                   `xml:"gatewayAssociationState"`
	Options                      vpnConnectionOptionsXML  `xml:"options"`
	Routes                       items[vpnStaticRouteXML] `xml:"routes"`
	TagSet                       items[tagXML]            `xml:"tagSet"`
	VgwTelemetry                 items[vgwTelemetryXML]   `xml:"vgwTelemetry"`
}

type vpnConnectionOptionsXML struct {
	EnableAcceleration    bool                   `xml:"enableAcceleration"`
	StaticRoutesOnly      bool                   `xml:"staticRoutesOnly"`
	LocalIpv4NetworkCidr  string                 `xml:"localIpv4NetworkCidr"`
	RemoteIpv4NetworkCidr string                 `xml:"remoteIpv4NetworkCidr"`
	OutsideIPAddressType  string                 `xml:"outsideIpAddressType"`
	TunnelInsideIPVersion string                 `xml:"tunnelInsideIpVersion"`
	TunnelOptionSet       items[tunnelOptionXML] `xml:"tunnelOptionSet"`
}

type valueXML struct {
	Value string `xml:"value"`
}

type tunnelOptionXML struct {
	OutsideIPAddress             string           `xml:"outsideIpAddress"`
	TunnelInsideCidr             string           `xml:"tunnelInsideCidr"`
	PreSharedKey                 string           `xml:"preSharedKey"`
	Phase1LifetimeSeconds        int              `xml:"phase1LifetimeSeconds"`
	Phase2LifetimeSeconds        int              `xml:"phase2LifetimeSeconds"`
	RekeyMarginTimeSeconds       int              `xml:"rekeyMarginTimeSeconds"`
	RekeyFuzzPercentage          int              `xml:"rekeyFuzzPercentage"`
	ReplayWindowSize             int              `xml:"replayWindowSize"`
	DpdTimeoutSeconds            int              `xml:"dpdTimeoutSeconds"`
	DpdTimeoutAction             string           `xml:"dpdTimeoutAction"`
	Phase1EncryptionAlgorithmSet *items[valueXML] `xml:"phase1EncryptionAlgorithmSet"`
	Phase2EncryptionAlgorithmSet *items[valueXML] `xml:"phase2EncryptionAlgorithmSet"`
	Phase1IntegrityAlgorithmSet  *items[valueXML] `xml:"phase1IntegrityAlgorithmSet"`
	Phase2IntegrityAlgorithmSet  *items[valueXML] `xml:"phase2IntegrityAlgorithmSet"`
	Phase1DHGroupNumberSet       *items[valueXML] `xml:"phase1DHGroupNumberSet"`
	Phase2DHGroupNumberSet       *items[valueXML] `xml:"phase2DHGroupNumberSet"`
	IkeVersionSet                *items[valueXML] `xml:"ikeVersionSet"`
	StartupAction                string           `xml:"startupAction"`
	LogOptions                   logOptionsXML    `xml:"logOptions"`
	EnableTunnelLifecycleControl bool             `xml:"enableTunnelLifecycleControl"`
}

type logOptionsXML struct {
	CloudWatchLogOptions struct {
		LogEnabled bool `xml:"logEnabled"`
	} `xml:"cloudWatchLogOptions"`
}

type vpnStaticRouteXML struct {
	DestinationCidrBlock string `xml:"destinationCidrBlock"`
	Source               string `xml:"source"`
	State                string `xml:"state"`
}

type vgwTelemetryXML struct {
	OutsideIPAddress   string `xml:"outsideIpAddress"`
	Status             string `xml:"status"`
	LastStatusChange   string `xml:"lastStatusChange"`
	StatusMessage      string `xml:"statusMessage"`
	AcceptedRouteCount int    `xml:"acceptedRouteCount"`
}

// valueSet renders a requested list as EC2 does: only when it was set.
func valueSet(vs []string) *items[valueXML] {
	if len(vs) == 0 {
		return nil
	}
	out := &items[valueXML]{}
	for _, v := range vs {
		out.Items = append(out.Items, valueXML{v})
	}
	return out
}

func intSet(vs []int) *items[valueXML] {
	var s []string
	for _, v := range vs {
		s = append(s, strconv.Itoa(v))
	}
	return valueSet(s)
}

func renderVpnConnection(tx *emulator.Tx, v *emulator.VpnConnection) vpnConnectionXML {
	x := vpnConnectionXML{VpnConnectionID: v.ID, CustomerGatewayID: v.CustomerGatewayID, Category: "VPN", State: v.State, Type: v.Type,
		VpnGatewayID: v.VpnGatewayID, GatewayAssociationState: "associated", TagSet: tagSet(v.Tags),
		Options: vpnConnectionOptionsXML{StaticRoutesOnly: v.StaticRoutesOnly, LocalIpv4NetworkCidr: v.LocalIPv4NetworkCIDR.String(),
			RemoteIpv4NetworkCidr: v.RemoteIPv4NetworkCIDR.String(), OutsideIPAddressType: "PublicIpv4", TunnelInsideIPVersion: "ipv4"}}
	if v.State == emulator.VPNConnDeleted {
		x.GatewayAssociationState = "disassociated"
	} else {
		x.CustomerGatewayConfiguration = customerGatewayConfiguration(tx, v)
	}
	x.Routes.Items = []vpnStaticRouteXML{}
	for _, r := range v.Routes {
		x.Routes.Items = append(x.Routes.Items, vpnStaticRouteXML{DestinationCidrBlock: r.Dst.String(), Source: "Static", State: "available"})
	}
	for _, t := range v.Tunnels {
		o, e := t.Options, t.Options.Effective()
		x.Options.TunnelOptionSet.Items = append(x.Options.TunnelOptionSet.Items, tunnelOptionXML{
			OutsideIPAddress: t.IP.String(), TunnelInsideCidr: t.InsideCIDR.String(), PreSharedKey: t.PreSharedKey,
			Phase1LifetimeSeconds: e.Phase1Lifetime, Phase2LifetimeSeconds: e.Phase2Lifetime, RekeyMarginTimeSeconds: e.RekeyMarginTime,
			RekeyFuzzPercentage: e.RekeyFuzz, ReplayWindowSize: e.ReplayWindowSize, DpdTimeoutSeconds: e.DPDTimeoutSeconds,
			DpdTimeoutAction: e.DPDTimeoutAction, StartupAction: e.StartupAction, EnableTunnelLifecycleControl: o.LifecycleControl,
			Phase1EncryptionAlgorithmSet: valueSet(o.Phase1Encryption), Phase2EncryptionAlgorithmSet: valueSet(o.Phase2Encryption),
			Phase1IntegrityAlgorithmSet: valueSet(o.Phase1Integrity), Phase2IntegrityAlgorithmSet: valueSet(o.Phase2Integrity),
			Phase1DHGroupNumberSet: intSet(o.Phase1DHGroups), Phase2DHGroupNumberSet: intSet(o.Phase2DHGroups),
			IkeVersionSet: valueSet(o.IKEVersions)})
		x.VgwTelemetry.Items = append(x.VgwTelemetry.Items, vgwTelemetryXML{OutsideIPAddress: t.IP.String(), Status: t.Status,
			LastStatusChange: timestamp(t.LastStatusChange), StatusMessage: t.StatusMessage})
	}
	return x
}

// tunnelOptions reads Options.TunnelOptions.N.* (N = 1, 2).
func tunnelOptions(p params, n int) (emulator.TunnelSpec, error) {
	pre := "Options.TunnelOptions." + strconv.Itoa(n) + "."
	var spec emulator.TunnelSpec
	spec.InsideCIDR = p.get(pre + "TunnelInsideCidr")
	spec.PreSharedKey = p.get(pre + "PreSharedKey")
	if p.get(pre+"TunnelInsideIpv6Cidr") != "" {
		return spec, emulator.AWSErr("UnsupportedOperation", "spacelab models IPv4 tunnels only (tunnelInsideIpv6Cidr is for transit gateways)")
	}
	if p.get(pre+"LogOptions.CloudWatchLogOptions.LogEnabled") == "true" {
		return spec, emulator.AWSErr("UnsupportedOperation", "spacelab does not model tunnel logs to CloudWatch (LogOptions)")
	}
	o := &spec.Options
	for _, l := range []struct {
		name string
		dst  *[]string
	}{{"Phase1EncryptionAlgorithm", &o.Phase1Encryption}, {"Phase2EncryptionAlgorithm", &o.Phase2Encryption},
		{"Phase1IntegrityAlgorithm", &o.Phase1Integrity}, {"Phase2IntegrityAlgorithm", &o.Phase2Integrity}, {"IKEVersion", &o.IKEVersions}} {
		for _, n := range p.indexes(pre + l.name) {
			*l.dst = append(*l.dst, p.get(member(pre+l.name, n, "Value")))
		}
	}
	for _, l := range []struct {
		name string
		dst  *[]int
	}{{"Phase1DHGroupNumber", &o.Phase1DHGroups}, {"Phase2DHGroupNumber", &o.Phase2DHGroups}} {
		for _, i := range p.indexes(pre + l.name) {
			raw := p.get(member(pre+l.name, i, "Value"))
			g, err := strconv.Atoi(raw)
			if err != nil {
				return spec, invalidValue(raw, "TunnelOptions."+strconv.Itoa(n)+"."+l.name)
			}
			*l.dst = append(*l.dst, g)
		}
	}
	for _, l := range []struct {
		name string
		dst  *int
	}{{"Phase1LifetimeSeconds", &o.Phase1Lifetime}, {"Phase2LifetimeSeconds", &o.Phase2Lifetime}, {"DPDTimeoutSeconds", &o.DPDTimeoutSeconds},
		{"RekeyMarginTimeSeconds", &o.RekeyMarginTime}, {"RekeyFuzzPercentage", &o.RekeyFuzz}, {"ReplayWindowSize", &o.ReplayWindowSize}} {
		v, _, err := p.integer(pre + l.name)
		if err != nil {
			return spec, err
		}
		*l.dst = v
	}
	o.DPDTimeoutAction = p.get(pre + "DPDTimeoutAction")
	o.StartupAction = p.get(pre + "StartupAction")
	lc, err := p.boolean(pre+"EnableTunnelLifecycleControl", false)
	if err != nil {
		return spec, err
	}
	o.LifecycleControl = lc
	return spec, nil
}

type createVpnConnectionResponse struct {
	VpnConnection vpnConnectionXML `xml:"vpnConnection"`
}

// createVpnConnection answers "pending", as EC2 does; the connection is available by the next
// describe, and its tunnels come up when the customer gateway negotiates them.
func createVpnConnection(s *Server, r *request) (response, error) {
	p := r.Params
	typ, err := p.required("Type")
	if err != nil {
		return nil, err
	}
	cgw, err := p.required("CustomerGatewayId")
	if err != nil {
		return nil, err
	}
	if p.get("TransitGatewayId") != "" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model transit gateways (transitGatewayId)")
	}
	vgw := p.get("VpnGatewayId")
	if vgw == "" {
		return nil, emulator.AWSErr("MissingParameter", "The request must contain the parameter vpnGatewayId or transitGatewayId")
	}
	static, err := p.boolean("Options.StaticRoutesOnly", false)
	if err != nil {
		return nil, err
	}
	if acc, err := p.boolean("Options.EnableAcceleration", false); err != nil {
		return nil, err
	} else if acc {
		return nil, emulator.AWSErr("InvalidParameterValue", "Acceleration is only supported for VPN connections on a transit gateway.")
	}
	if v := p.get("Options.TunnelInsideIpVersion"); v != "" && v != "ipv4" {
		if v == "ipv6" {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models IPv4 tunnels only (tunnelInsideIpVersion ipv6 is for transit gateways)")
		}
		return nil, invalidValue(v, "Options.TunnelInsideIpVersion")
	}
	if v := p.get("Options.OutsideIpAddressType"); v != "" && v != "PublicIpv4" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab models public outside addresses only (outsideIpAddressType %s)", v)
	}
	for _, name := range []string{"Options.LocalIpv6NetworkCidr", "Options.RemoteIpv6NetworkCidr", "Options.TransportTransitGatewayAttachmentId"} {
		if p.get(name) != "" {
			return nil, emulator.AWSErr("UnsupportedOperation", "spacelab does not model %s", lowerFirst(strings.TrimPrefix(name, "Options.")))
		}
	}
	if v := p.get("PreSharedKeyStorage"); v != "" && v != "Standard" {
		return nil, emulator.AWSErr("UnsupportedOperation", "spacelab keeps pre-shared keys in the connection (PreSharedKeyStorage Standard), not in Secrets Manager")
	}
	if ns := p.indexes("Options.TunnelOptions"); len(ns) > 0 && ns[len(ns)-1] > 2 {
		return nil, emulator.AWSErr("InvalidParameterValue", "A VPN connection has two tunnels: TunnelOptions may have at most 2 members.")
	}
	tags, err := p.tagSpecs("vpn-connection")
	if err != nil {
		return nil, err
	}
	req := emulator.VpnConnectionRequest{Type: typ, CustomerGatewayID: cgw, VpnGatewayID: vgw, StaticRoutesOnly: static,
		LocalIPv4NetworkCIDR: p.get("Options.LocalIpv4NetworkCidr"), RemoteIPv4NetworkCIDR: p.get("Options.RemoteIpv4NetworkCidr"), Tags: tags}
	for i := range 2 {
		if req.Tunnels[i], err = tunnelOptions(p, i+1); err != nil {
			return nil, err
		}
	}
	resp := &createVpnConnectionResponse{}
	err = s.update(r, func(tx *emulator.Tx) error {
		v, err := tx.CreateVpnConnection(r.Caller, req)
		if err != nil {
			return err
		}
		resp.VpnConnection = renderVpnConnection(tx, v)
		resp.VpnConnection.State = emulator.VPNConnPending
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

type describeVpnConnectionsResponse struct {
	VpnConnectionSet items[vpnConnectionXML] `xml:"vpnConnectionSet"`
}

var vpnConnectionFields = fields[vpnConnectionXML]{
	"vpn-connection-id":   func(x vpnConnectionXML) []string { return one(x.VpnConnectionID) },
	"customer-gateway-id": func(x vpnConnectionXML) []string { return one(x.CustomerGatewayID) },
	"vpn-gateway-id":      func(x vpnConnectionXML) []string { return one(x.VpnGatewayID) },
	"state":               func(x vpnConnectionXML) []string { return one(x.State) },
	"type":                func(x vpnConnectionXML) []string { return one(x.Type) },
	"category":            func(x vpnConnectionXML) []string { return one(x.Category) },
	"option.static-routes-only": func(x vpnConnectionXML) []string {
		return one(boolStr(x.Options.StaticRoutesOnly))
	},
	"route.destination-cidr-block": func(x vpnConnectionXML) []string {
		return mapItems(x.Routes.Items, func(r vpnStaticRouteXML) string { return r.DestinationCidrBlock })
	},
}

func describeVpnConnections(s *Server, r *request) (response, error) {
	fs, err := r.Params.filters()
	if err != nil {
		return nil, err
	}
	ids := r.Params.list("VpnConnectionId")
	resp := &describeVpnConnectionsResponse{}
	err = s.view(r, func(tx *emulator.Tx) error {
		var all []vpnConnectionXML
		tagsOf := map[string]emulator.Tags{}
		for _, v := range tx.VpnConnections() {
			if r.Caller.Owns(v.Account, v.Region) {
				all = append(all, renderVpnConnection(tx, v))
				tagsOf[v.ID] = v.Tags
			}
		}
		kept, missing := pickIDs(all, func(x vpnConnectionXML) string { return x.VpnConnectionID }, ids)
		if len(missing) > 0 {
			return notFound("InvalidVpnConnectionID.NotFound", "vpnConnection", missing)
		}
		kept, err := applyFilters(kept, fs, vpnConnectionFields, func(x vpnConnectionXML) emulator.Tags { return tagsOf[x.VpnConnectionID] })
		resp.VpnConnectionSet = list(kept)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func deleteVpnConnection(s *Server, r *request) (response, error) {
	id, err := r.Params.required("VpnConnectionId")
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteVpnConnection(r.Caller, id) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func vpnRouteParams(p params) (string, netip.Prefix, string, error) {
	id, err := p.required("VpnConnectionId")
	if err != nil {
		return "", netip.Prefix{}, "", err
	}
	raw, err := p.required("DestinationCidrBlock")
	if err != nil {
		return "", netip.Prefix{}, "", err
	}
	dst, _ := netip.ParsePrefix(raw)
	return id, dst, raw, nil
}

func createVpnConnectionRoute(s *Server, r *request) (response, error) {
	id, dst, raw, err := vpnRouteParams(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.CreateVpnConnectionRoute(r.Caller, id, dst, raw) }); err != nil {
		return nil, err
	}
	return ok(), nil
}

func deleteVpnConnectionRoute(s *Server, r *request) (response, error) {
	id, dst, raw, err := vpnRouteParams(r.Params)
	if err != nil {
		return nil, err
	}
	if err := s.update(r, func(tx *emulator.Tx) error { return tx.DeleteVpnConnectionRoute(r.Caller, id, dst, raw) }); err != nil {
		return nil, err
	}
	return ok(), nil
}
