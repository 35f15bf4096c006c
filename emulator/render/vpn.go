package render

import (
	"fmt"
	"net/netip"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// A Private Space VPN connection becomes a gateway host: its two tunnel addresses on the
// internet, a link into the space's VPC router (like a virtual private gateway), and the
// built-in IPsec service with one tunnel per address. The space's route tables send the
// connection's routable CIDRs to it (static routes only); what comes out of the tunnels may only
// be delivered inside the space (the edge table): not to its data VPC, not to peered VPCs.
//
// An office is a LAN behind a customer gateway with a public address; with IPsec "builtin" the
// gateway runs the same IPsec service towards every connection that names its address: Private
// Space VPN connections (their public_ip) and AWS Site-to-Site VPN connections (their customer
// gateway's IpAddress).

// VPNHost is the host name of a connection's gateway.
func VPNHost(sp *emulator.Space, v *emulator.VPNConnection) string {
	return "vpn/" + sp.Name + "/" + v.Name
}

func vpnLinkKey(v *emulator.VPNConnection) string { return "vgw|" + v.ID }

// renderVPN renders one connection's gateway and returns the address the space routes to.
func (r *renderer) renderVPN(sp *emulator.Space, v *emulator.VPNConnection) {
	tx := r.tx
	st := v.Status(tx.Now())
	if st == emulator.VPNDeprovisioning || st == emulator.VPNFailed {
		return
	}
	h := r.addHost(&netspec.Host{Name: VPNHost(sp, v), Kind: "vpn-gateway", Aliases: []string{sp.Name + "/vpn/" + v.Name, "vpn-" + v.ID},
		Hostname: "vpn-" + v.ID, Forwarding: true, Resolvers: []netip.Addr{r.publicDNS}})
	r.own(h.Name, v.ID, sp.ID)
	// Public side: both tunnel addresses.
	var addrs []netip.Addr
	for _, t := range v.Tunnels {
		addrs = append(addrs, t.IP)
	}
	r.publicFace(h, "vpn-public|"+v.ID, "pub", "vpn-"+v.ID, addrs, "VPN gateway "+v.Name+" of space "+sp.Name, true)
	// Space side.
	vpcSide, gwSide := p2p(r.linkIndex(vpnLinkKey(v)))
	vif := shortName("v", v.ID)
	r.link(&netspec.Link{A: netspec.End{Host: VPCHost(sp.VPCID), Ifname: vif, Addrs: []netip.Prefix{vpcSide}, Label: "vpn-" + v.ID},
		B: netspec.End{Host: h.Name, Ifname: "space", Addrs: []netip.Prefix{gwSide}}})
	h.Routes = append(h.Routes, netspec.Route{Dst: sp.CIDR, Via: vpcSide.Addr(), Dev: "space", Why: "the space " + sp.Name})
	// The space routes the office networks to the gateway; what comes back stays in the space.
	if router := r.host(VPCHost(sp.VPCID)); router != nil {
		for _, rt := range tx.RouteTables() {
			if rt.VPCID != sp.VPCID {
				continue
			}
			t, ok := r.book.tables[rt.ID]
			if !ok {
				continue
			}
			for _, c := range v.RoutableCIDRs {
				router.Routes = append(router.Routes, netspec.Route{Table: t, Dst: c, Via: gwSide.Addr(), Dev: vif,
					Why: fmt.Sprintf("static route of VPN connection %s", v.Name)})
			}
		}
		router.Rules = append(router.Rules, netspec.Rule{Priority: rulePriority + 800 + len(router.Rules), Iif: vif, Table: edgeTable})
	}
	var policy netspec.IPsecPolicy
	if p := sp.VPNPolicy; p != nil {
		policy = netspec.IPsecPolicy{IKE: p.IKE, ESP: p.ESP, IKELifetime: p.IKELifetime, ESPLifetime: p.ESPLifetime, DPDDelay: p.DPDDelay, DPDTimeout: p.DPDTimeout}
	}
	var tunnels []netspec.IPsecTunnel
	for i, t := range v.Tunnels {
		tunnels = append(tunnels, netspec.IPsecTunnel{Name: emulator.VPNTunnelName(v, i), Local: t.IP, Peer: v.PublicIP, PSK: t.PreSharedKey,
			LocalNets: []netip.Prefix{sp.CIDR}, RemoteNets: v.RoutableCIDRs, Initiate: true, PeerLabel: "the customer gateway " + v.PublicIP.String(),
			Policy: policy})
	}
	h.Services = append(h.Services, netspec.Service{Name: "ipsec", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: tunnels}})
}

