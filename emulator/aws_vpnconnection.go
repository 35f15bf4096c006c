package emulator

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Site-to-Site VPN connection states (DescribeVpnConnections).
const (
	VPNConnPending   = "pending"
	VPNConnAvailable = "available"
	VPNConnDeleted   = "deleted"
)

// VpnConnection is an AWS Site-to-Site VPN connection between a virtual private gateway and a
// customer gateway: two IPsec tunnels (IKEv1, pre-shared keys; IKEv2 is refused, spacelab's
// IPsec speaks IKEv1 only) from two AWS outside addresses to the customer gateway's address,
// static routing only. The data plane reports each tunnel's state back (VgwTelemetry).
type VpnConnection struct {
	ID                string // vpn-…
	Account           string
	Region            string
	Type              string // ipsec.1
	CustomerGatewayID string
	VpnGatewayID      string
	State             string
	// Options as CreateVpnConnection set them (defaults filled in).
	StaticRoutesOnly      bool
	LocalIPv4NetworkCIDR  netip.Prefix // the customer side; default 0.0.0.0/0
	RemoteIPv4NetworkCIDR netip.Prefix // the AWS side; default 0.0.0.0/0
	Routes                []*VpnStaticRoute
	Tunnels               []*S2STunnel
	CreateTime            time.Time
	Tags                  Tags
}

// VpnStaticRoute is a route of a static VPN connection: where the customer's networks are.
type VpnStaticRoute struct {
	Dst netip.Prefix
}

// S2STunnel is one of a Site-to-Site connection's two tunnels: its AWS outside address, inside
// /30, key and options, and the state the data plane last reported.
type S2STunnel struct {
	VPNTunnel  // IP (AWS's outside address), CustomerIP, PreSharedKey, Status…
	InsideCIDR netip.Prefix
	Options    TunnelOptions
}

// VgwInsideAddress is AWS's address in the tunnel's inside /30, CgwInsideAddress the customer's.
func (t *S2STunnel) VgwInsideAddress() netip.Addr { return nthAddr(t.InsideCIDR, 1) }

// CgwInsideAddress is the customer gateway's address in the tunnel's inside /30.
func (t *S2STunnel) CgwInsideAddress() netip.Addr { return nthAddr(t.InsideCIDR, 2) }

// TunnelOptions are a tunnel's IKE/IPsec options (VpnTunnelOptionsSpecification). Empty
// algorithm lists mean AWS's defaults: every algorithm AWS offers that spacelab's IPsec
// implements.
type TunnelOptions struct {
	Phase1Encryption  []string // AES128, AES256
	Phase1Integrity   []string // SHA1, SHA2-256, SHA2-384, SHA2-512
	Phase1DHGroups    []int    // 2, 14, 19, 20
	Phase2Encryption  []string
	Phase2Integrity   []string
	Phase2DHGroups    []int
	IKEVersions       []string // ikev1 (ikev2 alone is refused)
	Phase1Lifetime    int      // seconds, default 28800
	Phase2Lifetime    int      // seconds, default 3600
	DPDTimeoutSeconds int      // default 30
	DPDTimeoutAction  string   // clear, none, restart; default clear
	StartupAction     string   // add (the customer gateway initiates), start (AWS does)
	RekeyMarginTime   int      // default 540
	RekeyFuzz         int      // default 100
	ReplayWindowSize  int      // default 1024
	LifecycleControl  bool
}

// AWS's defaults for tunnel options.
const (
	DefaultPhase1Lifetime  = 28800
	DefaultPhase2Lifetime  = 3600
	DefaultDPDTimeout      = 30
	DefaultRekeyMargin     = 540
	DefaultRekeyFuzz       = 100
	DefaultReplayWindow    = 1024
	DefaultDPDAction       = "clear"
	DefaultStartupAction   = "add"
	vpnTunnelInsideNetwork = "169.254.0.0/16"
)

