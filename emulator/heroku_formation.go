package emulator

import (
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Formation is the desired quantity and size of one process type.
type Formation struct {
	ID        string
	Type      string
	Quantity  int
	Size      string
	Command   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Dyno is one running process of an app, with its own address in a dyno subnet.
type Dyno struct {
	ID        string
	AppID     string
	Type      string
	Number    int
	PrivateIP netip.Addr
	SubnetID  string
	State     string
	Size      string
	Command   string
	// Restarts counts the restarts of the dyno's process (heroku ps:restart); the data plane
	// starts the process again each time it changes.
	Restarts  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Name is the dyno's name, e.g. web.1.
func (d *Dyno) Name() string { return d.Type + "." + strconv.Itoa(d.Number) }

// WebPort is the $PORT every web dyno's process listens on.
const WebPort = 5000

// ScaleUpdate is one entry of a formation batch update. Quantity is absolute unless Relative.
type ScaleUpdate struct {
	Type     string
	Quantity *int
	Relative bool
	Size     string
	Command  string
}

var processTypeRE = regexp.MustCompile(`^[-\w]{1,128}$`)

// MaxDynosPerType bounds one process type's quantity.
const MaxDynosPerType = 1000

// Scale applies formation updates atomically and starts or stops dynos to match. A dyno gets an
// address in a dyno subnet of its space; dynos are numbered from 1 and scaling down stops the
// highest numbers.
func (tx *Tx) Scale(appID string, updates []ScaleUpdate) ([]*Formation, error) {
	app := tx.App(appID)
	if app == nil {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
	tx.mustWrite(app) // its formation and dynos; the addresses it takes are its dynos'
	want := map[string]int{}
	for _, u := range updates {
		if !processTypeRE.MatchString(u.Type) {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Type is invalid.")
		}
		cur := 0
		if f := app.Formation[u.Type]; f != nil {
			cur = f.Quantity
		}
		if q, ok := want[u.Type]; ok {
			cur = q
		}
		q := cur
		if u.Quantity != nil {
			if u.Relative {
				q = cur + *u.Quantity
			} else {
				q = *u.Quantity
			}
		}
		if q < 0 {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Quantity must be greater than or equal to 0.")
		}
		if q > MaxDynosPerType {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Quantity cannot exceed %d.", MaxDynosPerType)
		}
		if err := tx.checkDynoSize(app, u.Size); err != nil {
			return nil, err
		}
		want[u.Type] = q
	}
	// Check address room before changing anything.
	if app.SpaceID != "" {
		need := 0
		for t, q := range want {
			need += q - tx.countDynos(app, t)
		}
		if need > 0 && need > tx.freeSpaceAddrs(tx.w.spaces[app.SpaceID], need) {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space has no room for %d more dynos.", need)
		}
	}
	var out []*Formation
	for _, u := range updates {
		f := app.Formation[u.Type]
		if f == nil {
			f = &Formation{ID: tx.NewUUID(), Type: u.Type, Size: "Private-S", CreatedAt: tx.now}
			if app.SpaceID == "" {
				f.Size = "Standard-1X"
			}
			app.Formation[u.Type] = f
		}
		f.Quantity = want[u.Type]
		if u.Size != "" {
			f.Size = u.Size
		}
		if u.Command != "" {
			f.Command = u.Command
		}
		f.UpdatedAt = tx.now
		out = append(out, f)
	}
	for _, t := range sortedKeys(want) {
		if err := tx.converge(app, t); err != nil {
			return nil, err
		}
	}
	app.UpdatedAt = tx.now
	return out, nil
}

func (tx *Tx) countDynos(app *App, typ string) int {
	n := 0
	for _, d := range app.Dynos {
		if d.Type == typ {
			n++
		}
	}
	return n
}

func (tx *Tx) freeSpaceAddrs(sp *Space, atLeast int) int {
	free := 0
	for _, id := range sp.DynoSubnetIDs {
		size := 1 << (32 - tx.w.subnets[id].CIDR.Bits())
		free += size - 5
	}
	for _, a := range tx.w.apps {
		if a.SpaceID == sp.ID {
			free -= len(a.Dynos) + len(a.RouterAddrs)
		}
	}
	return free
}

// converge starts and stops dynos of one type to match its formation.
func (tx *Tx) converge(app *App, typ string) error {
	f := app.Formation[typ]
	want := 0
	if f != nil {
		want = f.Quantity
	}
	have := map[int]*Dyno{}
	for _, d := range app.Dynos {
		if d.Type == typ {
			have[d.Number] = d
		}
	}
	keep := app.Dynos[:0:0]
	for _, d := range app.Dynos {
		if d.Type != typ || d.Number <= want {
			keep = append(keep, d)
		}
	}
	app.Dynos = keep
	sp := tx.w.spaces[app.SpaceID]
	var used map[netip.Addr]bool // the space's addresses in use, gathered at the first dyno
	for n := 1; n <= want; n++ {
		if have[n] != nil {
			continue
		}
		d := &Dyno{ID: tx.NewUUID(), AppID: app.ID, Type: typ, Number: n, State: "up", Size: f.Size, Command: f.Command, CreatedAt: tx.now, UpdatedAt: tx.now}
		if sp != nil {
			if used == nil {
				used = tx.spaceAddrsInUse(sp)
			}
			a, sub, err := tx.allocSpaceAddrFrom(sp, len(app.Dynos), used)
			if err != nil {
				return err
			}
			d.PrivateIP, d.SubnetID = a, sub
		}
		app.Dynos = append(app.Dynos, d)
	}
	sort.SliceStable(app.Dynos, func(i, j int) bool {
		if app.Dynos[i].Type != app.Dynos[j].Type {
			return app.Dynos[i].Type < app.Dynos[j].Type
		}
		return app.Dynos[i].Number < app.Dynos[j].Number
	})
	return nil
}
