package fakeheroku

import (
	"net/http"

	"github.com/spacelab-dev/spacelab/emulator"
)

// regionResourceJSON is the region resource of GET /regions and GET /regions/{region}: the
// expanded region reference plus its timestamps.
type regionResourceJSON struct {
	regionJSON
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

// regionsEpoch is the creation time the fake gives every region: regions are older than any
// account, and their timestamps never change.
const regionsEpoch = "2012-11-21T20:44:16Z"

func renderRegionResource(r emulator.Region) regionResourceJSON {
	return regionResourceJSON{regionJSON: renderRegion(r, true), CreatedAt: regionsEpoch, UpdatedAt: regionsEpoch}
}

// listRegions serves GET /regions (heroku regions), ranged by id (default) or name.
func (s *Server) listRegions(w http.ResponseWriter, r *http.Request) {
	items := make([]regionResourceJSON, 0, len(emulator.HerokuRegions))
	for _, rg := range emulator.HerokuRegions {
		items = append(items, renderRegionResource(rg))
	}
	newPage(s, items, []string{"id", "name"},
		func(v regionResourceJSON) string { return v.ID }, func(v regionResourceJSON) string { return v.Name }).serve(w, r)
}

// getRegion serves GET /regions/{region} by name or id.
func (s *Server) getRegion(w http.ResponseWriter, r *http.Request) {
	rg, ok := emulator.LookupRegion(r.PathValue("region"))
	if !ok {
		writeError(w, herr(http.StatusNotFound, "not_found", "Couldn't find that region."))
		return
	}
	writeJSON(w, http.StatusOK, renderRegionResource(rg))
}