// What AWS offers by default, less what spacelab's IPsec does not implement (AES-GCM; DH groups
// 15–18 and 21–24).
var (
	s2sEncryption = []string{"AES128", "AES256"}
	s2sIntegrity  = []string{"SHA1", "SHA2-256", "SHA2-384", "SHA2-512"}
	s2sDHGroups   = []int{2, 14, 19, 20}
	awsDHGroups   = []int{2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}
	awsEncryption = []string{"AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"}
	strongswanEnc = map[string]string{"AES128": "aes128", "AES256": "aes256"}
	strongswanInt = map[string]string{"SHA1": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384", "SHA2-512": "sha512"}
	strongswanDH  = map[int]string{2: "modp1024", 14: "modp2048", 19: "ecp256", 20: "ecp384"}
)

func orStrings(v, d []string) []string {
	if len(v) == 0 {
		return d
	}
	return v
}

func orInts(v, d []int) []int {
	if len(v) == 0 {
		return d
	}
	return v
}

func orInt(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// Effective returns the options with AWS's defaults filled in.
func (o TunnelOptions) Effective() TunnelOptions {
	o.Phase1Encryption = orStrings(o.Phase1Encryption, s2sEncryption)
	o.Phase2Encryption = orStrings(o.Phase2Encryption, s2sEncryption)
	o.Phase1Integrity = orStrings(o.Phase1Integrity, s2sIntegrity)
	o.Phase2Integrity = orStrings(o.Phase2Integrity, s2sIntegrity)
	o.Phase1DHGroups = orInts(o.Phase1DHGroups, s2sDHGroups)
	o.Phase2DHGroups = orInts(o.Phase2DHGroups, s2sDHGroups)
	o.Phase1Lifetime = orInt(o.Phase1Lifetime, DefaultPhase1Lifetime)
	o.Phase2Lifetime = orInt(o.Phase2Lifetime, DefaultPhase2Lifetime)
	o.DPDTimeoutSeconds = orInt(o.DPDTimeoutSeconds, DefaultDPDTimeout)
	o.RekeyMarginTime = orInt(o.RekeyMarginTime, DefaultRekeyMargin)
	o.RekeyFuzz = orInt(o.RekeyFuzz, DefaultRekeyFuzz)
	o.ReplayWindowSize = orInt(o.ReplayWindowSize, DefaultReplayWindow)
	if o.DPDTimeoutAction == "" {
		o.DPDTimeoutAction = DefaultDPDAction
	}
	if o.StartupAction == "" {
		o.StartupAction = DefaultStartupAction
	}
	return o
}

// Proposals renders the effective options as strongSwan proposal strings (IKE, ESP), the form
// the IPsec data plane takes.
func (o TunnelOptions) Proposals() (ike, esp []string) {
	e := o.Effective()
	for _, enc := range e.Phase1Encryption {
		for _, in := range e.Phase1Integrity {
			for _, g := range e.Phase1DHGroups {
				ike = append(ike, strongswanEnc[enc]+"-"+strongswanInt[in]+"-"+strongswanDH[g])
			}
		}
	}
	for _, enc := range e.Phase2Encryption {
		for _, in := range e.Phase2Integrity {
			for _, g := range e.Phase2DHGroups {
				esp = append(esp, strongswanEnc[enc]+"-"+strongswanInt[in]+"-"+strongswanDH[g])
			}
		}
	}
	return ike, esp
}

// check validates the options of tunnel n (1 or 2) as EC2 does, and refuses what spacelab's
// IPsec cannot honour.
func (o TunnelOptions) check(n int) error {
	bad := func(name string, v any) error {
		return AWSErr("InvalidParameterValue", "Value (%v) for parameter TunnelOptions.%d.%s is invalid.", v, n, name)
	}
	unsupported := func(name string, v any) error {
		return AWSErr("UnsupportedOperation", "spacelab's IPsec does not implement %v (TunnelOptions.%d.%s); it implements %s", v, n, name,
			"AES128, AES256; SHA1, SHA2-256, SHA2-384, SHA2-512; DH groups 2, 14, 19, 20; IKEv1")
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"Phase1EncryptionAlgorithms", o.Phase1Encryption}, {"Phase2EncryptionAlgorithms", o.Phase2Encryption}} {
		for _, a := range l.v {
			if !slices.Contains(awsEncryption, a) {
				return bad(l.name, a)
			}
			if strongswanEnc[a] == "" {
				return unsupported(l.name, a)
			}
		}
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"Phase1IntegrityAlgorithms", o.Phase1Integrity}, {"Phase2IntegrityAlgorithms", o.Phase2Integrity}} {
		for _, a := range l.v {
			if strongswanInt[a] == "" {
				return bad(l.name, a)
			}
		}
	}
	for _, l := range []struct {
		name string
		v    []int
	}{{"Phase1DHGroupNumbers", o.Phase1DHGroups}, {"Phase2DHGroupNumbers", o.Phase2DHGroups}} {
		for _, g := range l.v {
			if !slices.Contains(awsDHGroups, g) || (g == 5 && l.name == "Phase1DHGroupNumbers") {
				return bad(l.name, g)
			}
			if strongswanDH[g] == "" {
				return unsupported(l.name, g)
			}
		}
	}
	for _, v := range o.IKEVersions {
		if v != "ikev1" && v != "ikev2" {
			return bad("IKEVersions", v)
		}
	}
	if len(o.IKEVersions) > 0 && !slices.Contains(o.IKEVersions, "ikev1") {
		return unsupported("IKEVersions", strings.Join(o.IKEVersions, ","))
	}
	switch {
	case o.Phase1Lifetime != 0 && (o.Phase1Lifetime < 900 || o.Phase1Lifetime > 28800):
		return bad("Phase1LifetimeSeconds", o.Phase1Lifetime)
	case o.Phase2Lifetime != 0 && (o.Phase2Lifetime < 900 || o.Phase2Lifetime > 3600):
		return bad("Phase2LifetimeSeconds", o.Phase2Lifetime)
	case o.Phase1Lifetime != 0 && o.Phase2Lifetime != 0 && o.Phase2Lifetime >= o.Phase1Lifetime:
		return bad("Phase2LifetimeSeconds", o.Phase2Lifetime)
	case o.DPDTimeoutSeconds != 0 && o.DPDTimeoutSeconds < 30:
		return bad("DPDTimeoutSeconds", o.DPDTimeoutSeconds)
	case o.RekeyMarginTime != 0 && (o.RekeyMarginTime < 60 || o.RekeyMarginTime > 1800):
		return bad("RekeyMarginTimeSeconds", o.RekeyMarginTime)
	case o.RekeyFuzz < 0 || o.RekeyFuzz > 100:
		return bad("RekeyFuzzPercentage", o.RekeyFuzz)
	case o.ReplayWindowSize != 0 && (o.ReplayWindowSize < 64 || o.ReplayWindowSize > 2048):
		return bad("ReplayWindowSize", o.ReplayWindowSize)
	}
	switch o.DPDTimeoutAction {
	case "", "clear", "none", "restart":
	default:
		return bad("DPDTimeoutAction", o.DPDTimeoutAction)
	}
	switch o.StartupAction {
	case "", "add", "start":
	default:
		return bad("StartupAction", o.StartupAction)
	}
	return nil
}

