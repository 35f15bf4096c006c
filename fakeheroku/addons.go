package fakeheroku

import (
	"net/http"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

// addonJSON is the add-on resource.
type addonJSON struct {
	Actions       []struct{}    `json:"actions"`
	AddonService  idName        `json:"addon_service"`
	App           idName        `json:"app"`
	BilledPrice   *priceJSON    `json:"billed_price"`
	BillingEntity billingEntity `json:"billing_entity"`
	ConfigVars    []string      `json:"config_vars"`
	CreatedAt     *string       `json:"created_at"`
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	Plan          planJSON      `json:"plan"`
	ProviderID    string        `json:"provider_id"`
	State         string        `json:"state"`
	UpdatedAt     *string       `json:"updated_at"`
	WebURL        *string       `json:"web_url"`
}

type billingEntity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

type planJSON struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Price priceJSON `json:"price"`
}

// priceJSON is a plan's price. Private and shield data plans are billed under the Enterprise
// contract that Private Spaces need, so the fake shows them as contract-priced.
type priceJSON struct {
	Cents    int    `json:"cents"`
	Unit     string `json:"unit"`
	Contract bool   `json:"contract"`
}

// attachmentJSON is the add-on attachment resource: each add-on is attached to its app once,
// under its config var's name without _URL (DATABASE, REDIS, KAFKA).
type attachmentJSON struct {
	Addon struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		App  idName `json:"app"`
	} `json:"addon"`
	App         idName  `json:"app"`
	CreatedAt   *string `json:"created_at"`
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Namespace   *string `json:"namespace"`
	UpdatedAt   *string `json:"updated_at"`
	WebURL      *string `json:"web_url"`
	LogInputURL *string `json:"log_input_url"`
}

func renderAddon(tx *emulator.Tx, d *emulator.DataService) addonJSON {
	app := tx.App(d.AppID)
	ref := idName{}
	if app != nil {
		ref = idName{ID: app.ID, Name: app.Name}
	}
	svc := d.Service()
	out := addonJSON{Actions: []struct{}{}, AddonService: idName{ID: stableUUID("addon-service", svc), Name: svc}, App: ref,
		BillingEntity: billingEntity{ID: ref.ID, Name: ref.Name, Type: "app"},
		ConfigVars:    []string{emulator.AddonServices[svc].ConfigVar}, CreatedAt: ts(d.CreatedAt), ID: d.ID, Name: d.Name,
		ProviderID: d.Addr.String(), State: "provisioned", UpdatedAt: ts(d.CreatedAt)}
	out.Plan.ID, out.Plan.Name = stableUUID("plan", d.Plan), d.Plan
	out.Plan.Price = priceJSON{Unit: "month", Contract: true}
	out.BilledPrice = &out.Plan.Price
	return out
}

func renderAttachment(tx *emulator.Tx, d *emulator.DataService) attachmentJSON {
	a := renderAddon(tx, d)
	out := attachmentJSON{App: a.App, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, ID: stableUUID("attachment", d.ID),
		Name: strings.TrimSuffix(a.ConfigVars[0], "_URL")}
	out.Addon.ID, out.Addon.Name, out.Addon.App = a.ID, a.Name, a.App
	return out
}

// apiAddons are the add-ons made through the API (topology data services have no app).
func apiAddons(tx *emulator.Tx, appID string) []*emulator.DataService {
	var out []*emulator.DataService
	for _, d := range tx.DataServices("") {
		if d.AppID != "" && (appID == "" || d.AppID == appID) {
			out = append(out, d)
		}
	}
	return out
}

func findAddon(tx *emulator.Tx, ident string) (*emulator.DataService, error) {
	d := tx.Addon(ident)
	if d == nil || d.AppID == "" {
		return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that add-on.")
	}
	return d, nil
}

