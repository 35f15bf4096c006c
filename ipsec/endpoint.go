package ipsec

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one tunnel: a local and a peer address, the pre-shared key, the networks on both
// sides and the policy.
type Config struct {
	// Name identifies the tunnel in status and logs.
	Name string
	// Local is the gateway's public address (the source of IKE and ESP); Peer is the other
	// gateway's.
	Local, Peer netip.Addr
	// PSK is the pre-shared key.
	PSK []byte
	// LocalNets and RemoteNets are the traffic selectors: one IPsec SA is negotiated for each
	// pair, and inner packets are accepted only between them.
	LocalNets, RemoteNets []netip.Prefix
	// Initiate makes the endpoint start Main Mode itself (at start, after failures and when
	// the peer is declared dead); otherwise it only responds (and runs Quick Mode on demand).
	Initiate bool
	// Policy is what is offered and accepted; zero fields take HerokuPolicy's.
	Policy Policy
	// PeerLabel names the peer in status messages; default "the peer gateway".
	PeerLabel string

	// RetransmitTimeout is the wait before the first retransmission (default 2 s), multiplied
	// by RetransmitBase (default 1.8) after each; after RetransmitTries (default 5) the
	// exchange is abandoned.
	RetransmitTimeout time.Duration
	RetransmitBase    float64
	RetransmitTries   int
	// RetryInterval is the pause before an initiator starts over after a failure (default 10 s).
	RetryInterval time.Duration
	// HalfOpenTimeout is how long an unfinished Main Mode is kept (default 30 s, as strongSwan).
	HalfOpenTimeout time.Duration
	// KeepaliveInterval is the NAT-T keepalive period (default 20 s).
	KeepaliveInterval time.Duration
	// Tick is the housekeeping period (default 100 ms).
	Tick time.Duration
}

func (c Config) withDefaults() Config {
	c.Policy = c.Policy.withDefaults()
	if c.PeerLabel == "" {
		c.PeerLabel = "the peer gateway"
	}
	if c.RetransmitTimeout <= 0 {
		c.RetransmitTimeout = 2 * time.Second
	}
	if c.RetransmitBase < 1 {
		c.RetransmitBase = 1.8
	}
	if c.RetransmitTries <= 0 {
		c.RetransmitTries = 5
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 10 * time.Second
	}
	if c.HalfOpenTimeout <= 0 {
		c.HalfOpenTimeout = 30 * time.Second
	}
	if c.KeepaliveInterval <= 0 {
		c.KeepaliveInterval = 20 * time.Second
	}
	if c.Tick <= 0 {
		c.Tick = 100 * time.Millisecond
	}
	return c
}

func (c Config) validate() error {
	if c.Name == "" {
		return errors.New("ipsec: tunnel without a name")
	}
	if !c.Local.Is4() || !c.Peer.Is4() {
		return fmt.Errorf("ipsec: tunnel %s: local and peer must be IPv4 addresses", c.Name)
	}
	if len(c.PSK) == 0 {
		return fmt.Errorf("ipsec: tunnel %s: no pre-shared key", c.Name)
	}
	if len(c.LocalNets) == 0 || len(c.RemoteNets) == 0 {
		return fmt.Errorf("ipsec: tunnel %s: local and remote networks are required", c.Name)
	}
	for _, p := range append(slices.Clone(c.LocalNets), c.RemoteNets...) {
		if !p.Addr().Is4() {
			return fmt.Errorf("ipsec: tunnel %s: %s is not an IPv4 prefix", c.Name, p)
		}
	}
	return c.Policy.Validate()
}

// rekeyGrace is how long a replaced IPsec SA still accepts packets.
const rekeyGrace = 3 * time.Second

// Tunnel states, as Heroku reports them.
const (
	StateUp   = "UP"
	StateDown = "DOWN"
)

