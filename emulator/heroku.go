package emulator

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// User is a Heroku account holder, known by its API token.
type User struct {
	ID        string
	Email     string
	Token     string
	CreatedAt time.Time
	// Teams is the user's role in each team it belongs to, by team id (see heroku_members.go).
	Teams map[string]string
}

// Team is a Heroku team (the owner of Private Spaces).
type Team struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Region is a Heroku region and the AWS region it runs in.
type Region struct {
	ID          string
	Name        string
	Description string
	AWSRegion   string
	Country     string
	Locale      string
	Private     bool // a Private Spaces region
}

// HerokuRegions are the Private Space regions plus the Common Runtime ones. The AWS mapping
// follows the region list of the peering-info schema.
var HerokuRegions = []Region{
	{"ed30241c-ed8c-4bb6-9714-61953675d0b4", "dublin", "Dublin, Ireland", "eu-west-1", "Ireland", "dublin", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b5", "frankfurt", "Frankfurt, Germany", "eu-central-1", "Germany", "frankfurt", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b6", "london", "London, United Kingdom", "eu-west-2", "United Kingdom", "london", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b7", "montreal", "Montreal, Canada", "ca-central-1", "Canada", "montreal", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b8", "mumbai", "Mumbai, India", "ap-south-1", "India", "mumbai", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b9", "oregon", "Oregon, United States", "us-west-2", "United States", "oregon", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0ba", "singapore", "Singapore", "ap-southeast-1", "Singapore", "singapore", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0bb", "sydney", "Sydney, Australia", "ap-southeast-2", "Australia", "sydney", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0bc", "tokyo", "Tokyo, Japan", "ap-northeast-1", "Japan", "tokyo", true},
	{"ed30241c-ed8c-4bb6-9714-61953675d0bd", "virginia", "Virginia, United States", "us-east-1", "United States", "virginia", true},
	{"59accabd-516d-4f0e-83e6-6e3757701145", "us", "United States", "us-east-1", "United States", "us", false},
	{"ed30241c-ed8c-4bb6-9714-61953675d0b3", "eu", "Europe", "eu-west-1", "Ireland", "eu", false},
}

// LookupRegion finds a Heroku region by name or id.
func LookupRegion(nameOrID string) (Region, bool) {
	for _, r := range HerokuRegions {
		if r.Name == nameOrID || r.ID == nameOrID {
			return r, true
		}
	}
	return Region{}, false
}

// Space states.
const (
	SpaceAllocating = "allocating"
	SpaceAllocated  = "allocated"
	SpaceDeleting   = "deleting"
)

// Space is a Heroku Private Space. Its network is the VPC VPCID in the Heroku AWS account; its
// data services live in DataVPCID, joined to it by the heroku-managed peering DataPeeringID.
type Space struct {
	ID            string
	Name          string
	TeamID        string
	Region        Region
	CIDR          netip.Prefix
	DataCIDR      netip.Prefix
	Shield        bool
	State         string
	Generation    string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	VPCID         string
	DataVPCID     string
	DataPeeringID string
	DynoSubnetIDs []string
	NATAddrs      []netip.Addr // the stable outbound addresses
	NATState      string       // enabled, updating, disabled
	// RouterAddr is the public address of the space's router, where *.herokuapp.com of its
	// apps without internal routing resolve; RouterPrivateAddr is where the router meets the
	// dynos inside the space. Trusted IP ranges are enforced there.
	RouterAddr        netip.Addr
	RouterPrivateAddr netip.Addr
	// VPNPolicy, when set, makes the space's VPN gateways behave like another vendor's.
	VPNPolicy *VPNPolicy
	// InboundRulesets is the history of the space's trusted IP ranges, oldest first; the
	// last one is in force (see heroku_trusted.go).
	InboundRulesets []*InboundRuleset
}

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
}

// WebHost is the app's public host name.
func (a *App) WebHost() string { return a.Name + ".herokuapp.com" }

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
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Name is the dyno's name, e.g. web.1.
func (d *Dyno) Name() string { return d.Type + "." + strconv.Itoa(d.Number) }

// WebPort is the $PORT every web dyno's process listens on.
const WebPort = 5000

// AddUser registers a Heroku user and its token.
func (tx *Tx) AddUser(email, token string) *User {
	tx.mustWrite()
	u := &User{ID: tx.NewUUID(), Email: email, Token: token, CreatedAt: tx.now}
	tx.w.users[token] = u
	return u
}