// listAddons serves GET /apps/{app}/addons and GET /addons, ranged by name.
func (s *Server) listAddons(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		appID := ""
		if r.PathValue("app") != "" {
			app, err := findApp(tx, r, r.PathValue("app"))
			if err != nil {
				return nil, err
			}
			appID = app.ID
		}
		items := []addonJSON{}
		for _, d := range apiAddons(tx, appID) {
			items = append(items, renderAddon(tx, d))
		}
		return newPage(s, items, []string{"name", "id"}, func(a addonJSON) string { return a.Name }, func(a addonJSON) string { return a.ID }), nil
	})
}

// getAddon serves GET /addons/{addon} and GET /apps/{app}/addons/{addon}.
func (s *Server) getAddon(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		d, err := findAddon(tx, r.PathValue("addon"))
		if err != nil {
			return nil, err
		}
		return renderAddon(tx, d), nil
	})
}

// createAddon serves POST /apps/{app}/addons (addons:create): plan is {"name": …} or a string.
func (s *Server) createAddon(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Plan any    `json:"plan"`
		Name string `json:"name"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	plan := ""
	switch p := body.Plan.(type) {
	case string:
		plan = p
	case map[string]any:
		plan, _ = p["name"].(string)
	}
	if err := required(map[string]bool{"plan": plan != ""}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.update(w, r, http.StatusCreated, func(tx *emulator.Tx) (any, error) {
		app, err := findApp(tx, r, r.PathValue("app"))
		if err != nil {
			return nil, err
		}
		d, err := tx.CreateAddon(app.ID, plan, body.Name)
		if err != nil {
			return nil, err
		}
		return renderAddon(tx, d), nil
	})
}

// destroyAddon serves DELETE /apps/{app}/addons/{addon} (addons:destroy).
func (s *Server) destroyAddon(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		d, err := findAddon(tx, r.PathValue("addon"))
		if err != nil {
			return nil, err
		}
		out := renderAddon(tx, d)
		if _, err := tx.DestroyAddon(d.ID); err != nil {
			return nil, err
		}
		out.State = "deprovisioned"
		return out, nil
	})
}

// resolveAddon serves POST /actions/addons/resolve: the add-ons named by "addon" (an id or
// name), limited to "app" when given.
func (s *Server) resolveAddon(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Addon string `json:"addon"`
		App   string `json:"app"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		d, err := findAddon(tx, body.Addon)
		if err != nil {
			return nil, err
		}
		if body.App != "" {
			if app := tx.App(body.App); app == nil || app.ID != d.AppID {
				return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that add-on.")
			}
		}
		return []addonJSON{renderAddon(tx, d)}, nil
	})
}

// resolveAttachment serves POST /actions/addon-attachments/resolve.
func (s *Server) resolveAttachment(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Attachment string `json:"addon_attachment"`
		App        string `json:"app"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		for _, d := range apiAddons(tx, "") {
			a := renderAttachment(tx, d)
			if (a.Name == body.Attachment || a.ID == body.Attachment || a.Addon.Name == body.Attachment) && (body.App == "" || body.App == a.App.Name || body.App == a.App.ID) {
				return []attachmentJSON{a}, nil
			}
		}
		return nil, herr(http.StatusNotFound, "not_found", "Couldn't find that add-on attachment.")
	})
}

// listAttachments serves GET /addon-attachments, /apps/{app}/addon-attachments and
// /addons/{addon}/addon-attachments.
func (s *Server) listAttachments(w http.ResponseWriter, r *http.Request) {
	s.view(w, r, http.StatusOK, func(tx *emulator.Tx) (any, error) {
		var ds []*emulator.DataService
		switch {
		case r.PathValue("addon") != "":
			d, err := findAddon(tx, r.PathValue("addon"))
			if err != nil {
				return nil, err
			}
			ds = []*emulator.DataService{d}
		case r.PathValue("app") != "":
			app, err := findApp(tx, r, r.PathValue("app"))
			if err != nil {
				return nil, err
			}
			ds = apiAddons(tx, app.ID)
		default:
			ds = apiAddons(tx, "")
		}
		items := []attachmentJSON{}
		for _, d := range ds {
			items = append(items, renderAttachment(tx, d))
		}
		return newPage(s, items, []string{"id"}, func(a attachmentJSON) string { return a.ID }), nil
	})
}
