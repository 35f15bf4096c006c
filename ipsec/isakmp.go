package ipsec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ISAKMP constants (RFC 2408 §3, RFC 2409, RFC 2407, RFC 3947, RFC 3706).
const (
	isakmpHeaderLen = 28
	isakmpVersion1  = 0x10 // major 1, minor 0
	ikev2Version    = 0x20

	// Exchange types.
	exchMain          = 2  // Identity Protection
	exchAggressive    = 4  // Aggressive
	exchInformational = 5  // Informational
	exchQuick         = 32 // Quick Mode (RFC 2409)
	exchIKEv2Init     = 34 // IKEv2 IKE_SA_INIT (RFC 7296)

	// Header flags.
	flagEncrypted = 0x01
	flagCommit    = 0x02
	flagAuthOnly  = 0x04

	// Payload types.
	plNone    = 0
	plSA      = 1
	plProp    = 2
	plTrans   = 3
	plKE      = 4
	plID      = 5
	plCert    = 6
	plCR      = 7
	plHash    = 8
	plSig     = 9
	plNonce   = 10
	plNotify  = 11
	plDelete  = 12
	plVendor  = 13
	plNATD    = 20  // RFC 3947
	plNATOA   = 21  // RFC 3947
	plNATDDr  = 130 // draft-ietf-ipsec-nat-t-ike-0[2-3]
	plNATOADr = 131

	// DOI and situation (RFC 2407).
	doiIPsec        = 1
	sitIdentityOnly = 1

	// Protocol ids.
	protoISAKMP = 1
	protoESP    = 3

	// Notify types (RFC 2408 §3.14.1, RFC 2407 §4.6.3, RFC 3706).
	notifyInvalidPayloadType  = 1
	notifyInvalidCookie       = 4
	notifyInvalidExchangeType = 7
	notifyInvalidFlags        = 8
	notifyInvalidMessageID    = 9
	notifyInvalidSPI          = 11
	notifyNoProposalChosen    = 14
	notifyPayloadMalformed    = 16
	notifyInvalidKeyInfo      = 17
	notifyInvalidIDInfo       = 18
	notifyInvalidHashInfo     = 23
	notifyAuthFailed          = 24
	notifyResponderLifetime   = 24576
	notifyReplayStatus        = 24577
	notifyInitialContact      = 24578
	notifyRUThere             = 36136
	notifyRUThereAck          = 36137

	// ID types.
	idIPv4Addr       = 1
	idFQDN           = 2
	idUserFQDN       = 3
	idIPv4AddrSubnet = 4
	idIPv4AddrRange  = 7
	idKeyID          = 11

	// maxPayloads bounds the payloads of one message; real ones carry fewer than 16.
	maxPayloads = 64
)

// errMalformed marks a message that does not parse; it is dropped and counted.
var errMalformed = errors.New("ipsec: malformed ISAKMP message")

// header is the fixed ISAKMP header (RFC 2408 §3.1).
type header struct {
	ICookie  [8]byte
	RCookie  [8]byte
	Next     uint8
	Version  uint8
	Exchange uint8
	Flags    uint8
	MsgID    uint32
	Length   uint32
}

func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) < isakmpHeaderLen {
		return h, fmt.Errorf("%w: %d bytes, shorter than a header", errMalformed, len(b))
	}
	copy(h.ICookie[:], b[0:8])
	copy(h.RCookie[:], b[8:16])
	h.Next, h.Version, h.Exchange, h.Flags = b[16], b[17], b[18], b[19]
	h.MsgID = binary.BigEndian.Uint32(b[20:24])
	h.Length = binary.BigEndian.Uint32(b[24:28])
	if int(h.Length) < isakmpHeaderLen || int(h.Length) > len(b) {
		return h, fmt.Errorf("%w: length field %d, datagram %d", errMalformed, h.Length, len(b))
	}
	return h, nil
}

func (h *header) append(b []byte) []byte {
	b = append(b, h.ICookie[:]...)
	b = append(b, h.RCookie[:]...)
	b = append(b, h.Next, h.Version, h.Exchange, h.Flags)
	b = binary.BigEndian.AppendUint32(b, h.MsgID)
	return binary.BigEndian.AppendUint32(b, h.Length)
}

