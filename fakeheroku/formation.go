package fakeheroku

import (
	"net/http"
	"sort"

	"spacelab/emulator"
)

// formationJSON is the formation resource: one process type's quantity and size.
type formationJSON struct {
	App       idName  `json:"app"`
	Command   string  `json:"command"`
	CreatedAt *string `json:"created_at"`
	ID        string  `json:"id"`
	Quantity  int     `json:"quantity"`
	Size      string  `json:"size"`
	Type      string  `json:"type"`
	UpdatedAt *string `json:"updated_at"`
}

func renderFormation(app *emulator.App, f *emulator.Formation) formationJSON {
	return formationJSON{App: idName{ID: app.ID, Name: app.Name}, Command: f.Command, CreatedAt: ts(f.CreatedAt),
		ID: f.ID, Quantity: f.Quantity, Size: f.Size, Type: f.Type, UpdatedAt: ts(f.UpdatedAt)}
}

// sortedFormation returns an app's process types ordered by type.
func sortedFormation(app *emulator.App) []*emulator.Formation {
	out := make([]*emulator.Formation, 0, len(app.Formation))
	for _, f := range app.Formation {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// findFormation resolves a process type of an app by type or id.
func findFormation(app *emulator.App, ident string) (*emulator.Formation, error) {
	for _, f := range app.Formation {
		if f.Type == ident || f.ID == ident {
			return f, nil
		}
	}
	return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that formation.")
}

// listFormation serves GET /apps/{app}/formation (ps:scale without arguments), ranged by type.
func (s *Server) listFormation(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		items := []formationJSON{}
		for _, f := range sortedFormation(app) {
			items = append(items, renderFormation(app, f))
		}
		return newPage(s, items, []string{"type", "id"},
			func(f formationJSON) string { return f.Type }, func(f formationJSON) string { return f.ID }), nil
	})
}

// getFormation serves GET /apps/{app}/formation/{type}.
func (s *Server) getFormation(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		f, err := findFormation(app, r.PathValue("type"))
		if err != nil {
			return nil, err
		}
		return renderFormation(app, f), nil
	})
}
