package ipsec

import (
	"bytes"
	"fmt"
	"time"
)

// Collisions. When both gateways of a tunnel initiate (Heroku's side does, and so does an
// office gateway with start_action=start or spacelab's own), their Main Modes usually cross:
// each side is initiator of one ISAKMP SA and responder of the other, and both complete.
// IKEv1 has no rule for this (IKEv2 has, RFC 7296 §2.8.1), so real gateways improvise;
// strongSwan keeps both SAs and runs its Quick Mode over the one it initiated. This file makes
// a pair of gateways converge on one SA without a timeout:
//
//   - INITIAL_CONTACT ("I rebooted, forget what you had with me") removes only what was
//     established before the peer's new Main Mode began, never an exchange in flight or an SA
//     completed meanwhile (initialContact). Before, each side's INITIAL_CONTACT made the other
//     drop its own half-finished Main Mode, so each kept only the SA the other had dropped,
//     and neither started a Quick Mode: "phase 1 up, negotiating phase 2" until DPD gave up.
//   - INITIAL_CONTACT is sent only when nothing is established with the peer when message 5
//     is built (as strongSwan decides it), not when the Main Mode began.
//   - Of two established ISAKMP SAs the newer wins when it began after the other was complete
//     (a re-authentication); when they were negotiated at the same time both ends pick the
//     same one from the cookies (supersedes), run Quick Mode over it, and retire the other.
//   - Of two IPsec SAs for the same traffic selectors negotiated at the same time (crossing
//     Quick Modes), both ends keep the same one (childPreferred) and delete the other, instead
//     of each deleting the one the other kept.
//   - A Quick Mode sent over an ISAKMP SA the peer no longer has is noticed in seconds: the
//     Go peer answers it with an unprotected INVALID-COOKIE, and without that (strongSwan
//     ignores it silently) an R-U-THERE sent with the first retransmission goes unanswered
//     too. The SA is then dropped and the Quick Mode run over another SA or a new Main Mode
//     (staleIKE), rather than retransmitted for 45 s and backed off.
//   - A Delete for the SA in use falls back to a retired one the peer still has; a Delete
//     that leaves a selector pair of an initiating tunnel without an IPsec SA negotiates it
//     again at once.

// staleSends is how many times a Quick Mode message 1 goes unanswered, with no other sign of
// the ISAKMP SA from the peer (the R-U-THERE sent with the first retransmission included),
// before the SA is taken to be unknown to the peer.
const staleSends = 2

// invalidCookieInterval is the least time between two INVALID-COOKIE answers of a tunnel.
const invalidCookieInterval = time.Second

// supersedes reports whether established ISAKMP SA a is to be used rather than b. The later
// wins when it began after the other was complete (a re-authentication). SAs negotiated at
// the same time (a collision) are ordered by their cookies, which both ends know alike, so
// both keep the same one.
func supersedes(a, b *ikeSA) bool {
	switch {
	case b.established.Before(a.created):
		return true
	case a.established.Before(b.created):
		return false
	}
	// Collision.
	if c := bytes.Compare(a.ci[:], b.ci[:]); c != 0 {
		return c > 0
	}
	return bytes.Compare(a.cr[:], b.cr[:]) > 0
}

// concurrent reports whether neither SA was complete when the other began.
func concurrent(a, b *ikeSA) bool {
	return !b.established.Before(a.created) && !a.established.Before(b.created)
}

// settleIKE runs when sa is established: of the established SAs in use it keeps the one
// supersedes prefers and retires the others.
func (e *Endpoint) settleIKE(sa *ikeSA, now time.Time) {
	best := sa
	for _, o := range e.ikes {
		if o != sa && o.state == ikeEstablished && o.retired.IsZero() && !supersedes(best, o) {
			best = o
		}
	}
	for _, o := range e.ikes {
		if o == best || o.state != ikeEstablished || !o.retired.IsZero() {
			continue
		}
		if concurrent(best, o) {
			e.log.Info("ISAKMP SA collision: both gateways initiated; keeping one", "keep", best.name(), "retire", o.name())
		} else {
			e.log.Debug("ISAKMP SA replaced", "new", best.name(), "old", o.name())
		}
		e.retireIKE(o, now)
	}
}

// retireIKE stops using sa for new exchanges; housekeeping deletes it later.
func (e *Endpoint) retireIKE(sa *ikeSA, now time.Time) {
	sa.retired = now
	sa.rekeyAt = time.Time{}
}

// carriesChildren reports whether an IPsec SA in use was negotiated over sa. strongSwan
// deletes the IPsec SAs of an ISAKMP SA the peer deletes, so a retired SA is kept until they
// have been rekeyed over the new one.
func (e *Endpoint) carriesChildren(sa *ikeSA) bool {
	for _, c := range e.children {
		if !c.rekeyed && c.ike == sa {
			return true
		}
	}
	return false
}

// hasEstablished reports whether any ISAKMP SA with the peer is established.
func (e *Endpoint) hasEstablished() bool {
	for _, sa := range e.ikes {
		if sa.state == ikeEstablished {
			return true
		}
	}
	return false
}

// initialContact handles INITIAL_CONTACT on sa (RFC 2407 §4.6.3.3): the peer has lost its
// state, so what was established with it before its new Main Mode began is gone. Exchanges in
// flight and SAs completed since (a Main Mode of ours crossing the peer's) are kept.
func (e *Endpoint) initialContact(sa *ikeSA) {
	dropped := 0
	for _, o := range append([]*ikeSA(nil), e.ikes...) {
		if o != sa && o.state == ikeEstablished && o.established.Before(sa.created) {
			e.removeIKE(o)
			dropped++
		}
	}
	children := 0
	for _, c := range append([]*childSA(nil), e.children...) {
		if c.created.Before(sa.created) {
			e.removeChild(c, false)
			children++
		}
	}
	e.publish()
	e.log.Info("INITIAL_CONTACT: forgetting older SAs with the peer", "isakmp", dropped, "ipsec", children)
}

