package ipsec

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// newMsgID picks an unused message id for an exchange on sa.
func newMsgID(sa *ikeSA) uint32 {
	for {
		id := randomUint32()
		if _, used := sa.quick[id]; !used {
			return id
		}
	}
}

func msgIDBytes(id uint32) []byte { return binary.BigEndian.AppendUint32(nil, id) }

// rawAfter is the raw bytes of every payload after the first (the HASH), as hashed in Quick
// Mode and informational exchanges.
func rawAfter(ps []payload) []byte {
	var b []byte
	for _, p := range ps[1:] {
		b = append(b, p.Raw...)
	}
	return b
}

// offers returns the ESP suites the initiator proposes: all with the first suite's PFS group
// (a Quick Mode carries one KE, RFC 2409 §5.5).
func (e *Endpoint) offers() []ESPProposal {
	var out []ESPProposal
	for _, p := range e.pol.ESP {
		if p.PFS == e.pol.ESP[0].PFS {
			out = append(out, p)
		}
	}
	return out
}

func (e *Endpoint) encapMode(sa *ikeSA) uint64 {
	if sa.natLocal || sa.natPeer {
		return sa.natt.encapTunnel()
	}
	return encapTunnel
}

// startQuickMode sends Quick Mode message 1: HASH(1), SA, Ni, [KE], IDci, IDcr.
func (e *Endpoint) startQuickMode(sa *ikeSA, local, remote netip.Prefix, rekeyOf *childSA, now time.Time) {
	qm := &quickMode{msgID: newMsgID(sa), initiator: true, local: local, remote: remote, rekeyOf: rekeyOf,
		created: now, offered: e.offers(), spiIn: e.gw.allocSPI(), ni: randomBytes(nonceLen)}
	qm.encap = e.encapMode(sa)
	spi := binary.BigEndian.AppendUint32(nil, qm.spiIn)
	var props []proposal
	for i, p := range qm.offered {
		props = append(props, proposal{Num: uint8(i + 1), Protocol: protoESP, SPI: spi,
			Transforms: []transform{espTransform(1, p, qm.encap, e.pol.ESPLifetime)}})
	}
	pls := []payload{
		{Type: plSA, Body: saPayload{Proposals: props}.encode()},
		{Type: plNonce, Body: qm.ni},
	}
	if g := qm.offered[0].PFS; g != NoPFS {
		var err error
		if qm.dh, err = newDHKey(g); err != nil {
			e.log.Error("quick mode", "err", err)
			return
		}
		pls = append(pls, payload{Type: plKE, Body: qm.dh.public})
	}
	pls = append(pls,
		payload{Type: plID, Body: subnetID(local).encode()},
		payload{Type: plID, Body: subnetID(remote).encode()})
	_, rest := chain(pls...)
	hash := prf(sa.prop.Hash, sa.keys.a, msgIDBytes(qm.msgID), rest)
	first, body := chain(append([]payload{{Type: plHash, Body: hash}}, pls...)...)
	out, last := buildEncrypted(sa, header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchQuick, MsgID: qm.msgID},
		first, body, phase2IV(sa.prop.Hash, sa.p1Last, qm.msgID))
	qm.iv = last
	sa.quick[qm.msgID] = qm
	e.log.Debug("initiating quick mode", "msgid", fmt.Sprintf("%08x", qm.msgID), "ts", local.String()+" === "+remote.String())
	qm.req = e.request(out, sa.floated, "quick mode message 1", now)
}

func (e *Endpoint) handleQuick(h header, pkt []byte, ev event) {
	now := time.Now()
	sa := e.findIKE(h.ICookie, h.RCookie)
	if sa == nil || sa.state != ikeEstablished || h.MsgID == 0 {
		e.unexpected(h, "quickmode:95")
		if sa == nil {
			e.answerUnknownSA(h, ev, now)
		}
		return
	}
	qm := sa.quick[h.MsgID]
	if qm == nil {
		e.respondQM1(sa, h, pkt, now)
		return
	}
	if e.isRetransmission(qm.lastRecv, pkt, qm.lastResp, sa.floated) {
		return
	}
	if qm.done {
		e.unexpected(h, "quickmode:107")
		return
	}
	var err error
	if qm.initiator {
		err = e.initiatorQM2(sa, qm, h, pkt, now)
	} else {
		err = e.responderQM3(sa, qm, h, pkt, now)
	}
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		e.log.Debug("quick mode message rejected", "err", err)
	}
}

