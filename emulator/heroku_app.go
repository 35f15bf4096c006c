package emulator

import (
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"
)

// App is a Heroku app, inside a space or not.
type App struct {
	ID              string
	Name            string
	SpaceID         string
	TeamID          string
	OwnerEmail      string
	InternalRouting bool
	Region          Region
	Stack           string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ReleasedAt      time.Time
	// RouterAddrs are the internal router's addresses in the space (internal routing only).
	RouterAddrs []netip.Addr
	// RouterTags are the hex tags each router node shows in Via: 1.1 spaces-router (tag).
	RouterTags []string
	Formation  map[string]*Formation
	Dynos      []*Dyno
	Release    int
	// ConfigVars are the app's config vars, in every dyno's environment.
	ConfigVars map[string]string
}

// WebHost is the app's public host name.
func (a *App) WebHost() string { return a.Name + ".herokuapp.com" }

// Apps returns every app ordered by id.
func (tx *Tx) Apps() []*App { return ordered(tx.w.apps) }

// App finds an app by name or id.
func (tx *Tx) App(nameOrID string) *App {
	if a := tx.w.apps[nameOrID]; a != nil {
		return a
	}
	for _, a := range tx.w.apps {
		if a.Name == nameOrID {
			return a
		}
	}
	return nil
}

// AppsIn returns the apps of a space ordered by name.
func (tx *Tx) AppsIn(spaceID string) []*App {
	var out []*App
	for _, a := range tx.w.apps {
		if a.SpaceID == spaceID {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

var appNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,28}[a-z0-9]$`)

// AppSpec describes an app to create.
type AppSpec struct {
	Name            string
	Space           string // name or id; empty for a Common Runtime app
	Team            string
	Region          string
	Stack           string
	InternalRouting bool
	OwnerEmail      string
	ID              string
	RouterAddrs     []netip.Addr // pinned internal router addresses (internal routing only)
}

// CreateApp creates an app. Internal routing needs a space and is fixed at creation; an
// internal app gets two internal router addresses in different dyno subnets.
func (tx *Tx) CreateApp(s AppSpec) (*App, error) {
	name := s.Name
	if name == "" {
		name = "app-" + tx.w.hex(6)
	}
	if !appNameRE.MatchString(name) {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes.")
	}
	if tx.App(name) != nil {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name %s is already taken", name)
	}
	app := &App{ID: orDefault(s.ID, tx.NewUUID()), Name: name, InternalRouting: s.InternalRouting,
		Stack: orDefault(s.Stack, "heroku-24"), CreatedAt: tx.now, UpdatedAt: tx.now, ReleasedAt: tx.now,
		Formation: map[string]*Formation{}, OwnerEmail: s.OwnerEmail, Release: 1}
	if s.Space != "" {
		sp := tx.Space(s.Space)
		if sp == nil {
			return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that space.")
		}
		app.SpaceID, app.TeamID, app.Region = sp.ID, sp.TeamID, sp.Region
		// Its own unit, and the space's: its router's backends and the VPC router's
		// service discovery.
		tx.mustWriteFor(Changed{"app", app.ID}, &tx.w.apps)
		tx.networkChange(Changed{"space", sp.ID})
		if s.InternalRouting {
			addrs := s.RouterAddrs
			for _, a := range addrs {
				if a == sp.RouterPrivateAddr {
					tx.mustWrite() // the space router moves: everything that knows its address
					// The space router's own address is the emulator's pick, not the user's:
					// a pinned address wins and the space router moves.
					if err := tx.moveSpaceRouter(sp, addrs); err != nil {
						return nil, err
					}
				}
				if !sp.CIDR.Contains(a) || tx.subnetOf(sp, a) == "" || tx.spaceAddrInUse(sp, a) {
					return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Router address %s is not a free address of a dyno subnet of %s.", a, sp.Name)
				}
			}
			app.RouterAddrs = append([]netip.Addr(nil), addrs...)
			tx.w.apps[app.ID] = app // so allocation sees the pinned ones
			for i := len(app.RouterAddrs); i < 2; i++ {
				a, _, err := tx.allocSpaceAddr(sp, i)
				if err != nil {
					delete(tx.w.apps, app.ID)
					return nil, err
				}
				app.RouterAddrs = append(app.RouterAddrs, a)
			}
			for range app.RouterAddrs {
				app.RouterTags = append(app.RouterTags, tx.w.hex(12))
			}
		}
	} else {
		if s.InternalRouting {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space name required. Internal Web Apps are only available for Private Spaces.")
		}
		r, ok := LookupRegion(orDefault(s.Region, "us"))
		if !ok {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Couldn't find that region.")
		}
		app.Region = r
		tx.mustWriteFor(Changed{"app", app.ID}, &tx.w.apps) // its public name
		if s.Team != "" {
			app.TeamID = tx.EnsureTeam(s.Team).ID
		}
	}
	if app.OwnerEmail == "" {
		app.OwnerEmail = "owner@example.com"
		if t := tx.w.teams[app.TeamID]; t != nil {
			app.OwnerEmail = t.Name + "@herokumanager.com"
		}
	}
	// The app's first release (spacelab's built-in one) declares the web process type at
	// quantity 0, so the formation is never empty: ps:scale without arguments shows it.
	size := "Private-S"
	if app.SpaceID == "" {
		size = "Standard-1X"
	}
	app.Formation["web"] = &Formation{ID: tx.NewUUID(), Type: "web", Size: size, CreatedAt: tx.now, UpdatedAt: tx.now}
	tx.w.apps[app.ID] = app
	tx.w.log.Info("app created", "app", app.Name, "space", app.SpaceID, "internal", app.InternalRouting)
	return app, nil
}

// AppByHost finds the app a *.herokuapp.com host name belongs to.
func (tx *Tx) AppByHost(host string) *App {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	name, ok := strings.CutSuffix(host, ".herokuapp.com")
	if !ok {
		return nil
	}
	return tx.App(name)
}

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
	if tx.w.apps[app.ID] != app {
		return HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	tx.mustWriteFor(Changed{"app", app.ID}, &tx.w.apps)
	if app.SpaceID != "" {
		tx.networkChange(Changed{"space", app.SpaceID}) // its dynos and routers leave the space's
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
