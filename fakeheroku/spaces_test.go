package fakeheroku

import (
	"net/http"
	"testing"
)

// TestCreateSpaceValidation: POST /spaces applies the CIDR and naming rules of Heroku
// (shared/reference/heroku-api.md §6.6).
func TestCreateSpaceValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []apiCase{
		{"missing name", "POST", "/spaces", `{"team":"t"}`, 422, "invalid_params"},
		{"missing team", "POST", "/spaces", `{"name":"x-space"}`, 422, "invalid_params"},
		{"name taken", "POST", "/spaces", `{"name":"enablement-jp","team":"t"}`, 422, "invalid_params"},
		{"name with capitals", "POST", "/spaces", `{"name":"My-Space","team":"t"}`, 422, "invalid_params"},
		{"name with a double dash", "POST", "/spaces", `{"name":"a--b","team":"t"}`, 422, "invalid_params"},
		{"unknown region", "POST", "/spaces", `{"name":"x-space","team":"t","region":"atlantis"}`, 422, "invalid_params"},
		{"common runtime region", "POST", "/spaces", `{"name":"x-space","team":"t","region":"us"}`, 422, "invalid_params"},
		{"cidr not a /16", "POST", "/spaces", `{"name":"x-space","team":"t","cidr":"10.0.0.0/20"}`, 422, "invalid_params"},
		{"public cidr", "POST", "/spaces", `{"name":"x-space","team":"t","cidr":"8.8.0.0/16"}`, 422, "invalid_params"},
		{"cidr with host bits", "POST", "/spaces", `{"name":"x-space","team":"t","cidr":"10.0.1.0/16"}`, 422, "invalid_params"},
		{"cidr garbage", "POST", "/spaces", `{"name":"x-space","team":"t","cidr":"ten"}`, 422, "invalid_params"},
		{"data cidr too small", "POST", "/spaces", `{"name":"x-space","team":"t","data_cidr":"10.1.0.0/24"}`, 422, "invalid_params"},
		{"data cidr too big", "POST", "/spaces", `{"name":"x-space","team":"t","data_cidr":"10.0.0.0/15"}`, 422, "invalid_params"},
		{"data cidr overlaps cidr", "POST", "/spaces", `{"name":"x-space","team":"t","cidr":"10.5.0.0/16","data_cidr":"10.5.16.0/20"}`, 422, "invalid_params"},
		{"docker range", "POST", "/spaces", `{"name":"x-space","team":"t","cidr":"172.17.0.0/16"}`, 422, "invalid_params"},
		{"unknown generation", "POST", "/spaces", `{"name":"x-space","team":"t","generation":"bamboo"}`, 422, "invalid_params"},
		{"shield not a bool", "POST", "/spaces", `{"name":"x-space","team":"t","shield":"yes"}`, 422, "invalid_params"},
		{"rename", "PATCH", "/spaces/enablement-jp", `{"name":"enablement-jp2"}`, 200, ""},
		{"rename back", "PATCH", "/spaces/enablement-jp2", `{"name":"enablement-jp"}`, 200, ""},
		{"rename to a bad name", "PATCH", "/spaces/enablement-jp", `{"name":"-bad"}`, 422, "invalid_params"},
		{"destroy a space with apps", "DELETE", "/spaces/enablement-jp", ``, 422, "invalid_params"},
		{"destroy a missing space", "DELETE", "/spaces/nowhere", ``, 404, "not_found"},
		{"shield space with defaults", "POST", "/spaces", `{"name":"x-space","team":"t","shield":true,"features":[],"generation":"cedar"}`, 201, ""},
		{"rename to a taken name", "PATCH", "/spaces/x-space", `{"name":"enablement-jp"}`, 422, "invalid_params"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, e) })
	}
	var sp spaceJSON
	e.do("GET", "/spaces/x-space", "").JSON(t, &sp)
	if !sp.Shield || sp.CIDR != "10.0.0.0/16" || sp.DataCIDR != "10.1.0.0/16" || sp.Region.Name != "virginia" || sp.Team.Name != "t" {
		t.Errorf("defaults: %+v", sp)
	}
}

// TestSpaceWaitStates: a created space is allocating, with NAT updating, until its allocation
// time has passed.
func TestSpaceWaitStates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *Server) { s.SpaceAllocationTime = 3 * 60e9 })
	r := e.do("POST", "/spaces", `{"name":"slow-space","team":"t"}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	state := func() (string, string) {
		var sp spaceJSON
		var nat natJSON
		e.do("GET", "/spaces/slow-space", "").JSON(t, &sp)
		e.do("GET", "/spaces/slow-space/nat", "").JSON(t, &nat)
		return sp.State, nat.State
	}
	if s, n := state(); s != "allocating" || n != "updating" {
		t.Errorf("just created: %s / NAT %s", s, n)
	}
	e.clock.Add(2 * 60e9)
	if s, _ := state(); s != "allocating" {
		t.Errorf("after 2 minutes: %s", s)
	}
	gen := e.world.Generation()
	e.clock.Add(60e9)
	if s, n := state(); s != "allocated" || n != "enabled" {
		t.Errorf("after 3 minutes: %s / NAT %s", s, n)
	}
	if e.world.Generation() != gen+1 {
		t.Errorf("allocation advanced the generation by %d, want 1", e.world.Generation()-gen)
	}
}