// decryptHashed decrypts a phase 2 message and checks that it starts with a HASH payload.
func (e *Endpoint) decryptHashed(sa *ikeSA, h header, pkt, iv []byte) ([]payload, []byte, error) {
	ps, last, err := decryptMessage(sa, h, pkt, iv)
	if err != nil {
		e.Counters.IKEUndecryptable.Add(1)
		return nil, nil, err
	}
	if len(ps) < 1 || ps[0].Type != plHash || len(ps[0].Body) != sa.prop.Hash.size() {
		return nil, nil, fmt.Errorf("%w: phase 2 message without leading HASH", errMalformed)
	}
	return ps, last, nil
}

// respondQM1 selects an ESP proposal and traffic selectors and answers with message 2.
func (e *Endpoint) respondQM1(sa *ikeSA, h header, pkt []byte, now time.Time) {
	ps, last, err := e.decryptHashed(sa, h, pkt, phase2IV(sa.prop.Hash, sa.p1Last, h.MsgID))
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		e.log.Debug("quick mode message 1 rejected", "err", err)
		return
	}
	if want := prf(sa.prop.Hash, sa.keys.a, msgIDBytes(h.MsgID), rawAfter(ps)); !hmac.Equal(want, ps[0].Body) {
		e.Counters.IKEUndecryptable.Add(1)
		return
	}
	e.markInbound(sa)
	sp, nonce, ke := find(ps, plSA), find(ps, plNonce), find(ps, plKE)
	ids := findAll(ps, plID)
	if sp == nil || nonce == nil || len(nonce.Body) < 8 || len(nonce.Body) > 256 || (len(ids) != 0 && len(ids) != 2) {
		e.Counters.IKEMalformed.Add(1)
		return
	}
	sap, err := parseSA(sp.Body)
	if err != nil {
		e.Counters.IKEMalformed.Add(1)
		return
	}
	qm := &quickMode{msgID: h.MsgID, created: now, ni: append([]byte(nil), nonce.Body...)}
	var (
		chosenProp proposal
		chosenT    transform
		found      bool
		offered    []string
	)
	for _, p := range sap.Proposals {
		for _, t := range p.Transforms {
			offered = append(offered, describeESPTransform(p.Protocol, t))
			if found || p.Protocol != protoESP || len(p.SPI) != 4 {
				continue
			}
			s, encap, _, ok := espFromTransform(t)
			if !ok || !e.pol.acceptsESP(s) {
				continue
			}
			if encap != encapTunnel && encap != encapUDPTunnel && encap != encapUDPTunDr {
				offered[len(offered)-1] += " (transport mode)"
				continue
			}
			chosenProp, chosenT, found = p, t, true
			qm.prop, qm.encap = s, encap
			qm.spiOut = binary.BigEndian.Uint32(p.SPI)
		}
	}
	if !found {
		e.fail(fmt.Sprintf("phase 1 up, phase 2 refused: %s offered esp %s, this gateway accepts esp %s",
			e.cfg.PeerLabel, strings.Join(dedupe(offered), ", "), e.pol.describeESP()))
		var spi []byte
		if len(sap.Proposals) > 0 {
			spi = sap.Proposals[0].SPI
		}
		e.sendProtectedNotify(sa, protoESP, spi, notifyNoProposalChosen, nil)
		return
	}
	// Traffic selectors: IDci is the peer's side, IDcr ours.
	var remote, local netip.Prefix
	if len(ids) == 2 {
		idci, err1 := parseID(ids[0].Body)
		idcr, err2 := parseID(ids[1].Body)
		if err1 == nil && err2 == nil {
			remote, err1 = prefixOfID(idci)
			local, err2 = prefixOfID(idcr)
		}
		if err1 != nil || err2 != nil {
			e.fail(fmt.Sprintf("phase 1 up, phase 2 refused: unsupported traffic selectors from %s", e.cfg.PeerLabel))
			e.sendProtectedNotify(sa, protoESP, chosenProp.SPI, notifyInvalidIDInfo, nil)
			return
		}
	} else {
		remote, local = netip.PrefixFrom(e.cfg.Peer, 32), netip.PrefixFrom(e.cfg.Local, 32)
	}
	if !e.selectorsAllowed(local, remote) {
		e.fail(fmt.Sprintf("phase 1 up, phase 2 refused: %s proposed traffic selectors %s === %s (its side first), this tunnel has %s === %s",
			e.cfg.PeerLabel, remote, local, prefixList(e.cfg.RemoteNets), prefixList(e.cfg.LocalNets)))
		e.sendProtectedNotify(sa, protoESP, chosenProp.SPI, notifyInvalidIDInfo, nil)
		return
	}
	qm.local, qm.remote = local, remote
	var gxy []byte
	if qm.prop.PFS != NoPFS {
		if ke == nil {
			e.Counters.IKEMalformed.Add(1)
			return
		}
		if qm.dh, err = newDHKey(qm.prop.PFS); err == nil {
			gxy, err = qm.dh.shared(ke.Body)
		}
		if err != nil {
			e.Counters.IKEMalformed.Add(1)
			return
		}
	}
	qm.gxy = gxy
	qm.spiIn = e.gw.allocSPI()
	qm.nr = randomBytes(nonceLen)
	resp := saPayload{Proposals: []proposal{{Num: chosenProp.Num, Protocol: protoESP,
		SPI: binary.BigEndian.AppendUint32(nil, qm.spiIn), Transforms: []transform{chosenT}}}}
	pls := []payload{{Type: plSA, Body: resp.encode()}, {Type: plNonce, Body: qm.nr}}
	if qm.dh != nil {
		pls = append(pls, payload{Type: plKE, Body: qm.dh.public})
	}
	for _, id := range ids {
		pls = append(pls, payload{Type: plID, Body: id.Body})
	}
	_, rest := chain(pls...)
	hash := prf(sa.prop.Hash, sa.keys.a, msgIDBytes(qm.msgID), qm.ni, rest)
	first, body := chain(append([]payload{{Type: plHash, Body: hash}}, pls...)...)
	out, last2 := buildEncrypted(sa, header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchQuick, MsgID: qm.msgID}, first, body, last)
	qm.iv = last2
	qm.lastRecv = append([]byte(nil), pkt...)
	// The inbound SA goes live now: the initiator may send on it right after message 3, and
	// ESP is handled ahead of the IKE loop, so waiting for message 3 would drop those packets.
	c, err := e.makeChild(sa, qm, false)
	if err != nil {
		e.log.Error("quick mode", "err", err)
		return
	}
	qm.result = c
	e.gw.registerSPI(c.in, e, c)
	sa.quick[qm.msgID] = qm
	qm.req = e.request(out, sa.floated, "quick mode message 2", now)
	qm.lastResp = out
}

