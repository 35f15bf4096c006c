package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// Add-ons on the Platform API: a private or shield plan of heroku-postgresql, heroku-redis or
// heroku-kafka, created for an app in a space, is a DataService of that space — an endpoint
// in its data CIDR with the same isolation as one from the topology — attached to the app
// with its URL config var.

// AddonServices maps an add-on service to the data service kind and the app's config var.
var AddonServices = map[string]struct{ Kind, ConfigVar string }{
	"heroku-postgresql": {"postgres", "DATABASE_URL"},
	"heroku-redis":      {"redis", "REDIS_URL"},
	"heroku-kafka":      {"kafka", "KAFKA_URL"},
}

// CreateAddon creates an add-on of plan ("heroku-postgresql:private-0") for an app in a
// space. name may be empty (one is generated, e.g. postgresql-cubic-41253).
func (tx *Tx) CreateAddon(appID, plan, name string) (*DataService, error) {
	app := tx.App(appID)
	if app == nil {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	service, tier, _ := strings.Cut(plan, ":")
	svc, ok := AddonServices[service]
	if !ok {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Couldn't find either the add-on service or the add-on plan of %q. spacelab serves the private and shield plans of heroku-postgresql, heroku-redis and heroku-kafka.", plan)
	}
	if !strings.HasPrefix(tier, "private-") && !strings.HasPrefix(tier, "shield-") {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Plan %q is not a private or shield plan: only those are networked with a Private Space (for example %s:private-0).", plan, service)
	}
	sp := tx.w.spaces[app.SpaceID]
	if sp == nil {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Private and shield plans can only be provisioned for apps in a Private Space.")
	}
	if name == "" {
		name = fmt.Sprintf("%s-%s-%05d", strings.TrimPrefix(service, "heroku-"), addonWords[tx.w.rng.IntN(len(addonWords))], tx.w.rng.IntN(100000))
	}
	for _, d := range tx.w.data {
		if d.Name == name {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name %s is already taken.", name)
		}
	}
	d, err := tx.AddDataService(sp.Name, DataService{Name: name, Kind: svc.Kind})
	if err != nil {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "%s", strings.TrimPrefix(err.Error(), "emulator: "))
	}
	d.ID, d.AppID, d.Plan, d.CreatedAt = tx.NewUUID(), app.ID, plan, tx.now
	if _, err := tx.UpdateConfigVars(app.ID, map[string]*string{svc.ConfigVar: ptrTo(d.URL())}); err != nil {
		return nil, err
	}
	return d, nil
}

func ptrTo(s string) *string { return &s }

var addonWords = []string{"cubic", "shallow", "rigid", "curved", "angular", "round", "flat", "clear"}

// URL is the connection URL the app's config var holds.
func (d *DataService) URL() string {
	switch d.Kind {
	case "redis":
		return fmt.Sprintf("redis://h:secret@%s:%d", d.Addr, d.Port())
	case "kafka":
		return fmt.Sprintf("kafka+ssl://%s:%d", d.Addr, d.Port())
	}
	return fmt.Sprintf("postgres://u:secret@%s:%d/d", d.Addr, d.Port())
}

// Service is the add-on service name (heroku-postgresql) of the data service.
func (d *DataService) Service() string {
	for name, s := range AddonServices {
		if s.Kind == d.Kind {
			return name
		}
	}
	return ""
}

// Addon finds a data service by add-on id or name.
func (tx *Tx) Addon(nameOrID string) *DataService {
	for _, d := range tx.w.data {
		if d.Name == nameOrID || (d.ID != "" && d.ID == nameOrID) {
			return d
		}
	}
	return nil
}

// AppAddons returns the data services attached to an app.
func (tx *Tx) AppAddons(appID string) []*DataService {
	var out []*DataService
	for _, d := range tx.w.data {
		if d.AppID == appID {
			out = append(out, d)
		}
	}
	return out
}

// DestroyAddon removes an add-on and unsets its config var.
func (tx *Tx) DestroyAddon(nameOrID string) (*DataService, error) {
	d := tx.Addon(nameOrID)
	if d == nil || d.AppID == "" {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that add-on.")
	}
	tx.mustWriteFor(Changed{"data", d.SpaceID}, &tx.w.data)
	for i, o := range tx.w.data {
		if o == d {
			tx.w.data = append(tx.w.data[:i], tx.w.data[i+1:]...)
			break
		}
	}
	if svc, ok := AddonServices[d.Service()]; ok {
		if _, err := tx.UpdateConfigVars(d.AppID, map[string]*string{svc.ConfigVar: nil}); err != nil {
			return nil, err
		}
	}
	return d, nil
}