// Status is a tunnel's state for people and APIs: UP or DOWN, why, and since when.
type Status struct {
	Name       string    `json:"name"`
	State      string    `json:"state"`
	Message    string    `json:"message"`
	LastChange time.Time `json:"last_change"`
	// IKE and ESP are the negotiated suites while up.
	IKE string   `json:"ike,omitempty"`
	ESP []string `json:"esp,omitempty"`
	// Counters are the tunnel's packet and error counts.
	Counters CounterValues `json:"counters"`
}

// Counters count what an endpoint did with packets, and what it dropped and why.
type Counters struct {
	IKEIn, IKEOut, IKERetransmits          atomic.Uint64
	IKEMalformed, IKEUndecryptable         atomic.Uint64
	IKEUnexpected, IKEDropped              atomic.Uint64
	ESPIn, ESPOut, ESPInBytes, ESPOutBytes atomic.Uint64
	ESPAuthFailed, ESPReplayed             atomic.Uint64
	ESPMalformed, ESPUnknownSPI            atomic.Uint64
	ESPPolicyDrops, NoSADrops              atomic.Uint64
	Keepalives                             atomic.Uint64
}

// CounterValues is a snapshot of Counters.
type CounterValues struct {
	IKEIn            uint64 `json:"ike_in"`
	IKEOut           uint64 `json:"ike_out"`
	IKERetransmits   uint64 `json:"ike_retransmits"`
	IKEMalformed     uint64 `json:"ike_malformed"`
	IKEUndecryptable uint64 `json:"ike_undecryptable"`
	IKEUnexpected    uint64 `json:"ike_unexpected"`
	IKEDropped       uint64 `json:"ike_dropped"`
	ESPIn            uint64 `json:"esp_in"`
	ESPOut           uint64 `json:"esp_out"`
	ESPInBytes       uint64 `json:"esp_in_bytes"`
	ESPOutBytes      uint64 `json:"esp_out_bytes"`
	ESPAuthFailed    uint64 `json:"esp_auth_failed"`
	ESPReplayed      uint64 `json:"esp_replayed"`
	ESPMalformed     uint64 `json:"esp_malformed"`
	ESPUnknownSPI    uint64 `json:"esp_unknown_spi"`
	ESPPolicyDrops   uint64 `json:"esp_policy_drops"`
	NoSADrops        uint64 `json:"no_sa_drops"`
	Keepalives       uint64 `json:"keepalives"`
}

// Snapshot reads the counters.
func (c *Counters) Snapshot() CounterValues {
	return CounterValues{
		IKEIn: c.IKEIn.Load(), IKEOut: c.IKEOut.Load(), IKERetransmits: c.IKERetransmits.Load(),
		IKEMalformed: c.IKEMalformed.Load(), IKEUndecryptable: c.IKEUndecryptable.Load(),
		IKEUnexpected: c.IKEUnexpected.Load(), IKEDropped: c.IKEDropped.Load(),
		ESPIn: c.ESPIn.Load(), ESPOut: c.ESPOut.Load(), ESPInBytes: c.ESPInBytes.Load(), ESPOutBytes: c.ESPOutBytes.Load(),
		ESPAuthFailed: c.ESPAuthFailed.Load(), ESPReplayed: c.ESPReplayed.Load(),
		ESPMalformed: c.ESPMalformed.Load(), ESPUnknownSPI: c.ESPUnknownSPI.Load(),
		ESPPolicyDrops: c.ESPPolicyDrops.Load(), NoSADrops: c.NoSADrops.Load(), Keepalives: c.Keepalives.Load(),
	}
}

// event is an IKE message handed to the endpoint's loop.
type event struct {
	pkt  []byte
	from netip.AddrPort
	natt bool
}