// payload is one parsed payload: Body excludes the 4-byte generic header, Raw includes it.
type payload struct {
	Type uint8
	Body []byte
	Raw  []byte
}

// parsePayloads walks a payload chain starting with type first. Bytes after the last payload
// are allowed only when trailing is true (the padding of an encrypted message).
func parsePayloads(first uint8, b []byte, trailing bool) ([]payload, error) {
	var out []payload
	next := first
	for next != plNone {
		if len(out) == maxPayloads {
			return nil, fmt.Errorf("%w: more than %d payloads", errMalformed, maxPayloads)
		}
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: payload %d truncated", errMalformed, next)
		}
		l := int(binary.BigEndian.Uint16(b[2:4]))
		if l < 4 || l > len(b) {
			return nil, fmt.Errorf("%w: payload %d length %d of %d", errMalformed, next, l, len(b))
		}
		out = append(out, payload{Type: next, Body: b[4:l], Raw: b[:l]})
		next = b[0]
		b = b[l:]
	}
	if len(b) > 0 && !trailing {
		return nil, fmt.Errorf("%w: %d bytes after the last payload", errMalformed, len(b))
	}
	return out, nil
}

// chain encodes payloads as a chain and returns the type of the first one and the bytes.
func chain(ps ...payload) (uint8, []byte) {
	var b []byte
	first := uint8(plNone)
	for i, p := range ps {
		if i == 0 {
			first = p.Type
		}
		next := uint8(plNone)
		if i+1 < len(ps) {
			next = ps[i+1].Type
		}
		b = append(b, next, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(4+len(p.Body)))
		b = append(b, p.Body...)
	}
	return first, b
}

func find(ps []payload, typ uint8) *payload {
	for i := range ps {
		if ps[i].Type == typ {
			return &ps[i]
		}
	}
	return nil
}

func findAll(ps []payload, typ uint8) []payload {
	var out []payload
	for _, p := range ps {
		if p.Type == typ {
			out = append(out, p)
		}
	}
	return out
}

// attr is a data attribute (RFC 2408 §3.3): TV when the value fits 16 bits, else TLV.
type attr struct {
	Type  uint16
	Value uint64
	TLV   bool
}

func parseAttrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) > 0 {
		if len(b) < 4 || len(out) == maxPayloads {
			return nil, fmt.Errorf("%w: attribute truncated", errMalformed)
		}
		t := binary.BigEndian.Uint16(b[0:2])
		if t&0x8000 != 0 {
			out = append(out, attr{Type: t &^ 0x8000, Value: uint64(binary.BigEndian.Uint16(b[2:4]))})
			b = b[4:]
			continue
		}
		l := int(binary.BigEndian.Uint16(b[2:4]))
		if 4+l > len(b) || l > 8 {
			return nil, fmt.Errorf("%w: attribute %d length %d", errMalformed, t, l)
		}
		var v uint64
		for _, c := range b[4 : 4+l] {
			v = v<<8 | uint64(c)
		}
		out = append(out, attr{Type: t, Value: v, TLV: true})
		b = b[4+l:]
	}
	return out, nil
}

func appendAttr(b []byte, a attr) []byte {
	if !a.TLV && a.Value <= 0xffff {
		b = binary.BigEndian.AppendUint16(b, a.Type|0x8000)
		return binary.BigEndian.AppendUint16(b, uint16(a.Value))
	}
	b = binary.BigEndian.AppendUint16(b, a.Type)
	b = binary.BigEndian.AppendUint16(b, 4)
	return binary.BigEndian.AppendUint32(b, uint32(a.Value))
}

// transform is one transform payload (RFC 2408 §3.6).
type transform struct {
	Num   uint8
	ID    uint8
	Attrs []attr
}

func (t transform) attr(typ uint16) (uint64, bool) {
	for _, a := range t.Attrs {
		if a.Type == typ {
			return a.Value, true
		}
	}
	return 0, false
}

// proposal is one proposal payload (RFC 2408 §3.5).
type proposal struct {
	Num        uint8
	Protocol   uint8
	SPI        []byte
	Transforms []transform
}

// saPayload is the body of an SA payload (RFC 2408 §3.4, RFC 2407 §4.6.1).
type saPayload struct {
	DOI       uint32
	Situation uint32
	Proposals []proposal
}

