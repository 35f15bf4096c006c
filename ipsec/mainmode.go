package ipsec

import (
	"crypto/hmac"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"
)

const (
	nonceLen    = 32
	maxHalfOpen = 16 // unfinished Main Modes kept per tunnel; more are dropped
)

// startMainMode sends message 1 (RFC 2409 §5: SA) as initiator. rekey marks a
// re-authentication of an existing tunnel (no INITIAL_CONTACT then).
func (e *Endpoint) startMainMode(now time.Time, rekey bool) {
	sa := &ikeSA{initiator: true, state: ikeMM1Sent, created: now, life: e.pol.IKELifetime, rekey: rekey,
		quick: map[uint32]*quickMode{}, seen: map[uint32]time.Time{}}
	copy(sa.ci[:], randomBytes(8))
	// A re-authentication stays on the floated ports, as strongSwan's does.
	if cur := e.currentIKE(); rekey && cur != nil && cur.floated {
		sa.floated = true
	}
	var ts []transform
	for i, p := range e.pol.IKE {
		ts = append(ts, ikeTransform(uint8(i+1), p, e.pol.IKELifetime))
	}
	sa.saiB = saPayload{Proposals: []proposal{{Num: 1, Protocol: protoISAKMP, Transforms: ts}}}.encode()
	first, body := chain(
		payload{Type: plSA, Body: sa.saiB},
		payload{Type: plVendor, Body: vidNATTRFC},
		payload{Type: plVendor, Body: vidNATTDr02n},
		payload{Type: plVendor, Body: vidDPD},
	)
	pkt := buildPlain(header{ICookie: sa.ci, Version: isakmpVersion1, Exchange: exchMain}, first, body)
	e.ikes = append(e.ikes, sa)
	e.nextInitiate = time.Time{}
	e.log.Debug("initiating main mode", "sa", sa.name(), "proposals", e.pol.describeIKE())
	sa.req = e.request(pkt, sa.floated, "main mode message 1", now)
	if e.Status().State != StateUp && e.lastProblem == "" {
		e.setStatus(StateDown, "connecting to "+e.cfg.PeerLabel+" (main mode message 1 sent)")
	}
}

func (e *Endpoint) handleMain(h header, pkt []byte, ev event) {
	now := time.Now()
	var zero [8]byte
	if h.RCookie == zero {
		if sa := e.findIKE(h.ICookie, zero); sa != nil && sa.initiator {
			e.unexpected(h, "our own message 1 reflected back")
			return
		}
		e.respondMM1(h, pkt, ev, now)
		return
	}
	sa := e.findIKE(h.ICookie, h.RCookie)
	if sa == nil {
		// Message 2 carries the responder cookie we do not know yet.
		for _, s := range e.ikes {
			if s.initiator && s.state == ikeMM1Sent && s.ci == h.ICookie {
				sa = s
			}
		}
	}
	if sa == nil {
		e.unexpected(h, "mainmode:65")
		return
	}
	if e.isRetransmission(sa.lastRecv, pkt, sa.lastResp, sa.respNATT) {
		return
	}
	var err error
	switch {
	case sa.initiator && sa.state == ikeMM1Sent:
		err = e.initiatorMM2(sa, h, pkt, now)
	case sa.initiator && sa.state == ikeMM3Sent:
		err = e.initiatorMM4(sa, h, pkt, now)
	case sa.initiator && sa.state == ikeMM5Sent:
		err = e.initiatorMM6(sa, h, pkt, now)
	case !sa.initiator && sa.state == ikeMM2Sent:
		err = e.responderMM3(sa, h, pkt, ev, now)
	case !sa.initiator && sa.state == ikeMM4Sent:
		err = e.responderMM5(sa, h, pkt, ev, now)
	default:
		e.unexpected(h, "mainmode:84")
		return
	}
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		e.log.Debug("main mode message rejected", "sa", sa.name(), "state", sa.state, "err", err)
	}
}