// Endpoint is one tunnel's IKE state machine. Its loop goroutine owns all IKE state; the data
// path reads the installed SAs through atomic pointers.
type Endpoint struct {
	cfg Config
	pol Policy
	gw  *Gateway
	log *slog.Logger

	events  chan event
	acquire chan struct{}
	stop    chan struct{}
	done    chan struct{}

	// Owned by the loop.
	ikes          []*ikeSA
	children      []*childSA
	peerIKE       netip.AddrPort // where IKE goes before the float
	peerNATT      netip.AddrPort // where IKE and ESP go after it
	candidateNATT netip.AddrPort // the source of the message being handled, if on 4500
	nextInitiate  time.Time
	quickBackoff  time.Time // no Quick Mode for outbound traffic before this (after a refusal)
	lastKeepalive time.Time
	heardOnce     bool
	lastProblem   string // the last failure, kept while retrying
	// peerIKEv2 is set once the peer offered IKEv2, until a tunnel comes up: a later refusal
	// of this gateway's IKEv1 offer is then reported as the version mismatch it is.
	peerIKEv2 bool
	// lastInvalidCookie is when we last answered a message on an unknown ISAKMP SA.
	lastInvalidCookie time.Time

	lastInbound atomic.Int64 // unix nanoseconds of the last authenticated packet from the peer
	out         atomic.Pointer[[]*childSA]

	statusMu sync.Mutex
	status   Status

	// Counters are this tunnel's packet counts.
	Counters Counters
}

func newEndpoint(cfg Config, gw *Gateway, log *slog.Logger) *Endpoint {
	e := &Endpoint{
		cfg:      cfg,
		pol:      cfg.Policy,
		gw:       gw,
		log:      log.With("tunnel", cfg.Name, "peer", cfg.Peer),
		events:   make(chan event, 256),
		acquire:  make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		peerIKE:  netip.AddrPortFrom(cfg.Peer, PortIKE),
		peerNATT: netip.AddrPortFrom(cfg.Peer, PortNATT),
	}
	msg := "waiting for " + cfg.PeerLabel + " to initiate (nothing received on UDP 500/4500 yet)"
	if cfg.Initiate {
		msg = "connecting to " + cfg.PeerLabel
	}
	e.status = Status{Name: cfg.Name, State: StateDown, Message: msg, LastChange: time.Now()}
	empty := []*childSA{}
	e.out.Store(&empty)
	return e
}

// Name is the tunnel's name.
func (e *Endpoint) Name() string { return e.cfg.Name }

// Status returns the tunnel's state.
func (e *Endpoint) Status() Status {
	e.statusMu.Lock()
	s := e.status
	e.statusMu.Unlock()
	s.Counters = e.Counters.Snapshot()
	return s
}

func (e *Endpoint) setStatus(state, msg string) {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	if e.status.State == state && e.status.Message == msg {
		return
	}
	if e.status.State != state {
		e.log.Info("tunnel "+strings.ToLower(state), "reason", msg)
	} else {
		e.log.Debug("tunnel status", "state", state, "message", msg)
	}
	e.status.State, e.status.Message, e.status.LastChange = state, msg, time.Now()
}

// fail reports a failure that keeps the tunnel down.
func (e *Endpoint) fail(msg string) {
	e.lastProblem = msg
	var esp []string
	for _, c := range e.activeChildren() {
		esp = append(esp, c.String())
	}
	e.statusMu.Lock()
	e.status.ESP = esp
	if e.currentIKE() == nil {
		e.status.IKE = ""
	}
	e.statusMu.Unlock()
	e.setStatus(StateDown, msg)
}

func (e *Endpoint) updateUp() {
	var esp []string
	var ike string
	for _, c := range e.children {
		if !c.rekeyed {
			esp = append(esp, c.String())
		}
	}
	if sa := e.currentIKE(); sa != nil {
		ike = sa.prop.String()
	}
	e.statusMu.Lock()
	e.status.IKE, e.status.ESP = ike, esp
	e.statusMu.Unlock()
	if len(esp) > 0 {
		e.lastProblem, e.peerIKEv2 = "", false
		e.setStatus(StateUp, fmt.Sprintf("IKEv1 %s, ESP %s", ike, strings.Join(esp, "; ")))
	}
}