// TunnelSpec is what CreateVpnConnection may set per tunnel besides the options.
type TunnelSpec struct {
	InsideCIDR   string
	PreSharedKey string
	Options      TunnelOptions
}

// VpnConnectionRequest is CreateVpnConnection's input.
type VpnConnectionRequest struct {
	Type                  string
	CustomerGatewayID     string
	VpnGatewayID          string
	StaticRoutesOnly      bool
	LocalIPv4NetworkCIDR  string
	RemoteIPv4NetworkCIDR string
	Tunnels               [2]TunnelSpec
	Tags                  Tags
}

// VpnConnection returns a Site-to-Site VPN connection by id, or nil.
func (tx *Tx) VpnConnection(id string) *VpnConnection { return tx.w.s2svpns[id] }

// VpnConnections returns every Site-to-Site VPN connection (deleted ones included), by id.
func (tx *Tx) VpnConnections() []*VpnConnection { return ordered(tx.w.s2svpns) }

func (tx *Tx) callerVPNConn(c Caller, id string) (*VpnConnection, error) {
	v := tx.w.s2svpns[id]
	if v == nil || !c.owns(v.Account, v.Region) || v.State == VPNConnDeleted {
		return nil, AWSErr("InvalidVpnConnectionID.NotFound", "The vpnConnection ID '%s' does not exist", id)
	}
	return v, nil
}

var pskChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._"

func validPSK(s string) bool {
	if len(s) < 8 || len(s) > 64 || s[0] == '0' {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(pskChars, r) {
			return false
		}
	}
	return true
}

// reservedInside are the inside /30s AWS does not allow.
var reservedInside = []string{"169.254.0.0/30", "169.254.1.0/30", "169.254.2.0/30", "169.254.3.0/30", "169.254.4.0/30",
	"169.254.5.0/30", "169.254.169.252/30"}

func (tx *Tx) insideInUse(vgwID string, p netip.Prefix) bool {
	for _, v := range tx.w.s2svpns {
		if v.VpnGatewayID != vgwID || v.State == VPNConnDeleted {
			continue
		}
		for _, t := range v.Tunnels {
			if t.InsideCIDR == p {
				return true
			}
		}
	}
	return false
}

func (tx *Tx) newPSK() string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_."
	b := []byte{alnum[tx.w.rng.IntN(52)]}
	for len(b) < 32 {
		b = append(b, alnum[tx.w.rng.IntN(len(alnum))])
	}
	return string(b)
}

// CreateVpnConnection creates a static Site-to-Site VPN connection between a virtual private
// gateway and a customer gateway. It starts pending and is available by the next look.
func (tx *Tx) CreateVpnConnection(c Caller, req VpnConnectionRequest) (*VpnConnection, error) {
	if req.Type != "ipsec.1" {
		return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter type is invalid. Valid values: ipsec.1", req.Type)
	}
	if req.CustomerGatewayID == "" {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter customerGatewayId")
	}
	if req.VpnGatewayID == "" {
		return nil, AWSErr("MissingParameter", "The request must contain the parameter vpnGatewayId or transitGatewayId")
	}
	cg, err := tx.callerCGW(c, req.CustomerGatewayID)
	if err != nil {
		return nil, err
	}
	g, err := tx.callerVGW(c, req.VpnGatewayID)
	if err != nil {
		return nil, err
	}
	if !req.StaticRoutesOnly {
		return nil, AWSErr("UnsupportedOperation", "spacelab models static routing only (BGP is not modelled): set Options.StaticRoutesOnly=true")
	}
	v := &VpnConnection{ID: tx.NewID("vpn"), Account: c.Account, Region: c.Region, Type: req.Type, CustomerGatewayID: cg.ID,
		VpnGatewayID: g.ID, State: VPNConnAvailable, StaticRoutesOnly: true, CreateTime: tx.now, Tags: cloneTags(req.Tags)}
	for i, raw := range []struct {
		name, v string
		dst     *netip.Prefix
	}{{"LocalIpv4NetworkCidr", req.LocalIPv4NetworkCIDR, &v.LocalIPv4NetworkCIDR}, {"RemoteIpv4NetworkCidr", req.RemoteIPv4NetworkCIDR, &v.RemoteIPv4NetworkCIDR}} {
		_ = i
		if raw.v == "" {
			*raw.dst = netip.MustParsePrefix("0.0.0.0/0")
			continue
		}
		p, err := netip.ParsePrefix(raw.v)
		if err != nil || !p.Addr().Is4() || p.Masked() != p {
			return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter Options.%s is invalid. This is not a valid CIDR block.", raw.v, raw.name)
		}
		*raw.dst = p
	}
	for i, spec := range req.Tunnels {
		if err := spec.Options.check(i + 1); err != nil {
			return nil, err
		}
		t := &S2STunnel{VPNTunnel: VPNTunnel{CustomerIP: cg.IPAddress, Status: TunnelDown, LastStatusChange: tx.now}, Options: spec.Options}
		if spec.PreSharedKey != "" {
			if !validPSK(spec.PreSharedKey) {
				return nil, AWSErr("InvalidParameterValue", "Value for parameter TunnelOptions.%d.PreSharedKey is invalid. Allowed characters are alphanumeric characters, period (.) and underscores (_). Must be between 8 and 64 characters in length and cannot start with zero (0).", i+1)
			}
			t.PreSharedKey = spec.PreSharedKey
		} else {
			t.PreSharedKey = tx.newPSK()
		}
		if spec.InsideCIDR != "" {
			p, err := netip.ParsePrefix(spec.InsideCIDR)
			if err != nil || p.Bits() != 30 || p.Masked() != p || !netip.MustParsePrefix(vpnTunnelInsideNetwork).Contains(p.Addr()) ||
				slices.Contains(reservedInside, p.String()) {
				return nil, AWSErr("InvalidParameterValue", "Value (%s) for parameter TunnelOptions.%d.TunnelInsideCidr is invalid. The inside CIDR must be a /30 in 169.254.0.0/16, not one of %s.", spec.InsideCIDR, i+1, strings.Join(reservedInside, ", "))
			}
			if tx.insideInUse(g.ID, p) || (i == 1 && v.Tunnels[0].InsideCIDR == p) {
				return nil, AWSErr("InvalidParameterValue", "The tunnel inside CIDR %s is already in use by a VPN connection of %s.", p, g.ID)
			}
			t.InsideCIDR = p
		}
		v.Tunnels = append(v.Tunnels, t)
	}
	tx.mustWriteFor(Changed{"vpn-connection", v.ID}, &tx.w.s2svpns)
	for i, t := range v.Tunnels {
		for !t.InsideCIDR.IsValid() {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{169, 254, byte(tx.w.rng.IntN(256)), byte(tx.w.rng.IntN(64) * 4)}), 30)
			if !slices.Contains(reservedInside, p.String()) && !tx.insideInUse(g.ID, p) && (i == 0 || v.Tunnels[0].InsideCIDR != p) {
				t.InsideCIDR = p
			}
		}
		t.IP = tx.newPublicAddr()
		tx.w.s2svpns[v.ID] = v // so the next address is seen as used
	}
	tx.w.log.Info("site-to-site vpn connection created", "vpn", v.ID, "vgw", g.ID, "cgw", cg.ID, "customer", cg.IPAddress)
	return v, nil
}

