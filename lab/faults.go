package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/faults"
	"github.com/spacelab-dev/spacelab/netspec"
)

// FaultSpec is a fault to add: its Kind and the rule of that kind.
type FaultSpec struct {
	Kind   string             `json:"kind"`
	Link   *faults.LinkRule   `json:"link,omitempty"`
	Tunnel *faults.TunnelRule `json:"tunnel,omitempty"`
	Dyno   *faults.DynoRule   `json:"dyno,omitempty"`
	API    *faults.APIRule    `json:"api,omitempty"`
}

// Fault is an active fault and what it has done.
type Fault struct {
	FaultSpec
	ID   string `json:"id"`
	What string `json:"what"`
	// Dropped counts the packets a data-plane fault has dropped.
	Dropped uint64 `json:"dropped_packets"`
	// Until is when a timed fault (a tunnel flap) ends by itself.
	Until *time.Time `json:"until,omitempty"`
	// API is an API fault's counts.
	APIStatus *faults.APIRuleStatus `json:"api_status,omitempty"`
}

// ErrNoSuchFault is returned by ClearFault for an unknown id.
var ErrNoSuchFault = errors.New("no such fault")

// faultSet is the lab's active data-plane and dyno faults (API faults live in Lab.Faults).
type faultSet struct {
	mu     sync.Mutex
	next   int
	active []*activeFault
}

type activeFault struct {
	Fault
	dp    []netspec.Fault
	vpnID string
	timer *time.Timer
}

func (fs *faultSet) newID(kind string) string {
	fs.next++
	return kind + "-" + strconv.Itoa(fs.next)
}

// AddFault starts a fault: packets dropped on a link or host, a VPN connection's tunnels down,
// a dyno stopped, or an API action failing. It returns the fault with its id.
func (l *Lab) AddFault(ctx context.Context, s FaultSpec) (Fault, error) {
	fs := &l.faultSet
	fs.mu.Lock()
	defer fs.mu.Unlock()
	a := &activeFault{Fault: Fault{FaultSpec: s}}
	switch {
	case (s.Kind == faults.KindLoss || s.Kind == faults.KindDelay) && s.Link != nil:
		if err := s.Link.Check(); err != nil {
			return Fault{}, fmt.Errorf("lab: %w", err)
		}
		a.ID = fs.newID(s.Kind)
		dp, err := l.linkFault(a.ID, *s.Link)
		if err != nil {
			return Fault{}, err
		}
		a.dp, a.What = dp, s.Link.String()
	case s.Kind == faults.KindTunnelFlap && s.Tunnel != nil:
		if err := s.Tunnel.Check(); err != nil {
			return Fault{}, fmt.Errorf("lab: %w", err)
		}
		a.ID = fs.newID(s.Kind)
		if err := l.tunnelFault(a, *s.Tunnel); err != nil {
			return Fault{}, err
		}
		a.What = s.Tunnel.String()
	case s.Kind == faults.KindDynoStop && s.Dyno != nil:
		if err := s.Dyno.Check(); err != nil {
			return Fault{}, fmt.Errorf("lab: %w", err)
		}
		if err := l.World.Update(func(tx *emulator.Tx) error { return tx.SetDynoCrashed(s.Dyno.App, s.Dyno.Dyno, true) }); err != nil {
			return Fault{}, fmt.Errorf("lab: dyno stop: %w", err)
		}
		a.ID, a.What = fs.newID(s.Kind), s.Dyno.String()
	case s.Kind == faults.KindAPIError && s.API != nil:
		r := *s.API
		r.ID = fs.newID(s.Kind)
		if err := l.Faults.Add(r); err != nil {
			return Fault{}, fmt.Errorf("lab: %w", err)
		}
		a.ID, a.What = r.ID, r.Service+" "+r.Action+" fails with "+r.Code
		a.API = &r
	default:
		return Fault{}, fmt.Errorf("lab: fault kind %q needs its rule (kinds: %s, %s, %s, %s, %s)", s.Kind,
			faults.KindLoss, faults.KindDelay, faults.KindTunnelFlap, faults.KindAPIError, faults.KindDynoStop)
	}
	fs.active = append(fs.active, a)
	if err := l.pushFaults(ctx); err != nil {
		fs.active = fs.active[:len(fs.active)-1]
		l.undo(a)
		l.pushFaults(ctx)
		return Fault{}, err
	}
	if a.vpnID != "" {
		l.reportFaultedTunnels()
		if d := s.Tunnel.Duration(); d > 0 {
			until := time.Now().Add(d)
			a.Until = &until
			id := a.ID
			a.timer = time.AfterFunc(d, func() { l.ClearFault(context.Background(), id) })
		}
	}
	if err := l.Sync(ctx); err != nil {
		return a.Fault, fmt.Errorf("lab: fault %s added, but the data plane did not converge: %w", a.ID, err)
	}
	return a.Fault, nil
}

