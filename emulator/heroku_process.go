package emulator

import (
	"net/http"
	"regexp"
	"sort"
)

// A dyno runs its process type's command (a Procfile line such as
// `web: python3 -m http.server $PORT`) with PORT, DYNO and the app's config vars in its
// environment, or spacelab's built-in process when the type has no command.

var configVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// UpdateConfigVars sets (a non-nil value) and unsets (nil) config vars of an app, as PATCH
// /apps/{app}/config-vars does, and returns the app's vars. Like a new release on Heroku it
// restarts the app's dynos, so their processes see the new environment.
func (tx *Tx) UpdateConfigVars(appID string, changes map[string]*string) (map[string]string, error) {
	app := tx.App(appID)
	if app == nil {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	tx.mustWrite(app) // its config, dynos and their processes
	for k := range changes {
		if !configVarRE.MatchString(k) {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Invalid config var name: %s. Config var names must start with a letter or underscore and contain only letters, digits and underscores.", k)
		}
	}
	if app.ConfigVars == nil {
		app.ConfigVars = map[string]string{}
	}
	for k, v := range changes {
		if v == nil {
			delete(app.ConfigVars, k)
		} else {
			app.ConfigVars[k] = *v
		}
	}
	app.Release++
	app.ReleasedAt, app.UpdatedAt = tx.now, tx.now
	for _, d := range app.Dynos {
		d.Restarts++
		d.UpdatedAt = tx.now
	}
	return app.ConfigVars, nil
}

// RestartDynos restarts an app's dynos (heroku ps:restart): all of them when which is empty,
// else those of a process type (web) or one dyno (web.1). It returns the dynos restarted.
func (tx *Tx) RestartDynos(appID, which string) ([]*Dyno, error) {
	app := tx.App(appID)
	if app == nil {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	tx.mustWrite(app) // its config, dynos and their processes
	var out []*Dyno
	for _, d := range app.Dynos {
		if which == "" || which == d.Type || which == d.Name() || which == d.ID {
			d.Restarts++
			if d.State == DynoCrashed { // a restart brings a crashed dyno back, as on Heroku
				d.State = "up"
			}
			d.UpdatedAt = tx.now
			out = append(out, d)
		}
	}
	if which != "" && len(out) == 0 {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that dyno.")
	}
	return out, nil
}

// DynoEnv is the environment of a dyno's process besides PORT: the app's config vars, sorted
// by name, then DYNO (which a config var cannot override).
func DynoEnv(app *App, d *Dyno) []string {
	keys := make([]string, 0, len(app.ConfigVars))
	for k := range app.ConfigVars {
		if k != "DYNO" && k != "PORT" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		out = append(out, k+"="+app.ConfigVars[k])
	}
	return append(out, "DYNO="+d.Name())
}