func (e *Endpoint) run() {
	defer close(e.done)
	tick := time.NewTicker(e.cfg.Tick)
	defer tick.Stop()
	if e.cfg.Initiate {
		e.startMainMode(time.Now(), false)
	}
	for {
		select {
		case <-e.stop:
			e.shutdown()
			return
		case ev := <-e.events:
			e.safeHandle(ev)
		case <-e.acquire:
			e.onAcquire(time.Now())
		case now := <-tick.C:
			e.housekeeping(now)
		}
	}
}

// safeHandle processes one IKE message; a bug triggered by a hostile message must cost that
// message, not the gateway.
func (e *Endpoint) safeHandle(ev event) {
	defer func() {
		if r := recover(); r != nil {
			e.Counters.IKEMalformed.Add(1)
			e.log.Error("IKE message handling panicked; message dropped", "panic", r)
		}
	}()
	e.handleIKE(ev)
}

// deliver queues an IKE message for the loop; a full queue drops it (the peer retransmits).
func (e *Endpoint) deliver(ev event) {
	select {
	case e.events <- ev:
	default:
		e.Counters.IKEDropped.Add(1)
	}
}

// requestSA asks the loop to negotiate SAs for outbound traffic that has none.
func (e *Endpoint) requestSA() {
	select {
	case e.acquire <- struct{}{}:
	default:
	}
}

func (e *Endpoint) close() {
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	<-e.done
}

// sendIKE sends an IKE message to the peer, on port 4500 with a non-ESP marker once floated.
func (e *Endpoint) sendIKE(pkt []byte, natt bool) {
	e.Counters.IKEOut.Add(1)
	if natt {
		b := make([]byte, 4+len(pkt))
		copy(b[4:], pkt)
		e.gw.sendControl(e.cfg.Local, PortNATT, e.peerNATT, b)
		return
	}
	e.gw.sendControl(e.cfg.Local, PortIKE, e.peerIKE, pkt)
}

// request sends a message that expects an answer and arms its retransmission.
func (e *Endpoint) request(pkt []byte, natt bool, what string, now time.Time) *request {
	r := &request{pkt: pkt, natt: natt, what: what, first: now, next: now.Add(e.cfg.RetransmitTimeout)}
	e.sendIKE(pkt, natt)
	return r
}

// retransmit re-sends r when due; it returns false when r has used all its tries.
func (e *Endpoint) retransmit(r *request, now time.Time) bool {
	if r == nil || now.Before(r.next) {
		return true
	}
	if r.tries >= e.cfg.RetransmitTries {
		return false
	}
	r.tries++
	e.Counters.IKERetransmits.Add(1)
	e.log.Debug("retransmitting", "what", r.what, "try", r.tries)
	e.sendIKE(r.pkt, r.natt)
	r.next = now.Add(time.Duration(float64(e.cfg.RetransmitTimeout) * math.Pow(e.cfg.RetransmitBase, float64(r.tries))))
	return true
}

// markInbound records an authenticated message from the peer on sa: the peer is alive and
// has sa, and its NAT-T address is where the message came from.
func (e *Endpoint) markInbound(sa *ikeSA) {
	now := time.Now()
	sa.lastHeard = now
	e.lastInbound.Store(now.UnixNano())
	if e.candidateNATT.IsValid() {
		e.peerNATT = e.candidateNATT
	}
}

func (e *Endpoint) handleIKE(ev event) {
	e.Counters.IKEIn.Add(1)
	pkt := ev.pkt
	h, err := parseHeader(pkt)
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		e.log.Debug("dropped IKE message", "err", err)
		return
	}
	pkt = pkt[:h.Length]
	if !e.heardOnce {
		e.heardOnce = true
	}
	// Port 500 answers go where the message came from (a NAT may have changed the port);
	// the 4500 address, which ESP uses too, moves only once a message from it authenticated.
	if ev.natt {
		e.candidateNATT = ev.from
	} else {
		e.peerIKE = ev.from
		e.candidateNATT = netip.AddrPort{}
	}
	switch h.Version >> 4 {
	case 1:
	case 2:
		e.handleIKEv2(h, pkt, ev)
		return
	default:
		e.Counters.IKEMalformed.Add(1)
		return
	}
	switch h.Exchange {
	case exchMain:
		e.handleMain(h, pkt, ev)
	case exchQuick:
		e.handleQuick(h, pkt, ev)
	case exchInformational:
		e.handleInformational(h, pkt, ev)
	case exchAggressive:
		e.refuseAggressive(h, ev)
	default:
		e.unexpected(h, "endpoint:420")
	}
}

