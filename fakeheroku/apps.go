package fakeheroku

import (
	"net/http"

	"github.com/spacelab-dev/spacelab/emulator"
)

// appJSON is the app resource, with the team-app fields (joined, locked) and the ones the
// CLI reads beyond the schema (create_status, process_tier, generation).
type appJSON struct {
	ACM                          bool      `json:"acm"`
	ArchivedAt                   *string   `json:"archived_at"`
	BuildpackProvidedDescription *string   `json:"buildpack_provided_description"`
	BuildStack                   idName    `json:"build_stack"`
	CreatedAt                    *string   `json:"created_at"`
	GitURL                       string    `json:"git_url"`
	ID                           string    `json:"id"`
	InternalRouting              *bool     `json:"internal_routing"`
	Maintenance                  bool      `json:"maintenance"`
	Name                         string    `json:"name"`
	Owner                        ownerJSON `json:"owner"`
	Organization                 *idName   `json:"organization"`
	Team                         *idName   `json:"team"`
	Region                       idName    `json:"region"`
	ReleasedAt                   *string   `json:"released_at"`
	RepoSize                     *int      `json:"repo_size"`
	SlugSize                     *int      `json:"slug_size"`
	Space                        *appSpace `json:"space"`
	Stack                        idName    `json:"stack"`
	Generation                   idName    `json:"generation"`
	UpdatedAt                    *string   `json:"updated_at"`
	WebURL                       string    `json:"web_url"`
	CreateStatus                 string    `json:"create_status"`
	ProcessTier                  string    `json:"process_tier"`
	Joined                       bool      `json:"joined"`
	Locked                       bool      `json:"locked"`
}

type ownerJSON struct {
	Email string `json:"email"`
	ID    string `json:"id"`
}

type appSpace struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Shield bool   `json:"shield"`
}

func renderApp(tx *emulator.Tx, app *emulator.App) appJSON {
	out := appJSON{
		BuildStack:   stackRef(app.Stack),
		CreatedAt:    ts(app.CreatedAt),
		GitURL:       "https://git.heroku.com/" + app.Name + ".git",
		ID:           app.ID,
		Name:         app.Name,
		Owner:        renderOwner(tx, app),
		Team:         teamRef(tx, app.TeamID),
		Region:       regionRef(app.Region),
		ReleasedAt:   ts(app.ReleasedAt),
		Stack:        stackRef(app.Stack),
		Generation:   generationRef(""),
		UpdatedAt:    ts(app.UpdatedAt),
		WebURL:       "https://" + app.WebHost() + "/",
		CreateStatus: "complete",
		ProcessTier:  "production",
	}
	out.Organization = out.Team
	if sp := tx.Space(app.SpaceID); sp != nil {
		internal := app.InternalRouting
		out.InternalRouting = &internal
		out.Space = &appSpace{ID: sp.ID, Name: sp.Name, Shield: sp.Shield}
		out.Generation = generationRef(sp.Generation)
		out.ProcessTier = "private"
		if sp.Shield {
			out.ProcessTier = "shield"
		}
	}
	return out
}

// renderOwner names the app's owner: its team for a team app (as Heroku shows
// team@herokumanager.com), else the user with the owner's e-mail.
func renderOwner(tx *emulator.Tx, app *emulator.App) ownerJSON {
	o := ownerJSON{Email: app.OwnerEmail, ID: stableUUID("account", app.OwnerEmail)}
	if t := tx.TeamByID(app.TeamID); t != nil {
		o.ID = t.ID
	}
	if u := tx.UserByEmail(app.OwnerEmail); u != nil {
		o.ID = u.ID
	}
	return o
}

// getApp serves GET /apps/{app}.
func (s *Server) getApp(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		return renderApp(tx, app), nil
	})
}

// listApps serves GET /apps, ranged by name (default) or id: the apps the user sees (its
// personal apps and its teams' apps).
func (s *Server) listApps(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		var in []*emulator.App
		for _, app := range tx.Apps() {
			if seesApp(tx, r, app) {
				in = append(in, app)
			}
		}
		return s.appPage(tx, in), nil
	})
}

