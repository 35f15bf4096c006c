package ipsec

import (
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"time"
)

// IKEv2 constants for refusing an IKE_SA_INIT (RFC 7296 §3.1, §3.10).
const (
	ikev2FlagInitiator = 0x08
	ikev2FlagResponse  = 0x20
	ikev2PayloadNotify = 41
)

// handleIKEv2 answers an IKEv2 IKE_SA_INIT with NO_PROPOSAL_CHOSEN, as an IKEv1-only
// gateway does: the peer then logs "received NO_PROPOSAL_CHOSEN notify error".
func (e *Endpoint) handleIKEv2(h header, pkt []byte, ev event) {
	if h.Exchange != exchIKEv2Init || h.Flags&ikev2FlagResponse != 0 || h.Flags&ikev2FlagInitiator == 0 || h.MsgID != 0 {
		e.unexpected(h, "informational:21")
		return
	}
	e.peerIKEv2 = true
	e.fail(ikev2Mismatch(e.cfg.PeerLabel))
	resp := header{ICookie: h.ICookie, Next: ikev2PayloadNotify, Version: ikev2Version, Exchange: exchIKEv2Init, Flags: ikev2FlagResponse}
	body := []byte{0, 0, 0, 8, 0, 0}
	body = binary.BigEndian.AppendUint16(body, notifyNoProposalChosen)
	resp.Length = uint32(isakmpHeaderLen + len(body))
	out := append(resp.append(nil), body...)
	e.sendIKE(out, ev.natt)
}

// ikev2Mismatch is the reason a tunnel is down when the peer speaks IKEv2.
func ikev2Mismatch(peer string) string {
	return peer + " offered IKEv2; this gateway speaks IKEv1 only"
}

// refuseAggressive refuses Aggressive Mode, which exposes the PSK hash to offline attack.
func (e *Endpoint) refuseAggressive(h header, ev event) {
	var zero [8]byte
	if h.RCookie != zero {
		e.unexpected(h, "informational:37")
		return
	}
	e.fail(e.cfg.PeerLabel + " uses aggressive mode; this gateway accepts main mode only")
	e.sendPlainNotify(h.ICookie, randomCookie(), notifyNoProposalChosen, ev.natt)
}

// sendPlainNotify sends an unencrypted informational exchange: the only way to refuse
// before an ISAKMP SA exists.
func (e *Endpoint) sendPlainNotify(ci, cr [8]byte, typ uint16, natt bool) {
	spi := append(append([]byte(nil), ci[:]...), cr[:]...)
	first, body := chain(payload{Type: plNotify, Body: notify{Protocol: protoISAKMP, Type: typ, SPI: spi}.encode()})
	e.sendIKE(buildPlain(header{ICookie: ci, RCookie: cr, Version: isakmpVersion1, Exchange: exchInformational, MsgID: randomUint32()}, first, body), natt)
}

// sendInformational sends payloads in a protected informational exchange:
// HASH(1) = prf(SKEYID_a, M-ID | payloads) (RFC 2409 §5.7).
func (e *Endpoint) sendInformational(sa *ikeSA, pls ...payload) {
	id := newMsgID(sa)
	_, rest := chain(pls...)
	hash := prf(sa.prop.Hash, sa.keys.a, msgIDBytes(id), rest)
	first, body := chain(append([]payload{{Type: plHash, Body: hash}}, pls...)...)
	out, _ := buildEncrypted(sa, header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchInformational, MsgID: id},
		first, body, phase2IV(sa.prop.Hash, sa.p1Last, id))
	e.sendIKE(out, sa.floated)
}

func (e *Endpoint) sendProtectedNotify(sa *ikeSA, proto uint8, spi []byte, typ uint16, data []byte) {
	e.sendInformational(sa, payload{Type: plNotify, Body: notify{Protocol: proto, Type: typ, SPI: spi, Data: data}.encode()})
}

// sendDelete tells the peer an SA is gone: the ISAKMP SA itself (proto ISAKMP) or one of our
// inbound ESP SAs.
func (e *Endpoint) sendDelete(sa *ikeSA, proto uint8, spi uint32) {
	d := deletePayload{Protocol: proto}
	if proto == protoISAKMP {
		d.SPIs = [][]byte{sa.spi()}
	} else {
		d.SPIs = [][]byte{binary.BigEndian.AppendUint32(nil, spi)}
	}
	e.sendInformational(sa, payload{Type: plDelete, Body: d.encode()})
}