// unexpected counts a well-formed message that fits no exchange in progress.
func (e *Endpoint) unexpected(h header, where string) {
	e.Counters.IKEUnexpected.Add(1)
	e.log.Debug("unexpected IKE message dropped", "exchange", h.exchangeName(), "msgid", fmt.Sprintf("%08x", h.MsgID),
		"icookie", fmt.Sprintf("%x", h.ICookie[:]), "rcookie", fmt.Sprintf("%x", h.RCookie[:]), "at", where)
}

// findIKE returns the ISAKMP SA with these cookies.
func (e *Endpoint) findIKE(ci, cr [8]byte) *ikeSA {
	for _, sa := range e.ikes {
		if sa.ci == ci && sa.cr == cr {
			return sa
		}
	}
	return nil
}

// currentIKE is the established ISAKMP SA in use: the one not retired (settleIKE retires all
// others), else nil.
func (e *Endpoint) currentIKE() *ikeSA {
	var best *ikeSA
	for _, sa := range e.ikes {
		if sa.state == ikeEstablished && sa.retired.IsZero() && (best == nil || supersedes(sa, best)) {
			best = sa
		}
	}
	return best
}

func (e *Endpoint) removeIKE(sa *ikeSA) {
	e.ikes = slices.DeleteFunc(e.ikes, func(x *ikeSA) bool { return x == sa })
}

// halfOpen reports whether a Main Mode is under way.
func (e *Endpoint) halfOpen() bool {
	for _, sa := range e.ikes {
		if sa.state != ikeEstablished {
			return true
		}
	}
	return false
}

// housekeeping runs the timers: retransmissions, half-open expiry, rekeying, DPD, keepalives.
func (e *Endpoint) housekeeping(now time.Time) {
	for _, sa := range slices.Clone(e.ikes) {
		if sa.state != ikeEstablished {
			if !e.retransmit(sa.req, now) {
				e.mainModeGaveUp(sa, now)
				continue
			}
			if sa.req == nil && now.Sub(sa.created) > e.cfg.HalfOpenTimeout {
				e.log.Debug("deleting half-open ISAKMP SA after timeout", "sa", sa.name())
				e.removeIKE(sa)
			}
			continue
		}
		if e.quickTimers(sa, now) {
			continue // the peer does not have sa: dropped
		}
		if sa.retired.IsZero() && !sa.rekeyAt.IsZero() && now.After(sa.rekeyAt) && !e.halfOpen() {
			e.log.Info("re-authenticating: ISAKMP SA lifetime reached", "sa", sa.name())
			sa.rekeyAt = time.Time{}
			e.startMainMode(now, true)
		}
		switch {
		case now.Sub(sa.established) > sa.life+e.cfg.HalfOpenTimeout:
			// Its re-authentication never succeeded: it is over. (IPsec SAs outlive it, as
			// IKEv1 allows; they are rekeyed over a new one.)
			e.deleteIKE(sa, true)
		case !sa.retired.IsZero() && now.Sub(sa.retired) > e.cfg.HalfOpenTimeout && !e.carriesChildren(sa):
			// Replaced a while ago (exchanges in flight on it have finished), and no IPsec SA
			// in use was negotiated over it any more.
			e.deleteIKE(sa, true)
		}
	}
	e.childTimers(now)
	e.dpd(now)
	if e.cfg.Initiate && e.currentIKE() == nil && !e.halfOpen() && !e.nextInitiate.IsZero() && now.After(e.nextInitiate) {
		e.startMainMode(now, false)
	}
	if now.Sub(e.lastKeepalive) >= e.cfg.KeepaliveInterval {
		e.lastKeepalive = now
		if sa := e.currentIKE(); sa != nil && sa.floated {
			e.gw.sendControl(e.cfg.Local, PortNATT, e.peerNATT, []byte{0xff})
		}
	}
}