// respondMM1 selects a proposal from message 1 and answers with message 2, or refuses with an
// unencrypted NO_PROPOSAL_CHOSEN.
func (e *Endpoint) respondMM1(h header, pkt []byte, ev event, now time.Time) {
	// Message 1 may come on 4500: strongSwan re-authenticates on the floated ports.
	halfOpen := 0
	for _, sa := range e.ikes {
		if !sa.initiator && sa.ci == h.ICookie {
			// A retransmitted message 1 gets message 2 again; anything else is dropped.
			if !e.isRetransmission(sa.lastRecv, pkt, sa.lastResp, sa.respNATT) {
				e.unexpected(h, "mainmode:105")
			}
			return
		}
		if sa.state != ikeEstablished {
			halfOpen++
		}
	}
	if halfOpen >= maxHalfOpen {
		e.Counters.IKEDropped.Add(1)
		return
	}
	ps, err := parsePayloads(h.Next, pkt[isakmpHeaderLen:], false)
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		return
	}
	sp := find(ps, plSA)
	if sp == nil {
		e.Counters.IKEMalformed.Add(1)
		return
	}
	sap, err := parseSA(sp.Body)
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		return
	}
	vendors := parseVendors(ps)
	var (
		chosen  IKEProposal
		chosenT transform
		chosenP uint8
		found   bool
		offered []string
	)
	for _, p := range sap.Proposals {
		if p.Protocol != protoISAKMP {
			continue
		}
		for _, t := range p.Transforms {
			offered = append(offered, describeIKETransform(t))
			if found {
				continue
			}
			if s, _, ok := ikeFromTransform(t); ok && e.pol.acceptsIKE(s) {
				chosen, chosenT, chosenP, found = s, t, p.Num, true
			}
		}
	}
	if !found {
		e.fail(fmt.Sprintf("no acceptable phase 1 proposal: %s offered %s, this gateway accepts %s",
			e.cfg.PeerLabel, strings.Join(dedupe(offered), ", "), e.pol.describeIKE()))
		e.sendPlainNotify(h.ICookie, randomCookie(), notifyNoProposalChosen, ev.natt)
		return
	}
	if vendors.natt == nattNone {
		e.fail(e.cfg.PeerLabel + " does not support NAT traversal (RFC 3947); this gateway carries ESP in UDP 4500 only")
		e.sendPlainNotify(h.ICookie, randomCookie(), notifyNoProposalChosen, ev.natt)
		return
	}
	sa := &ikeSA{state: ikeMM2Sent, ci: h.ICookie, cr: randomCookie(), prop: chosen, created: now,
		life: e.pol.IKELifetime, saiB: append([]byte(nil), sp.Body...), vendors: vendors, natt: vendors.natt,
		quick: map[uint32]*quickMode{}, seen: map[uint32]time.Time{}, floated: ev.natt}
	resp := saPayload{Proposals: []proposal{{Num: chosenP, Protocol: protoISAKMP, Transforms: []transform{chosenT}}}}
	nattVID := vidNATTRFC
	if sa.natt == nattDraft {
		nattVID = vidNATTDr02n
	}
	first, body := chain(
		payload{Type: plSA, Body: resp.encode()},
		payload{Type: plVendor, Body: nattVID},
		payload{Type: plVendor, Body: vidDPD},
	)
	out := buildPlain(header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchMain}, first, body)
	sa.lastRecv, sa.lastResp, sa.respNATT = append([]byte(nil), pkt...), out, sa.floated
	e.ikes = append(e.ikes, sa)
	e.log.Debug("main mode: proposal selected", "sa", sa.name(), "ike", chosen.String())
	e.sendIKE(out, sa.floated)
	if e.Status().State != StateUp {
		e.setStatus(StateDown, "negotiating with "+e.cfg.PeerLabel+" (main mode message 2 sent)")
	}
}

// scheduleReauth sets when sa is re-authenticated: the Main Mode initiator first, the
// responder only if it has not.
func (e *Endpoint) scheduleReauth(sa *ikeSA) {
	jitter := time.Duration(rand.Int64N(int64(sa.life)/50 + 1))
	if sa.initiator {
		sa.rekeyAt = sa.established.Add(sa.life*9/10 - jitter)
	} else {
		sa.rekeyAt = sa.established.Add(sa.life*19/20 - jitter)
	}
}