func (e *Endpoint) handleInformational(h header, pkt []byte, ev event) {
	now := time.Now()
	if h.Flags&flagEncrypted == 0 {
		e.handlePlainInformational(h, pkt, now)
		return
	}
	sa := e.findIKE(h.ICookie, h.RCookie)
	if sa == nil {
		e.unexpected(h, "informational:88")
		return
	}
	if sa.state != ikeEstablished {
		// The peer encrypted a notification with keys we do not share: after our message 5
		// this is a peer that could not decrypt it (strongSwan answers PAYLOAD_MALFORMED).
		e.Counters.IKEUndecryptable.Add(1)
		if sa.initiator && sa.state == ikeMM5Sent {
			e.fail("pre-shared key mismatch (" + e.cfg.PeerLabel + " could not decrypt main mode message 5 and answered with a notification encrypted under other keys)")
		}
		return
	}
	if _, dup := sa.seen[h.MsgID]; dup {
		return
	}
	ps, _, err := e.decryptHashed(sa, h, pkt, phase2IV(sa.prop.Hash, sa.p1Last, h.MsgID))
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		return
	}
	if want := prf(sa.prop.Hash, sa.keys.a, msgIDBytes(h.MsgID), rawAfter(ps)); !hmac.Equal(want, ps[0].Body) {
		e.Counters.IKEUndecryptable.Add(1)
		return
	}
	sa.seen[h.MsgID] = now
	for id, t := range sa.seen {
		if now.Sub(t) > time.Minute {
			delete(sa.seen, id)
		}
	}
	e.markInbound(sa)
	for _, p := range ps[1:] {
		switch p.Type {
		case plNotify:
			n, err := parseNotify(p.Body)
			if err != nil {
				e.Counters.IKEMalformed.Add(1)
				continue
			}
			e.onNotify(sa, n, now)
		case plDelete:
			d, err := parseDelete(p.Body)
			if err != nil {
				e.Counters.IKEMalformed.Add(1)
				continue
			}
			e.onDelete(sa, d, now)
		}
	}
}

// handlePlainInformational reads unauthenticated notifications: only refusals of our own
// half-open Main Mode are believed.
func (e *Endpoint) handlePlainInformational(h header, pkt []byte, now time.Time) {
	ps, err := parsePayloads(h.Next, pkt[isakmpHeaderLen:], false)
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		return
	}
	var sa *ikeSA
	for _, s := range e.ikes {
		if s.initiator && s.state != ikeEstablished && s.ci == h.ICookie {
			sa = s
		}
	}
	for _, p := range findAll(ps, plNotify) {
		n, err := parseNotify(p.Body)
		if err != nil {
			continue
		}
		e.log.Info("received unprotected notification", "notify", notifyName(n.Type))
		if n.Type == notifyInvalidCookie && e.onInvalidCookie(h.ICookie, h.RCookie, now) {
			return
		}
		if sa == nil {
			continue
		}
		switch {
		case n.Type == notifyNoProposalChosen && sa.state == ikeMM1Sent && e.peerIKEv2:
			// A peer that offers IKEv2 refuses every IKEv1 proposal: the version is the reason.
			e.fail(ikev2Mismatch(e.cfg.PeerLabel) + " (it refused this gateway's IKEv1 main mode with NO_PROPOSAL_CHOSEN)")
		case n.Type == notifyNoProposalChosen && sa.state == ikeMM1Sent:
			e.fail(fmt.Sprintf("phase 1 refused by %s (NO_PROPOSAL_CHOSEN): this gateway offered %s", e.cfg.PeerLabel, e.pol.describeIKE()))
		case n.Type == notifyPayloadMalformed && sa.state == ikeMM5Sent:
			e.fail("pre-shared key mismatch (" + e.cfg.PeerLabel + " could not decrypt main mode message 5)")
		case n.Type < 16384:
			e.fail(fmt.Sprintf("phase 1 refused by %s (%s)", e.cfg.PeerLabel, notifyName(n.Type)))
		default:
			continue
		}
		e.removeIKE(sa)
		e.scheduleRetry(now)
		return
	}
}