// quickTimers retransmits, expires and gives up sa's Quick Modes. It reports true when the
// peer ignored one in a way that shows it does not have sa, which is then dropped (staleIKE).
func (e *Endpoint) quickTimers(sa *ikeSA, now time.Time) bool {
	for id, qm := range sa.quick {
		if qm.done {
			if now.Sub(qm.created) > 2*e.cfg.HalfOpenTimeout {
				delete(sa.quick, id)
			}
			continue
		}
		if quickUnanswered(sa, qm, now) {
			e.staleIKE(sa, now, fmt.Sprintf("quick mode message 1 sent %d times over %s, no answer and no other message on it",
				qm.req.tries+1, now.Sub(qm.req.first).Round(time.Millisecond)))
			return true
		}
		if !e.retransmit(qm.req, now) {
			e.quickModeGaveUp(sa, qm)
			delete(sa.quick, id)
			continue
		}
		if qm.initiator && qm.req != nil && qm.req.tries == 1 && !qm.probed {
			// No answer yet: ask whether the peer still has sa at all.
			qm.probed = true
			e.probe(sa, now)
		}
		if qm.req == nil && now.Sub(qm.created) > e.cfg.HalfOpenTimeout {
			delete(sa.quick, id)
		}
	}
	return false
}

// mainModeGaveUp handles a Main Mode whose request was never answered.
func (e *Endpoint) mainModeGaveUp(sa *ikeSA, now time.Time) {
	e.removeIKE(sa)
	switch sa.state {
	case ikeMM5Sent:
		e.fail("pre-shared key mismatch (likely): " + e.cfg.PeerLabel + " answered main mode messages 1-4 but never message 5, which it cannot decrypt with a different key")
	default:
		if e.lastProblem == "" || strings.HasPrefix(e.lastProblem, "no answer") {
			e.fail(fmt.Sprintf("no answer from %s on UDP 500/4500 (%s sent %d times over %s)", e.cfg.PeerLabel, sa.req.what, sa.req.tries+1, now.Sub(sa.req.first).Round(time.Second)))
		}
	}
	e.scheduleRetry(now)
}

func (e *Endpoint) scheduleRetry(now time.Time) {
	if e.cfg.Initiate {
		e.nextInitiate = now.Add(e.cfg.RetryInterval)
	}
}

// childTimers rekeys and expires IPsec SAs.
func (e *Endpoint) childTimers(now time.Time) {
	changed := false
	for _, c := range slices.Clone(e.children) {
		if !c.expireAt.IsZero() && now.After(c.expireAt) {
			e.log.Info("IPsec SA expired", "sa", c.String(), "replaced", c.rekeyed)
			e.removeChild(c, true)
			changed = true
			continue
		}
		if !c.rekeyed && !c.rekeying && now.After(c.rekeyAt) {
			if sa := e.currentIKE(); sa != nil {
				c.rekeying = true
				e.log.Info("rekeying IPsec SA", "sa", c.String())
				e.startQuickMode(sa, c.local, c.remote, c, now)
			} else if e.cfg.Initiate && !e.halfOpen() && (e.nextInitiate.IsZero() || now.After(e.nextInitiate)) {
				e.startMainMode(now, true) // the ISAKMP SA is gone: make one to rekey over
			}
		}
	}
	if changed {
		e.publish()
		if len(e.activeChildren()) == 0 {
			e.fail("IPsec SAs expired and were not renewed")
		}
	}
}

// onAcquire negotiates what outbound traffic is missing.
func (e *Endpoint) onAcquire(now time.Time) {
	sa := e.currentIKE()
	if sa == nil {
		if e.cfg.Initiate && !e.halfOpen() && (e.nextInitiate.IsZero() || now.After(e.nextInitiate)) {
			e.startMainMode(now, false)
		}
		return
	}
	if now.Before(e.quickBackoff) {
		return // the peer refused or ignored our last Quick Mode: do not flood it
	}
	e.ensureChildren(sa, now)
}

