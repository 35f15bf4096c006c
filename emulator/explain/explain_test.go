package explain_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/emulatortest"
	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// world builds the default topology and applies setup steps to it.
func world(t *testing.T, setup ...func(tx *emulator.Tx) error) *emulator.World {
	t.Helper()
	return emulatortest.World(t, setup...)
}

const (
	customerVPC = emulatortest.CustomerVPC
	spaceVPC    = emulatortest.SpaceVPC
)

var customer = emulatortest.Customer

var pcxID string

func requestPeering(tx *emulator.Tx) error {
	id, err := emulatortest.RequestPeering(tx)
	if err == nil {
		pcxID = id
	}
	return err
}

func acceptInHeroku(tx *emulator.Tx) error {
	_, err := tx.AcceptSpacePeering(tx.Space("enablement-jp"), pcxID)
	return err
}

func routeTo(dst string) func(tx *emulator.Tx) error {
	return func(tx *emulator.Tx) error {
		return tx.CreateRoute(customer, tx.VPC(customerVPC).MainRouteTableID, netip.MustParsePrefix(dst), emulator.RouteTarget{PeeringID: pcxID})
	}
}

func allowHTTPFromSpace(tx *emulator.Tx) error {
	p := 80
	_, err := tx.AuthorizeIngress(customer, tx.VPC(customerVPC).DefaultSecurityGroupID,
		[]emulator.Permission{{Protocol: "tcp", FromPort: &p, ToPort: &p, CIDRs: []emulator.PermissionCIDR{{CIDR: "10.0.0.0/16"}}}})
	return err
}

func deletePeering(tx *emulator.Tx) error { return tx.DeletePeering(customer, pcxID) }