// DeleteVpnConnection deletes a connection: its tunnels go, and the routes it propagated.
func (tx *Tx) DeleteVpnConnection(c Caller, id string) error {
	v, err := tx.callerVPNConn(c, id)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"vpn-connection", v.ID}, v)
	v.State = VPNConnDeleted
	for _, t := range v.Tunnels {
		t.Status, t.StatusMessage = TunnelDown, ""
	}
	return nil
}

// CreateVpnConnectionRoute adds a static route (a customer network) to a connection.
func (tx *Tx) CreateVpnConnectionRoute(c Caller, id string, dst netip.Prefix, raw string) error {
	v, err := tx.callerVPNConn(c, id)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"vpn-connection", v.ID}, v)
	if !dst.IsValid() || !dst.Addr().Is4() || dst.Masked() != dst {
		return AWSErr("InvalidParameterValue", "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", raw)
	}
	for _, r := range v.Routes {
		if r.Dst == dst {
			return AWSErr("RouteAlreadyExists", "The route identified by %s already exists.", dst)
		}
	}
	if len(v.Routes) >= 100 {
		return AWSErr("RouteLimitExceeded", "The maximum number of static routes (100) has been reached for VPN connection %s.", v.ID)
	}
	v.Routes = append(v.Routes, &VpnStaticRoute{Dst: dst})
	return nil
}