func (e *Endpoint) selectorsAllowed(local, remote netip.Prefix) bool {
	okL, okR := false, false
	for _, l := range e.cfg.LocalNets {
		okL = okL || covers(l, local)
	}
	for _, r := range e.cfg.RemoteNets {
		okR = okR || covers(r, remote)
	}
	return okL && okR
}

func prefixList(ps []netip.Prefix) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

// responderQM3 checks HASH(3) and installs the SAs.
func (e *Endpoint) responderQM3(sa *ikeSA, qm *quickMode, h header, pkt []byte, now time.Time) error {
	ps, _, err := e.decryptHashed(sa, h, pkt, qm.iv)
	if err != nil {
		return err
	}
	want := prf(sa.prop.Hash, sa.keys.a, []byte{0}, msgIDBytes(qm.msgID), qm.ni, qm.nr)
	if !hmac.Equal(want, ps[0].Body) {
		return fmt.Errorf("%w: HASH(3) does not verify", errMalformed)
	}
	qm.done, qm.req = true, nil
	qm.lastRecv, qm.lastResp = append([]byte(nil), pkt...), nil
	e.markInbound(sa)
	e.install(qm.result, now)
	return nil
}

// initiatorQM2 checks the responder's choice, installs the SAs and sends HASH(3).
func (e *Endpoint) initiatorQM2(sa *ikeSA, qm *quickMode, h header, pkt []byte, now time.Time) error {
	ps, last, err := e.decryptHashed(sa, h, pkt, qm.iv)
	if err != nil {
		return err
	}
	if want := prf(sa.prop.Hash, sa.keys.a, msgIDBytes(qm.msgID), qm.ni, rawAfter(ps)); !hmac.Equal(want, ps[0].Body) {
		return fmt.Errorf("%w: HASH(2) does not verify", errMalformed)
	}
	e.markInbound(sa)
	sp, nonce, ke := find(ps, plSA), find(ps, plNonce), find(ps, plKE)
	if sp == nil || nonce == nil || len(nonce.Body) < 8 || len(nonce.Body) > 256 {
		return fmt.Errorf("%w: quick mode message 2 without SA or nonce", errMalformed)
	}
	sap, err := parseSA(sp.Body)
	if err != nil {
		return err
	}
	if len(sap.Proposals) != 1 || len(sap.Proposals[0].Transforms) != 1 || len(sap.Proposals[0].SPI) != 4 || sap.Proposals[0].Protocol != protoESP {
		return fmt.Errorf("%w: quick mode message 2 must select one ESP transform", errMalformed)
	}
	prop, _, _, ok := espFromTransform(sap.Proposals[0].Transforms[0])
	offered := false
	for _, o := range qm.offered {
		offered = offered || o == prop
	}
	if !ok || !offered {
		return fmt.Errorf("%w: responder selected %s, which we did not offer", errMalformed, describeESPTransform(protoESP, sap.Proposals[0].Transforms[0]))
	}
	for _, id := range findAll(ps, plID) {
		if !bytes.Equal(id.Body, subnetID(qm.local).encode()) && !bytes.Equal(id.Body, subnetID(qm.remote).encode()) {
			return fmt.Errorf("%w: responder changed the traffic selectors", errMalformed)
		}
	}
	qm.prop = prop
	qm.spiOut = binary.BigEndian.Uint32(sap.Proposals[0].SPI)
	qm.nr = append([]byte(nil), nonce.Body...)
	if prop.PFS != NoPFS {
		if ke == nil || qm.dh == nil {
			return fmt.Errorf("%w: PFS without KE", errMalformed)
		}
		if qm.gxy, err = qm.dh.shared(ke.Body); err != nil {
			return err
		}
	}
	hash3 := prf(sa.prop.Hash, sa.keys.a, []byte{0}, msgIDBytes(qm.msgID), qm.ni, qm.nr)
	first, body := chain(payload{Type: plHash, Body: hash3})
	out, _ := buildEncrypted(sa, header{ICookie: sa.ci, RCookie: sa.cr, Version: isakmpVersion1, Exchange: exchQuick, MsgID: qm.msgID}, first, body, last)
	c, err := e.makeChild(sa, qm, true)
	if err != nil {
		return err
	}
	qm.done, qm.req = true, nil
	qm.lastRecv, qm.lastResp = append([]byte(nil), pkt...), out
	// Install before message 3 goes: the responder starts sending on the new SAs once it has
	// message 3, and a packet on the new inbound SPI that arrived before the SPI was
	// registered would be dropped (the responder's inbound SA has been live since message 2).
	e.install(c, now)
	e.sendIKE(out, sa.floated)
	return nil
}

