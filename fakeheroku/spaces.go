package fakeheroku

import (
	"net/http"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

// spaceJSON is the space resource. generation is the v6 object form {id, name}, which both the
// CLI and heroku-go v6 decode (v6 fails on a bare string).
type spaceJSON struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Shield       bool       `json:"shield"`
	State        string     `json:"state"`
	CIDR         string     `json:"cidr"`
	DataCIDR     string     `json:"data_cidr"`
	Team         *idName    `json:"team"`
	Organization *nameOnly  `json:"organization"`
	Region       regionJSON `json:"region"`
	Generation   idName     `json:"generation"`
	CreatedAt    *string    `json:"created_at"`
	UpdatedAt    *string    `json:"updated_at"`
}

type nameOnly struct {
	Name string `json:"name"`
}

// regionJSON is a region reference, expanded to the full region with
// "Accept-Expansion: region" (spaces:info prints region.description and omits the row
// without it).
type regionJSON struct {
	ID             string        `json:"id"`
	Name           string        `json:"name"`
	Description    string        `json:"description,omitempty"`
	Country        string        `json:"country,omitempty"`
	Locale         string        `json:"locale,omitempty"`
	PrivateCapable *bool         `json:"private_capable,omitempty"`
	Provider       *providerJSON `json:"provider,omitempty"`
}

type providerJSON struct {
	Name   string `json:"name"`
	Region string `json:"region"`
}

func renderRegion(reg emulator.Region, expand bool) regionJSON {
	out := regionJSON{ID: reg.ID, Name: reg.Name}
	if expand {
		private := reg.Private
		out.Description, out.Country, out.Locale = reg.Description, reg.Country, reg.Locale
		out.PrivateCapable = &private
		out.Provider = &providerJSON{Name: "amazon-web-services", Region: reg.AWSRegion}
	}
	return out
}

// expands reports whether the request asks for an expansion (Accept-Expansion: a, b).
func expands(r *http.Request, what string) bool {
	for _, v := range strings.Split(r.Header.Get("Accept-Expansion"), ",") {
		if strings.TrimSpace(v) == what {
			return true
		}
	}
	return false
}

func renderSpace(tx *emulator.Tx, sp *emulator.Space, expandRegion bool) spaceJSON {
	out := spaceJSON{
		ID: sp.ID, Name: sp.Name, Shield: sp.Shield, State: sp.State,
		CIDR: sp.CIDR.String(), DataCIDR: sp.DataCIDR.String(),
		Team:       teamRef(tx, sp.TeamID),
		Region:     renderRegion(sp.Region, expandRegion),
		Generation: generationRef(sp.Generation),
		CreatedAt:  ts(sp.CreatedAt), UpdatedAt: ts(sp.UpdatedAt),
	}
	if out.Team != nil {
		out.Organization = &nameOnly{Name: out.Team.Name}
	}
	return out
}

// listSpaces serves GET /spaces, ranged by id (default) or name.
func (s *Server) listSpaces(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		var in []*emulator.Space
		for _, sp := range tx.Spaces() {
			if seesSpace(tx, r, sp) {
				in = append(in, sp)
			}
		}
		return s.spacePage(tx, r, in), nil
	})
}

// listTeamSpaces serves GET /teams/{team}/spaces.
func (s *Server) listTeamSpaces(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		t, err := findTeam(tx, r, r.PathValue("team"))
		if err != nil {
			return nil, err
		}
		var in []*emulator.Space
		for _, sp := range tx.Spaces() {
			if sp.TeamID == t.ID {
				in = append(in, sp)
			}
		}
		return s.spacePage(tx, r, in), nil
	})
}

func (s *Server) spacePage(tx *emulator.Tx, r *http.Request, spaces []*emulator.Space) page {
	items := make([]spaceJSON, 0, len(spaces))
	for _, sp := range spaces {
		items = append(items, renderSpace(tx, sp, expands(r, "region")))
	}
	return newPage(s, items, []string{"id", "name"},
		func(v spaceJSON) string { return v.ID }, func(v spaceJSON) string { return v.Name })
}

// getSpace serves GET /spaces/{space}.
func (s *Server) getSpace(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		return renderSpace(tx, sp, expands(r, "region")), nil
	})
}

// natJSON is the space-nat resource: the space's stable outbound addresses.
type natJSON struct {
	CreatedAt *string  `json:"created_at"`
	UpdatedAt *string  `json:"updated_at"`
	Sources   []string `json:"sources"`
	State     string   `json:"state"`
}

// getSpaceNAT serves GET /spaces/{space}/nat (spaces:info's Outbound IPs).
func (s *Server) getSpaceNAT(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		out := natJSON{CreatedAt: ts(sp.CreatedAt), UpdatedAt: ts(sp.UpdatedAt), Sources: []string{}, State: sp.NATState}
		for _, a := range sp.NATAddrs {
			out.Sources = append(out.Sources, a.String())
		}
		return out, nil
	})
}

