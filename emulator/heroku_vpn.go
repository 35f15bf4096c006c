package emulator

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// VPN connection states (Heroku Platform API).
const (
	VPNPending        = "pending"
	VPNProvisioning   = "provisioning"
	VPNActive         = "active"
	VPNDeprovisioning = "deprovisioning"
	VPNFailed         = "failed"
)

// Tunnel states.
const (
	TunnelUp   = "UP"
	TunnelDown = "DOWN"
)

// VPNConnection is a Private Space VPN connection: two IPsec (IKEv1, pre-shared key) tunnels
// from two Heroku gateway addresses to one customer gateway, routing RoutableCIDRs (static
// routes only) into the space. The data plane reports each tunnel's state back.
type VPNConnection struct {
	ID            string // 12 digits
	Name          string
	SpaceID       string
	PublicIP      netip.Addr // the customer gateway
	RoutableCIDRs []netip.Prefix
	status        string
	StatusMessage string
	IKEVersion    int
	Tunnels       []*VPNTunnel
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// VPNTunnel is one of a connection's two tunnels.
type VPNTunnel struct {
	IP               netip.Addr // Heroku's end
	CustomerIP       netip.Addr
	PreSharedKey     string
	Status           string // UP or DOWN
	StatusMessage    string
	LastStatusChange time.Time
}

// VPNPolicy overrides what a space's VPN gateway offers and accepts, to emulate gateways other
// than Heroku's. Suites use strongSwan's proposal syntax ("aes256-sha256-modp2048",
// "aes128-{sha1,sha256}"); zero fields keep Heroku's defaults (IKEv1, PSK, aes128 with sha1 or
// sha256 and MODP 1024/2048).
type VPNPolicy struct {
	IKE         []string
	ESP         []string
	IKELifetime time.Duration
	ESPLifetime time.Duration
	DPDDelay    time.Duration
	DPDTimeout  time.Duration
}

// VPNProvisionTime is how long a new connection takes to provision (pending, then provisioning,
// then active), as Heroku's does (quickly here).
var VPNProvisionTime = 2 * time.Second

// Status is the connection's state at time now.
func (v *VPNConnection) Status(now time.Time) string {
	if v.status != VPNPending {
		return v.status
	}
	switch age := now.Sub(v.CreatedAt); {
	case age >= VPNProvisionTime:
		return VPNActive
	case age >= VPNProvisionTime/2:
		return VPNProvisioning
	}
	return VPNPending
}

var vpnNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)

// MaxVPNConnectionsPerSpace is how many VPN connections a space may have (Heroku documents one).
const MaxVPNConnectionsPerSpace = 1

// VPNConnections returns a space's connections ordered by name.
func (tx *Tx) VPNConnections(spaceID string) []*VPNConnection {
	var out []*VPNConnection
	for _, v := range tx.w.vpns {
		if spaceID == "" || v.SpaceID == spaceID {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// VPNConnection finds a space's connection by name or id.
func (tx *Tx) VPNConnection(sp *Space, nameOrID string) (*VPNConnection, error) {
	for _, v := range tx.VPNConnections(sp.ID) {
		if v.Name == nameOrID || v.ID == nameOrID {
			return v, nil
		}
	}
	return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that VPN connection.")
}

// checkRoutable validates routable CIDRs: RFC 1918, no overlap with each other, the space, its
// data CIDR or 172.17.0.0/16.
func (tx *Tx) checkRoutable(sp *Space, cidrs []netip.Prefix) error {
	if len(cidrs) == 0 {
		return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "At least one routable CIDR is required.")
	}
	for i, c := range cidrs {
		if !c.IsValid() || !c.Addr().Is4() || c.Masked() != c {
			return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "%s is not a valid IPv4 CIDR block.", c)
		}
		if !IsPrivate(c) {
			return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Routable CIDR %s is not an RFC 1918 range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16).", c)
		}
		for _, used := range []struct {
			p    netip.Prefix
			what string
		}{{sp.CIDR, "the space CIDR"}, {sp.DataCIDR, "the data CIDR"}, {DockerCIDR, "the reserved range"}} {
			if c.Overlaps(used.p) {
				return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Routable CIDR %s overlaps %s %s.", c, used.what, used.p)
			}
		}
		for _, o := range cidrs[:i] {
			if c.Overlaps(o) {
				return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Routable CIDRs %s and %s overlap.", o, c)
			}
		}
	}
	return nil
}

// IsPublicAddr reports whether a is a routable public IPv4 address.
func IsPublicAddr(a netip.Addr) bool {
	return a.Is4() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsMulticast() &&
		!a.IsUnspecified() && !netip.MustParsePrefix("100.64.0.0/10").Contains(a) && !netip.MustParsePrefix("0.0.0.0/8").Contains(a) &&
		a != netip.MustParseAddr("255.255.255.255")
}

