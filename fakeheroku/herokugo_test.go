package fakeheroku

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	heroku "github.com/heroku/heroku-go/v5"

	"github.com/spacelab-dev/spacelab/emulator"
)

// TestHerokuGoPeeringWalkthrough drives the seed's peering steps through heroku-go v5, the
// client Terraform's provider and Go programs use.
func TestHerokuGoPeeringWalkthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := e.herokuGo(testToken)
	pcx := e.requestPeering()

	space, err := svc.SpaceInfo(ctx, seedSpace)
	if err != nil {
		t.Fatalf("SpaceInfo: %v", err)
	}
	if space.Name != seedSpace || space.Region.Name != "tokyo" || space.State != "allocated" || space.CIDR != "10.0.0.0/16" ||
		space.DataCIDR != "10.1.0.0/16" || space.Team.Name != seedTeam || !space.CreatedAt.Equal(seedTime) {
		t.Errorf("SpaceInfo = %+v", space)
	}
	// By id as well as by name.
	if byID, err := svc.SpaceInfo(ctx, space.ID); err != nil || byID.Name != seedSpace {
		t.Errorf("SpaceInfo(id) = %+v, %v", byID, err)
	}

	info, err := svc.PeeringInfoInfo(ctx, seedSpace)
	if err != nil {
		t.Fatalf("PeeringInfoInfo: %v", err)
	}
	blocks := []string{"10.0.144.0/20", "10.0.128.0/20", "10.0.0.0/20", "10.0.16.0/20"}
	wantInfo := &heroku.PeeringInfo{AwsAccountID: herokuAcct, AwsRegion: "ap-northeast-1", VpcID: spaceVPC, VpcCIDR: "10.0.0.0/16",
		DynoCIDRBlocks: blocks, SpaceCIDRBlocks: blocks, UnavailableCIDRBlocks: []string{"10.1.0.0/16"}}
	if d := cmp.Diff(wantInfo, info); d != "" {
		t.Errorf("PeeringInfoInfo (-want +got):\n%s", d)
	}

	list, err := svc.PeeringList(ctx, seedSpace, nil)
	if err != nil {
		t.Fatalf("PeeringList: %v", err)
	}
	var dataVPC string
	_ = e.world.View(func(tx *emulator.Tx) error { dataVPC = tx.Space(seedSpace).DataVPCID; return nil })
	want := heroku.PeeringListResult{
		{Type: "heroku-managed", PcxID: e.dataPeering(), CIDRBlocks: []string{"10.1.0.0/16"}, Status: "active",
			AwsVpcID: dataVPC, AwsRegion: "ap-northeast-1", AwsAccountID: herokuAcct},
		{Type: "unknown", PcxID: pcx, CIDRBlocks: []string{customerCIDR}, Status: "pending-acceptance",
			AwsVpcID: customerVPC, AwsRegion: customerRegio, Expires: seedTime.Add(7 * 24 * time.Hour)},
	}
	sortPeerings(want)
	if d := cmp.Diff(want, list); d != "" {
		t.Errorf("PeeringList (-want +got):\n%s", d)
	}

	accepted, err := svc.PeeringAccept(ctx, seedSpace, pcx)
	if err != nil {
		t.Fatalf("PeeringAccept: %v", err)
	}
	if accepted.Status != "active" || accepted.Type != "customer-managed" || accepted.AwsAccountID != customerAcct || !accepted.Expires.IsZero() {
		t.Errorf("PeeringAccept = %+v", accepted)
	}
	// The same connection, seen from AWS, is active.
	_ = e.world.View(func(tx *emulator.Tx) error {
		if st := tx.Peering(pcx).Status(tx.Now()); st != emulator.PcxActive {
			t.Errorf("AWS side status = %s, want active", st)
		}
		return nil
	})

	one, err := svc.PeeringInfo(ctx, seedSpace, pcx)
	if err != nil {
		t.Fatalf("PeeringInfo: %v", err)
	}
	if d := cmp.Diff(accepted, one); d != "" {
		t.Errorf("PeeringInfo differs from the accept answer (-accept +info):\n%s", d)
	}

	_, err = svc.PeeringAccept(ctx, seedSpace, pcx)
	assertHerokuError(t, "second PeeringAccept", err, http.StatusUnprocessableEntity, "invalid_params")

	gone, err := svc.PeeringDestroy(ctx, seedSpace, pcx)
	if err != nil {
		t.Fatalf("PeeringDestroy: %v", err)
	}
	if gone.Status != "deleted" || gone.PcxID != pcx {
		t.Errorf("PeeringDestroy = %+v", gone)
	}
	_, err = svc.PeeringInfo(ctx, seedSpace, pcx)
	assertHerokuError(t, "PeeringInfo after destroy", err, http.StatusNotFound, "not_found")
	_, err = svc.PeeringDestroy(ctx, seedSpace, e.dataPeering())
	assertHerokuError(t, "destroying the heroku-managed peering", err, http.StatusForbidden, "forbidden")
}

