package fakeheroku

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

// twoTeams is a world of two tenants, alpha and beta, each with a space and an app, plus a
// viewer and a member of alpha.
const twoTeams = `
name: two-teams
heroku:
  account_id: "884226375513"
  users:
    - {email: alice@alpha.example, token: tok-alice, teams: {alpha: admin}}
    - {email: bob@beta.example, token: tok-bob, teams: {beta: admin}}
    - {email: vera@alpha.example, token: tok-vera, teams: {alpha: viewer}}
    - {email: max@alpha.example, token: tok-max, teams: {alpha: member}}
  spaces:
    - name: alpha-space
      team: alpha
      region: virginia
      cidr: 10.0.0.0/16
      data_cidr: 10.1.0.0/16
      apps:
        - {name: alpha-app, formation: {web: 2}}
    - name: beta-space
      team: beta
      region: virginia
      cidr: 10.2.0.0/16
      data_cidr: 10.3.0.0/16
      apps:
        - {name: beta-app, formation: {web: 1}}
`

// newTenantEnv serves the twoTeams world; e.do uses alice's token unless told otherwise.
func newTenantEnv(t testing.TB) *env {
	t.Helper()
	raw, err := topology.Parse([]byte(twoTeams))
	if err != nil {
		t.Fatal(err)
	}
	top, err := raw.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: seedTime}
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 7, Now: clk.Now}))
	if err := top.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	srv := &Server{World: w, Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	hs := httptest.NewServer(checked(t, srv))
	t.Cleanup(hs.Close)
	return &env{t: t, world: w, clock: clk, srv: srv, http: hs, URL: hs.URL}
}

func (e *env) as(token, method, path, body string) response {
	e.t.Helper()
	return e.do(method, path, body, "Authorization", "Bearer "+token)
}

// alphaView is what alice sees of alpha's space and app, to compare before and after.
func (e *env) alphaView() string {
	e.t.Helper()
	var b strings.Builder
	for _, p := range []string{"/spaces/alpha-space", "/spaces/alpha-space/inbound-ruleset", "/spaces/alpha-space/vpn-connections",
		"/spaces/alpha-space/peerings", "/apps/alpha-app", "/apps/alpha-app/formation", "/apps/alpha-app/dynos"} {
		r := e.as("tok-alice", "GET", p, "")
		if r.Status != 200 {
			e.t.Fatalf("alice GET %s: %d %s", p, r.Status, r.Body)
		}
		b.WriteString(p + " " + string(r.Body) + "\n")
	}
	return b.String()
}