func (e *Endpoint) onNotify(sa *ikeSA, n notify, now time.Time) {
	switch n.Type {
	case notifyRUThere:
		if len(n.Data) == 4 {
			e.sendProtectedNotify(sa, protoISAKMP, sa.spi(), notifyRUThereAck, n.Data)
		}
	case notifyRUThereAck:
		if len(n.Data) == 4 && binary.BigEndian.Uint32(n.Data) == sa.dpdSeq {
			sa.dpdPending = false
		}
	case notifyNoProposalChosen:
		e.fail(fmt.Sprintf("phase 1 up, phase 2 refused by %s (NO_PROPOSAL_CHOSEN): this gateway offered esp %s",
			e.cfg.PeerLabel, offersDescription(e.offers())))
		e.abandonQuick(sa)
	case notifyInvalidIDInfo:
		e.fail(fmt.Sprintf("phase 1 up, phase 2 refused by %s (INVALID_ID_INFORMATION): it does not accept traffic selectors %s === %s",
			e.cfg.PeerLabel, prefixList(e.cfg.LocalNets), prefixList(e.cfg.RemoteNets)))
		e.abandonQuick(sa)
	case notifyInitialContact, notifyResponderLifetime, notifyReplayStatus:
	default:
		e.log.Info("received notification", "notify", notifyName(n.Type))
	}
}

func offersDescription(ps []ESPProposal) string {
	var suites [][]string
	for _, s := range ps {
		suites = append(suites, []string{fmt.Sprintf("aes%d", s.KeyBits), s.Integrity.String(), s.PFS.String()})
	}
	return compress(suites)
}

// abandonQuick stops retransmitting our pending Quick Modes after a refusal.
func (e *Endpoint) abandonQuick(sa *ikeSA) {
	e.quickBackoff = time.Now().Add(e.cfg.RetryInterval)
	for _, qm := range sa.quick {
		if qm.initiator && !qm.done {
			qm.done, qm.req = true, nil
			if qm.rekeyOf != nil {
				qm.rekeyOf.rekeying = false
			}
		}
	}
}

func (e *Endpoint) onDelete(sa *ikeSA, d deletePayload, now time.Time) {
	switch d.Protocol {
	case protoISAKMP:
		for _, spi := range d.SPIs {
			if len(spi) != 16 {
				continue
			}
			var ci, cr [8]byte
			copy(ci[:], spi[:8])
			copy(cr[:], spi[8:])
			if gone := e.findIKE(ci, cr); gone != nil {
				e.log.Info("peer deleted ISAKMP SA", "sa", gone.name())
				e.removeIKE(gone)
			}
		}
		e.fallBack(now)
		if e.currentIKE() == nil && !e.halfOpen() && e.cfg.Initiate {
			e.nextInitiate = now
		}
	case protoESP:
		changed := false
		for _, spi := range d.SPIs {
			if len(spi) != 4 {
				continue
			}
			v := binary.BigEndian.Uint32(spi)
			for _, c := range e.children {
				if c.out.spi == v {
					e.log.Info("peer deleted IPsec SA", "sa", c.String())
					e.removeChild(c, false)
					changed = true
					break
				}
			}
		}
		if changed {
			e.publish()
			if cur := e.currentIKE(); cur != nil && e.cfg.Initiate && !now.Before(e.quickBackoff) {
				// An initiating tunnel stays up: negotiate what the peer left without an SA
				// (it may have kept the other of two crossing IPsec SAs than we did).
				e.ensureChildren(cur, now)
			}
			if len(e.activeChildren()) == 0 {
				e.fail("phase 1 up, IPsec SA deleted by " + e.cfg.PeerLabel)
			} else {
				e.updateUp()
			}
		}
	}
}

// dpd runs dead peer detection (RFC 3706): after DPDDelay of silence an R-U-THERE is sent
// (again every DPDDelay), and after DPDTimeout of silence the peer is dead.
func (e *Endpoint) dpd(now time.Time) {
	if e.pol.DPDDelay <= 0 {
		return
	}
	sa := e.currentIKE()
	if sa == nil || !sa.vendors.dpd {
		return
	}
	last := time.Unix(0, e.lastInbound.Load())
	idle := now.Sub(last)
	if idle > e.pol.DPDTimeout {
		e.log.Info("dead peer detected", "silent", idle.Round(time.Second))
		e.fail(fmt.Sprintf("dead peer detected (no DPD answer for %s)", e.pol.DPDTimeout))
		e.dropAll(nil)
		if e.cfg.Initiate {
			e.startMainMode(now, false)
		}
		return
	}
	if idle >= e.pol.DPDDelay && now.Sub(sa.dpdSent) >= e.pol.DPDDelay {
		e.probe(sa, now)
	}
}