func sortPeerings(ps heroku.PeeringListResult) {
	if len(ps) == 2 && ps[0].PcxID > ps[1].PcxID {
		ps[0], ps[1] = ps[1], ps[0]
	}
}

// TestHerokuGoApps reads the seed app, its dynos and formation through heroku-go.
func TestHerokuGoApps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := e.herokuGo(testToken)

	app, err := svc.AppInfo(ctx, seedApp)
	if err != nil {
		t.Fatalf("AppInfo: %v", err)
	}
	if app.Name != seedApp || app.Space == nil || app.Space.Name != seedSpace || app.InternalRouting == nil || !*app.InternalRouting ||
		app.WebURL != "https://test-vpn-compute.herokuapp.com/" || app.Region.Name != "tokyo" || app.Team == nil || app.Team.Name != seedTeam {
		t.Errorf("AppInfo = %+v", app)
	}
	if byID, err := svc.AppInfo(ctx, app.ID); err != nil || byID.Name != seedApp {
		t.Errorf("AppInfo(id) = %+v, %v", byID, err)
	}

	dynos, err := svc.DynoList(ctx, seedApp, nil)
	if err != nil {
		t.Fatalf("DynoList: %v", err)
	}
	var names []string
	for _, d := range dynos {
		names = append(names, d.Name+"/"+d.Type+"/"+d.State+"/"+d.Size)
		if d.App.ID != app.ID || d.Release.Version != 1 || d.CreatedAt.IsZero() {
			t.Errorf("dyno %+v", d)
		}
	}
	if d := cmp.Diff([]string{"web.1/web/up/Private-S", "web.2/web/up/Private-S"}, names); d != "" {
		t.Errorf("DynoList (-want +got):\n%s", d)
	}

	formation, err := svc.FormationList(ctx, seedApp, nil)
	if err != nil {
		t.Fatalf("FormationList: %v", err)
	}
	if len(formation) != 1 || formation[0].Type != "web" || formation[0].Quantity != 2 || formation[0].Size != "Private-S" {
		t.Errorf("FormationList = %+v", formation)
	}

	_, err = svc.AppInfo(ctx, "no-such-app")
	assertHerokuError(t, "AppInfo(no-such-app)", err, http.StatusNotFound, "not_found")
}

// TestHerokuGoBadToken: a wrong token is a heroku.Error with status 401 (wrapped by
// net/http in a *url.Error, hence errors.As).
func TestHerokuGoBadToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.herokuGo("not-a-token").SpaceInfo(context.Background(), seedSpace)
	assertHerokuError(t, "SpaceInfo with a bad token", err, http.StatusUnauthorized, "unauthorized")
}

func assertHerokuError(t *testing.T, what string, err error, status int, id string) {
	t.Helper()
	var he heroku.Error
	if !errors.As(err, &he) {
		t.Errorf("%s: err = %v, want a heroku.Error", what, err)
		return
	}
	if he.StatusCode != status || he.ID != id || he.Error() == "" {
		t.Errorf("%s: heroku.Error{%d %s %q}, want %d %s", what, he.StatusCode, he.ID, he.Error(), status, id)
	}
}