// alphaCalls is every endpoint about alpha's space, its VPN, peerings, rulesets, team and app.
func alphaCalls(vpn, pcx, ruleset string) [][3]string {
	return [][3]string{
		{"GET", "/spaces/alpha-space", ""},
		{"PATCH", "/spaces/alpha-space", `{"name":"stolen"}`},
		{"DELETE", "/spaces/alpha-space", ""},
		{"GET", "/spaces/alpha-space/nat", ""},
		{"GET", "/spaces/alpha-space/topology", ""},
		{"GET", "/spaces/alpha-space/dynos", ""},
		{"GET", "/spaces/alpha-space/hosts", ""},
		{"GET", "/spaces/alpha-space/peering-info", ""},
		{"GET", "/spaces/alpha-space/peerings", ""},
		{"POST", "/spaces/alpha-space/peerings", `{"pcx_id":"` + pcx + `"}`},
		{"GET", "/spaces/alpha-space/peerings/" + pcx, ""},
		{"POST", "/spaces/alpha-space/peerings/" + pcx + "/actions/accept", ""},
		{"DELETE", "/spaces/alpha-space/peerings/" + pcx, ""},
		{"GET", "/spaces/alpha-space/vpn-connections", ""},
		{"POST", "/spaces/alpha-space/vpn-connections", `{"name":"evil","public_ip":"198.51.100.9","routable_cidrs":["192.168.9.0/24"]}`},
		{"GET", "/spaces/alpha-space/vpn-connections/" + vpn, ""},
		{"PATCH", "/spaces/alpha-space/vpn-connections/" + vpn, `{"routable_cidrs":["192.168.8.0/24"]}`},
		{"DELETE", "/spaces/alpha-space/vpn-connections/" + vpn, ""},
		{"GET", "/spaces/alpha-space/inbound-ruleset", ""},
		{"PUT", "/spaces/alpha-space/inbound-ruleset", `{"rules":[{"action":"allow","source":"0.0.0.0/0"}]}`},
		{"GET", "/spaces/alpha-space/inbound-rulesets", ""},
		{"GET", "/spaces/alpha-space/inbound-rulesets/" + ruleset, ""},
		{"GET", "/teams/alpha", ""},
		{"GET", "/teams/alpha/spaces", ""},
		{"GET", "/teams/alpha/apps", ""},
		{"POST", "/teams/apps", `{"name":"intruder","space":"alpha-space"}`},
		{"POST", "/teams/apps", `{"name":"intruder","team":"alpha"}`},
		{"POST", "/spaces", `{"name":"squat","team":"alpha"}`},
		{"GET", "/apps/alpha-app", ""},
		{"DELETE", "/apps/alpha-app", ""},
		{"GET", "/apps/alpha-app/addons", ""},
		{"GET", "/apps/alpha-app/collaborators", ""},
		{"GET", "/apps/alpha-app/pipeline-couplings", ""},
		{"GET", "/apps/alpha-app/dynos", ""},
		{"GET", "/apps/alpha-app/formation", ""},
		{"PATCH", "/apps/alpha-app/formation", `{"updates":[{"type":"web","quantity":0}]}`},
		{"GET", "/apps/alpha-app/formation/web", ""},
		{"PATCH", "/apps/alpha-app/formation/web", `{"quantity":0}`},
	}
}

// alphaFixtures gives alpha a VPN connection and a pending peering, and returns their ids and
// the current ruleset's.
func alphaFixtures(t *testing.T, e *env) (vpn, pcx, ruleset string) {
	t.Helper()
	r := e.as("tok-alice", "POST", "/spaces/alpha-space/vpn-connections", `{"name":"office","public_ip":"198.51.100.7","routable_cidrs":["192.168.7.0/24"]}`)
	if r.Status != 201 {
		t.Fatalf("alice creates a VPN: %d %s", r.Status, r.Body)
	}
	var v struct{ ID string }
	r.JSON(t, &v)
	var rs struct{ ID string }
	e.as("tok-alice", "GET", "/spaces/alpha-space/inbound-ruleset", "").JSON(t, &rs)
	return v.ID, "pcx-0123456789abcdef0", rs.ID
}

// TestTenancyOtherTeamRefused: team beta's token gets Heroku's refusal on every call about team
// alpha's space and app, and nothing of alpha changes.
func TestTenancyOtherTeamRefused(t *testing.T) {
	e := newTenantEnv(t)
	vpn, pcx, ruleset := alphaFixtures(t, e)
	before, gen := e.alphaView(), e.world.Generation()
	for _, c := range alphaCalls(vpn, pcx, ruleset) {
		t.Run(c[0]+" "+c[1], func(t *testing.T) {
			r := e.as("tok-bob", c[0], c[1], c[2])
			var body errorBody
			_ = json.Unmarshal(r.Body, &body)
			if r.Status != 403 || body.ID != "forbidden" || !strings.HasPrefix(body.Message, "You do not have access to the ") {
				t.Errorf("bob %s %s: %d %s, want 403 forbidden \"You do not have access to …\"", c[0], c[1], r.Status, r.Body)
			}
		})
	}
	if g := e.world.Generation(); g != gen {
		t.Errorf("the world changed (generation %d → %d) under refused calls", gen, g)
	}
	if after := e.alphaView(); after != before {
		t.Errorf("alpha's space or app changed:\nbefore %s\nafter  %s", before, after)
	}
	// Lists hold only beta's own resources.
	for path, hidden := range map[string]string{"/spaces": "alpha-space", "/apps": "alpha-app"} {
		r := e.as("tok-bob", "GET", path, "")
		if r.Status != 200 || strings.Contains(string(r.Body), hidden) || !strings.Contains(string(r.Body), "beta-") {
			t.Errorf("bob GET %s: %d %s, want 200 without %s", path, r.Status, r.Body, hidden)
		}
	}
	// A resource that does not exist is still 404.
	if r := e.as("tok-bob", "GET", "/spaces/no-such-space", ""); r.Status != 404 {
		t.Errorf("GET /spaces/no-such-space: %d %s, want 404", r.Status, r.Body)
	}
	// Bob's own space works.
	if r := e.as("tok-bob", "PUT", "/spaces/beta-space/inbound-ruleset", `{"rules":[{"action":"allow","source":"0.0.0.0/0"}]}`); r.Status != 200 {
		t.Errorf("bob changes his own space: %d %s", r.Status, r.Body)
	}
}

