package fakeheroku

import (
	"net/http"

	"github.com/spacelab-dev/spacelab/emulator"
)

// Who may do what. A user acts on a team's spaces and apps through its role in that team
// (emulator.User.Teams): any role sees them; a space changes only by an admin (trusted IP
// ranges, VPN connections, peerings, rename, destroy); an app changes by an admin or a member
// (scale, destroy); a viewer changes nothing. A personal app is its owner's alone.
//
// The refusals are the Platform API's: a resource that does not exist is 404 not_found
// ("Couldn't find that app."); one that exists but belongs to a team the user is not in is
// 403 forbidden "You do not have access to the app NAME." (the CLI prints it with "Error ID:
// forbidden"); one the user sees but may not change is 403 forbidden "You do not have the
// required access to the app NAME.". Spaces and teams are answered in the same words.
// Lists (GET /spaces, GET /apps) hold only what the user sees.

// changes reports whether the request would change the resource (anything but GET and HEAD).
func changes(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

func noAccess(kind, ident string) error {
	return herr(http.StatusForbidden, "forbidden", "You do not have access to the %s %s.", kind, ident)
}

func noRequiredAccess(kind, ident string) error {
	return herr(http.StatusForbidden, "forbidden", "You do not have the required access to the %s %s.", kind, ident)
}

// findTeam resolves a team by name or id that the request's user belongs to; changing it
// needs an admin.
func findTeam(tx *emulator.Tx, r *http.Request, ident string) (*emulator.Team, error) {
	t := tx.Team(ident)
	if t == nil {
		return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that team.")
	}
	switch role := tx.TeamRole(currentUser(r), t.ID); {
	case role == "":
		return nil, noAccess("team", ident)
	case changes(r) && role != emulator.RoleAdmin:
		return nil, noRequiredAccess("team", ident)
	}
	return t, nil
}

// findSpace resolves a space by name or id that the request's user may see, and for a change
// may change (an admin of its team).
func findSpace(tx *emulator.Tx, r *http.Request, ident string) (*emulator.Space, error) {
	sp := tx.Space(ident)
	if sp == nil {
		return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that space.")
	}
	switch role := tx.TeamRole(currentUser(r), sp.TeamID); {
	case role == "":
		return nil, noAccess("space", ident)
	case changes(r) && role != emulator.RoleAdmin:
		return nil, noRequiredAccess("space", ident)
	}
	return sp, nil
}

// findApp resolves an app by name or id (spaces:topology looks apps up by id) that the
// request's user may see, and for a change may change.
func findApp(tx *emulator.Tx, r *http.Request, ident string) (*emulator.App, error) {
	app := tx.App(ident)
	if app == nil {
		return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	u := currentUser(r)
	if app.TeamID == "" {
		if u == nil || app.OwnerEmail != u.Email {
			return nil, noAccess("app", ident)
		}
		return app, nil
	}
	switch role := tx.TeamRole(u, app.TeamID); {
	case role == "":
		return nil, noAccess("app", ident)
	case changes(r) && role == emulator.RoleViewer:
		return nil, noRequiredAccess("app", ident)
	}
	return app, nil
}

// seesSpace reports whether the request's user sees sp (lists hold only those).
func seesSpace(tx *emulator.Tx, r *http.Request, sp *emulator.Space) bool {
	return tx.TeamRole(currentUser(r), sp.TeamID) != ""
}

// seesApp reports whether the request's user sees app.
func seesApp(tx *emulator.Tx, r *http.Request, app *emulator.App) bool {
	if app.TeamID == "" {
		u := currentUser(r)
		return u != nil && app.OwnerEmail == u.Email
	}
	return tx.TeamRole(currentUser(r), app.TeamID) != ""
}

// claimTeam lets the request's user create something in the team named name: an existing team
// needs one of roles, a team that does not exist yet is created with the user as its admin
// (the model has no separate team sign-up).
func claimTeam(tx *emulator.Tx, r *http.Request, name string, roles ...string) error {
	u := currentUser(r)
	t := tx.Team(name)
	if t == nil {
		return tx.SetTeamRole(u, tx.EnsureTeam(name), emulator.RoleAdmin)
	}
	role := tx.TeamRole(u, t.ID)
	if role == "" {
		return noAccess("team", name)
	}
	for _, ok := range roles {
		if role == ok {
			return nil
		}
	}
	return noRequiredAccess("team", name)
}
