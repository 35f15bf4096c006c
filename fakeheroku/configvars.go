package fakeheroku

import (
	"fmt"
	"net/http"

	"github.com/spacelab-dev/spacelab/emulator"
)

// configVars renders an app's config vars: an object of name → value, {} when there are none.
func configVars(app *emulator.App) map[string]string {
	out := map[string]string{}
	for k, v := range app.ConfigVars {
		out[k] = v
	}
	return out
}

// getConfigVars serves GET /apps/{app}/config-vars (heroku config).
func (s *Server) getConfigVars(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		return configVars(app), nil
	})
}

// updateConfigVars serves PATCH /apps/{app}/config-vars (config:set, config:unset): a value
// sets a var, null unsets it; like a release on Heroku, the app's dynos restart with them.
func (s *Server) updateConfigVars(w http.ResponseWriter, r *http.Request) {
	var body map[string]*string
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		if _, err := tx.UpdateConfigVars(app.ID, body); err != nil {
			return nil, err
		}
		return configVars(app), nil
	})
}

// releaseResourceJSON is the release resource. The fake keeps no release history: an app's
// only release is its current one (version app.Release, bumped by config changes).
type releaseResourceJSON struct {
	AddonPlanNames []string `json:"addon_plan_names"`
	App            idName   `json:"app"`
	CreatedAt      *string  `json:"created_at"`
	Description    string   `json:"description"`
	ID             string   `json:"id"`
	UpdatedAt      *string  `json:"updated_at"`
	Slug           *idOnly  `json:"slug"`
	Status         string   `json:"status"`
	User           struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
	Version         int     `json:"version"`
	Current         bool    `json:"current"`
	OutputStreamURL *string `json:"output_stream_url"`
}

type idOnly struct {
	ID string `json:"id"`
}

// listReleases serves GET /apps/{app}/releases (the CLI reads the last one after config:set),
// ranged by version.
func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		rel := releaseResourceJSON{AddonPlanNames: []string{}, App: idName{ID: app.ID, Name: app.Name},
			CreatedAt: ts(app.ReleasedAt), UpdatedAt: ts(app.ReleasedAt), Description: fmt.Sprintf("Release v%d", app.Release),
			ID: renderRelease(app).ID, Status: "succeeded", Version: app.Release, Current: true}
		rel.User.ID, rel.User.Email = stableUUID("user", app.OwnerEmail), app.OwnerEmail
		return newPage(s, []releaseResourceJSON{rel}, []string{"version"},
			func(v releaseResourceJSON) string { return fmt.Sprintf("%012d", v.Version) }), nil
	})
}

// restartDynos serves DELETE /apps/{app}/dynos (ps:restart), /apps/{app}/dynos/{dyno}
// (ps:restart --dyno-name web.1) and /apps/{app}/formations/{type} (ps:restart
// --process-type web): the dynos' processes are started again. 202 with an empty object.
func (s *Server) restartDynos(w http.ResponseWriter, r *http.Request) {
	which := r.PathValue("dyno")
	if which == "" {
		which = r.PathValue("type")
	}
	s.update(w, r, http.StatusAccepted, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		if _, err := tx.RestartDynos(app.ID, which); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	})
}
