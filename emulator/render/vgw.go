package render

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// A virtual private gateway attached to a VPC becomes a gateway host beside the VPC router (a
// link into it, like a Private Space VPN gateway), with the outside addresses of its VPN
// connections' tunnels on the internet and the built-in IPsec service running both tunnels of
// each connection towards its customer gateway, with the connection's tunnel options as the
// proposals it accepts. Route tables send what routes to the gateway (static routes to vgw-…
// and routes propagated from its connections' static routes) over the link; the gateway sends
// into the tunnels only what a connection's static routes cover (NO_VPN_ROUTE otherwise); what
// comes out of the tunnels is delivered only inside the VPC (the edge table).

// VGWHost is the host name of a virtual private gateway.
func VGWHost(id string) string { return "vgw/" + id }

func vgwLinkKey(id string) string { return "awsvgw|" + id }

func vgwIfname(id string) string { return shortName("g", id) }

// vgwRoute renders a route to an attached virtual private gateway.
func (r *renderer) vgwRoute(rt *emulator.RouteTable, route *emulator.Route, table int) netspec.Route {
	_, gwSide := p2p(r.linkIndex(vgwLinkKey(route.Target)))
	why := fmt.Sprintf("%s: %s → %s", rt.ID, route.Dst, route.Target)
	if route.Origin == "EnableVgwRoutePropagation" {
		why += " (propagated)"
	}
	return netspec.Route{Table: table, Dst: route.Dst, Via: gwSide.Addr(), Dev: vgwIfname(route.Target), Why: why}
}

// renderVGW renders an attached virtual private gateway and its connections' tunnels.
func (r *renderer) renderVGW(g *emulator.VpnGateway) {
	tx := r.tx
	v := tx.VPC(g.VPCID)
	if v == nil || !g.AttachedTo(v.ID) {
		return
	}
	h := r.addHost(&netspec.Host{Name: VGWHost(g.ID), Kind: "vpn-gateway", Aliases: []string{g.ID}, Hostname: g.ID, Forwarding: true,
		Resolvers: []netip.Addr{r.publicDNS}})
	r.own(h.Name, g.ID)
	vpcSide, gwSide := p2p(r.linkIndex(vgwLinkKey(g.ID)))
	vif := vgwIfname(g.ID)
	r.link(&netspec.Link{A: netspec.End{Host: VPCHost(v.ID), Ifname: vif, Addrs: []netip.Prefix{vpcSide}, Label: g.ID},
		B: netspec.End{Host: h.Name, Ifname: "vpc", Addrs: []netip.Prefix{gwSide}}})
	for _, b := range v.IPv4CIDRs() {
		h.Routes = append(h.Routes, netspec.Route{Dst: b, Via: vpcSide.Addr(), Dev: "vpc", Why: "the VPC " + v.ID})
	}
	if router := r.host(VPCHost(v.ID)); router != nil {
		router.Rules = append(router.Rules, netspec.Rule{Priority: rulePriority + 850 + len(router.Rules), Iif: vif, Table: edgeTable})
	}
	var addrs []netip.Addr
	var tunnels []netspec.IPsecTunnel
	var static []netip.Prefix
	var routes []string
	for _, c := range tx.VpnConnections() {
		if c.VpnGatewayID != g.ID || !tx.S2SVPNLive(c) {
			continue
		}
		cg := tx.CustomerGateway(c.CustomerGatewayID)
		if cg == nil {
			continue
		}
		r.own(h.Name, c.ID)
		for _, rt := range c.Routes {
			static = append(static, rt.Dst)
			routes = append(routes, rt.Dst.String()+" ("+c.ID+")")
		}
		awsSide, customerSide := tx.S2SSelectors(c)
		for i, t := range c.Tunnels {
			addrs = append(addrs, t.IP)
			e := t.Options.Effective()
			ike, esp := t.Options.Proposals()
			tunnels = append(tunnels, netspec.IPsecTunnel{Name: emulator.S2STunnelName(c, i), Local: t.IP, Peer: cg.IPAddress, PSK: t.PreSharedKey,
				LocalNets: awsSide, RemoteNets: customerSide, Initiate: e.StartupAction == "start",
				PeerLabel: fmt.Sprintf("customer gateway %s (%s)", cg.ID, cg.IPAddress),
				Policy: netspec.IPsecPolicy{IKE: ike, ESP: esp, IKELifetime: time.Duration(e.Phase1Lifetime) * time.Second,
					ESPLifetime: time.Duration(e.Phase2Lifetime) * time.Second, DPDDelay: 10 * time.Second,
					DPDTimeout: time.Duration(e.DPDTimeoutSeconds) * time.Second}})
		}
	}
	if len(tunnels) == 0 {
		return
	}
	// Answers from the outside addresses leave by the internet (policy table); everything else
	// the gateway routes into the tunnels or into the VPC.
	r.publicFace(h, "vgw-public|"+g.ID, "pub", "vgw-"+g.ID, addrs, "virtual private gateway "+g.ID, false)
	// A static connection carries from the VPC only what its static routes name.
	chain := netspec.Chain{Name: "vgw", Hook: netspec.Forward, Policy: netspec.Accept}
	if len(static) > 0 {
		chain.Rules = append(chain.Rules, netspec.FilterRule{Iif: "vpc", DstIn: static, Verdict: netspec.Accept,
			Why: g.ID + " routes the VPN connections' static routes into their tunnels: " + strings.Join(routes, ", ")})
	}
	if len(routes) == 0 {
		routes = []string{"none"}
	}
	chain.Rules = append(chain.Rules, netspec.FilterRule{Iif: "vpc", Verdict: netspec.Drop, Code: "NO_VPN_ROUTE",
		Why: fmt.Sprintf("no static route of a VPN connection of %s covers the destination (static routes: %s)", g.ID, strings.Join(routes, ", "))})
	h.Filter = &netspec.Filter{Chains: []netspec.Chain{chain}}
	h.Services = append(h.Services, netspec.Service{Name: "ipsec", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: tunnels}})
}
