package fakeheroku

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	heroku "github.com/heroku/heroku-go/v5"

	"github.com/spacelab-dev/spacelab/emulator"
)

// vpnPath is the seed space's VPN connections collection.
const vpnPath = "/spaces/" + seedSpace + "/vpn-connections"

// officeIP is the customer gateway of the tests' "office" connection (a public address).
const officeIP = "203.0.113.10"

// createVPN makes the "office" connection through the API and returns the answer.
func (e *env) createVPN(cidrs ...string) vpnJSON {
	e.t.Helper()
	body := fmt.Sprintf(`{"name":"office","public_ip":%q,"routable_cidrs":[%s]}`, officeIP, quoted(cidrs))
	r := e.do("POST", vpnPath, body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create vpn: status %d: %s", r.Status, r.Body)
	}
	var v vpnJSON
	r.JSON(e.t, &v)
	return v
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ",")
}

// modelVPNs renders the seed space's connections as the model holds them:
// "name id public_ip cidrs".
func (e *env) modelVPNs() []string {
	var out []string
	_ = e.world.View(func(tx *emulator.Tx) error {
		for _, v := range tx.VPNConnections(tx.Space(seedSpace).ID) {
			out = append(out, fmt.Sprintf("%s %s %s %v", v.Name, v.ID, v.PublicIP, v.RoutableCIDRs))
		}
		return nil
	})
	return out
}

