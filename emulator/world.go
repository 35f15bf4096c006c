// Package emulator is spacelab's one model of the world: AWS accounts with their VPCs, subnets,
// route tables, security groups, instances and peering connections, and Heroku teams with their
// Private Spaces, apps and dynos. A Private Space is itself a VPC in a Heroku-managed AWS account,
// so a peering requested in fake AWS and one listed in fake Heroku are the same object.
//
// The two API facades (fakeaws, fakeheroku) change the model through World.Update, which runs a
// Tx and either commits all of it or none. Files are named by side: aws_*.go are the AWS side's
// objects and their operations (aws_vpc.go, aws_peering.go, …), heroku_*.go the Heroku side's
// (heroku_space.go, heroku_vpn.go, …); the rest is the world itself (World and Tx, ids, the
// snapshot behind rollback and dry runs, errors in each service's dialect, the internet and
// offices outside both clouds).
//
// What the model becomes as a network is package render; why a packet would or would not get
// through that network is package explain.
//
// Everything here is pure Go and needs no privilege: go test ./emulator/...
package emulator

import (
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// World holds the whole model. The zero value is not usable; call NewWorld.
type World struct {
	mu        sync.RWMutex
	gen       uint64
	netGen    uint64      // generation of the last Update that changed what the data plane sees
	netLog    []netChange // the last data-plane changes, oldest first (NetworkChanges)
	netForgot uint64      // generation of the newest change dropped from netLog
	waiters   []chan struct{}

	now  func() time.Time
	rng  *rand.Rand
	log  *slog.Logger
	opts Options
	dp   convergence // the data plane's last report (status, not model)
	boot dynoBoot    // which web dynos the data plane saw listening (status, not model)

	// IPv6 CIDR blocks of VPCs and subnets, by association id (aws_vpccidr.go).
	ipv6 map[string]*IPv6CIDRAssociation

	// AWS side.
	accounts  map[string]*Account
	keys      map[string]*AccessKey
	vpcs      map[string]*VPC
	subnets   map[string]*Subnet
	rtbs      map[string]*RouteTable
	sgs       map[string]*SecurityGroup
	instances map[string]*Instance
	pcxs      map[string]*Peering
	nacls     map[string]*NetworkACL
	igws      map[string]*InternetGateway
	eips      map[string]*ElasticIP
	natgws    map[string]*NatGateway
	// Site-to-Site VPN: customer gateways, virtual private gateways, connections.
	cgws    map[string]*CustomerGateway
	vgws    map[string]*VpnGateway
	s2svpns map[string]*VpnConnection
	enis    map[string]*NetworkInterface // not instances' primary ones (see aws_networkinterface.go)
	pls     map[string]*PrefixList       // customer-managed prefix lists (aws_prefixlist.go)
	dopts   map[string]*DHCPOptions      // DHCP option sets (aws_dhcpoptions.go)

	// The internet around them.
	internet []*InternetHost
	// Heroku data add-ons of spaces.
	data []*DataService
	// VPN connections of spaces, by id.
	vpns map[string]*VPNConnection
	// Customer sites (office LANs behind a gateway).
	offices []*Office

	// Heroku side.
	users  map[string]*User // by bearer token
	teams  map[string]*Team // by id
	spaces map[string]*Space
	apps   map[string]*App
}

// Options configure a World.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Seed makes generated ids deterministic when non-zero.
	Seed uint64
	// Logger receives model events; nil discards them.
	Logger *slog.Logger
	// HerokuAccountID is the AWS account that owns every Private Space VPC. Empty picks a
	// generated 12-digit id.
	HerokuAccountID string
	// PublicDNS is the address of the internet's resolver (the one that knows *.herokuapp.com).
	// Zero means PublicDNSDefault.
	PublicDNS netip.Addr
	// AWSQuotas are the EC2/VPC quotas; zero fields take AWS's defaults.
	AWSQuotas AWSQuotas
	// HerokuLimits are the Heroku limits; zero means none.
	HerokuLimits HerokuLimits
}

// NewWorld returns an empty world.
func NewWorld(o Options) *World {
	w := &World{
		now:       o.Now,
		log:       o.Logger,
		opts:      o,
		accounts:  map[string]*Account{},
		keys:      map[string]*AccessKey{},
		vpcs:      map[string]*VPC{},
		subnets:   map[string]*Subnet{},
		rtbs:      map[string]*RouteTable{},
		sgs:       map[string]*SecurityGroup{},
		instances: map[string]*Instance{},
		pcxs:      map[string]*Peering{},
		nacls:     map[string]*NetworkACL{},
		igws:      map[string]*InternetGateway{},
		eips:      map[string]*ElasticIP{},
		natgws:    map[string]*NatGateway{},
		cgws:      map[string]*CustomerGateway{},
		vgws:      map[string]*VpnGateway{},
		s2svpns:   map[string]*VpnConnection{},
		enis:      map[string]*NetworkInterface{},
		pls:       map[string]*PrefixList{},
		ipv6:      map[string]*IPv6CIDRAssociation{},
		dopts:     map[string]*DHCPOptions{},
		users:     map[string]*User{},
		teams:     map[string]*Team{},
		spaces:    map[string]*Space{},
		apps:      map[string]*App{},
		vpns:      map[string]*VPNConnection{},
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("component", "emulator")
	seed := o.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	w.rng = rand.New(rand.NewPCG(seed, seed^0x5eed5eed))
	if o.HerokuAccountID == "" {
		w.opts.HerokuAccountID = w.digits(12)
	}
	w.ensureAccount(w.opts.HerokuAccountID, "heroku")
	return w
}

// Tx is a view of the world inside View or Update. Its methods must not be used after the
// function that received it returns.
type Tx struct {
	w        *World
	writable bool
	now      time.Time
	j        *journal // the undo log of a writable Tx (journal.go); nil in a DryRun
	idx      txIndex  // addresses and ids in use, gathered once per Tx (txindex.go)
}

// View runs fn with a read-only transaction.
func (w *World) View(fn func(tx *Tx) error) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return fn(&Tx{w: w, now: w.now()})
}