func dedupe(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func randomCookie() [8]byte {
	var c [8]byte
	copy(c[:], randomBytes(8))
	return c
}

// initiatorMM2 checks the selected proposal and sends message 3: KE, Ni, NAT-D.
func (e *Endpoint) initiatorMM2(sa *ikeSA, h header, pkt []byte, now time.Time) error {
	ps, err := parsePayloads(h.Next, pkt[isakmpHeaderLen:], false)
	if err != nil {
		return err
	}
	sp := find(ps, plSA)
	if sp == nil {
		return fmt.Errorf("%w: message 2 without SA", errMalformed)
	}
	sap, err := parseSA(sp.Body)
	if err != nil {
		return err
	}
	if len(sap.Proposals) != 1 || len(sap.Proposals[0].Transforms) != 1 {
		return fmt.Errorf("%w: message 2 must select one transform", errMalformed)
	}
	prop, _, ok := ikeFromTransform(sap.Proposals[0].Transforms[0])
	if !ok || !e.pol.acceptsIKE(prop) {
		e.fail(fmt.Sprintf("%s selected phase 1 proposal %s, which this gateway did not offer", e.cfg.PeerLabel, describeIKETransform(sap.Proposals[0].Transforms[0])))
		e.removeIKE(sa)
		e.scheduleRetry(now)
		return nil
	}
	sa.vendors = parseVendors(ps)
	sa.natt = sa.vendors.natt
	if sa.natt == nattNone {
		e.fail(e.cfg.PeerLabel + " does not support NAT traversal (RFC 3947); this gateway carries ESP in UDP 4500 only")
		e.removeIKE(sa)
		e.scheduleRetry(now)
		return nil
	}
	sa.cr = h.RCookie
	sa.prop = prop
	if sa.dh, err = newDHKey(prop.Group); err != nil {
		return err
	}
	sa.gxi = sa.dh.public
	sa.ni = randomBytes(nonceLen)
	first, body := chain(
		payload{Type: plKE, Body: sa.gxi},
		payload{Type: plNonce, Body: sa.ni},
		payload{Type: sa.natt.natdPayload(), Body: natdHash(prop.Hash, sa.ci, sa.cr, e.peerFor(sa))},
		payload{Type: sa.natt.natdPayload(), Body: e.fakeNATD(prop.Hash)},
	)
	out := buildPlain(header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchMain}, first, body)
	sa.lastRecv = append([]byte(nil), pkt...)
	sa.state = ikeMM3Sent
	sa.req = e.request(out, sa.floated, "main mode message 3", now)
	return nil
}

// peerFor is where the peer's messages for sa go: port 500, or 4500 once floated.
func (e *Endpoint) peerFor(sa *ikeSA) netip.AddrPort {
	if sa.floated {
		return e.peerNATT
	}
	return e.peerIKE
}

// fakeNATD is the NAT-D hash we announce for our own address: random, so the peer always
// detects a NAT and both sides float to 4500 and encapsulate ESP in UDP (as strongSwan does
// with encap=yes, and always with kernel-libipsec before 5.9.11).
func (e *Endpoint) fakeNATD(h Hash) []byte { return randomBytes(h.size()) }

// responderMM3 answers message 3 with message 4 and derives the keys.
func (e *Endpoint) responderMM3(sa *ikeSA, h header, pkt []byte, ev event, now time.Time) error {
	ps, err := parsePayloads(h.Next, pkt[isakmpHeaderLen:], false)
	if err != nil {
		return err
	}
	ke, nonce := find(ps, plKE), find(ps, plNonce)
	if ke == nil || nonce == nil || len(nonce.Body) < 8 || len(nonce.Body) > 256 {
		return fmt.Errorf("%w: message 3 without KE or nonce", errMalformed)
	}
	if sa.dh, err = newDHKey(sa.prop.Group); err != nil {
		return err
	}
	gxy, err := sa.dh.shared(ke.Body)
	if err != nil {
		return err
	}
	sa.gxi, sa.gxr = append([]byte(nil), ke.Body...), sa.dh.public
	sa.ni, sa.nr = append([]byte(nil), nonce.Body...), randomBytes(nonceLen)
	e.detectNAT(sa, ps, ev.from)
	sa.floated = sa.floated || ev.natt
	first, body := chain(
		payload{Type: plKE, Body: sa.gxr},
		payload{Type: plNonce, Body: sa.nr},
		payload{Type: sa.natt.natdPayload(), Body: natdHash(sa.prop.Hash, sa.ci, sa.cr, ev.from)},
		payload{Type: sa.natt.natdPayload(), Body: e.fakeNATD(sa.prop.Hash)},
	)
	out := buildPlain(header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchMain}, first, body)
	e.deriveKeys(sa, gxy)
	sa.lastRecv, sa.lastResp, sa.respNATT = append([]byte(nil), pkt...), out, sa.floated
	sa.state = ikeMM4Sent
	e.sendIKE(out, sa.floated)
	return nil
}

