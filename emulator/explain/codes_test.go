package explain_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// ids the table's expectations name, filled in as the world is built.
type ids map[string]string

func port(n int) *int { return &n }

// TestExplanationCodes: every kind of block has its code, and names the objects at fault by id.
func TestExplanationCodes(t *testing.T) {
	var staging, stagingPcx, igw string
	mainRtb := func(tx *emulator.Tx) string { return tx.VPC(customerVPC).MainRouteTableID }
	defaultSG := func(tx *emulator.Tx) string { return tx.VPC(customerVPC).DefaultSecurityGroupID }
	peered := []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16")}
	with := func(fs ...func(*emulator.Tx) error) []func(*emulator.Tx) error {
		return append(append([]func(*emulator.Tx) error{}, peered...), fs...)
	}
	stagingPeering := func(tx *emulator.Tx) error {
		v, err := tx.CreateVPC(customer, netip.MustParsePrefix("10.2.0.0/16"), emulator.VPCOptions{})
		if err != nil {
			return err
		}
		if _, err := tx.CreateSubnet(customer, v.ID, netip.MustParsePrefix("10.2.0.0/24"), emulator.SubnetOptions{}); err != nil {
			return err
		}
		p, err := tx.CreatePeering(customer, emulator.PeeringRequest{VPCID: customerVPC, PeerVPCID: v.ID})
		if err != nil {
			return err
		}
		staging, stagingPcx = v.ID, p.ID
		_, err = tx.AcceptPeering(customer, p.ID)
		return err
	}
	routeToStaging := func(tx *emulator.Tx) error {
		return tx.ReplaceRoute(customer, mainRtb(tx), netip.MustParsePrefix("10.0.0.0/16"), emulator.RouteTarget{PeeringID: stagingPcx})
	}
	allowSpace := func(p int) func(*emulator.Tx) error {
		return func(tx *emulator.Tx) error {
			_, err := tx.AuthorizeIngress(customer, defaultSG(tx), []emulator.Permission{{Protocol: "tcp", FromPort: &p, ToPort: &p, CIDRs: []emulator.PermissionCIDR{{CIDR: "10.0.0.0/16"}}}})
			return err
		}
	}
	noEgress := func(tx *emulator.Tx) error {
		_, err := tx.RevokeEgress(customer, defaultSG(tx), []emulator.Permission{{Protocol: "-1", CIDRs: []emulator.PermissionCIDR{{CIDR: "0.0.0.0/0"}}}})
		return err
	}
	naclDeny := func(tx *emulator.Tx) error {
		return tx.CreateNetworkACLEntry(customer, tx.VPC(customerVPC).DefaultNetworkACLID, emulator.NACLEntry{RuleNumber: 50, Protocol: "6", CIDR: netip.MustParsePrefix("10.0.0.0/16"), FromPort: 80, ToPort: 80})
	}
	internetGateway := func(attached bool) func(*emulator.Tx) error {
		return func(tx *emulator.Tx) error {
			g, err := tx.CreateInternetGateway(customer, nil)
			if err != nil {
				return err
			}
			igw = g.ID
			if err := tx.AttachInternetGateway(customer, g.ID, customerVPC); err != nil {
				return err
			}
			if err := tx.CreateRoute(customer, mainRtb(tx), netip.MustParsePrefix("0.0.0.0/0"), emulator.RouteTarget{GatewayID: g.ID}); err != nil {
				return err
			}
			if !attached {
				return tx.DetachInternetGateway(customer, g.ID, customerVPC)
			}
			return nil
		}
	}
	vpn := func(tx *emulator.Tx) error {
		_, err := tx.CreateVPNConnection(tx.Space("enablement-jp"), "office", netip.MustParseAddr("203.0.113.20"), []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")})
		return err
	}
	tcp := func(from, to string, p uint16) explain.Flow {
		return explain.Flow{From: from, To: to, Proto: netspec.TCP, Port: p}
	}
	tests := []struct {
		name  string
		setup []func(*emulator.Tx) error
		flow  explain.Flow
		code  string
		ids   func(tx *emulator.Tx) []string // ids the verdict must name
		words string                         // and a phrase of its reason
	}{
		{"no route", nil, curlApp, "NO_ROUTE_IN_TABLE", func(tx *emulator.Tx) []string { return []string{mainRtb(tx), customerVPC} }, "no route for this destination"},
		{"route to the wrong peering", with(stagingPeering, routeToStaging), tcp("ip-172-16-0-8", "10.0.25.212", 80), "WRONG_PEERING_ROUTE",
			func(tx *emulator.Tx) []string { return []string{mainRtb(tx), stagingPcx, staging, pcxID, spaceVPC} }, "does not hold it"},
		{"blackhole: deleted peering", with(deletePeering), curlApp, "ROUTE_BLACKHOLE", func(tx *emulator.Tx) []string { return []string{mainRtb(tx), pcxID} }, "is deleted"},
		{"peering not active", []func(*emulator.Tx) error{requestPeering, routeTo("10.0.0.0/16")}, curlApp, "PEERING_NOT_ACTIVE",
			func(tx *emulator.Tx) []string { return []string{mainRtb(tx), pcxID} }, "pending-acceptance"},
		{"no transitive peering", with(routeTo("10.1.0.0/16")), tcp("ip-172-16-0-8", "10.1.0.10", 5432), "NO_TRANSITIVE_PEERING",
			func(tx *emulator.Tx) []string { return []string{mainRtb(tx), pcxID, spaceVPC} }, "no transitive peering"},
		{"security group ingress", peered, dynoToInst, "SG_INGRESS_DENIED", func(tx *emulator.Tx) []string { return []string{defaultSG(tx), "i-0f3c2b1a998877665"} }, "no inbound rule"},
		{"security group egress", with(noEgress), tcp("ip-172-16-0-8", "10.0.25.212", 80), "SG_EGRESS_DENIED",
			func(tx *emulator.Tx) []string { return []string{defaultSG(tx), "i-0f3c2b1a998877665"} }, "no outbound rule"},
		{"network ACL deny", with(allowSpace(80), naclDeny), dynoToInst, "NACL_DENIED",
			func(tx *emulator.Tx) []string {
				return []string{tx.VPC(customerVPC).DefaultNetworkACLID, "subnet-0a8e2d3c5b7f91e04"}
			}, "rule 50"},
		{"no internet gateway", []func(*emulator.Tx) error{internetGateway(false)}, tcp("ip-172-16-0-8", "203.0.113.10", 80), "NO_INTERNET_GATEWAY",
			func(tx *emulator.Tx) []string { return []string{mainRtb(tx), igw} }, "is detached"},
		{"no public IP", []func(*emulator.Tx) error{internetGateway(true)}, tcp("ip-172-16-0-8", "203.0.113.10", 80), "NO_PUBLIC_IP",
			func(tx *emulator.Tx) []string { return []string{igw} }, "no public IPv4 address"},
		{"internal routing from the internet", nil, tcp("echo", "test-vpn-compute.herokuapp.com", 80), "INTERNAL_ROUTING_ONLY",
			func(tx *emulator.Tx) []string { return nil }, "internal-routing app (test-vpn-compute/router.1"},
		{"dynos only from the space", peered, instToDynoDir, "DYNO_INGRESS_DENIED", func(tx *emulator.Tx) []string { return nil }, "only from inside the space"},
		{"tunnel down", []func(*emulator.Tx) error{vpn}, tcp("office-pc", "10.0.25.212", 80), "TUNNEL_DOWN", func(tx *emulator.Tx) []string { return nil }, "IPsec tunnel"},
		{"no listener", with(allowSpace(8080)), tcp("test-vpn-compute/web.1", "172.16.0.8", 8080), "NO_LISTENER", func(tx *emulator.Tx) []string { return nil }, "nothing listens on 172.16.0.8 tcp/8080"},
		{"no return route", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, allowSpace(80)}, dynoToInst, "NO_ROUTE_IN_TABLE",
			func(tx *emulator.Tx) []string { return []string{mainRtb(tx)} }, "the reply cannot get back"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := world(t, tc.setup...)
			spec := (&render.Reconciler{World: w}).Render()
			flow := tc.flow
			if flow.To == "" {
				w.View(func(tx *emulator.Tx) error {
					flow.To = tx.App("test-vpn-compute").Dynos[0].PrivateIP.String()
					return nil
				})
			}
			v := explain.Connect(spec, flow)
			if v.Reachable || v.Explanation != tc.code || !strings.Contains(v.Reason, tc.words) {
				t.Fatalf("want %s (%q), got %s %s\n%s", tc.code, tc.words, v.Explanation, v, v.Path())
			}
			named := map[string]bool{}
			for _, c := range v.Components {
				named[c.ID] = true
			}
			var want []string
			w.View(func(tx *emulator.Tx) error { want = tc.ids(tx); return nil })
			for _, id := range want {
				if !named[id] {
					t.Errorf("%s does not name %s: %q (components %v)", tc.code, id, v.Reason, v.Components)
				}
			}
		})
	}
}

