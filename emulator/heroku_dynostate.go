package emulator

import "net/http"

// DynoCrashed is the state `heroku ps` shows for a dyno that stopped (a fault, see package
// faults): it has no process, no address in the data plane, and the router sends it nothing.
const DynoCrashed = "crashed"

// SetDynoCrashed crashes an app's dyno (web.1), or, with crashed false, brings it back up with
// a fresh start of its process, as a restart does.
func (tx *Tx) SetDynoCrashed(appNameOrID, dyno string, crashed bool) error {
	app := tx.App(appNameOrID)
	if app == nil {
		return HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	tx.mustWrite(app) // its config, dynos and their processes
	for _, d := range app.Dynos {
		if d.Name() != dyno && d.ID != dyno {
			continue
		}
		switch {
		case crashed && d.State != DynoCrashed:
			d.State = DynoCrashed
		case !crashed && d.State == DynoCrashed:
			d.State = "up"
			d.Restarts++
		default:
			return nil
		}
		d.UpdatedAt = tx.now
		return nil
	}
	return HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that dyno.")
}