// CreateVPNConnection starts provisioning a VPN connection to a customer gateway.
func (tx *Tx) CreateVPNConnection(sp *Space, name string, publicIP netip.Addr, cidrs []netip.Prefix) (*VPNConnection, error) {
	if !vpnNameRE.MatchString(name) {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name must start with a letter or digit and contain only letters, digits, dots, dashes and underscores.")
	}
	if !publicIP.IsValid() || !IsPublicAddr(publicIP) {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Public IP %s is not a public IPv4 address.", publicIP)
	}
	if err := tx.checkRoutable(sp, cidrs); err != nil {
		return nil, err
	}
	existing := tx.VPNConnections(sp.ID)
	for _, v := range existing {
		if v.Name == name {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "A VPN connection named %s already exists.", name)
		}
	}
	if len(existing) >= MaxVPNConnectionsPerSpace {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space %s already has %d VPN connection(s), the most it may have.", sp.Name, MaxVPNConnectionsPerSpace)
	}
	tx.mustWriteFor(Changed{"heroku-vpn", sp.ID}, &tx.w.vpns)
	v := &VPNConnection{ID: tx.w.digits(12), Name: name, SpaceID: sp.ID, PublicIP: publicIP,
		RoutableCIDRs: append([]netip.Prefix(nil), cidrs...), status: VPNPending, IKEVersion: 1,
		CreatedAt: tx.now, UpdatedAt: tx.now}
	for range 2 {
		v.Tunnels = append(v.Tunnels, &VPNTunnel{IP: tx.newPublicAddr(), CustomerIP: publicIP,
			PreSharedKey: "psk" + tx.w.hex(29), Status: TunnelDown, LastStatusChange: tx.now})
		tx.w.vpns[v.ID] = v // so the next address is seen as used
	}
	tx.w.log.Info("vpn connection created", "space", sp.Name, "vpn", name, "customer", publicIP)
	return v, nil
}

// UpdateVPNConnection replaces a connection's routable CIDRs.
func (tx *Tx) UpdateVPNConnection(sp *Space, nameOrID string, cidrs []netip.Prefix) (*VPNConnection, error) {
	v, err := tx.VPNConnection(sp, nameOrID)
	if err != nil {
		return nil, err
	}
	if err := tx.checkRoutable(sp, cidrs); err != nil {
		return nil, err
	}
	tx.mustWriteFor(Changed{"heroku-vpn", sp.ID}, v)
	v.RoutableCIDRs = append([]netip.Prefix(nil), cidrs...)
	v.UpdatedAt = tx.now
	return v, nil
}

// DestroyVPNConnection removes a connection; its gateway and routes go with it.
func (tx *Tx) DestroyVPNConnection(sp *Space, nameOrID string) (*VPNConnection, error) {
	v, err := tx.VPNConnection(sp, nameOrID)
	if err != nil {
		return nil, err
	}
	tx.mustWriteFor(Changed{"heroku-vpn", sp.ID}, &tx.w.vpns)
	delete(tx.w.vpns, v.ID)
	return v, nil
}

// TunnelReport is what the data plane says about one tunnel.
type TunnelReport struct {
	VPNID   string
	Tunnel  int // 0 or 1
	Up      bool
	Message string
}

// TunnelReportsChange reports whether recording reports would change anything (read-only).
func (tx *Tx) TunnelReportsChange(reports []TunnelReport) bool {
	for _, r := range reports {
		if tx.reportS2STunnel(r, false) {
			return true
		}
		v := tx.w.vpns[r.VPNID]
		if v == nil || r.Tunnel < 0 || r.Tunnel >= len(v.Tunnels) {
			continue
		}
		t := v.Tunnels[r.Tunnel]
		if (t.Status == TunnelUp) != r.Up || t.StatusMessage != r.Message {
			return true
		}
	}
	return false
}

// ReportTunnels records tunnel states from the data plane. It returns whether anything changed.
func (tx *Tx) ReportTunnels(reports []TunnelReport) bool {
	changed := false
	for _, r := range reports {
		if tx.reportS2STunnel(r, true) {
			changed = true
			continue
		}
		v := tx.w.vpns[r.VPNID]
		if v == nil || r.Tunnel < 0 || r.Tunnel >= len(v.Tunnels) {
			continue
		}
		t := v.Tunnels[r.Tunnel]
		st := TunnelDown
		if r.Up {
			st = TunnelUp
		}
		if t.Status != st || t.StatusMessage != r.Message {
			tx.mustWriteModel(v) // the render draws tunnels whatever their status
			if t.Status != st {
				t.LastStatusChange = tx.now
			}
			t.Status, t.StatusMessage = st, r.Message
			changed = true
		}
	}
	return changed
}

// VPNTunnelName names a tunnel in the data plane (and in status reports).
func VPNTunnelName(v *VPNConnection, i int) string { return fmt.Sprintf("%s/tunnel%d", v.ID, i+1) }

// ParseVPNTunnelName is VPNTunnelName's inverse.
func ParseVPNTunnelName(s string) (vpnID string, tunnel int, ok bool) {
	id, num, ok := strings.Cut(s, "/tunnel")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 1 || n > 2 || id == "" || strings.Contains(id, "/") {
		return "", 0, false
	}
	return id, n - 1, true
}
