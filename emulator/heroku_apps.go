package emulator

import (
	"net/http"
	"strings"
)

// Dyno sizes by where an app runs. Private Space apps run Private-* dynos (a Shield space
// shows them as Shield-*; the CLI rewrites Shield- to Private- before sending); Common Runtime
// apps run the rest.
var (
	PrivateDynoSizes = []string{"Private-S", "Private-M", "Private-L", "Private-L-RAM", "Private-XL", "Private-2XL"}
	ShieldDynoSizes  = []string{"Shield-S", "Shield-M", "Shield-L", "Shield-L-RAM", "Shield-XL", "Shield-2XL"}
	CommonDynoSizes  = []string{"Eco", "Basic", "Standard-1X", "Standard-2X", "Performance-M", "Performance-L",
		"Performance-L-RAM", "Performance-XL", "Performance-2XL"}
)

// DynoSizesFor lists the sizes an app may scale to.
func (tx *Tx) DynoSizesFor(app *App) []string {
	sp := tx.w.spaces[app.SpaceID]
	switch {
	case sp == nil:
		return CommonDynoSizes
	case sp.Shield:
		return append(append([]string(nil), PrivateDynoSizes...), ShieldDynoSizes...)
	}
	return PrivateDynoSizes
}

// checkDynoSize refuses a size the app cannot run (compared case-insensitively, as Heroku
// does); an empty size keeps the current one.
func (tx *Tx) checkDynoSize(app *App, size string) error {
	if size == "" {
		return nil
	}
	sizes := tx.DynoSizesFor(app)
	for _, s := range sizes {
		if strings.EqualFold(s, size) {
			return nil
		}
	}
	return HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Dyno size %s is not available for %s; use one of: %s.", size, app.Name, strings.Join(sizes, ", "))
}

// DeleteApp destroys an app: its dynos stop and its internal router addresses are freed.
func (tx *Tx) DeleteApp(app *App) error {
	tx.mustWrite()
	if tx.w.apps[app.ID] != app {
		return HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	delete(tx.w.apps, app.ID)
	tx.w.log.Info("app deleted", "app", app.Name, "space", app.SpaceID)
	return nil
}

// ShownCommand is the command Heroku shows for a process (formation, dyno): its own command,
// or, when it has none because spacelab runs its built-in program for it, a label naming that.
// Each process type needs a distinct one: `heroku ps` groups dynos by command.
func ShownCommand(processType, command string) string {
	if command != "" {
		return command
	}
	return "(spacelab built-in " + processType + " process)"
}