var (
	curlApp       = explain.Flow{From: "ip-172-16-0-8", To: "test-vpn-compute.herokuapp.com", Proto: netspec.TCP, Port: 80}
	dynoToInst    = explain.Flow{From: "test-vpn-compute/web.1", To: "172.16.0.8", Proto: netspec.TCP, Port: 80}
	instToDynoDir = explain.Flow{From: "ip-172-16-0-8", To: "", Proto: netspec.TCP, Port: 5000}
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name   string
		setup  []func(*emulator.Tx) error
		flow   explain.Flow
		code   string // "" means reachable
		reason string
	}{
		{"no peering", nil, curlApp, "BLACKHOLE", "no route for this destination in rtb-"},
		{"pending peering, route added early", []func(*emulator.Tx) error{requestPeering, routeTo("10.0.0.0/16")}, curlApp, "BLACKHOLE", "is pending-acceptance"},
		{"accepted, no AWS route", []func(*emulator.Tx) error{requestPeering, acceptInHeroku}, curlApp, "BLACKHOLE", "no route for this destination"},
		{"accepted and routed", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16")}, curlApp, "", ""},
		{"only one dyno subnet routed: the router is in another", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.128.0/20")}, curlApp, "BLACKHOLE", "no route for this destination"},
		{"dyno to instance, no SG rule", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16")}, dynoToInst, "FILTERED", "no inbound rule of sg-"},
		{"dyno to instance, SG rule", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16"), allowHTTPFromSpace}, dynoToInst, "", ""},
		{"dyno to instance, SG rule, no AWS return route", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, allowHTTPFromSpace}, dynoToInst, "NO_RETURN_ROUTE", "no route for this destination"},
		{"deleted peering", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16"), deletePeering}, curlApp, "BLACKHOLE", "is deleted"},
		{"no transitive routing to the data VPC", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16"), routeTo("10.1.0.0/16")},
			explain.Flow{From: "ip-172-16-0-8", To: "10.1.0.10", Proto: netspec.TCP, Port: 5432}, "BLACKHOLE", "only delivered inside it"},
		{"dynos are not reachable directly from the peer", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16")},
			instToDynoDir, "FILTERED", "accept traffic only from inside the space"},
		{"nothing listens", []func(*emulator.Tx) error{requestPeering, acceptInHeroku, routeTo("10.0.0.0/16"), allowHTTPFromSpace},
			explain.Flow{From: "test-vpn-compute/web.1", To: "172.16.0.8", Proto: netspec.TCP, Port: 8080}, "FILTERED", "no inbound rule"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := world(t, tc.setup...)
			rec := &render.Reconciler{World: w, Dataplane: &netnstest.Recorder{}}
			flow := tc.flow
			if flow.To == "" {
				w.View(func(tx *emulator.Tx) error {
					flow.To = tx.App("test-vpn-compute").Dynos[0].PrivateIP.String()
					return nil
				})
			}
			v := explain.Connect(rec.Render(), flow)
			if tc.code == "" {
				if !v.Reachable {
					t.Fatalf("want reachable, got %s\n%s", v, v.Path())
				}
				return
			}
			if v.Reachable || v.Code != tc.code || !strings.Contains(v.Reason, tc.reason) {
				t.Fatalf("want %s containing %q, got %s\n%s", tc.code, tc.reason, v, v.Path())
			}
		})
	}
}

func TestExplainResolve(t *testing.T) {
	w := world(t, requestPeering, acceptInHeroku, routeTo("10.0.0.0/16"))
	spec := (&render.Reconciler{World: w}).Render()
	tests := []struct {
		name, from, q string
		server        string
		ok            bool
		reason        string
	}{
		{"instance resolves the internal app", "ip-172-16-0-8", "test-vpn-compute.herokuapp.com", "", true, "10.0.25.212"},
		{"instance resolves its own name", "ip-172-16-0-8", "ip-172-16-0-8.ec2.internal", "", true, "172.16.0.8"},
		{"dyno resolves discovery names", "test-vpn-compute/web.2", "1.web.test-vpn-compute.app.localspace", "", true, ""},
		{"unknown name", "ip-172-16-0-8", "nope.herokuapp.com", "", false, "NXDOMAIN"},
		{"the peer VPC's resolver does not answer across the peering", "test-vpn-compute/web.1", "ip-172-16-0-8.ec2.internal", "172.16.0.2", false, "does not answer outside the VPC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var server netip.Addr
			if tc.server != "" {
				server = netip.MustParseAddr(tc.server)
			}
			v := explain.Resolve(spec, tc.from, tc.q, server)
			if v.Reachable != tc.ok || !strings.Contains(v.Reason, tc.reason) {
				t.Fatalf("got %v %q\n%s", v.Reachable, v.Reason, v.Path())
			}
		})
	}
}

func TestExplainDefaultTopology(t *testing.T) {
	top := topology.Default()
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 7}))
	if err := top.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	rec := &render.Reconciler{World: w}
	curl := explain.Flow{From: "ip-172-16-0-8", To: "test-vpn-compute.herokuapp.com", Proto: netspec.TCP, Port: 80}
	v := explain.Connect(rec.Render(), curl)
	t.Logf("%s\n%s", v, v.Path())
}

func TestExplainDataServices(t *testing.T) {
	w := world(t, requestPeering, acceptInHeroku, routeTo("10.0.0.0/16"), routeTo("10.1.0.0/16"), allowHTTPFromSpace)
	spec := (&render.Reconciler{World: w}).Render()
	pg := explain.Flow{To: "10.1.0.10", Proto: netspec.TCP, Port: 5432}
	for _, tc := range []struct {
		from   string
		ok     bool
		reason string
	}{
		{"test-vpn-compute/web.1", true, ""},
		{"ip-172-16-0-8", false, "only delivered inside it"},
		{"echo", false, "not routed on the internet"},
	} {
		f := pg
		f.From = tc.from
		v := explain.Connect(spec, f)
		if v.Reachable != tc.ok || !strings.Contains(v.Reason, tc.reason) {
			t.Errorf("%s: %s\n%s", tc.from, v, v.Path())
		}
	}
}