// makeChild derives the keys of both ESP SAs (RFC 2409 §5.5: KEYMAT per SPI).
func (e *Endpoint) makeChild(sa *ikeSA, qm *quickMode, initiator bool) (*childSA, error) {
	encLen, authLen := qm.prop.KeyBits/8, qm.prop.Integrity.size()
	ni, nr := qm.ni, qm.nr
	spiIn := binary.BigEndian.AppendUint32(nil, qm.spiIn)
	spiOut := binary.BigEndian.AppendUint32(nil, qm.spiOut)
	kIn := keymat(sa.prop.Hash, sa.keys.d, qm.gxy, protoESP, spiIn, ni, nr, encLen+authLen)
	kOut := keymat(sa.prop.Hash, sa.keys.d, qm.gxy, protoESP, spiOut, ni, nr, encLen+authLen)
	in, err := newESPSA(qm.spiIn, kIn[:encLen], kIn[encLen:], qm.prop.Integrity)
	if err != nil {
		return nil, err
	}
	out, err := newESPSA(qm.spiOut, kOut[:encLen], kOut[encLen:], qm.prop.Integrity)
	if err != nil {
		return nil, err
	}
	return &childSA{in: in, out: out, local: qm.local, remote: qm.remote, prop: qm.prop, initiator: initiator,
		ike: sa, negotiated: qm.created}, nil
}

// quickModeGaveUp handles a Quick Mode that was never answered.
func (e *Endpoint) quickModeGaveUp(sa *ikeSA, qm *quickMode) {
	if !qm.initiator && qm.result != nil {
		e.gw.unregisterSPI(qm.result.in.spi)
	}
	if qm.rekeyOf != nil {
		qm.rekeyOf.rekeying = false
	}
	if qm.initiator {
		e.quickBackoff = time.Now().Add(e.cfg.RetryInterval)
	}
	if qm.initiator && len(e.activeChildren()) == 0 {
		e.fail(fmt.Sprintf("phase 1 up, phase 2 not answered: %s did not respond to quick mode for %s === %s", e.cfg.PeerLabel, qm.local, qm.remote))
	}
}