// listTeamApps serves GET /teams/{team}/apps.
func (s *Server) listTeamApps(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		t, err := findTeam(tx, r, r.PathValue("team"))
		if err != nil {
			return nil, err
		}
		var in []*emulator.App
		for _, app := range tx.Apps() {
			if app.TeamID == t.ID {
				in = append(in, app)
			}
		}
		return s.appPage(tx, in), nil
	})
}

func (s *Server) appPage(tx *emulator.Tx, apps []*emulator.App) page {
	items := make([]appJSON, 0, len(apps))
	for _, app := range apps {
		items = append(items, renderApp(tx, app))
	}
	return newPage(s, items, []string{"name", "id"},
		func(a appJSON) string { return a.Name }, func(a appJSON) string { return a.ID })
}

// listCollaborators serves GET /apps/{app}/collaborators. The model has no collaborators:
// the list is empty.
func (s *Server) listCollaborators(w http.ResponseWriter, r *http.Request) {
	s.emptyAppList(w, r)
}

func (s *Server) emptyAppList(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		if _, err := findApp(tx, r, r.PathValue("app")); err != nil {
			return nil, err
		}
		return newPage(s, []struct{}{}, []string{"id"}, func(struct{}) string { return "" }), nil
	})
}

// getPipelineCoupling serves GET /apps/{app}/pipeline-couplings: the model has no pipelines,
// so an existing app answers 404, as Heroku does for an app outside any pipeline (apps:info
// expects and ignores it).
func (s *Server) getPipelineCoupling(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		if _, err := findApp(tx, r, r.PathValue("app")); err != nil {
			return nil, err
		}
		return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that pipeline coupling.")
	})
}

// teamAppCreateBody is POST /teams/apps. A missing internal_routing means false (the CLI
// omits the key unless --internal-routing is given).
type teamAppCreateBody struct {
	Name            string `json:"name"`
	Team            string `json:"team"`
	Space           string `json:"space"`
	Region          string `json:"region"`
	Stack           string `json:"stack"`
	InternalRouting *bool  `json:"internal_routing"`
	Locked          bool   `json:"locked"`
	Personal        bool   `json:"personal"`
}

// createTeamApp serves POST /teams/apps (apps:create with --space or --team): 201 with the
// app. Without a space or team the app is the user's own.
func (s *Server) createTeamApp(w http.ResponseWriter, r *http.Request) {
	var body teamAppCreateBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	spec := emulator.AppSpec{Name: body.Name, Space: body.Space, Team: body.Team, Region: body.Region, Stack: body.Stack,
		InternalRouting: body.InternalRouting != nil && *body.InternalRouting}
	if body.Space == "" && (body.Team == "" || body.Personal) {
		spec.Team, spec.OwnerEmail = "", currentUser(r).Email
	}
	s.createAppFrom(w, r, spec)
}

// createApp serves POST /apps (apps:create without --space/--team): an app of the user's in
// the Common Runtime. The schema's body has no space or internal_routing.
func (s *Server) createApp(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name   string `json:"name"`
		Region string `json:"region"`
		Stack  string `json:"stack"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.createAppFrom(w, r, emulator.AppSpec{Name: body.Name, Region: body.Region, Stack: body.Stack, OwnerEmail: currentUser(r).Email})
}

func (s *Server) createAppFrom(w http.ResponseWriter, r *http.Request, spec emulator.AppSpec) {
	s.update(w, r, http.StatusCreated, func(tx *emulator.Tx) (any, error) {
		if spec.Space != "" {
			if sp := tx.Space(spec.Space); sp != nil {
				switch tx.TeamRole(currentUser(r), sp.TeamID) {
				case "":
					return nil, noAccess("space", spec.Space)
				case emulator.RoleViewer:
					return nil, noRequiredAccess("space", spec.Space)
				}
			}
		} else if spec.Team != "" {
			if err := claimTeam(tx, r, spec.Team, emulator.RoleAdmin, emulator.RoleMember); err != nil {
				return nil, err
			}
		}
		app, err := tx.CreateApp(spec)
		if err != nil {
			return nil, err
		}
		return renderApp(tx, app), nil
	})
}

// deleteApp serves DELETE /apps/{app} (apps:destroy): 200 with the app as it was.
func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		out := renderApp(tx, app)
		return out, tx.DeleteApp(app)
	})
}