// ensureChildren starts a Quick Mode over sa for every selector pair without an SA or a
// Quick Mode under way.
func (e *Endpoint) ensureChildren(sa *ikeSA, now time.Time) {
	for _, l := range e.cfg.LocalNets {
		for _, r := range e.cfg.RemoteNets {
			if e.hasChild(l, r) || e.quickPending(l, r) {
				continue
			}
			e.startQuickMode(sa, l, r, nil, now)
		}
	}
}

func (e *Endpoint) hasChild(l, r netip.Prefix) bool {
	for _, c := range e.children {
		if !c.rekeyed && c.local == l && c.remote == r {
			return true
		}
	}
	return false
}

// quickPending reports whether a Quick Mode for l === r is under way, over any ISAKMP SA and
// in either role.
func (e *Endpoint) quickPending(l, r netip.Prefix) bool {
	for _, sa := range e.ikes {
		for _, qm := range sa.quick {
			if !qm.done && qm.local == l && qm.remote == r {
				return true
			}
		}
	}
	return false
}

func (e *Endpoint) activeChildren() []*childSA {
	var out []*childSA
	for _, c := range e.children {
		if !c.rekeyed {
			out = append(out, c)
		}
	}
	return out
}

// install makes a negotiated IPsec SA pair live: inbound first, then outbound, replacing the
// SA it rekeys. Of two negotiated at the same time for the same selectors (crossing Quick
// Modes), the one childPreferred picks stays and the other is retired like a rekeyed one,
// whichever was installed first.
func (e *Endpoint) install(c *childSA, now time.Time) {
	c.dst = e.peerNATT
	e.gw.registerSPI(c.in, e, c)
	life := e.pol.ESPLifetime
	c.created = now
	jitter := time.Duration(rand.Int64N(int64(life/20) + 1))
	if c.initiator {
		c.rekeyAt = now.Add(life*8/10 - jitter)
	} else {
		// The Quick Mode initiator rekeys first; the responder only if it has not.
		c.rekeyAt = now.Add(life*9/10 - jitter)
	}
	c.expireAt = now.Add(life)
	for _, old := range e.children {
		if old.rekeyed || old.local != c.local || old.remote != c.remote {
			continue
		}
		if !old.created.Before(c.negotiated) {
			// old was installed after c's Quick Mode began: the two crossed.
			keep, drop := c, old
			if e.childPreferred(old, c) {
				keep, drop = old, c
			}
			e.log.Info("quick mode collision: two IPsec SAs for the same selectors; keeping one", "keep", keep.String(), "drop", drop.String())
			if drop == c {
				retireChild(c, now)
				continue
			}
		}
		retireChild(old, now)
	}
	e.children = append(e.children, c)
	e.publish()
	e.log.Info("IPsec SA installed", "sa", c.String())
	e.updateUp()
}

// retireChild stops sending on c: it keeps its inbound SA briefly for packets in flight, then
// is deleted (and the peer told then, so it never drops the old SA before it has the new
// one).
func retireChild(c *childSA, now time.Time) {
	c.rekeyed = true
	c.rekeying = false
	if grace := now.Add(rekeyGrace); c.expireAt.After(grace) {
		c.expireAt = grace
	}
}

// removeChild uninstalls an SA pair; notify sends a Delete to the peer, over the ISAKMP SA
// the pair was negotiated over if it is still there.
func (e *Endpoint) removeChild(c *childSA, notify bool) {
	e.children = slices.DeleteFunc(e.children, func(x *childSA) bool { return x == c })
	e.gw.unregisterSPI(c.in.spi)
	if !notify {
		return
	}
	sa := e.currentIKE()
	if c.ike != nil && c.ike.state == ikeEstablished && slices.Contains(e.ikes, c.ike) {
		sa = c.ike
	}
	if sa != nil {
		e.sendDelete(sa, protoESP, c.in.spi)
	}
}