// reportTunnels tells the model what the data plane saw of the connection's two tunnels.
func (e *env) reportTunnels(vpnID string, up1, up2 bool, msg2 string) {
	e.t.Helper()
	if err := e.world.Update(func(tx *emulator.Tx) error {
		if !tx.ReportTunnels([]emulator.TunnelReport{{VPNID: vpnID, Tunnel: 0, Up: up1}, {VPNID: vpnID, Tunnel: 1, Up: up2, Message: msg2}}) {
			return fmt.Errorf("tunnel report for %s changed nothing", vpnID)
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

var pskRE = regexp.MustCompile(`^psk[0-9a-f]{29}$`)

// TestVPNLifecycle drives the five endpoints over HTTP: the create answer (pending, two DOWN
// tunnels to the customer gateway, the space CIDR, IKE version 1), list, info by name and by
// id, the status following the clock, tunnel reports, update and destroy.
func TestVPNLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	created := e.createVPN("192.168.0.0/16", "172.20.0.0/16")

	var model *emulator.VPNConnection
	_ = e.world.View(func(tx *emulator.Tx) error {
		var err error
		model, err = tx.VPNConnection(tx.Space(seedSpace), "office")
		return err
	})
	if model == nil {
		t.Fatal("the created connection is not in the model")
	}
	want := vpnJSON{ID: model.ID, Name: "office", PublicIP: officeIP, RoutableCIDRs: []string{"192.168.0.0/16", "172.20.0.0/16"},
		SpaceCIDRBlock: "10.0.0.0/16", IKEVersion: 1, Status: "pending", StatusMessage: ""}
	for _, tn := range model.Tunnels {
		want.Tunnels = append(want.Tunnels, tunnelJSON{LastStatusChange: "2019-02-04T05:46:14Z", IP: tn.IP.String(),
			CustomerIP: officeIP, PreSharedKey: tn.PreSharedKey, Status: "DOWN", StatusMessage: ""})
	}
	if d := cmp.Diff(want, created); d != "" {
		t.Errorf("create answer (-want +got):\n%s", d)
	}
	if len(created.Tunnels) != 2 || created.Tunnels[0].IP == created.Tunnels[1].IP ||
		!pskRE.MatchString(created.Tunnels[0].PreSharedKey) || created.Tunnels[0].PreSharedKey == created.Tunnels[1].PreSharedKey {
		t.Errorf("tunnels %+v: want two, with distinct gateway addresses and pre-shared keys", created.Tunnels)
	}
	if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(created.ID) {
		t.Errorf("id %q is not 12 digits", created.ID)
	}
	// The raw document has the keys the CLI reads, status_message as "" (not null).
	if r := e.do("GET", vpnPath+"/office", ""); !strings.Contains(string(r.Body), `"status_message":""`) ||
		!strings.Contains(string(r.Body), `"ike_version":1,`) {
		t.Errorf("raw answer %s", r.Body)
	}

	get := func(path string) (int, vpnJSON) {
		t.Helper()
		r := e.do("GET", path, "")
		var v vpnJSON
		if r.Status == http.StatusOK {
			r.JSON(t, &v)
		}
		return r.Status, v
	}
	var list []vpnJSON
	r := e.do("GET", vpnPath, "")
	r.JSON(t, &list)
	if d := cmp.Diff([]vpnJSON{want}, list); r.Status != http.StatusOK || d != "" {
		t.Errorf("list: status %d (-want +got):\n%s", r.Status, d)
	}
	for _, ident := range []string{"office", created.ID} {
		if st, got := get(vpnPath + "/" + ident); st != http.StatusOK || !cmp.Equal(want, got) {
			t.Errorf("GET by %s: %d %+v", ident, st, got)
		}
	}
	// The space may be named by id too.
	var spaceID string
	_ = e.world.View(func(tx *emulator.Tx) error { spaceID = tx.Space(seedSpace).ID; return nil })
	if st, got := get("/spaces/" + spaceID + "/vpn-connections/office"); st != http.StatusOK || got.ID != created.ID {
		t.Errorf("GET by space id: %d %+v", st, got)
	}
	// Lists range by name (the default) or id; other fields are refused.
	for _, tc := range []struct {
		rng    string
		status int
	}{{"name ..; max=1", 200}, {"id ..; max=1", 200}, {"pcx_id ..", 416}} {
		if r := e.do("GET", vpnPath, "", "Range", tc.rng); r.Status != tc.status {
			t.Errorf("Range %q: status %d, want %d", tc.rng, r.Status, tc.status)
		}
	}

	// pending → provisioning → active as the world's clock moves.
	for _, step := range []struct {
		advance time.Duration
		status  string
	}{{emulator.VPNProvisionTime / 2, "provisioning"}, {emulator.VPNProvisionTime / 2, "active"}, {time.Hour, "active"}} {
		e.clock.Add(step.advance)
		if _, got := get(vpnPath + "/office"); got.Status != step.status {
			t.Errorf("after +%v: status %q, want %q", step.advance, got.Status, step.status)
		}
	}

	// The data plane reports the tunnels; the API shows it with the time of the change.
	e.reportTunnels(created.ID, true, false, "NO_PROPOSAL_CHOSEN")
	_, got := get(vpnPath + "/office")
	changed := seedTime.Add(emulator.VPNProvisionTime + time.Hour).Format(time.RFC3339)
	gotTunnels := []tunnelJSON{got.Tunnels[0], got.Tunnels[1]}
	for i := range gotTunnels {
		gotTunnels[i].IP, gotTunnels[i].PreSharedKey = "", ""
	}
	if d := cmp.Diff([]tunnelJSON{
		{LastStatusChange: changed, CustomerIP: officeIP, Status: "UP"},
		{LastStatusChange: "2019-02-04T05:46:14Z", CustomerIP: officeIP, Status: "DOWN", StatusMessage: "NO_PROPOSAL_CHOSEN"},
	}, gotTunnels); d != "" {
		t.Errorf("tunnels after the report (-want +got):\n%s", d)
	}

	r = e.do("PATCH", vpnPath+"/"+created.ID, `{"routable_cidrs":["192.168.0.0/16"]}`)
	var updated vpnJSON
	r.JSON(t, &updated)
	if r.Status != http.StatusOK || !cmp.Equal([]string{"192.168.0.0/16"}, updated.RoutableCIDRs) || updated.Status != "active" {
		t.Errorf("PATCH: %d %+v", r.Status, updated)
	}
	if d := cmp.Diff([]string{"office " + created.ID + " " + officeIP + " [192.168.0.0/16]"}, e.modelVPNs()); d != "" {
		t.Errorf("model after PATCH (-want +got):\n%s", d)
	}

	r = e.do("DELETE", vpnPath+"/office", "")
	var gone vpnJSON
	r.JSON(t, &gone)
	if r.Status != http.StatusAccepted || gone.ID != created.ID || gone.Status != "deprovisioning" {
		t.Errorf("DELETE: %d %+v", r.Status, gone)
	}
	if st, _ := get(vpnPath + "/office"); st != http.StatusNotFound || len(e.modelVPNs()) != 0 {
		t.Errorf("after DELETE: GET %d, model %v", st, e.modelVPNs())
	}
	if r := e.do("GET", vpnPath, ""); r.Status != http.StatusOK || string(r.Body) != "[]" {
		t.Errorf("empty list: %d %s", r.Status, r.Body)
	}
	// A connection can be made again once the old one is gone.
	if again := e.createVPN("192.168.0.0/16"); again.ID == created.ID {
		t.Errorf("the new connection reuses id %s", again.ID)
	}
}

// TestVPNRefusals: input the API or the model refuses gets Heroku's error and leaves the
// model (the existing connection included) exactly as it was.
func TestVPNRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	existing := e.createVPN("192.168.0.0/16")
	create := func(name, ip, cidrs string) string {
		return fmt.Sprintf(`{"name":%q,"public_ip":%q,"routable_cidrs":%s}`, name, ip, cidrs)
	}
	// A second space, to check connections are found only in their own space.
	if err := e.world.Update(func(tx *emulator.Tx) error {
		_, err := tx.CreateSpace(emulator.SpaceSpec{Name: "other-space", Team: seedTeam, Region: "tokyo", CIDR: "10.20.0.0/16", DataCIDR: "10.21.0.0/16"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	one := vpnPath + "/office"
	tests := []struct {
		apiCase
		msg string // what the message must say, so each case is refused for its own reason
	}{
		// POST: the body.
		{apiCase{"missing everything", "POST", vpnPath, `{}`, 422, "invalid_params"}, `Missing required params: name, public_ip, routable_cidrs.`},
		{apiCase{"missing name", "POST", vpnPath, `{"public_ip":"203.0.113.20","routable_cidrs":["192.168.0.0/16"]}`, 422, "invalid_params"}, `Missing required params: name.`},
		{apiCase{"empty name", "POST", vpnPath, create("", "203.0.113.20", `["192.168.0.0/16"]`), 422, "invalid_params"}, `Missing required params: name.`},
		{apiCase{"missing public_ip", "POST", vpnPath, `{"name":"office2","routable_cidrs":["192.168.0.0/16"]}`, 422, "invalid_params"}, `Missing required params: public_ip.`},
		{apiCase{"missing routable_cidrs", "POST", vpnPath, `{"name":"office2","public_ip":"203.0.113.20"}`, 422, "invalid_params"}, `Missing required params: routable_cidrs.`},
		{apiCase{"routable_cidrs not an array", "POST", vpnPath, create("office2", "203.0.113.20", `"192.168.0.0/16"`), 422, "invalid_params"}, `Invalid type for routable_cidrs`},
		{apiCase{"name a number", "POST", vpnPath, `{"name":7,"public_ip":"203.0.113.20","routable_cidrs":["192.168.0.0/16"]}`, 422, "invalid_params"}, `Invalid type for name`},
		{apiCase{"not JSON", "POST", vpnPath, `{"name":`, 400, "bad_request"}, `Invalid JSON`},
		{apiCase{"name with a space", "POST", vpnPath, create("my office", "203.0.113.20", `["192.168.0.0/16"]`), 422, "invalid_params"}, `Name must start with`},
		// POST: the customer gateway.
		{apiCase{"public IP 10.1.2.3", "POST", vpnPath, create("office2", "10.1.2.3", `["192.168.0.0/16"]`), 422, "invalid_params"}, `Public IP 10.1.2.3 is not a public IPv4 address.`},
		{apiCase{"public IP not an address", "POST", vpnPath, create("office2", "gateway.example.com", `["192.168.0.0/16"]`), 422, "invalid_params"}, `is not a valid IPv4 address`},
		{apiCase{"public IP loopback", "POST", vpnPath, create("office2", "127.0.0.1", `["192.168.0.0/16"]`), 422, "invalid_params"}, `not a public IPv4 address`},
		{apiCase{"public IP carrier-grade NAT", "POST", vpnPath, create("office2", "100.64.1.1", `["192.168.0.0/16"]`), 422, "invalid_params"}, `not a public IPv4 address`},
		{apiCase{"public IP IPv6", "POST", vpnPath, create("office2", "2001:db8::1", `["192.168.0.0/16"]`), 422, "invalid_params"}, `not a public IPv4 address`},
		// POST: the routable CIDRs.
		{apiCase{"bad CIDR", "POST", vpnPath, create("office2", "203.0.113.20", `["192.168.0.0/33"]`), 422, "invalid_params"}, `is not a valid IPv4 CIDR block`},
		{apiCase{"CIDR not a CIDR", "POST", vpnPath, create("office2", "203.0.113.20", `["office-lan"]`), 422, "invalid_params"}, `is not a valid IPv4 CIDR block`},
		{apiCase{"CIDR with host bits", "POST", vpnPath, create("office2", "203.0.113.20", `["192.168.1.5/16"]`), 422, "invalid_params"}, `192.168.1.5/16 is not a valid IPv4 CIDR block`},
		{apiCase{"CIDR not RFC 1918", "POST", vpnPath, create("office2", "203.0.113.20", `["8.8.8.0/24"]`), 422, "invalid_params"}, `not an RFC 1918 range`},
		{apiCase{"no CIDRs", "POST", vpnPath, create("office2", "203.0.113.20", `[]`), 422, "invalid_params"}, `At least one routable CIDR`},
		{apiCase{"overlaps the space CIDR 10.0.0.0/16", "POST", vpnPath, create("office2", "203.0.113.20", `["10.0.0.0/16"]`), 422, "invalid_params"}, `overlaps the space CIDR 10.0.0.0/16`},
		{apiCase{"inside the space CIDR", "POST", vpnPath, create("office2", "203.0.113.20", `["10.0.128.0/20"]`), 422, "invalid_params"}, `overlaps the space CIDR 10.0.0.0/16`},
		{apiCase{"overlaps the data CIDR 10.1.0.0/16", "POST", vpnPath, create("office2", "203.0.113.20", `["10.1.0.0/16"]`), 422, "invalid_params"}, `overlaps the data CIDR 10.1.0.0/16`},
		{apiCase{"overlaps 172.17.0.0/16", "POST", vpnPath, create("office2", "203.0.113.20", `["172.16.0.0/12"]`), 422, "invalid_params"}, `overlaps the reserved range 172.17.0.0/16`},
		{apiCase{"CIDRs overlap each other", "POST", vpnPath, create("office2", "203.0.113.20", `["192.168.0.0/16","192.168.4.0/24"]`), 422, "invalid_params"}, `Routable CIDRs 192.168.0.0/16 and 192.168.4.0/24 overlap.`},
		// POST: the space.
		{apiCase{"second connection", "POST", vpnPath, create("office2", "203.0.113.20", `["172.20.0.0/16"]`), 422, "invalid_params"}, `already has 1 VPN connection(s)`},
		{apiCase{"same name again", "POST", vpnPath, create("office", "203.0.113.10", `["192.168.0.0/16"]`), 422, "invalid_params"}, `A VPN connection named office already exists.`},
		{apiCase{"unknown space", "POST", "/spaces/nowhere/vpn-connections", create("office2", "203.0.113.20", `["192.168.0.0/16"]`), 404, "not_found"}, `Couldn't find that space.`},
		// Reads.
		{apiCase{"list in an unknown space", "GET", "/spaces/nowhere/vpn-connections", "", 404, "not_found"}, `Couldn't find that space.`},
		{apiCase{"unknown vpn", "GET", vpnPath + "/office2", "", 404, "not_found"}, `Couldn't find that VPN connection.`},
		{apiCase{"unknown vpn id", "GET", vpnPath + "/123456789012", "", 404, "not_found"}, `Couldn't find that VPN connection.`},
		{apiCase{"vpn of another space", "GET", "/spaces/other-space/vpn-connections/office", "", 404, "not_found"}, `Couldn't find that VPN connection.`},
		// PATCH.
		{apiCase{"update missing routable_cidrs", "PATCH", one, `{"name":"office2"}`, 422, "invalid_params"}, `Missing required params: routable_cidrs.`},
		{apiCase{"update overlaps 10.0.0.0/16", "PATCH", one, `{"routable_cidrs":["10.0.0.0/16"]}`, 422, "invalid_params"}, `overlaps the space CIDR`},
		{apiCase{"update overlaps 172.17.0.0/16", "PATCH", one, `{"routable_cidrs":["192.168.0.0/16","172.17.0.0/24"]}`, 422, "invalid_params"}, `overlaps the reserved range`},
		{apiCase{"update bad CIDR", "PATCH", one, `{"routable_cidrs":["192.168.0.0"]}`, 422, "invalid_params"}, `is not a valid IPv4 CIDR block`},
		{apiCase{"update to nothing", "PATCH", one, `{"routable_cidrs":[]}`, 422, "invalid_params"}, `At least one routable CIDR`},
		{apiCase{"update unknown vpn", "PATCH", vpnPath + "/office2", `{"routable_cidrs":["192.168.0.0/16"]}`, 404, "not_found"}, `Couldn't find that VPN connection.`},
		{apiCase{"update in an unknown space", "PATCH", "/spaces/nowhere/vpn-connections/office", `{"routable_cidrs":["192.168.0.0/16"]}`, 404, "not_found"}, `Couldn't find that space.`},
		// DELETE.
		{apiCase{"destroy unknown vpn", "DELETE", vpnPath + "/office2", "", 404, "not_found"}, `Couldn't find that VPN connection.`},
		{apiCase{"destroy in an unknown space", "DELETE", "/spaces/nowhere/vpn-connections/office", "", 404, "not_found"}, `Couldn't find that space.`},
		{apiCase{"destroy in another space", "DELETE", "/spaces/other-space/vpn-connections/" + existing.ID, "", 404, "not_found"}, `Couldn't find that VPN connection.`},
		// Methods.
		{apiCase{"PUT is not an endpoint", "PUT", one, `{"routable_cidrs":["192.168.0.0/16"]}`, 405, "method_not_allowed"}, `does not support PUT`},
	}
	before := e.modelVPNs()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var eb errorBody
			tc.run(t, e).JSON(t, &eb)
			if !strings.Contains(eb.Message, tc.msg) {
				t.Errorf("message %q does not say %q", eb.Message, tc.msg)
			}
			if d := cmp.Diff(before, e.modelVPNs()); d != "" {
				t.Errorf("a refused request changed the model's connections (-before +after):\n%s", d)
			}
		})
	}
}

// TestHerokuGoVPN drives the VPN connection through heroku-go v5: create, list, info by name
// and id, update, destroy, and its errors as heroku.Error.
func TestHerokuGoVPN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := e.herokuGo(testToken)

	v, err := svc.VPNConnectionCreate(ctx, seedSpace, heroku.VPNConnectionCreateOpts{Name: "office", PublicIP: officeIP,
		RoutableCidrs: []string{"192.168.0.0/16"}})
	if err != nil {
		t.Fatalf("VPNConnectionCreate: %v", err)
	}
	if v.Name != "office" || v.PublicIP != officeIP || v.SpaceCIDRBlock != "10.0.0.0/16" || v.IKEVersion != 1 || v.Status != "pending" ||
		len(v.Tunnels) != 2 || v.Tunnels[0].Status != "DOWN" || v.Tunnels[0].CustomerIP != officeIP || v.Tunnels[0].LastStatusChange != "2019-02-04T05:46:14Z" {
		t.Errorf("VPNConnectionCreate = %+v", v)
	}

	list, err := svc.VPNConnectionList(ctx, seedSpace, nil)
	if err != nil || len(list) != 1 || !cmp.Equal(*v, list[0]) {
		t.Errorf("VPNConnectionList = %+v, %v", list, err)
	}
	for _, ident := range []string{"office", v.ID} {
		got, err := svc.VPNConnectionInfo(ctx, seedSpace, ident)
		if err != nil || !cmp.Equal(v, got) {
			t.Errorf("VPNConnectionInfo(%s) = %+v, %v", ident, got, err)
		}
	}

	e.clock.Add(emulator.VPNProvisionTime)
	e.reportTunnels(v.ID, true, true, "")
	up, err := svc.VPNConnectionInfo(ctx, seedSpace, "office")
	if err != nil || up.Status != "active" || up.Tunnels[0].Status != "UP" || up.Tunnels[1].Status != "UP" {
		t.Errorf("VPNConnectionInfo after the tunnels came up = %+v, %v", up, err)
	}

	upd, err := svc.VPNConnectionUpdate(ctx, seedSpace, "office", heroku.VPNConnectionUpdateOpts{RoutableCidrs: []string{"192.168.0.0/16", "172.20.0.0/16"}})
	if err != nil || !cmp.Equal([]string{"192.168.0.0/16", "172.20.0.0/16"}, upd.RoutableCidrs) {
		t.Errorf("VPNConnectionUpdate = %+v, %v", upd, err)
	}
	_, err = svc.VPNConnectionUpdate(ctx, seedSpace, "office", heroku.VPNConnectionUpdateOpts{RoutableCidrs: []string{"10.1.0.0/16"}})
	assertHerokuError(t, "VPNConnectionUpdate overlapping the data CIDR", err, http.StatusUnprocessableEntity, "invalid_params")
	_, err = svc.VPNConnectionCreate(ctx, seedSpace, heroku.VPNConnectionCreateOpts{Name: "office2", PublicIP: "203.0.113.20",
		RoutableCidrs: []string{"172.21.0.0/16"}})
	assertHerokuError(t, "a second VPNConnectionCreate", err, http.StatusUnprocessableEntity, "invalid_params")
	_, err = svc.VPNConnectionCreate(ctx, "nowhere", heroku.VPNConnectionCreateOpts{Name: "office", PublicIP: officeIP,
		RoutableCidrs: []string{"192.168.0.0/16"}})
	assertHerokuError(t, "VPNConnectionCreate in an unknown space", err, http.StatusNotFound, "not_found")

	gone, err := svc.VPNConnectionDestroy(ctx, seedSpace, v.ID)
	if err != nil || gone.ID != v.ID || gone.Status != "deprovisioning" {
		t.Errorf("VPNConnectionDestroy = %+v, %v", gone, err)
	}
	_, err = svc.VPNConnectionInfo(ctx, seedSpace, "office")
	assertHerokuError(t, "VPNConnectionInfo after destroy", err, http.StatusNotFound, "not_found")
	_, err = svc.VPNConnectionDestroy(ctx, seedSpace, "office")
	assertHerokuError(t, "a second VPNConnectionDestroy", err, http.StatusNotFound, "not_found")
	if list, err := svc.VPNConnectionList(ctx, seedSpace, nil); err != nil || len(list) != 0 {
		t.Errorf("VPNConnectionList after destroy = %+v, %v", list, err)
	}
}