// detectNAT compares the peer's NAT-D payloads with the addresses we see (RFC 3947 §3.2).
func (e *Endpoint) detectNAT(sa *ikeSA, ps []payload, from netip.AddrPort) {
	natds := findAll(ps, sa.natt.natdPayload())
	if len(natds) == 0 {
		return
	}
	port := uint16(PortIKE)
	if sa.floated {
		port = PortNATT
	}
	local := netip.AddrPortFrom(e.cfg.Local, port)
	if !hmac.Equal(natds[0].Body, natdHash(sa.prop.Hash, sa.ci, sa.cr, local)) {
		sa.natLocal = true
	}
	peer := natdHash(sa.prop.Hash, sa.ci, sa.cr, from)
	sa.natPeer = true
	for _, n := range natds[1:] {
		if hmac.Equal(n.Body, peer) {
			sa.natPeer = false
		}
	}
	// We always announce a NAT ourselves (fakeNATD), so ESP goes in UDP either way.
	sa.natLocal = true
}

func (e *Endpoint) deriveKeys(sa *ikeSA, gxy []byte) {
	sa.keys = derivePhase1(sa.prop.Hash, e.cfg.PSK, sa.ni, sa.nr, gxy, sa.ci, sa.cr, sa.prop.KeyBits/8)
	sa.block = newBlock(sa.keys.enc)
	sa.iv = digest(sa.prop.Hash, sa.gxi, sa.gxr)[:16]
}

// initiatorMM4 derives the keys, floats to 4500 and sends message 5: IDii, HASH_I.
func (e *Endpoint) initiatorMM4(sa *ikeSA, h header, pkt []byte, now time.Time) error {
	ps, err := parsePayloads(h.Next, pkt[isakmpHeaderLen:], false)
	if err != nil {
		return err
	}
	ke, nonce := find(ps, plKE), find(ps, plNonce)
	if ke == nil || nonce == nil || len(nonce.Body) < 8 || len(nonce.Body) > 256 {
		return fmt.Errorf("%w: message 4 without KE or nonce", errMalformed)
	}
	gxy, err := sa.dh.shared(ke.Body)
	if err != nil {
		return err
	}
	sa.gxr, sa.nr = append([]byte(nil), ke.Body...), append([]byte(nil), nonce.Body...)
	e.detectNAT(sa, ps, e.peerFor(sa))
	e.deriveKeys(sa, gxy)
	sa.floated = true // a NAT is always "detected": see fakeNATD
	// INITIAL_CONTACT only if nothing is established with the peer now, as strongSwan
	// decides it: a Main Mode of the peer's that completed meanwhile (a collision) must not
	// be torn down by ours.
	sa.contact = !sa.rekey && len(e.children) == 0 && !e.hasEstablished()
	idii := identity{Type: idIPv4Addr, Data: e.cfg.Local.AsSlice()}.encode()
	hashI := prf(sa.prop.Hash, sa.keys.skeyid, sa.gxi, sa.gxr, sa.ci[:], sa.cr[:], sa.saiB, idii)
	pls := []payload{{Type: plID, Body: idii}, {Type: plHash, Body: hashI}}
	if sa.contact {
		pls = append(pls, payload{Type: plNotify, Body: notify{Protocol: protoISAKMP, Type: notifyInitialContact, SPI: sa.spi()}.encode()})
	}
	first, body := chain(pls...)
	out, last := buildEncrypted(sa, header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchMain}, first, body, sa.iv)
	sa.iv = last
	sa.lastRecv = append([]byte(nil), pkt...)
	sa.state = ikeMM5Sent
	sa.req = e.request(out, sa.floated, "main mode message 5", now)
	return nil
}

