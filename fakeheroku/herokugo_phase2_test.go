package fakeheroku

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	heroku "github.com/heroku/heroku-go/v5"
)

// TestHerokuGoLifecycle creates, changes and destroys a space and its app through heroku-go.
func TestHerokuGoLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := e.herokuGo(testToken)

	sp, err := svc.SpaceCreate(ctx, heroku.SpaceCreateOpts{Name: "go-space", Team: seedTeam, Region: heroku.String("virginia"),
		CIDR: heroku.String("172.20.0.0/16"), DataCIDR: heroku.String("172.21.0.0/20")})
	if err != nil {
		t.Fatalf("SpaceCreate: %v", err)
	}
	if sp.State != "allocating" || sp.CIDR != "172.20.0.0/16" || sp.DataCIDR != "172.21.0.0/20" || sp.Region.Name != "virginia" {
		t.Errorf("SpaceCreate = %+v", sp)
	}
	// SpaceAllocationTime is zero: the next request finds it allocated.
	if sp, err = svc.SpaceInfo(ctx, "go-space"); err != nil || sp.State != "allocated" {
		t.Fatalf("SpaceInfo after create = %+v, %v", sp, err)
	}
	nat, err := svc.SpaceNATInfo(ctx, "go-space")
	if err != nil || nat.State != "enabled" || len(nat.Sources) != 4 {
		t.Errorf("SpaceNATInfo = %+v, %v", nat, err)
	}
	_, err = svc.SpaceCreate(ctx, heroku.SpaceCreateOpts{Name: "go-space", Team: seedTeam})
	assertHerokuError(t, "SpaceCreate with a taken name", err, http.StatusUnprocessableEntity, "invalid_params")

	teamSpaces, err := svc.TeamSpaceList(ctx, seedTeam, nil)
	if err != nil || len(teamSpaces) != 2 {
		t.Errorf("TeamSpaceList = %d spaces, %v", len(teamSpaces), err)
	}
	if team, err := svc.TeamInfo(ctx, seedTeam); err != nil || team.Name != seedTeam {
		t.Errorf("TeamInfo = %+v, %v", team, err)
	}

	app, err := svc.TeamAppCreate(ctx, heroku.TeamAppCreateOpts{Name: heroku.String("go-app"), Space: heroku.String("go-space")})
	if err != nil {
		t.Fatalf("TeamAppCreate: %v", err)
	}
	if app.InternalRouting == nil || *app.InternalRouting || app.Space == nil || app.Space.Name != "go-space" {
		t.Errorf("TeamAppCreate without internal_routing = %+v", app)
	}
	batch, err := svc.FormationBatchUpdate(ctx, "go-app", heroku.FormationBatchUpdateOpts{Updates: []struct {
		Quantity *int    `json:"quantity,omitempty" url:"quantity,omitempty,key"`
		Size     *string `json:"size,omitempty" url:"size,omitempty,key"`
		Type     string  `json:"type" url:"type,key"`
	}{{Quantity: heroku.Int(2), Type: "web"}, {Quantity: heroku.Int(1), Size: heroku.String("Private-M"), Type: "worker"}}})
	if err != nil {
		t.Fatalf("FormationBatchUpdate: %v", err)
	}
	var got []string
	for _, f := range batch {
		got = append(got, f.Type+"="+f.Size+"x"+string(rune('0'+f.Quantity)))
	}
	if d := cmp.Diff([]string{"web=Private-Sx2", "worker=Private-Mx1"}, got); d != "" {
		t.Errorf("FormationBatchUpdate (-want +got):\n%s", d)
	}
	f, err := svc.FormationUpdate(ctx, "go-app", "web", heroku.FormationUpdateOpts{Quantity: heroku.Int(3)})
	if err != nil || f.Quantity != 3 {
		t.Errorf("FormationUpdate = %+v, %v", f, err)
	}
	topo, err := svc.SpaceTopologyTopology(ctx, "go-space")
	if err != nil || len(topo.Apps) != 1 || len(topo.Apps[0].Formation) != 2 || len(topo.Apps[0].Formation[0].Dynos) != 3 {
		t.Errorf("SpaceTopologyTopology = %+v, %v", topo, err)
	}

	rs, err := svc.InboundRulesetCurrent(ctx, "go-space")
	if err != nil || len(rs.Rules) != 1 || rs.Rules[0].Source != "0.0.0.0/0" || rs.Rules[0].Action != "allow" {
		t.Fatalf("InboundRulesetCurrent = %+v, %v", rs, err)
	}
	created, err := svc.InboundRulesetCreate(ctx, "go-space", heroku.InboundRulesetCreateOpts{Rules: []*struct {
		Action string `json:"action" url:"action,key"`
		Source string `json:"source" url:"source,key"`
	}{{Action: "allow", Source: "198.51.100.0/24"}, {Action: "deny", Source: "198.51.100.128/25"}}})
	if err != nil || len(created.Rules) != 2 || created.CreatedBy != "user@example.com" {
		t.Fatalf("InboundRulesetCreate = %+v, %v", created, err)
	}
	history, err := svc.InboundRulesetList(ctx, "go-space", nil)
	if err != nil || len(history) != 2 {
		t.Errorf("InboundRulesetList = %d, %v", len(history), err)
	}
	if old, err := svc.InboundRulesetInfo(ctx, "go-space", rs.ID); err != nil || old.Rules[0].Source != "0.0.0.0/0" {
		t.Errorf("InboundRulesetInfo(first) = %+v, %v", old, err)
	}

	_, err = svc.SpaceDelete(ctx, "go-space")
	assertHerokuError(t, "SpaceDelete with an app", err, http.StatusUnprocessableEntity, "invalid_params")
	if gone, err := svc.AppDelete(ctx, "go-app"); err != nil || gone.Name != "go-app" {
		t.Fatalf("AppDelete = %+v, %v", gone, err)
	}
	renamed, err := svc.SpaceUpdate(ctx, "go-space", heroku.SpaceUpdateOpts{Name: heroku.String("go-space-2")})
	if err != nil || renamed.Name != "go-space-2" {
		t.Fatalf("SpaceUpdate = %+v, %v", renamed, err)
	}
	deleted, err := svc.SpaceDelete(ctx, "go-space-2")
	if err != nil || deleted.State != "deleting" {
		t.Fatalf("SpaceDelete = %+v, %v", deleted, err)
	}
	_, err = svc.SpaceInfo(ctx, "go-space-2")
	assertHerokuError(t, "SpaceInfo after delete", err, http.StatusNotFound, "not_found")

	personal, err := svc.AppCreate(ctx, heroku.AppCreateOpts{Name: heroku.String("go-personal")})
	if err != nil || personal.Space != nil || personal.Owner.Email != "user@example.com" || personal.Region.Name != "us" {
		t.Errorf("AppCreate = %+v, %v", personal, err)
	}
}