// publish makes the set of outbound SAs visible to the data path.
func (e *Endpoint) publish() {
	out := e.activeChildren()
	e.out.Store(&out)
}

// deleteIKE removes an ISAKMP SA; notify sends a Delete first.
func (e *Endpoint) deleteIKE(sa *ikeSA, notify bool) {
	if notify && sa.state == ikeEstablished {
		e.sendDelete(sa, protoISAKMP, 0)
	}
	e.removeIKE(sa)
}

// dropAll forgets every SA with the peer (dead peer, INITIAL_CONTACT).
func (e *Endpoint) dropAll(keep *ikeSA) {
	for _, sa := range slices.Clone(e.ikes) {
		if sa != keep {
			e.removeIKE(sa)
		}
	}
	for _, c := range slices.Clone(e.children) {
		e.removeChild(c, false)
	}
	e.publish()
}

func (e *Endpoint) shutdown() {
	if sa := e.currentIKE(); sa != nil {
		for _, c := range e.activeChildren() {
			e.sendDelete(sa, protoESP, c.in.spi)
		}
		e.sendDelete(sa, protoISAKMP, 0)
	}
	for _, c := range e.children {
		e.gw.unregisterSPI(c.in.spi)
	}
	e.children = nil
	e.publish()
	e.setStatus(StateDown, "gateway stopped")
}

// outbound returns the SA for an inner packet to dst, or nil.
func (e *Endpoint) outbound(src, dst netip.Addr) *childSA {
	list := *e.out.Load()
	var fallback *childSA
	for _, c := range list {
		if c.remote.Contains(dst) {
			if c.local.Contains(src) {
				return c
			}
			if fallback == nil {
				fallback = c
			}
		}
	}
	return fallback
}

// wants reports whether the tunnel carries traffic to dst.
func (e *Endpoint) wants(dst netip.Addr) bool {
	for _, r := range e.cfg.RemoteNets {
		if r.Contains(dst) {
			return true
		}
	}
	return false
}

// buildEncrypted assembles and encrypts a message with iv; it returns the packet and the last
// ciphertext block (the next IV of the exchange).
func buildEncrypted(sa *ikeSA, h header, first uint8, body, iv []byte) ([]byte, []byte) {
	h.Next = first
	h.Flags |= flagEncrypted
	ct := cbcEncrypt(sa.block, iv, body)
	h.Length = uint32(isakmpHeaderLen + len(ct))
	pkt := h.append(make([]byte, 0, h.Length))
	pkt = append(pkt, ct...)
	return pkt, append([]byte(nil), ct[len(ct)-16:]...)
}

func buildPlain(h header, first uint8, body []byte) []byte {
	h.Next = first
	h.Length = uint32(isakmpHeaderLen + len(body))
	pkt := h.append(make([]byte, 0, h.Length))
	return append(pkt, body...)
}

// decryptMessage decrypts an encrypted message with iv and parses its payloads; it returns
// them and the last ciphertext block.
func decryptMessage(sa *ikeSA, h header, pkt, iv []byte) ([]payload, []byte, error) {
	if h.Flags&flagEncrypted == 0 {
		return nil, nil, fmt.Errorf("%w: expected an encrypted message", errMalformed)
	}
	ct := pkt[isakmpHeaderLen:]
	plain, err := cbcDecrypt(sa.block, iv, ct)
	if err != nil {
		return nil, nil, err
	}
	ps, err := parsePayloads(h.Next, plain, true)
	if err != nil {
		return nil, nil, err
	}
	return ps, append([]byte(nil), ct[len(ct)-16:]...), nil
}

// isRetransmission answers a repeated message with our stored answer.
func (e *Endpoint) isRetransmission(last, pkt, resp []byte, natt bool) bool {
	if last == nil || !bytes.Equal(last, pkt) {
		return false
	}
	if resp != nil {
		e.Counters.IKERetransmits.Add(1)
		e.sendIKE(resp, natt)
	}
	return true
}