// DeleteVpnConnectionRoute removes a static route of a connection.
func (tx *Tx) DeleteVpnConnectionRoute(c Caller, id string, dst netip.Prefix, raw string) error {
	v, err := tx.callerVPNConn(c, id)
	if err != nil {
		return err
	}
	tx.mustWriteFor(Changed{"vpn-connection", v.ID}, v)
	for i, r := range v.Routes {
		if r.Dst == dst {
			v.Routes = slices.Delete(v.Routes, i, i+1)
			return nil
		}
	}
	return AWSErr("InvalidRoute.NotFound", "The route identified by %s does not exist in VPN connection %s.", raw, v.ID)
}

// S2SVPNLive reports whether a connection's tunnels exist in the data plane: it is not deleted
// and its gateway is attached to a VPC.
func (tx *Tx) S2SVPNLive(v *VpnConnection) bool {
	if v.State == VPNConnDeleted {
		return false
	}
	g := tx.w.vgws[v.VpnGatewayID]
	return g != nil && g.State == GatewayAvailable && g.AttachState == AttachAttached
}

// S2STunnelName names a Site-to-Site tunnel in the data plane (and in status reports); it parses
// with ParseVPNTunnelName.
func S2STunnelName(v *VpnConnection, i int) string { return fmt.Sprintf("%s/tunnel%d", v.ID, i+1) }

// reportS2STunnel records the data plane's report of one Site-to-Site tunnel; it returns
// whether anything changed. apply false only asks.
func (tx *Tx) reportS2STunnel(r TunnelReport, apply bool) bool {
	v := tx.w.s2svpns[r.VPNID]
	if v == nil || r.Tunnel < 0 || r.Tunnel >= len(v.Tunnels) || v.State == VPNConnDeleted {
		return false
	}
	t := v.Tunnels[r.Tunnel]
	st := TunnelDown
	if r.Up {
		st = TunnelUp
	}
	if t.Status == st && t.StatusMessage == r.Message {
		return false
	}
	if apply {
		tx.mustWriteModel(v) // the render draws tunnels whatever their status
		if t.Status != st {
			t.LastStatusChange = tx.now
		}
		t.Status, t.StatusMessage = st, r.Message
	}
	return true
}

// S2SSelectors returns the traffic selectors of a connection's tunnels: the AWS side
// (Options.RemoteIpv4NetworkCidr, and for the default 0.0.0.0/0 the VPC's CIDR, the only
// network a virtual private gateway delivers to) and the customer side
// (Options.LocalIpv4NetworkCidr, and for the default 0.0.0.0/0 the private ranges outside the
// VPC). A customer gateway may propose narrower selectors inside them.
func (tx *Tx) S2SSelectors(v *VpnConnection) (awsSide, customerSide []netip.Prefix) {
	all := netip.MustParsePrefix("0.0.0.0/0")
	var vpc netip.Prefix
	if g := tx.w.vgws[v.VpnGatewayID]; g != nil {
		if x := tx.w.vpcs[g.VPCID]; x != nil {
			vpc = x.CIDR
		}
	}
	awsSide = []netip.Prefix{v.RemoteIPv4NetworkCIDR}
	if v.RemoteIPv4NetworkCIDR == all && vpc.IsValid() {
		awsSide = []netip.Prefix{vpc}
	}
	customerSide = []netip.Prefix{v.LocalIPv4NetworkCIDR}
	if v.LocalIPv4NetworkCIDR == all {
		customerSide = nil
		for _, p := range RFC1918 {
			customerSide = append(customerSide, subtractPrefix(p, vpc)...)
		}
	}
	return awsSide, customerSide
}

// subtractPrefix returns p without q, as the fewest prefixes.
func subtractPrefix(p, q netip.Prefix) []netip.Prefix {
	if !q.IsValid() || !p.Overlaps(q) {
		return []netip.Prefix{p}
	}
	if q.Bits() <= p.Bits() {
		return nil
	}
	// Split p in halves; keep the half without q whole, recurse into the other.
	lo := netip.PrefixFrom(p.Addr(), p.Bits()+1)
	hi := netip.PrefixFrom(lastAddr(lo).Next(), p.Bits()+1)
	if lo.Contains(q.Addr()) {
		return append(subtractPrefix(lo, q), hi)
	}
	return append([]netip.Prefix{lo}, subtractPrefix(hi, q)...)
}