// A security group that drops a flow shows what it does allow; a NACL names the rule number;
// trusted IP ranges have their own code.
func TestExplanationRulesAndTrustedIPs(t *testing.T) {
	w := world(t, requestPeering, acceptInHeroku, routeTo("10.0.0.0/16"), allowHTTPFromSpace)
	v := explain.Connect((&render.Reconciler{World: w}).Render(), explain.Flow{From: "test-vpn-compute/web.1", To: "172.16.0.8", Proto: netspec.TCP, Port: 8080})
	if v.Explanation != "SG_INGRESS_DENIED" || !strings.Contains(strings.Join(v.Rules, "\n"), "from port: 80, to port: 80") {
		t.Fatalf("%s: rules %q", v, v.Rules)
	}
	if !strings.Contains(v.Path(), "filter-in") && v.Reachable {
		t.Fatal("no filter hop")
	}
	// The allowed flow shows the rule that allowed it.
	ok := explain.Connect((&render.Reconciler{World: w}).Render(), dynoToInst)
	if !ok.Reachable || !strings.Contains(ok.Path(), "allowed: sg-") {
		t.Fatalf("the allowing rule is not on the path:\n%s", ok.Path())
	}

	top, err := topology.Load("lab")
	if err != nil {
		t.Fatal(err)
	}
	lw := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 5}))
	if err := top.Apply(lw, nil); err != nil {
		t.Fatal(err)
	}
	if err := lw.Update(func(tx *emulator.Tx) error {
		_, err := tx.PutInboundRuleset(tx.Space("rules-lab"), []emulator.InboundRule{{Action: "allow", Source: netip.MustParsePrefix("203.0.113.0/24")}}, "user@example.com")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	v = explain.Connect((&render.Reconciler{World: lw}).Render(), explain.Flow{From: "cafe-client", To: "shop-web.herokuapp.com", Proto: netspec.TCP, Port: 80})
	if v.Reachable || v.Explanation != "TRUSTED_IP_DENIED" || !strings.Contains(v.Reason, "rules-lab") || !strings.Contains(strings.Join(v.Rules, "\n"), "203.0.113.0/24") {
		t.Fatalf("trusted IPs: %s %s rules %q\n%s", v.Explanation, v, v.Rules, v.Path())
	}
	// A data service with a public endpoint answers only its trusted ranges.
	var pub netip.Addr
	lw.View(func(tx *emulator.Tx) error {
		for _, d := range tx.DataServices(tx.Space("rules-lab").ID) {
			if d.Name == "postgresql-reporting-202" {
				pub = d.PublicAddr
			}
		}
		return nil
	})
	v = explain.Connect((&render.Reconciler{World: lw}).Render(), explain.Flow{From: "cafe-client", To: pub.String(), Proto: netspec.TCP, Port: 5432})
	if v.Reachable || v.Explanation != "DATA_ISOLATED" || !strings.Contains(v.Reason, "postgresql-reporting-202") {
		t.Fatalf("data isolation: %s %s\n%s", v.Explanation, v, v.Path())
	}
}