// TestTenancyRoles: a viewer sees alpha but changes nothing; a member scales apps but cannot
// change the space; an admin does both.
func TestTenancyRoles(t *testing.T) {
	e := newTenantEnv(t)
	vpn, pcx, ruleset := alphaFixtures(t, e)
	before, gen := e.alphaView(), e.world.Generation()
	for _, c := range alphaCalls(vpn, pcx, ruleset) {
		if c[0] == "GET" || c[1] == "/spaces" || c[1] == "/teams/apps" {
			continue
		}
		r := e.as("tok-vera", c[0], c[1], c[2])
		var body errorBody
		_ = json.Unmarshal(r.Body, &body)
		if r.Status != 403 || body.ID != "forbidden" || !strings.HasPrefix(body.Message, "You do not have the required access to the ") {
			t.Errorf("viewer %s %s: %d %s, want 403 forbidden \"You do not have the required access …\"", c[0], c[1], r.Status, r.Body)
		}
	}
	if g := e.world.Generation(); g != gen {
		t.Errorf("the world changed (generation %d → %d) under the viewer's refused calls", gen, g)
	}
	if after := e.alphaView(); after != before {
		t.Errorf("alpha changed under the viewer:\nbefore %s\nafter  %s", before, after)
	}
	if r := e.as("tok-vera", "GET", "/spaces/alpha-space", ""); r.Status != 200 {
		t.Errorf("viewer reads the space: %d %s", r.Status, r.Body)
	}
	if r := e.as("tok-max", "PUT", "/spaces/alpha-space/inbound-ruleset", `{"rules":[{"action":"allow","source":"0.0.0.0/0"}]}`); r.Status != 403 {
		t.Errorf("member changes the trusted IPs: %d %s, want 403", r.Status, r.Body)
	}
	if r := e.as("tok-max", "PATCH", "/apps/alpha-app/formation/web", `{"quantity":1}`); r.Status != 200 {
		t.Errorf("member scales the app: %d %s, want 200", r.Status, r.Body)
	}
	if r := e.as("tok-max", "POST", "/teams/apps", `{"name":"max-app","space":"alpha-space"}`); r.Status != 201 {
		t.Errorf("member creates an app in the space: %d %s, want 201", r.Status, r.Body)
	}
	if r := e.as("tok-alice", "DELETE", "/spaces/alpha-space/vpn-connections/"+vpn, ""); r.Status/100 != 2 {
		t.Errorf("admin deletes the VPN: %d %s", r.Status, r.Body)
	}
}

// TestTenancyNewTeam: creating a space in a team that does not exist makes the creator its
// admin; the other tenant cannot see it.
func TestTenancyNewTeam(t *testing.T) {
	e := newTenantEnv(t)
	if r := e.as("tok-bob", "POST", "/spaces", `{"name":"gamma-space","team":"gamma"}`); r.Status != 201 {
		t.Fatalf("bob creates a space in a new team: %d %s", r.Status, r.Body)
	}
	if r := e.as("tok-bob", "GET", "/teams/gamma", ""); r.Status != 200 || !strings.Contains(string(r.Body), `"role":"admin"`) {
		t.Errorf("bob's new team: %d %s, want 200 role admin", r.Status, r.Body)
	}
	if r := e.as("tok-alice", "GET", "/spaces/gamma-space", ""); r.Status != 403 {
		t.Errorf("alice reads gamma-space: %d %s, want 403", r.Status, r.Body)
	}
}
