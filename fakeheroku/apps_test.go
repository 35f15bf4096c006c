package fakeheroku

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCreateApps: POST /teams/apps and POST /apps with the CLI's bodies; internal_routing
// missing means false; bad input is refused with the model untouched.
func TestCreateApps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		apiCase
		internal *bool
		space    string
		owner    string
	}{
		{apiCase{"internal app in a space", "POST", "/teams/apps", `{"internal_routing":true,"name":"internal-app2","space":"enablement-jp"}`, 201, ""},
			ptr(true), seedSpace, "enablement@herokumanager.com"},
		{apiCase{"internal_routing missing", "POST", "/teams/apps", `{"name":"public-app","space":"enablement-jp"}`, 201, ""},
			ptr(false), seedSpace, "enablement@herokumanager.com"},
		{apiCase{"team app outside a space", "POST", "/teams/apps", `{"name":"team-app","team":"enablement"}`, 201, ""},
			nil, "", "enablement@herokumanager.com"},
		{apiCase{"personal app", "POST", "/apps", `{"name":"my-app"}`, 201, ""}, nil, "", "user@example.com"},
		{apiCase{"generated name", "POST", "/apps", `{}`, 201, ""}, nil, "", "user@example.com"},
		{apiCase{"name taken", "POST", "/teams/apps", `{"name":"test-vpn-compute","space":"enablement-jp"}`, 422, "invalid_params"}, nil, "", ""},
		{apiCase{"bad name", "POST", "/apps", `{"name":"Bad_Name"}`, 422, "invalid_params"}, nil, "", ""},
		{apiCase{"missing space", "POST", "/teams/apps", `{"name":"lost-app","space":"nowhere"}`, 404, "not_found"}, nil, "", ""},
		{apiCase{"internal routing without a space", "POST", "/teams/apps", `{"name":"lost-app","internal_routing":true}`, 422, "invalid_params"}, nil, "", ""},
		{apiCase{"internal_routing not a bool", "POST", "/teams/apps", `{"name":"lost-app","internal_routing":"yes"}`, 422, "invalid_params"}, nil, "", ""},
		{apiCase{"unknown region", "POST", "/apps", `{"name":"lost-app","region":"atlantis"}`, 422, "invalid_params"}, nil, "", ""},
		{apiCase{"destroy a missing app", "DELETE", "/apps/nope", ``, 404, "not_found"}, nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t, e)
			if tc.wantID != "" {
				return
			}
			var app appJSON
			r.JSON(t, &app)
			space := ""
			if app.Space != nil {
				space = app.Space.Name
			}
			if (app.InternalRouting == nil) != (tc.internal == nil) || tc.internal != nil && *app.InternalRouting != *tc.internal ||
				space != tc.space || app.Owner.Email != tc.owner || app.CreateStatus != "complete" {
				t.Errorf("app %+v", app)
			}
			if got := e.do("GET", "/apps/"+app.ID, ""); got.Status != 200 {
				t.Errorf("GET by id: %d", got.Status)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestListApps: GET /apps lists every app by name; GET /teams/{team}/apps only the team's.
func TestListApps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	apiCase{"personal app", "POST", "/apps", `{"name":"my-app"}`, 201, ""}.run(t, e)
	names := func(path string) []string {
		var apps []appJSON
		e.do("GET", path, "").JSON(t, &apps)
		var out []string
		for _, a := range apps {
			out = append(out, a.Name)
		}
		return out
	}
	if d := cmp.Diff([]string{"my-app", seedApp}, names("/apps")); d != "" {
		t.Errorf("/apps (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{seedApp}, names("/teams/"+seedTeam+"/apps")); d != "" {
		t.Errorf("team apps (-want +got):\n%s", d)
	}
	if r := e.do("GET", "/spaces/"+seedSpace+"/hosts", ""); r.Status != 200 || string(r.Body) != "[]" {
		t.Errorf("hosts: %d %s", r.Status, r.Body)
	}
}