// Update runs fn with a writable transaction. When fn returns nil the world's generation
// advances and watchers are woken; when it returns an error the model is put back exactly as it
// was before fn ran (see snapshot.go), so nothing is ever half-applied.
//
// A panic in fn restores the model too and is passed on to the caller with the world unlocked,
// so an API server that recovers from a handler's panic keeps serving.
func (w *World) Update(fn func(tx *Tx) error) error {
	w.mu.Lock()
	j := &journal{saved: map[any]bool{}}
	var before snapshot
	check := checking()
	if check {
		before = w.snapshot()
	}
	done := false
	defer func() {
		if !done {
			j.rollback()
			if check {
				w.checkJournal(j, before, true)
			}
			w.mu.Unlock()
		}
	}()
	err := fn(&Tx{w: w, writable: true, now: w.now(), j: j})
	if err != nil {
		return err
	}
	if check {
		w.checkJournal(j, before, false)
	}
	w.gen++
	if j.network || !j.named {
		w.netGen = w.gen
		w.logNetChange(netChange{gen: w.gen, all: j.netAll || !j.named, what: j.netWhat})
	}
	waiters := w.waiters
	w.waiters = nil
	done = true
	w.mu.Unlock()
	for _, c := range waiters {
		close(c)
	}
	return nil
}

// Generation returns a number that grows with every successful Update.
func (w *World) Generation() uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.gen
}

// Changed returns a channel closed at the next successful Update after gen, or at once if
// the world is already past gen.
func (w *World) Changed(gen uint64) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := make(chan struct{})
	if w.gen > gen {
		close(c)
		return c
	}
	w.waiters = append(w.waiters, c)
	return c
}

// NetworkGeneration returns the generation of the last Update whose change reaches the data
// plane: Updates that only change tags, descriptions or names leave it behind Generation, and
// the reconciler renders nothing for them.
func (w *World) NetworkGeneration() uint64 {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.netGen
}

// netChange is what one Update named as changing the data plane (journal.go), or all when
// it named everything.
type netChange struct {
	gen  uint64
	all  bool
	what []Changed
}

// netLogSize is how many data-plane changes the world remembers for NetworkChanges, at most:
// when full, it forgets the older half at once (so remembering costs the same per change
// however full the log is). A reconciler that falls further behind than the log reaches
// renders in full, which at 1,000 hosts costs far more than the changes did; a burst of
// writes to one thing stays one entry (below), so only that many distinct changes in a row
// make it fall that far.
const netLogSize = 1024

// logNetChange remembers c. A change that names the same as the last one (a space's trusted
// IP ranges put again and again, one group's rules authorized and revoked) moves the last
// entry's generation forward instead of adding one: whoever asks for the changes since any
// generation before c gets the same answer from the one entry as from the two.
func (w *World) logNetChange(c netChange) {
	if n := len(w.netLog); n > 0 {
		if last := &w.netLog[n-1]; last.all == c.all && slices.Equal(last.what, c.what) {
			last.gen = c.gen
			return
		}
	}
	if len(w.netLog) == netLogSize {
		half := netLogSize / 2
		w.netForgot = w.netLog[half-1].gen
		w.netLog = w.netLog[:copy(w.netLog, w.netLog[half:])]
	}
	w.netLog = append(w.netLog, c)
}

// NetworkChanges returns what the Updates after network generation since named as changing
// the data plane, in order (see Changed). ok is false when one of them named everything
// (tx.mustWrite() with nothing, an Update that named nothing, or something Changed has no
// kind for: a map of objects whose entries changed, a field) or when the world no longer
// remembers that far back: then only a full render is right.
func (tx *Tx) NetworkChanges(since uint64) (what []Changed, ok bool) {
	w := tx.w
	if w.netForgot > since {
		return nil, false
	}
	for _, c := range w.netLog {
		if c.gen <= since {
			continue
		}
		if c.all {
			return nil, false
		}
		what = append(what, c.what...)
	}
	return what, true
}

// NetworkGeneration is the world's network generation as seen by this transaction.
func (tx *Tx) NetworkGeneration() uint64 { return tx.w.netGen }

// Now is the transaction's clock reading.
func (tx *Tx) Now() time.Time { return tx.now }

// Generation is the world's generation as seen by this transaction.
func (tx *Tx) Generation() uint64 { return tx.w.gen }

// HerokuAccountID is the AWS account that owns Private Space VPCs.
func (tx *Tx) HerokuAccountID() string { return tx.w.opts.HerokuAccountID }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [8]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// sortedKeys returns a map's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func ordered[V any](m map[string]*V) []*V {
	out := make([]*V, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func dropWhere[T any](xs []T, drop func(T) bool) []T {
	out := xs[:0:0]
	for _, x := range xs {
		if !drop(x) {
			out = append(out, x)
		}
	}
	return out
}