// childPreferred reports whether IPsec SA a is to be kept rather than b, both for the same
// traffic selectors and negotiated at the same time: the one negotiated over the ISAKMP SA in
// use, else the one whose SPIs order first. Both ends see the same pair of SPIs, swapped.
func (e *Endpoint) childPreferred(a, b *childSA) bool {
	cur := e.currentIKE()
	if (a.ike == cur) != (b.ike == cur) {
		return a.ike == cur
	}
	return spiKey(a) > spiKey(b)
}

func spiKey(c *childSA) uint64 {
	lo, hi := c.in.spi, c.out.spi
	if lo > hi {
		lo, hi = hi, lo
	}
	return uint64(lo)<<32 | uint64(hi)
}

// quickUnanswered reports whether the peer has ignored an initiator Quick Mode on sa for
// staleSends messages, and sent nothing else on sa since it began.
func quickUnanswered(sa *ikeSA, qm *quickMode, now time.Time) bool {
	return qm.initiator && !qm.done && qm.req != nil && qm.req.tries >= staleSends-1 &&
		!now.Before(qm.req.next) && !sa.lastHeard.After(qm.created)
}

// probe sends an R-U-THERE on sa (when the peer does DPD): an answer proves the peer still
// has the SA.
func (e *Endpoint) probe(sa *ikeSA, now time.Time) {
	if !sa.vendors.dpd {
		return
	}
	sa.dpdSeq++
	if sa.dpdSeq == 0 {
		sa.dpdSeq = 1
	}
	sa.dpdPending, sa.dpdSent = true, now
	e.sendProtectedNotify(sa, protoISAKMP, sa.spi(), notifyRUThere, msgIDBytes(sa.dpdSeq))
}

// staleIKE drops an ISAKMP SA the peer does not have any more and runs what was pending on it
// again: its Quick Modes over the SA in use, or over a new Main Mode.
func (e *Endpoint) staleIKE(sa *ikeSA, now time.Time, why string) {
	e.log.Info("ISAKMP SA unknown to the peer; dropping it", "sa", sa.name(), "why", why)
	for _, qm := range sa.quick {
		if qm.initiator && !qm.done && qm.rekeyOf != nil {
			qm.rekeyOf.rekeying = false // childTimers rekeys it again
		}
		if !qm.initiator && !qm.done && qm.result != nil {
			e.gw.unregisterSPI(qm.result.in.spi)
		}
	}
	// A Delete costs nothing if the peer lacks the SA, and keeps both ends alike if it has it.
	e.deleteIKE(sa, true)
	if len(e.activeChildren()) == 0 {
		e.fail(fmt.Sprintf("phase 1 up, but %s no longer knows the ISAKMP SA (%s); negotiating again", e.cfg.PeerLabel, why))
	}
	if cur := e.currentIKE(); cur != nil {
		e.ensureChildren(cur, now)
		return
	}
	if e.cfg.Initiate && !e.halfOpen() {
		e.startMainMode(now, len(e.children) > 0)
	}
}

// answerUnknownSA answers a Quick Mode on an ISAKMP SA we do not have with an unprotected
// INVALID-COOKIE (RFC 2408 §5.2 allows it), so a peer that still uses the SA can tell at
// once. Never in answer to a notification, so two gateways cannot ping-pong; at most one a
// second.
func (e *Endpoint) answerUnknownSA(h header, ev event, now time.Time) {
	var zero [8]byte
	if h.RCookie == zero || h.Flags&flagEncrypted == 0 || now.Sub(e.lastInvalidCookie) < invalidCookieInterval {
		return
	}
	e.lastInvalidCookie = now
	e.sendPlainNotify(h.ICookie, h.RCookie, notifyInvalidCookie, ev.natt)
}

// onInvalidCookie handles an unprotected INVALID-COOKIE naming an established SA: believed
// only while we wait for the peer on that SA (a Quick Mode or an R-U-THERE of ours), since
// anyone who saw the cookies can send it; it reports whether it was.
func (e *Endpoint) onInvalidCookie(ci, cr [8]byte, now time.Time) bool {
	sa := e.findIKE(ci, cr)
	if sa == nil || sa.state != ikeEstablished {
		return false
	}
	waiting := sa.dpdPending
	for _, qm := range sa.quick {
		waiting = waiting || (qm.initiator && !qm.done && qm.req != nil)
	}
	if !waiting {
		return false
	}
	e.staleIKE(sa, now, "it answered INVALID-COOKIE")
	return true
}

// fallBack makes the newest retired ISAKMP SA the one in use again when the peer deleted the
// one in use: it is the SA the peer kept.
func (e *Endpoint) fallBack(now time.Time) {
	if e.currentIKE() != nil {
		return
	}
	var best *ikeSA
	for _, sa := range e.ikes {
		if sa.state == ikeEstablished && !sa.retired.IsZero() && (best == nil || sa.established.After(best.established)) {
			best = sa
		}
	}
	if best == nil {
		return
	}
	e.log.Info("peer deleted the ISAKMP SA in use; using the one it kept", "sa", best.name())
	best.retired = time.Time{}
	e.scheduleReauth(best)
}