func parseSA(b []byte) (saPayload, error) {
	var sa saPayload
	if len(b) < 8 {
		return sa, fmt.Errorf("%w: SA payload too short", errMalformed)
	}
	sa.DOI = binary.BigEndian.Uint32(b[0:4])
	sa.Situation = binary.BigEndian.Uint32(b[4:8])
	if sa.DOI != doiIPsec {
		return sa, fmt.Errorf("%w: DOI %d", errMalformed, sa.DOI)
	}
	if sa.Situation&sitIdentityOnly == 0 {
		return sa, fmt.Errorf("%w: situation %#x", errMalformed, sa.Situation)
	}
	ps, err := parsePayloads(plProp, b[8:], false)
	if err != nil {
		return sa, err
	}
	for _, p := range ps {
		if p.Type != plProp {
			return sa, fmt.Errorf("%w: payload %d inside SA", errMalformed, p.Type)
		}
		q := p.Body
		if len(q) < 4 {
			return sa, fmt.Errorf("%w: proposal too short", errMalformed)
		}
		prop := proposal{Num: q[0], Protocol: q[1]}
		spiLen, n := int(q[2]), int(q[3])
		if len(q) < 4+spiLen {
			return sa, fmt.Errorf("%w: proposal SPI", errMalformed)
		}
		prop.SPI = q[4 : 4+spiLen]
		ts, err := parsePayloads(plTrans, q[4+spiLen:], false)
		if err != nil {
			return sa, err
		}
		if len(ts) != n {
			return sa, fmt.Errorf("%w: proposal says %d transforms, has %d", errMalformed, n, len(ts))
		}
		for _, t := range ts {
			if t.Type != plTrans || len(t.Body) < 4 {
				return sa, fmt.Errorf("%w: transform", errMalformed)
			}
			attrs, err := parseAttrs(t.Body[4:])
			if err != nil {
				return sa, err
			}
			prop.Transforms = append(prop.Transforms, transform{Num: t.Body[0], ID: t.Body[1], Attrs: attrs})
		}
		sa.Proposals = append(sa.Proposals, prop)
	}
	if len(sa.Proposals) == 0 {
		return sa, fmt.Errorf("%w: SA without proposals", errMalformed)
	}
	return sa, nil
}