// renderOffice renders a customer site.
func (r *renderer) renderOffice(o *emulator.Office) {
	tx := r.tx
	gw := r.addHost(&netspec.Host{Name: "office/" + o.Name + "/" + o.GatewayName, Kind: "customer-gateway", Aliases: []string{o.GatewayName},
		Hostname: o.GatewayName, Forwarding: true, Resolvers: []netip.Addr{r.publicDNS},
		Bridges: []netspec.Bridge{{Name: "lan", Addrs: []netip.Prefix{netip.PrefixFrom(o.LANGateway(), o.LAN.Bits())}}}})
	r.publicFace(gw, "office|"+o.Name, "wan", "office-"+o.Name, []netip.Addr{o.GatewayAddr}, "customer gateway "+o.GatewayName, true)
	gw.Filter = &netspec.Filter{SNAT: []netspec.SNATRule{{Oif: "wan", Src: o.LAN, To: o.GatewayAddr,
		Why: "the office's hosts reach the internet through " + o.GatewayName + "'s address"}}}
	for _, h := range o.Hosts {
		host := r.addHost(&netspec.Host{Name: "office/" + o.Name + "/" + h.Name, Kind: "office-host", Aliases: []string{h.Name},
			Hostname: h.Name, Resolvers: []netip.Addr{r.publicDNS}})
		r.link(&netspec.Link{A: netspec.End{Host: host.Name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(h.Addr, o.LAN.Bits())}},
			B: netspec.End{Host: gw.Name, Ifname: shortName("l", o.Name+"|"+h.Name), Bridge: "lan"}})
		host.Routes = append(host.Routes, netspec.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: o.LANGateway(), Dev: "eth0", Why: "the office gateway"})
		host.Services = append(host.Services, builtinServices(h.Addr, h.Services, h.Name)...)
	}
	if o.IPsec != "builtin" {
		return
	}
	var tunnels []netspec.IPsecTunnel
	for _, sp := range tx.Spaces() {
		for _, v := range tx.VPNConnections(sp.ID) {
			if v.PublicIP != o.GatewayAddr {
				continue
			}
			for i, t := range v.Tunnels {
				tunnels = append(tunnels, netspec.IPsecTunnel{Name: emulator.VPNTunnelName(v, i), Local: o.GatewayAddr, Peer: t.IP, PSK: t.PreSharedKey,
					LocalNets: v.RoutableCIDRs, RemoteNets: []netip.Prefix{sp.CIDR}, Initiate: true, PeerLabel: "Heroku VPN gateway " + t.IP.String()})
			}
		}
	}
	// AWS Site-to-Site VPN connections whose customer gateway is this office's address: the
	// office's LAN to the VPC side of the connection, started from here (AWS's default startup
	// action leaves initiating to the customer gateway).
	for _, c := range tx.VpnConnections() {
		cg := tx.CustomerGateway(c.CustomerGatewayID)
		if cg == nil || cg.IPAddress != o.GatewayAddr || !tx.S2SVPNLive(c) {
			continue
		}
		awsSide, _ := tx.S2SSelectors(c)
		for i, t := range c.Tunnels {
			tunnels = append(tunnels, netspec.IPsecTunnel{Name: emulator.S2STunnelName(c, i), Local: o.GatewayAddr, Peer: t.IP, PSK: t.PreSharedKey,
				LocalNets: []netip.Prefix{o.LAN}, RemoteNets: awsSide, Initiate: true, PeerLabel: "AWS VPN endpoint " + t.IP.String() + " of " + c.VpnGatewayID})
		}
	}
	if len(tunnels) > 0 {
		gw.Services = append(gw.Services, netspec.Service{Name: "ipsec", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: tunnels}})
	}
}