// topologyJSON is the space-topology resource, the data behind DNS service discovery. Each
// app carries its process types twice, as formation (schema, heroku-go) and formations (what
// the CLI reads).
type topologyJSON struct {
	Version int               `json:"version"`
	Apps    []topologyAppJSON `json:"apps"`
}

type topologyAppJSON struct {
	ID         string                  `json:"id"`
	Domains    []string                `json:"domains"`
	Formation  []topologyFormationJSON `json:"formation"`
	Formations []topologyFormationJSON `json:"formations"`
}

type topologyFormationJSON struct {
	ID          string             `json:"id"`
	ProcessType string             `json:"process_type"`
	Dynos       []topologyDynoJSON `json:"dynos"`
}

type topologyDynoJSON struct {
	ID        string `json:"id"`
	Number    int    `json:"number"`
	PrivateIP string `json:"private_ip"`
	Hostname  string `json:"hostname"`
}

// topologyVersion is the version of the topology payload format (the schema's example, and
// the only format there is).
const topologyVersion = 1

// getSpaceTopology serves GET /spaces/{space}/topology: every app of the space with its
// process types and their dynos' private addresses and N.PROCESS.APP.app.localspace names.
func (s *Server) getSpaceTopology(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		out := topologyJSON{Version: topologyVersion, Apps: []topologyAppJSON{}}
		for _, app := range tx.AppsIn(sp.ID) {
			a := topologyAppJSON{ID: app.ID, Domains: []string{app.WebHost()}, Formation: []topologyFormationJSON{}}
			for _, f := range sortedFormation(app) {
				tf := topologyFormationJSON{ID: f.ID, ProcessType: f.Type, Dynos: []topologyDynoJSON{}}
				for _, d := range app.Dynos {
					if d.Type != f.Type {
						continue
					}
					td := topologyDynoJSON{ID: d.ID, Number: d.Number, Hostname: emulator.DynoHostname(app, d)}
					if d.PrivateIP.IsValid() {
						td.PrivateIP = d.PrivateIP.String()
					}
					tf.Dynos = append(tf.Dynos, td)
				}
				a.Formation = append(a.Formation, tf)
			}
			a.Formations = a.Formation
			out.Apps = append(out.Apps, a)
		}
		return out, nil
	})
}

// spaceCreateBody is POST /spaces. The CLI also sends features, log_drain_url, channel_name
// and kpi_url, which the model has no use for and which are ignored.
type spaceCreateBody struct {
	Name       *string `json:"name"`
	Team       *string `json:"team"`
	Region     string  `json:"region"`
	CIDR       string  `json:"cidr"`
	DataCIDR   string  `json:"data_cidr"`
	Shield     bool    `json:"shield"`
	Generation string  `json:"generation"`
}

// createSpace serves POST /spaces (spaces:create): 201 with the space, allocating.
func (s *Server) createSpace(w http.ResponseWriter, r *http.Request) {
	var body spaceCreateBody
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := required(map[string]bool{"name": body.Name != nil, "team": body.Team != nil}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.update(w, r, http.StatusCreated, func(tx *emulator.Tx) (any, error) {
		if err := claimTeam(tx, r, *body.Team, emulator.RoleAdmin); err != nil {
			return nil, err
		}
		sp, err := tx.ProvisionSpace(emulator.SpaceSpec{Name: *body.Name, Team: *body.Team, Region: body.Region,
			CIDR: body.CIDR, DataCIDR: body.DataCIDR, Shield: body.Shield, Generation: body.Generation})
		if err != nil {
			return nil, err
		}
		return renderSpace(tx, sp, expands(r, "region")), nil
	})
}

// updateSpace serves PATCH /spaces/{space} (spaces:rename).
func (s *Server) updateSpace(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name *string `json:"name"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		if body.Name != nil {
			if err := tx.RenameSpace(sp, *body.Name); err != nil {
				return nil, err
			}
		}
		return renderSpace(tx, sp, expands(r, "region")), nil
	})
}

// deleteSpace serves DELETE /spaces/{space} (spaces:destroy): 200 with the space in state
// deleting.
func (s *Server) deleteSpace(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		sp, err := findSpace(tx, r, r.PathValue("space"))
		if err != nil {
			return nil, err
		}
		team := teamRef(tx, sp.TeamID)
		if sp, err = tx.DeleteSpace(sp); err != nil {
			return nil, err
		}
		out := renderSpace(tx, sp, expands(r, "region"))
		out.Team = team
		return out, nil
	})
}

// listSpaceHosts serves GET /spaces/{space}/hosts (the hidden spaces:hosts): the model has no
// dedicated hosts, so the list is empty.
func (s *Server) listSpaceHosts(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		if _, err := findSpace(tx, r, r.PathValue("space")); err != nil {
			return nil, err
		}
		return newPage(s, []struct{}{}, []string{"host_id"}, func(struct{}) string { return "" }), nil
	})
}
