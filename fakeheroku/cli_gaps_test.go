package fakeheroku

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
)

// TestCLIRegions: heroku regions lists every region, Common Runtime first, and --private
// keeps the ten Private Space regions; GET /regions/{name} answers one, an unknown name 404.
func TestCLIRegions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.cli(testToken, "regions")
	for _, want := range []string{"tokyo", "Tokyo, Japan", "Private Spaces", "Common Runtime", "virginia"} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("regions: exit %d, no %q in\n%s%s", r.Code, want, r.Stdout, r.Stderr)
		}
	}
	if i, j := strings.Index(r.Stdout, "Common Runtime"), strings.Index(r.Stdout, "Private Spaces"); i < 0 || j < i {
		t.Errorf("regions: Common Runtime regions are not listed first:\n%s", r.Stdout)
	}
	r = e.cli(testToken, "regions", "--private", "--json")
	var regions []struct {
		Name           string `json:"name"`
		PrivateCapable bool   `json:"private_capable"`
		Provider       struct {
			Region string `json:"region"`
		} `json:"provider"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &regions); err != nil || r.Code != 0 {
		t.Fatalf("regions --private --json: exit %d, %v\n%s", r.Code, err, r.Stdout)
	}
	var names []string
	for _, rg := range regions {
		names = append(names, rg.Name)
		if !rg.PrivateCapable {
			t.Errorf("--private listed %s", rg.Name)
		}
		if rg.Name == "tokyo" && rg.Provider.Region != "ap-northeast-1" {
			t.Errorf("tokyo runs in %q", rg.Provider.Region)
		}
	}
	if got := strings.Join(names, " "); got != "dublin frankfurt london montreal mumbai oregon singapore sydney tokyo virginia" {
		t.Errorf("private regions: %s", got)
	}
	if res := e.do("GET", "/regions/tokyo", ""); res.Status != 200 || !strings.Contains(string(res.Body), `"name":"tokyo"`) {
		t.Errorf("GET /regions/tokyo: %d %s", res.Status, res.Body)
	}
	if res := e.do("GET", "/regions/atlantis", ""); res.Status != 404 || !strings.Contains(string(res.Body), `"id":"not_found"`) {
		t.Errorf("GET /regions/atlantis: %d %s", res.Status, res.Body)
	}
}

// TestCLIFailedPeeringListed: a peering request from a VPC whose CIDR overlaps the space's
// fails in EC2 at once; spaces:peerings (and heroku-go's PeeringList and PeeringInfo) list it
// with status failed instead of leaving the customer to wonder where it went.
func TestCLIFailedPeeringListed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var pcx string
	err := e.world.Update(func(tx *emulator.Tx) error {
		c := emulator.Caller{Account: customerAcct, Region: customerRegio}
		v, err := tx.CreateVPC(c, netip.MustParsePrefix("10.0.0.0/16"), emulator.VPCOptions{})
		if err != nil {
			return err
		}
		p, err := tx.CreatePeering(c, emulator.PeeringRequest{VPCID: v.ID, PeerVPCID: spaceVPC, PeerOwner: herokuAcct, PeerRegion: "ap-northeast-1"})
		if err != nil {
			return err
		}
		if st := p.Status(tx.Now()); st != emulator.PcxFailed {
			t.Fatalf("overlapping request is %s in the model", st)
		}
		pcx = p.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.cli(testToken, "spaces:peerings", seedSpace)
	found := false
	for _, line := range strings.Split(r.Stdout, "\n") {
		if f := fields(line); len(f) > 3 && f[0] == pcx {
			found = true
			if !strings.Contains(line, "failed") || !strings.Contains(line, "10.0.0.0/16") {
				t.Errorf("spaces:peerings row: %q", line)
			}
		}
	}
	if r.Code != 0 || !found {
		t.Errorf("spaces:peerings: exit %d, no row for %s:\n%s%s", r.Code, pcx, r.Stdout, r.Stderr)
	}
	svc := e.herokuGo(testToken)
	ctx := context.Background()
	list, err := svc.PeeringList(ctx, seedSpace, nil)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, p := range list {
		if p.PcxID == pcx {
			statuses = append(statuses, p.Status)
		}
	}
	if len(statuses) != 1 || statuses[0] != "failed" {
		t.Errorf("heroku-go PeeringList: %s is %v", pcx, statuses)
	}
	if p, err := svc.PeeringInfo(ctx, seedSpace, pcx); err != nil || p.Status != "failed" {
		t.Errorf("heroku-go PeeringInfo: %+v, %v", p, err)
	}
	// After EC2 stops showing it, so does Heroku.
	e.clock.Add(3 * time.Hour)
	if r := e.cli(testToken, "spaces:peerings", seedSpace); strings.Contains(r.Stdout, pcx) {
		t.Errorf("failed peering still listed after 3h:\n%s", r.Stdout)
	}
}

// TestCLIScaleWithoutArguments: a new app already has its web process type (at 0), so
// ps:scale without arguments shows the formation instead of "No process types", before and
// after scaling; heroku-go's FormationList agrees.
func TestCLIScaleWithoutArguments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.cli(testToken, "apps:create", "fresh-app", "--space", seedSpace); r.Code != 0 {
		t.Fatalf("apps:create: exit %d\n%s", r.Code, r.Stderr)
	}
	for _, step := range []struct {
		scale []string
		want  string
	}{
		{nil, "web=0:Private-S"},
		{[]string{"web=2"}, ""},
		{nil, "web=2:Private-S"},
		{[]string{"worker=1:Private-M"}, ""},
		{nil, "web=2:Private-S worker=1:Private-M"},
	} {
		r := e.cli(testToken, append([]string{"ps:scale", "--app", "fresh-app"}, step.scale...)...)
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != step.want {
			t.Errorf("ps:scale %v: exit %d, stdout %q, want %q\n%s", step.scale, r.Code, r.Stdout, step.want, r.Stderr)
		}
	}
	fs, err := e.herokuGo(testToken).FormationList(context.Background(), "fresh-app", nil)
	if err != nil || len(fs) != 2 || fs[0].Type != "web" || fs[0].Quantity != 2 {
		t.Errorf("heroku-go FormationList: %+v, %v", fs, err)
	}
}

// TestCLIConfigVarsAndRestart: config:set / config / config:unset and ps:restart through the
// real CLI change the model (the vars, the release, the dynos' restart counts).
func TestCLIConfigVarsAndRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	restarts := func() []int {
		var out []int
		_ = e.world.View(func(tx *emulator.Tx) error {
			for _, d := range tx.App(seedApp).Dynos {
				out = append(out, d.Restarts)
			}
			return nil
		})
		return out
	}
	r := e.cli(testToken, "config:set", "GREETING=konnichiwa", "MODE=lab", "--app", seedApp)
	if r.Code != 0 || !strings.Contains(r.Stdout, "konnichiwa") || !strings.Contains(r.Stderr, "done, v2") {
		t.Errorf("config:set: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = e.cli(testToken, "config:get", "GREETING", "--app", seedApp)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "konnichiwa" {
		t.Errorf("config:get: exit %d %q", r.Code, r.Stdout)
	}
	r = e.cli(testToken, "config:unset", "MODE", "--app", seedApp)
	if r.Code != 0 {
		t.Errorf("config:unset: exit %d\n%s", r.Code, r.Stderr)
	}
	var vars map[string]string
	_ = e.world.View(func(tx *emulator.Tx) error { vars = tx.App(seedApp).ConfigVars; return nil })
	if len(vars) != 1 || vars["GREETING"] != "konnichiwa" {
		t.Errorf("model config vars: %v", vars)
	}
	before := restarts()
	if r := e.cli(testToken, "ps:restart", "--app", seedApp); r.Code != 0 {
		t.Errorf("ps:restart: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := e.cli(testToken, "ps:restart", "--dyno-name", "web.1", "--app", seedApp); r.Code != 0 {
		t.Errorf("ps:restart --dyno-name web.1: exit %d\n%s", r.Code, r.Stderr)
	}
	after := restarts()
	if len(after) == 0 || after[0] != before[0]+2 {
		t.Errorf("restarts before %v, after %v", before, after)
	}
	if r := e.cli(testToken, "ps:restart", "--dyno-name", "web.9", "--app", seedApp); r.Code == 0 || !strings.Contains(r.Stderr, "Couldn't find that dyno") {
		t.Errorf("ps:restart of a missing dyno: exit %d\n%s", r.Code, r.Stderr)
	}
}

// TestCLIAddons: addons:create of a private Postgres, Redis and Kafka plan for an app in the
// space puts a data service into the space's data CIDR (the model's DataServices, which the
// data plane isolates as before) with its URL config var; addons lists them, addons:info shows
// one, addons:destroy removes it. A common-runtime plan is refused with Heroku's error.
func TestCLIAddons(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, plan := range []string{"heroku-postgresql:private-0", "heroku-redis:private-7", "heroku-kafka:private-extended-0"} {
		r := e.cli(testToken, "addons:create", plan, "--app", seedApp)
		if r.Code != 0 {
			t.Fatalf("addons:create %s: exit %d\n%s%s", plan, r.Code, r.Stdout, r.Stderr)
		}
	}
	var names []string
	_ = e.world.View(func(tx *emulator.Tx) error {
		sp := tx.Space(seedSpace)
		for _, d := range tx.AppAddons(tx.App(seedApp).ID) {
			names = append(names, d.Name)
			if !sp.DataCIDR.Contains(d.Addr) {
				t.Errorf("%s at %s, outside the data CIDR %s", d.Name, d.Addr, sp.DataCIDR)
			}
		}
		if v := tx.App(seedApp).ConfigVars["DATABASE_URL"]; !strings.HasPrefix(v, "postgres://") {
			t.Errorf("DATABASE_URL = %q", v)
		}
		return nil
	})
	if len(names) != 3 {
		t.Fatalf("model add-ons: %v", names)
	}
	r := e.cli(testToken, "addons", "--app", seedApp)
	for _, want := range append([]string{"private-0", "heroku-redis", "heroku-kafka", "contract", "created", "as DATABASE"}, names...) {
		if r.Code != 0 || !strings.Contains(r.Stdout, want) {
			t.Errorf("addons: exit %d, no %q:\n%s%s", r.Code, want, r.Stdout, r.Stderr)
		}
	}
	r = e.cli(testToken, "addons:info", names[0], "--app", seedApp)
	if r.Code != 0 || !strings.Contains(r.Stdout, names[0]) || !strings.Contains(r.Stdout, "State:        created") || !strings.Contains(r.Stdout, "test-vpn-compute::DATABASE") {
		t.Errorf("addons:info: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = e.cli(testToken, "addons:destroy", names[0], "--app", seedApp, "--confirm", seedApp)
	if r.Code != 0 {
		t.Errorf("addons:destroy: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	_ = e.world.View(func(tx *emulator.Tx) error {
		if tx.Addon(names[0]) != nil {
			t.Errorf("%s still in the model", names[0])
		}
		return nil
	})
	if res := e.do("POST", "/apps/"+seedApp+"/addons", `{"plan":"heroku-postgresql:essential-0"}`); res.Status != 422 || !strings.Contains(string(res.Body), "invalid_params") {
		t.Errorf("a non-private plan: %d %s", res.Status, res.Body)
	}
	svc := e.herokuGo(testToken)
	if as, err := svc.AddOnListByApp(context.Background(), seedApp, nil); err != nil || len(as) != 2 {
		t.Errorf("heroku-go AddOnListByApp: %d, %v", len(as), err)
	}
}
