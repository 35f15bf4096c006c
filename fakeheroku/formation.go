package fakeheroku

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

// formationJSON is the formation resource: one process type's quantity and size.
type formationJSON struct {
	App       idName  `json:"app"`
	Command   string  `json:"command"`
	CreatedAt *string `json:"created_at"`
	DynoSize  idName  `json:"dyno_size"` // v6 reads the size here; size is its deprecated twin
	ID        string  `json:"id"`
	Quantity  int     `json:"quantity"`
	Size      string  `json:"size"`
	Type      string  `json:"type"`
	UpdatedAt *string `json:"updated_at"`
}

func renderFormation(app *emulator.App, f *emulator.Formation) formationJSON {
	return formationJSON{App: idName{ID: app.ID, Name: app.Name}, Command: emulator.ShownCommand(f.Type, f.Command), CreatedAt: ts(f.CreatedAt),
		DynoSize: idName{ID: stableUUID("dyno-size", f.Size), Name: f.Size},
		ID:       f.ID, Quantity: f.Quantity, Size: f.Size, Type: f.Type, UpdatedAt: ts(f.UpdatedAt)}
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
		app, err := findApp(tx, r, r.PathValue("app"))
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
		app, err := findApp(tx, r, r.PathValue("app"))
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

// formationUpdate is one update of PATCH /apps/{app}/formation (or the body of PATCH
// /apps/{app}/formation/{type}). quantity is an integer, a numeric string ("2") or a signed
// string for a relative change ("+1", "-1"), the form ps:scale sends; the size is size (v5) or
// dyno_size {id|name} (v6).
type formationUpdate struct {
	Type     string          `json:"type"`
	Quantity json.RawMessage `json:"quantity"`
	Size     *string         `json:"size"`
	DynoSize *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"dyno_size"`
}

var quantityRE = regexp.MustCompile(`^[+-]?[0-9]+$`)

// scaleUpdate turns a wire update into the model's, refusing malformed quantities.
func (u formationUpdate) scaleUpdate(typ string) (emulator.ScaleUpdate, error) {
	out := emulator.ScaleUpdate{Type: typ}
	q := bytes.TrimSpace(u.Quantity)
	switch {
	case len(q) == 0 || string(q) == "null":
	case q[0] == '"':
		var str string
		if err := json.Unmarshal(q, &str); err != nil || !quantityRE.MatchString(strings.TrimSpace(str)) {
			return out, herr(http.StatusUnprocessableEntity, "invalid_params", "Quantity %s is not a number or a relative change such as +1.", q)
		}
		str = strings.TrimSpace(str)
		n, err := strconv.Atoi(str)
		if err != nil {
			return out, herr(http.StatusUnprocessableEntity, "invalid_params", "Quantity %s is out of range.", q)
		}
		out.Quantity, out.Relative = &n, str[0] == '+' || str[0] == '-'
	default:
		var n int
		if err := json.Unmarshal(q, &n); err != nil {
			return out, herr(http.StatusUnprocessableEntity, "invalid_params", "Quantity %s is not an integer.", q)
		}
		out.Quantity = &n
	}
	switch {
	case u.Size != nil:
		out.Size = *u.Size
	case u.DynoSize != nil && u.DynoSize.Name != "":
		out.Size = u.DynoSize.Name
	case u.DynoSize != nil && u.DynoSize.ID != "":
		out.Size = dynoSizeByID(u.DynoSize.ID)
		if out.Size == "" {
			return out, herr(http.StatusUnprocessableEntity, "invalid_params", "Couldn't find that dyno size.")
		}
	}
	return out, nil
}

// dynoSizeByID maps a dyno size id (the stable UUID of its name) back to the name.
func dynoSizeByID(id string) string {
	for _, set := range [][]string{emulator.PrivateDynoSizes, emulator.ShieldDynoSizes, emulator.CommonDynoSizes} {
		for _, name := range set {
			if stableUUID("dyno-size", name) == id {
				return name
			}
		}
	}
	return ""
}

// batchUpdateFormation serves PATCH /apps/{app}/formation (ps:scale): every update applies or
// none does; 200 with the updated process types.
func (s *Server) batchUpdateFormation(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Updates []formationUpdate `json:"updates"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := required(map[string]bool{"updates": len(body.Updates) > 0}); err != nil {
		s.fail(w, r, err)
		return
	}
	var ups []emulator.ScaleUpdate
	for _, u := range body.Updates {
		if u.Type == "" {
			s.fail(w, r, herr(http.StatusUnprocessableEntity, "invalid_params", "Missing required params: type."))
			return
		}
		su, err := u.scaleUpdate(u.Type)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ups = append(ups, su)
	}
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		fs, err := tx.Scale(app.ID, ups)
		if err != nil {
			return nil, err
		}
		out := []formationJSON{}
		for _, f := range fs {
			out = append(out, renderFormation(app, f))
		}
		return out, nil
	})
}

// updateFormation serves PATCH /apps/{app}/formation/{type}: one process type, by type or
// formation id; 200 with it.
func (s *Server) updateFormation(w http.ResponseWriter, r *http.Request) {
	var body formationUpdate
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		typ := r.PathValue("type")
		if f, err := findFormation(app, typ); err == nil {
			typ = f.Type
		}
		su, err := body.scaleUpdate(typ)
		if err != nil {
			return nil, err
		}
		fs, err := tx.Scale(app.ID, []emulator.ScaleUpdate{su})
		if err != nil {
			return nil, err
		}
		return renderFormation(app, fs[0]), nil
	})
}