// ClearFault ends the fault with id; "" ends them all.
func (l *Lab) ClearFault(ctx context.Context, id string) error {
	fs := &l.faultSet
	fs.mu.Lock()
	defer fs.mu.Unlock()
	var keep, gone []*activeFault
	for _, a := range fs.active {
		if id == "" || a.ID == id {
			gone = append(gone, a)
		} else {
			keep = append(keep, a)
		}
	}
	if id != "" && len(gone) == 0 {
		return fmt.Errorf("lab: %w: %s", ErrNoSuchFault, id)
	}
	fs.active = keep
	for _, a := range gone {
		l.undo(a)
	}
	if id == "" { // the topology's API rules too
		for _, st := range l.Faults.Status() {
			l.Faults.Remove(st.ID)
		}
	}
	err := l.pushFaults(ctx)
	l.reportFaultedTunnels()
	if err == nil {
		err = l.Sync(ctx)
	}
	return err
}

// undo reverses what a fault did outside the fault table.
func (l *Lab) undo(a *activeFault) {
	if a.timer != nil {
		a.timer.Stop()
	}
	switch {
	case a.Dyno != nil:
		l.World.Update(func(tx *emulator.Tx) error { return tx.SetDynoCrashed(a.Dyno.App, a.Dyno.Dyno, false) })
	case a.API != nil:
		l.Faults.Remove(a.ID)
	}
}

// ListFaults returns every active fault with what it has done, API faults of the topology
// included.
func (l *Lab) ListFaults(ctx context.Context) []Fault {
	fs := &l.faultSet
	fs.mu.Lock()
	defer fs.mu.Unlock()
	counts := map[string]uint64{}
	if cs, err := l.Sandbox.FaultCounters(ctx); err == nil {
		for _, c := range cs {
			counts[c.ID] += c.Dropped
		}
	}
	api := map[string]faults.APIRuleStatus{}
	var out []Fault
	for _, st := range l.Faults.Status() {
		api[st.ID] = st
	}
	for _, a := range fs.active {
		f := a.Fault
		f.Dropped = counts[f.ID]
		if st, ok := api[f.ID]; ok {
			f.APIStatus = &st
			delete(api, f.ID)
		}
		out = append(out, f)
	}
	for _, st := range api { // from the topology
		r := st.APIRule
		out = append(out, Fault{FaultSpec: FaultSpec{Kind: faults.KindAPIError, API: &r}, ID: st.ID,
			What: r.Service + " " + r.Action + " fails with " + r.Code, APIStatus: &st})
	}
	sort.SliceStable(out, func(i, j int) bool { return faultOrder(out[i].ID) < faultOrder(out[j].ID) })
	return out
}

func faultOrder(id string) int {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '-' {
			n, _ := strconv.Atoi(id[i+1:])
			return n
		}
	}
	return 0
}

// pushFaults sends every data-plane fault to the sandbox (fs.mu held).
func (l *Lab) pushFaults(ctx context.Context) error {
	var all []netspec.Fault
	for _, a := range l.faultSet.active {
		all = append(all, a.dp...)
	}
	if err := l.Sandbox.SetFaults(ctx, all); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	return nil
}

// linkFault turns a loss rule into the sandbox's faults: on the sending host, for packets to
// the other host's addresses (or all of them), the seeded positions of every window.
func (l *Lab) linkFault(id string, r faults.LinkRule) ([]netspec.Fault, error) {
	spec := l.Reconciler.Spec()
	if spec == nil {
		return nil, errors.New("lab: no data plane yet")
	}
	name := r.Host
	if name == "" {
		name = r.From
	}
	h := spec.Resolve(name)
	if h == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchHost, name)
	}
	f := netspec.Fault{ID: id, Host: h.Name}
	if r.Loss > 0 && r.Loss < 100 {
		f.Window, f.Drop = faults.Window, faults.LossSlots(l.Topology.FaultSeed, id, r.Loss)
	}
	if r.To != "" {
		to := spec.Resolve(r.To)
		if to == nil {
			return nil, fmt.Errorf("%w: %s", ErrNoSuchHost, r.To)
		}
		for _, p := range spec.AddrsOf(to.Name) {
			f.Peers = append(f.Peers, netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
		}
		if len(f.Peers) == 0 {
			return nil, fmt.Errorf("lab: host %s has no address to drop packets to", to.Name)
		}
	}
	var out []netspec.Fault
	if r.Loss > 0 {
		out = append(out, f)
	}
	if d := r.DelayDuration(); d > 0 {
		f.Window, f.Drop, f.Delay = 0, nil, d
		out = append(out, f)
	}
	return out, nil
}