// UserByToken authenticates a bearer token.
func (tx *Tx) UserByToken(token string) *User { return tx.w.users[token] }

// EnsureTeam returns the team with that name, creating it.
func (tx *Tx) EnsureTeam(name string) *Team {
	if t := tx.Team(name); t != nil {
		return t
	}
	tx.mustWrite()
	t := &Team{ID: tx.NewUUID(), Name: name, CreatedAt: tx.now}
	tx.w.teams[t.ID] = t
	return t
}

// Team finds a team by name or id.
func (tx *Tx) Team(nameOrID string) *Team {
	if t := tx.w.teams[nameOrID]; t != nil {
		return t
	}
	for _, t := range tx.w.teams {
		if t.Name == nameOrID {
			return t
		}
	}
	return nil
}

// TeamByID returns a team by id.
func (tx *Tx) TeamByID(id string) *Team { return tx.w.teams[id] }

// Spaces returns every space ordered by id.
func (tx *Tx) Spaces() []*Space { return ordered(tx.w.spaces) }

// Space finds a space by name or id.
func (tx *Tx) Space(nameOrID string) *Space {
	if s := tx.w.spaces[nameOrID]; s != nil {
		return s
	}
	for _, s := range tx.w.spaces {
		if s.Name == nameOrID {
			return s
		}
	}
	return nil
}

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

var spaceNameRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-(?:[a-z0-9]))+$`)

// SpaceSpec describes a space to create.
type SpaceSpec struct {
	Name       string
	Team       string
	Region     string // Heroku region name or id; empty means virginia
	CIDR       string // empty means 10.0.0.0/16
	DataCIDR   string // empty means 10.1.0.0/16
	Shield     bool
	Generation string // cedar
	// Fixed identities (topologies pin them to mirror a real account); empty generates.
	ID            string
	VPCID         string
	DataVPCID     string
	DataPeeringID string
	NATAddrs      []netip.Addr
	Allocating    bool // start in state allocating instead of allocated
	// VPNPolicy overrides the VPN gateways' proposals (topologies emulating other gateways).
	VPNPolicy *VPNPolicy
}

// DynoSubnetCIDRs are the four /20 dyno subnets Heroku carves out of a /16 space CIDR, two per
// availability zone, in the order peering-info lists them.
func DynoSubnetCIDRs(cidr netip.Prefix) []netip.Prefix {
	b := cidr.Masked().Addr().As4()
	var out []netip.Prefix
	for _, third := range []byte{0, 16, 128, 144} {
		out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{b[0], b[1], third, 0}), 20))
	}
	return out
}

// IsPrivate reports whether p lies inside RFC 1918 space.
func IsPrivate(p netip.Prefix) bool {
	for _, r := range rfc1918 {
		if r.Contains(p.Addr()) && p.Bits() >= r.Bits() {
			return true
		}
	}
	return false
}

var rfc1918 = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// DockerCIDR is the range every space reserves (172.17.0.0/16).
var DockerCIDR = netip.MustParsePrefix("172.17.0.0/16")

// CreateSpace creates a Private Space: its VPC (in the Heroku AWS account) with four dyno
// subnets, its data VPC, and the active heroku-managed peering between them.
func (tx *Tx) CreateSpace(s SpaceSpec) (*Space, error) {
	tx.mustWrite()
	if s.Name == "" || !spaceNameRE.MatchString(s.Name) || strings.Contains(s.Name, "--") {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name must start with a letter or number, contain only lowercase letters, numbers and dashes, and end with a letter or number.")
	}
	if tx.Space(s.Name) != nil {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Name is already taken")
	}
	if s.Team == "" {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Team is required.")
	}
	regionName := orDefault(s.Region, "virginia")
	region, ok := LookupRegion(regionName)
	if !ok || !region.Private {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Couldn't find that region.")
	}
	cidr, err := netip.ParsePrefix(orDefault(s.CIDR, "10.0.0.0/16"))
	if err != nil || cidr.Bits() != 16 || !IsPrivate(cidr) || cidr.Masked() != cidr {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "CIDR must be a /16 block within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
	}
	data, err := netip.ParsePrefix(orDefault(s.DataCIDR, "10.1.0.0/16"))
	if err != nil || data.Bits() < 16 || data.Bits() > 20 || !IsPrivate(data) || data.Masked() != data {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Data CIDR must be a block between a /16 and a /20 within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
	}
	if cidr.Overlaps(data) {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Data CIDR %s overlaps the space CIDR %s.", data, cidr)
	}
	if cidr.Overlaps(DockerCIDR) || data.Overlaps(DockerCIDR) {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "CIDR ranges may not overlap %s, which every space reserves.", DockerCIDR)
	}
	team := tx.EnsureTeam(s.Team)
	heroku := Caller{Account: tx.HerokuAccountID(), Region: region.AWSRegion}
	id := s.ID
	if id == "" {
		id = tx.NewUUID()
	}
	sp := &Space{ID: id, Name: s.Name, TeamID: team.ID, Region: region, CIDR: cidr, DataCIDR: data,
		Shield: s.Shield, State: SpaceAllocated, Generation: orDefault(s.Generation, "cedar"),
		CreatedAt: tx.now, UpdatedAt: tx.now, NATState: "enabled", VPNPolicy: s.VPNPolicy}
	if s.Allocating {
		sp.State = SpaceAllocating
	}
	vpc, err := tx.CreateVPC(heroku, cidr, VPCOptions{ID: s.VPCID, Role: RoleSpace, SpaceID: id, Tags: Tags{"Name": s.Name}})
	if err != nil {
		return nil, fmt.Errorf("space %s: %w", s.Name, err)
	}
	vpc.EnableDNSHostnames = true
	sp.VPCID = vpc.ID
	for i, sub := range DynoSubnetCIDRs(cidr) {
		az := region.AWSRegion + string(rune('a'+i%2))
		sn, err := tx.CreateSubnet(heroku, vpc.ID, sub, SubnetOptions{AZ: az, Tags: Tags{"Name": s.Name + "-dyno-" + strconv.Itoa(i+1)}})
		if err != nil {
			return nil, err
		}
		sp.DynoSubnetIDs = append(sp.DynoSubnetIDs, sn.ID)
	}
	dvpc, err := tx.CreateVPC(heroku, data, VPCOptions{ID: s.DataVPCID, Role: RoleData, SpaceID: id, Tags: Tags{"Name": s.Name + "-data"}})
	if err != nil {
		return nil, err
	}
	sp.DataVPCID = dvpc.ID
	if _, err := tx.CreateSubnet(heroku, dvpc.ID, data, SubnetOptions{AZ: region.AWSRegion + "a", Tags: Tags{"Name": s.Name + "-data"}}); err != nil {
		return nil, err
	}
	pcx := &Peering{ID: orDefault(s.DataPeeringID, tx.NewID("pcx")),
		Requester: PeerSide{Account: heroku.Account, Region: heroku.Region, VPCID: vpc.ID, CIDR: cidr},
		Accepter:  PeerSide{Account: heroku.Account, Region: heroku.Region, VPCID: dvpc.ID, CIDR: data},
		status:    PcxActive, CreatedAt: tx.now, Tags: Tags{}, HerokuManaged: true}
	tx.w.pcxs[pcx.ID] = pcx
	sp.DataPeeringID = pcx.ID
	for _, pair := range []struct {
		vpc *VPC
		dst netip.Prefix
	}{{vpc, data}, {dvpc, cidr}} {
		rt := tx.w.rtbs[pair.vpc.MainRouteTableID]
		rt.Routes = append(rt.Routes, &Route{Dst: pair.dst, Kind: TargetPeering, Target: pcx.ID, Origin: "CreateRoute"})
	}
	sp.InboundRulesets = []*InboundRuleset{tx.defaultInboundRuleset(sp, team)}
	sp.NATAddrs = append([]netip.Addr(nil), s.NATAddrs...)
	for len(sp.NATAddrs) < 4 {
		sp.NATAddrs = append(sp.NATAddrs, tx.newPublicAddr())
	}
	sp.RouterAddr = tx.newPublicAddr()
	tx.w.spaces[id] = sp
	if sp.RouterPrivateAddr, _, err = tx.allocSpaceAddr(sp, 0); err != nil {
		return nil, err
	}
	tx.w.log.Info("space created", "space", sp.Name, "vpc", vpc.ID, "cidr", cidr)
	return sp, nil
}

// newPublicAddr hands out an unused address from the emulator's "public" pool 52.0.0.0/11.
func (tx *Tx) newPublicAddr() netip.Addr {
	for {
		a := netip.AddrFrom4([4]byte{52, byte(tx.w.rng.IntN(32)), byte(tx.w.rng.IntN(256)), byte(1 + tx.w.rng.IntN(254))})
		if !tx.publicAddrInUse(a) {
			return a
		}
	}
}

func (tx *Tx) publicAddrInUse(a netip.Addr) bool {
	for _, o := range tx.w.offices {
		if o.GatewayAddr == a {
			return true
		}
	}
	for _, v := range tx.w.vpns {
		for _, t := range v.Tunnels {
			if t.IP == a {
				return true
			}
		}
	}
	for _, i := range tx.w.instances {
		if i.PublicIP == a {
			return true
		}
	}
	for _, d := range tx.w.data {
		if d.PublicAddr == a {
			return true
		}
	}
	for _, h := range tx.w.internet {
		if h.Addr == a {
			return true
		}
	}
	for _, s := range tx.w.spaces {
		if s.RouterAddr == a {
			return true
		}
		for _, n := range s.NATAddrs {
			if n == a {
				return true
			}
		}
	}
	return false
}

// SpaceCIDRBlocks are the dyno subnet CIDRs of a space in peering-info order.
func (tx *Tx) SpaceCIDRBlocks(sp *Space) []netip.Prefix {
	var out []netip.Prefix
	for _, id := range sp.DynoSubnetIDs {
		out = append(out, tx.w.subnets[id].CIDR)
	}
	return out
}

// UnavailableCIDRs are the ranges a peer network must not overlap besides the space CIDR.
func (sp *Space) UnavailableCIDRs() []netip.Prefix { return []netip.Prefix{sp.DataCIDR} }

func (tx *Tx) spaceAddrInUse(sp *Space, a netip.Addr) bool {
	if sp.RouterPrivateAddr == a {
		return true
	}
	for _, app := range tx.w.apps {
		if app.SpaceID != sp.ID {
			continue
		}
		for _, r := range app.RouterAddrs {
			if r == a {
				return true
			}
		}
		for _, d := range app.Dynos {
			if d.PrivateIP == a {
				return true
			}
		}
	}
	for _, i := range tx.w.instances {
		if i.VPCID == sp.VPCID && i.PrivateIP == a {
			return true
		}
	}
	return false
}

// allocSpaceAddr picks a free address in one of the space's dyno subnets, spreading across
// them, the way dynos and router nodes get theirs.
func (tx *Tx) allocSpaceAddr(sp *Space, subnetIdx int) (netip.Addr, string, error) {
	n := len(sp.DynoSubnetIDs)
	for k := range n {
		sn := tx.w.subnets[sp.DynoSubnetIDs[(subnetIdx+k)%n]]
		size := 1 << (32 - sn.CIDR.Bits())
		for range 64 {
			a := nthAddr(sn.CIDR, 4+tx.w.rng.IntN(size-5))
			if !tx.spaceAddrInUse(sp, a) {
				return a, sn.ID, nil
			}
		}
		for a := nthAddr(sn.CIDR, 4); a != lastAddr(sn.CIDR); a = a.Next() {
			if !tx.spaceAddrInUse(sp, a) {
				return a, sn.ID, nil
			}
		}
	}
	return netip.Addr{}, "", HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Space %s has no free addresses left.", sp.Name)
}

func (tx *Tx) subnetOf(sp *Space, a netip.Addr) string {
	for _, id := range sp.DynoSubnetIDs {
		if tx.w.subnets[id].CIDR.Contains(a) {
			return id
		}
	}
	return ""
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
	tx.mustWrite()
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
		if s.InternalRouting {
			addrs := s.RouterAddrs
			for _, a := range addrs {
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
	tx.w.apps[app.ID] = app
	tx.w.log.Info("app created", "app", app.Name, "space", app.SpaceID, "internal", app.InternalRouting)
	return app, nil
}

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
	tx.mustWrite()
	app := tx.App(appID)
	if app == nil {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that app.")
	}
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
	for n := 1; n <= want; n++ {
		if have[n] != nil {
			continue
		}
		d := &Dyno{ID: tx.NewUUID(), AppID: app.ID, Type: typ, Number: n, State: "up", Size: f.Size, Command: f.Command, CreatedAt: tx.now, UpdatedAt: tx.now}
		if sp != nil {
			a, sub, err := tx.allocSpaceAddr(sp, len(app.Dynos))
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

// Peering types as Heroku lists them.
const (
	PeeringHerokuManaged   = "heroku-managed"
	PeeringCustomerManaged = "customer-managed"
	PeeringUnknown         = "unknown"
)

// SpacePeering is a peering as GET /spaces/{space}/peerings shows it.
type SpacePeering struct {
	Type         string
	PcxID        string
	CIDRBlocks   []netip.Prefix
	Status       string
	AWSVPCID     string
	AWSRegion    string
	AWSAccountID string
	Expires      time.Time // zero when none
}

// SpacePeerings lists the peerings of a space as Heroku shows them: the heroku-managed data
// peering and every connection requested towards the space's VPC.
func (tx *Tx) SpacePeerings(sp *Space) []SpacePeering {
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	var out []SpacePeering
	for _, p := range tx.PeeringsVisibleTo(heroku) {
		if !p.Connects(sp.VPCID) {
			continue
		}
		if p.Status(tx.now) == PcxDeleted {
			continue
		}
		row := tx.SpacePeeringOf(sp, p)
		out = append(out, row)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].PcxID < out[j].PcxID })
	return out
}

func (tx *Tx) spacePeering(sp *Space, pcxID string) (*Peering, error) {
	p := tx.w.pcxs[pcxID]
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	if p == nil || !p.Connects(sp.VPCID) || !tx.visibleTo(p, heroku) || p.Status(tx.now) == PcxDeleted {
		return nil, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that peering connection.")
	}
	return p, nil
}

// SpacePeering returns one peering of a space as Heroku shows it.
func (tx *Tx) SpacePeering(sp *Space, pcxID string) (SpacePeering, error) {
	if _, err := tx.spacePeering(sp, pcxID); err != nil {
		return SpacePeering{}, err
	}
	for _, row := range tx.SpacePeerings(sp) {
		if row.PcxID == pcxID {
			return row, nil
		}
	}
	return SpacePeering{}, HerokuErr(http.StatusNotFound, "not_found", "Couldn't find that peering connection.")
}

// AcceptSpacePeering accepts a pending peering towards the space in Heroku: the AWS side
// becomes active and the space's route table gets a static route to the peer VPC's CIDR.
func (tx *Tx) AcceptSpacePeering(sp *Space, pcxID string) (*Peering, error) {
	tx.mustWrite()
	p, err := tx.spacePeering(sp, pcxID)
	if err != nil {
		return nil, err
	}
	if st := p.Status(tx.now); st != PcxPending || p.Accepter.VPCID != sp.VPCID {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Peering connection %s is not pending acceptance (status: %s).", pcxID, st)
	}
	peerCIDR := p.Requester.CIDR
	if bad, ok := prefixesOverlap([]netip.Prefix{peerCIDR}, append(sp.UnavailableCIDRs(), sp.CIDR, DockerCIDR)...); ok {
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "The peer VPC CIDR %s overlaps a range the space uses (%s, %s, %s).", bad, sp.CIDR, sp.DataCIDR, DockerCIDR)
	}
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	if _, err := tx.AcceptPeering(heroku, pcxID); err != nil {
		if e, ok := AsAWS(err); ok {
			return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "%s", e.Message)
		}
		return nil, err
	}
	p.AcceptedViaHeroku = true
	rt := tx.w.rtbs[tx.w.vpcs[sp.VPCID].MainRouteTableID]
	rt.Routes = append(rt.Routes, &Route{Dst: peerCIDR, Kind: TargetPeering, Target: p.ID, Origin: "CreateRoute"})
	return p, nil
}

// DestroySpacePeering tears a customer peering down from the Heroku side.
func (tx *Tx) DestroySpacePeering(sp *Space, pcxID string) (*Peering, error) {
	tx.mustWrite()
	p, err := tx.spacePeering(sp, pcxID)
	if err != nil {
		return nil, err
	}
	if p.HerokuManaged {
		return nil, HerokuErr(http.StatusForbidden, "forbidden", "The heroku-managed peering connection %s cannot be destroyed.", pcxID)
	}
	heroku := Caller{Account: tx.HerokuAccountID(), Region: sp.Region.AWSRegion}
	st := p.Status(tx.now)
	switch st {
	case PcxPending:
		// The accepter's way to get rid of a request is to reject it.
		if err := tx.RejectPeering(heroku, pcxID); err != nil {
			return nil, err
		}
	case PcxActive, PcxProvisioning:
		if err := tx.DeletePeering(heroku, pcxID); err != nil {
			return nil, err
		}
	default:
		return nil, HerokuErr(http.StatusUnprocessableEntity, "invalid_params", "Peering connection %s cannot be destroyed (status: %s).", pcxID, st)
	}
	return p, nil
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
