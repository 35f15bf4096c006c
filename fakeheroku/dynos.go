package fakeheroku

import (
	"net/http"
	"strconv"

	"github.com/spacelab-dev/spacelab/emulator"
)

// dynoJSON is the dyno resource.
type dynoJSON struct {
	App       idName      `json:"app"`
	AttachURL *string     `json:"attach_url"`
	Command   string      `json:"command"`
	CreatedAt *string     `json:"created_at"`
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Release   releaseJSON `json:"release"`
	Size      string      `json:"size"`
	State     string      `json:"state"`
	Type      string      `json:"type"`
	UpdatedAt *string     `json:"updated_at"`
}

type releaseJSON struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

func renderRelease(app *emulator.App) releaseJSON {
	return releaseJSON{ID: stableUUID("release", app.ID+"/v"+strconv.Itoa(app.Release)), Version: app.Release}
}

// renderDyno shows d with the state Heroku's API would: starting until its process listens
// (emulator.Tx.DynoState), then up.
func renderDyno(tx *emulator.Tx, app *emulator.App, d *emulator.Dyno) dynoJSON {
	return dynoJSON{
		App: idName{ID: app.ID, Name: app.Name}, Command: emulator.ShownCommand(d.Type, d.Command), CreatedAt: ts(d.CreatedAt),
		ID: d.ID, Name: d.Name(), Release: renderRelease(app), Size: d.Size, State: tx.DynoState(d),
		Type: d.Type, UpdatedAt: ts(d.UpdatedAt),
	}
}

func renderDynos(tx *emulator.Tx, app *emulator.App) []dynoJSON {
	out := make([]dynoJSON, 0, len(app.Dynos))
	for _, d := range app.Dynos {
		out = append(out, renderDyno(tx, app, d))
	}
	return out
}

// listDynos serves GET /apps/{app}/dynos (ps, apps:info), ranged by name (default) or id.
func (s *Server) listDynos(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		return newPage(s, renderDynos(tx, app), []string{"name", "id"},
			func(d dynoJSON) string { return d.Name }, func(d dynoJSON) string { return d.ID }), nil
	})
}

// spaceDynosJSON is one app's entry in GET /spaces/{space}/dynos, an endpoint the schema
// does not define; its shape is what spaces:ps reads.
type spaceDynosJSON struct {
	AppID   string     `json:"app_id"`
	AppName string     `json:"app_name"`
	Dynos   []dynoJSON `json:"dynos"`
}

// listSpaceDynos serves GET /spaces/{space}/dynos (spaces:ps): the dynos of every app in the
// space, ranged by app_name.
func (s *Server) listSpaceDynos(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		var items []spaceDynosJSON
		for _, app := range tx.AppsIn(sp.ID) {
			items = append(items, spaceDynosJSON{AppID: app.ID, AppName: app.Name, Dynos: renderDynos(tx, app)})
		}
		return newPage(s, items, []string{"app_name"}, func(v spaceDynosJSON) string { return v.AppName }), nil
	})
}