// tunnelFault drops IKE (UDP 500) and ESP in UDP (4500) between a VPN connection's gateway and
// its customer gateway, both ways.
func (l *Lab) tunnelFault(a *activeFault, r faults.TunnelRule) error {
	return l.World.View(func(tx *emulator.Tx) error {
		var sp *emulator.Space
		for _, s := range tx.Spaces() {
			if s.Name == r.Space || s.ID == r.Space {
				sp = s
			}
		}
		if sp == nil {
			return fmt.Errorf("lab: tunnel flap: no space %q", r.Space)
		}
		v, err := tx.VPNConnection(sp, r.VPN)
		if err != nil {
			return fmt.Errorf("lab: tunnel flap: %w", err)
		}
		a.vpnID = v.ID
		a.dp = []netspec.Fault{{ID: a.ID, Host: render.VPNHost(sp, v), Peers: []netip.Prefix{netip.PrefixFrom(v.PublicIP, 32)},
			Proto: 17, Ports: []uint16{500, 4500}, Inbound: true}}
		return nil
	})
}

// faultedTunnels returns the VPN connections a tunnel flap holds down, with the fault's id.
func (l *Lab) faultedTunnels() map[string]string {
	out := map[string]string{}
	for _, a := range l.faultSet.active {
		if a.vpnID != "" {
			out[a.vpnID] = a.ID
		}
	}
	return out
}

// overrideTunnelReports marks the tunnels of flapped VPN connections DOWN, reason "fault".
func (l *Lab) overrideTunnelReports(reports []emulator.TunnelReport) []emulator.TunnelReport {
	l.faultSet.mu.Lock()
	down := l.faultedTunnels()
	l.faultSet.mu.Unlock()
	return overrideReports(reports, down)
}

func overrideReports(reports []emulator.TunnelReport, down map[string]string) []emulator.TunnelReport {
	for i, r := range reports {
		if id, ok := down[r.VPNID]; ok {
			reports[i].Up, reports[i].Message = false, "fault: "+id+" holds the tunnel down (spacelab fault clear "+id+")"
		}
	}
	return reports
}

// reportFaultedTunnels records the flapped tunnels' state in the model now (fs.mu held), rather
// than at the tunnel watcher's next look.
func (l *Lab) reportFaultedTunnels() {
	down := l.faultedTunnels()
	l.World.Update(func(tx *emulator.Tx) error {
		var reports []emulator.TunnelReport
		for _, v := range tx.VPNConnections("") {
			if _, ok := down[v.ID]; ok {
				for n := range v.Tunnels {
					reports = append(reports, emulator.TunnelReport{VPNID: v.ID, Tunnel: n})
				}
			}
		}
		tx.ReportTunnels(overrideReports(reports, down))
		return nil
	})
}

// topologyAPIFaults are the topology's API rules, each with an id.
func (l *Lab) topologyAPIFaults() []faults.APIRule {
	out := make([]faults.APIRule, len(l.Topology.APIFaults))
	for i, r := range l.Topology.APIFaults {
		if r.ID == "" {
			r.ID = l.faultSet.newID(faults.KindAPIError)
		}
		out[i] = r
	}
	return out
}

// startFaults adds the topology's data-plane and dyno faults.
func (l *Lab) startFaults(ctx context.Context) error {
	var specs []FaultSpec
	for _, r := range l.Topology.LinkFaults {
		specs = append(specs, FaultSpec{Kind: faults.KindLoss, Link: &r})
	}
	for _, r := range l.Topology.TunnelFaults {
		specs = append(specs, FaultSpec{Kind: faults.KindTunnelFlap, Tunnel: &r})
	}
	for _, r := range l.Topology.DynoFaults {
		specs = append(specs, FaultSpec{Kind: faults.KindDynoStop, Dyno: &r})
	}
	for _, s := range specs {
		if _, err := l.AddFault(ctx, s); err != nil {
			return fmt.Errorf("lab: the topology's faults: %w", err)
		}
	}
	return nil
}

// faultCounts reads every data-plane fault's counter; nil when there is none.
func (l *Lab) faultCounts(ctx context.Context) map[string]uint64 {
	l.faultSet.mu.Lock()
	n := 0
	for _, a := range l.faultSet.active {
		n += len(a.dp)
	}
	l.faultSet.mu.Unlock()
	if n == 0 {
		return nil
	}
	cs, err := l.Sandbox.FaultCounters(ctx)
	if err != nil {
		return nil
	}
	out := map[string]uint64{}
	for _, c := range cs {
		out[c.ID] += c.Dropped
	}
	return out
}

// faultsSince lists the faults whose counters grew since before.
func (l *Lab) faultsSince(ctx context.Context, before map[string]uint64) []string {
	if before == nil {
		return nil
	}
	var out []string
	for id, n := range l.faultCounts(ctx) {
		if n > before[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
