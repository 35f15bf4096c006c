package emulator

import (
	"strconv"
)

// LocalspaceDomain is the DNS zone of dyno service discovery inside a Private Space.
const LocalspaceDomain = "app.localspace"

// ProcessHostname is the service-discovery name of a process type of an app,
// PROCESS.APP.app.localspace, which answers with up to three of its running dynos.
func ProcessHostname(app *App, processType string) string {
	return processType + "." + app.Name + "." + LocalspaceDomain
}

// DynoHostname is the service-discovery name of one dyno, N.PROCESS.APP.app.localspace (for
// example 1.worker.test-private-space.app.localspace).
func DynoHostname(app *App, d *Dyno) string {
	return strconv.Itoa(d.Number) + "." + ProcessHostname(app, d.Type)
}