// responderMM5 authenticates the initiator and sends message 6: IDir, HASH_R.
func (e *Endpoint) responderMM5(sa *ikeSA, h header, pkt []byte, ev event, now time.Time) error {
	ps, last, err := decryptMessage(sa, h, pkt, sa.iv)
	var id, hash *payload
	if err == nil {
		id, hash = find(ps, plID), find(ps, plHash)
		if id == nil || hash == nil {
			err = fmt.Errorf("%w: message 5 without ID or HASH", errMalformed)
		} else if _, err = parseID(id.Body); err == nil && len(hash.Body) != sa.prop.Hash.size() {
			err = fmt.Errorf("%w: HASH_I of %d bytes", errMalformed, len(hash.Body))
		}
	}
	if err != nil {
		e.Counters.IKEUndecryptable.Add(1)
		e.fail("pre-shared key mismatch (could not decrypt main mode message 5 from " + e.cfg.PeerLabel + ")")
		e.log.Debug("main mode message 5 undecryptable", "err", err)
		return nil
	}
	want := prf(sa.prop.Hash, sa.keys.skeyid, sa.gxi, sa.gxr, sa.ci[:], sa.cr[:], sa.saiB, id.Body)
	if !hmac.Equal(want, hash.Body) {
		e.Counters.IKEUndecryptable.Add(1)
		e.fail("pre-shared key mismatch (main mode message 5 from " + e.cfg.PeerLabel + " did not authenticate)")
		return nil
	}
	if ev.natt {
		sa.floated = true
	}
	e.markInbound(sa)
	initialContact := false
	for _, n := range findAll(ps, plNotify) {
		if nt, err := parseNotify(n.Body); err == nil && nt.Type == notifyInitialContact {
			initialContact = true
		}
	}
	idir := identity{Type: idIPv4Addr, Data: e.cfg.Local.AsSlice()}.encode()
	hashR := prf(sa.prop.Hash, sa.keys.skeyid, sa.gxr, sa.gxi, sa.cr[:], sa.ci[:], sa.saiB, idir)
	first, body := chain(payload{Type: plID, Body: idir}, payload{Type: plHash, Body: hashR})
	out, last6 := buildEncrypted(sa, header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchMain}, first, body, last)
	sa.iv, sa.p1Last = last6, last6
	sa.lastRecv, sa.lastResp, sa.respNATT = append([]byte(nil), pkt...), out, sa.floated
	e.sendIKE(out, sa.floated)
	if initialContact {
		e.initialContact(sa)
	}
	e.established(sa, now)
	return nil
}

// initiatorMM6 authenticates the responder; phase 1 is then complete.
func (e *Endpoint) initiatorMM6(sa *ikeSA, h header, pkt []byte, now time.Time) error {
	ps, last, err := decryptMessage(sa, h, pkt, sa.iv)
	var id, hash *payload
	if err == nil {
		id, hash = find(ps, plID), find(ps, plHash)
		if id == nil || hash == nil {
			err = fmt.Errorf("%w: message 6 without ID or HASH", errMalformed)
		} else if _, err = parseID(id.Body); err == nil && len(hash.Body) != sa.prop.Hash.size() {
			err = fmt.Errorf("%w: HASH_R of %d bytes", errMalformed, len(hash.Body))
		}
	}
	if err != nil {
		e.Counters.IKEUndecryptable.Add(1)
		e.fail("pre-shared key mismatch (could not decrypt main mode message 6 from " + e.cfg.PeerLabel + ")")
		return nil
	}
	want := prf(sa.prop.Hash, sa.keys.skeyid, sa.gxr, sa.gxi, sa.cr[:], sa.ci[:], sa.saiB, id.Body)
	if !hmac.Equal(want, hash.Body) {
		e.Counters.IKEUndecryptable.Add(1)
		e.fail("pre-shared key mismatch (main mode message 6 from " + e.cfg.PeerLabel + " did not authenticate)")
		return nil
	}
	sa.iv, sa.p1Last = last, last
	sa.lastRecv = append([]byte(nil), pkt...)
	sa.req = nil
	e.established(sa, now)
	// Quick Mode goes over the SA in use: this one, or the one of a colliding Main Mode of
	// the peer's that supersedes it.
	e.ensureChildren(e.currentIKE(), now)
	return nil
}

// established completes phase 1: the SA becomes current and older ones are retired (or, when
// it collided with one of the peer's, whichever settleIKE keeps).
func (e *Endpoint) established(sa *ikeSA, now time.Time) {
	sa.state = ikeEstablished
	sa.established = now
	e.scheduleReauth(sa)
	e.markInbound(sa)
	e.log.Info("ISAKMP SA established", "sa", sa.name(), "ike", sa.prop.String(), "initiator", sa.initiator)
	e.settleIKE(sa, now)
	if len(e.activeChildren()) == 0 {
		e.setStatus(StateDown, "phase 1 up ("+sa.prop.String()+"), negotiating phase 2")
	} else {
		e.updateUp()
	}
}