func (sa saPayload) encode() []byte {
	b := binary.BigEndian.AppendUint32(nil, doiIPsec)
	b = binary.BigEndian.AppendUint32(b, sitIdentityOnly)
	for i, p := range sa.Proposals {
		var body []byte
		body = append(body, p.Num, p.Protocol, uint8(len(p.SPI)), uint8(len(p.Transforms)))
		body = append(body, p.SPI...)
		for j, t := range p.Transforms {
			tb := []byte{t.Num, t.ID, 0, 0}
			for _, a := range t.Attrs {
				tb = appendAttr(tb, a)
			}
			next := uint8(plNone)
			if j+1 < len(p.Transforms) {
				next = plTrans
			}
			body = append(body, next, 0)
			body = binary.BigEndian.AppendUint16(body, uint16(4+len(tb)))
			body = append(body, tb...)
		}
		next := uint8(plNone)
		if i+1 < len(sa.Proposals) {
			next = plProp
		}
		b = append(b, next, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
		b = append(b, body...)
	}
	return b
}

// notify is the body of a notification payload (RFC 2408 §3.14).
type notify struct {
	DOI      uint32
	Protocol uint8
	Type     uint16
	SPI      []byte
	Data     []byte
}

func parseNotify(b []byte) (notify, error) {
	var n notify
	if len(b) < 8 {
		return n, fmt.Errorf("%w: notify too short", errMalformed)
	}
	n.DOI = binary.BigEndian.Uint32(b[0:4])
	n.Protocol = b[4]
	spiLen := int(b[5])
	n.Type = binary.BigEndian.Uint16(b[6:8])
	if len(b) < 8+spiLen {
		return n, fmt.Errorf("%w: notify SPI", errMalformed)
	}
	n.SPI = b[8 : 8+spiLen]
	n.Data = b[8+spiLen:]
	return n, nil
}

func (n notify) encode() []byte {
	b := binary.BigEndian.AppendUint32(nil, doiIPsec)
	b = append(b, n.Protocol, uint8(len(n.SPI)))
	b = binary.BigEndian.AppendUint16(b, n.Type)
	b = append(b, n.SPI...)
	return append(b, n.Data...)
}

// deletePayload is the body of a delete payload (RFC 2408 §3.15).
type deletePayload struct {
	Protocol uint8
	SPIs     [][]byte
}

func parseDelete(b []byte) (deletePayload, error) {
	var d deletePayload
	if len(b) < 8 {
		return d, fmt.Errorf("%w: delete too short", errMalformed)
	}
	d.Protocol = b[4]
	spiLen := int(b[5])
	n := int(binary.BigEndian.Uint16(b[6:8]))
	if spiLen == 0 || len(b) != 8+spiLen*n {
		return d, fmt.Errorf("%w: delete SPIs", errMalformed)
	}
	for i := 0; i < n; i++ {
		d.SPIs = append(d.SPIs, b[8+i*spiLen:8+(i+1)*spiLen])
	}
	return d, nil
}

func (d deletePayload) encode() []byte {
	b := binary.BigEndian.AppendUint32(nil, doiIPsec)
	spiLen := 0
	if len(d.SPIs) > 0 {
		spiLen = len(d.SPIs[0])
	}
	b = append(b, d.Protocol, uint8(spiLen))
	b = binary.BigEndian.AppendUint16(b, uint16(len(d.SPIs)))
	for _, s := range d.SPIs {
		b = append(b, s...)
	}
	return b
}

// identity is the body of an identification payload (RFC 2407 §4.6.2).
type identity struct {
	Type     uint8
	Protocol uint8
	Port     uint16
	Data     []byte
}

func parseID(b []byte) (identity, error) {
	if len(b) < 4 {
		return identity{}, fmt.Errorf("%w: ID too short", errMalformed)
	}
	id := identity{Type: b[0], Protocol: b[1], Port: binary.BigEndian.Uint16(b[2:4]), Data: b[4:]}
	switch id.Type {
	case idIPv4Addr:
		if len(id.Data) != 4 {
			return id, fmt.Errorf("%w: ID_IPV4_ADDR of %d bytes", errMalformed, len(id.Data))
		}
	case idIPv4AddrSubnet, idIPv4AddrRange:
		if len(id.Data) != 8 {
			return id, fmt.Errorf("%w: ID type %d of %d bytes", errMalformed, id.Type, len(id.Data))
		}
	}
	return id, nil
}

func (id identity) encode() []byte {
	b := []byte{id.Type, id.Protocol}
	b = binary.BigEndian.AppendUint16(b, id.Port)
	return append(b, id.Data...)
}

func (h *header) exchangeName() string {
	switch h.Exchange {
	case exchMain:
		return "main mode"
	case exchAggressive:
		return "aggressive mode"
	case exchInformational:
		return "informational"
	case exchQuick:
		return "quick mode"
	}
	return fmt.Sprintf("exchange %d", h.Exchange)
}

func notifyName(t uint16) string {
	switch t {
	case notifyNoProposalChosen:
		return "NO_PROPOSAL_CHOSEN"
	case notifyPayloadMalformed:
		return "PAYLOAD_MALFORMED"
	case notifyInvalidIDInfo:
		return "INVALID_ID_INFORMATION"
	case notifyInvalidHashInfo:
		return "INVALID_HASH_INFORMATION"
	case notifyAuthFailed:
		return "AUTHENTICATION_FAILED"
	case notifyInvalidKeyInfo:
		return "INVALID_KEY_INFORMATION"
	case notifyInvalidSPI:
		return "INVALID_SPI"
	case notifyInvalidPayloadType:
		return "INVALID_PAYLOAD_TYPE"
	case notifyInvalidCookie:
		return "INVALID_COOKIE"
	case notifyInitialContact:
		return "INITIAL_CONTACT"
	case notifyResponderLifetime:
		return "RESPONDER_LIFETIME"
	case notifyRUThere:
		return "R_U_THERE"
	case notifyRUThereAck:
		return "R_U_THERE_ACK"
	}
	return fmt.Sprintf("notify %d", t)
}
