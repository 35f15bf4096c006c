package ipsec

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// ikeState is where an ISAKMP SA is in Main Mode.
type ikeState int

const (
	ikeMM1Sent     ikeState = iota // initiator, waiting for message 2
	ikeMM3Sent                     // initiator, waiting for message 4
	ikeMM5Sent                     // initiator, waiting for message 6
	ikeMM2Sent                     // responder, waiting for message 3
	ikeMM4Sent                     // responder, waiting for message 5
	ikeEstablished                 // phase 1 done
)

func (s ikeState) String() string {
	return [...]string{"MM1 sent", "MM3 sent", "MM5 sent", "MM2 sent", "MM4 sent", "established"}[s]
}

// ikeSA is an ISAKMP SA (phase 1) with one peer, owned by the endpoint's event loop.
type ikeSA struct {
	initiator bool
	state     ikeState
	ci, cr    [8]byte
	prop      IKEProposal
	life      time.Duration // the lifetime we apply (our policy)
	saiB      []byte        // the body of the initiator's SA payload, for HASH_I/HASH_R
	dh        *dhKey
	gxi, gxr  []byte
	ni, nr    []byte
	keys      phase1Keys
	block     cipher.Block
	iv        []byte // IV of the next phase 1 encrypted message
	p1Last    []byte // last CBC block of phase 1, seed of phase 2 IVs
	vendors   peerVendors
	natt      nattMode
	natLocal  bool // we are (or pretend to be) behind a NAT
	natPeer   bool // the peer is (or pretends to be) behind a NAT
	floated   bool // IKE moved to port 4500
	rekey     bool // started as a re-authentication of an existing tunnel
	contact   bool // we sent INITIAL_CONTACT

	created     time.Time // message 1 sent (initiator) or received (responder)
	established time.Time
	rekeyAt     time.Time // start a replacement Main Mode
	// retired is when another ISAKMP SA took over (zero while this one is in use): a newer
	// one, or the winner of a collision (collision.go). A retired SA still answers the
	// peer, and is deleted once no IPsec SA negotiated over it is left.
	retired time.Time
	// lastHeard is when the peer last sent an authenticated message on this SA: proof that
	// it still has it.
	lastHeard time.Time

	// Retransmission and duplicate detection for phase 1.
	req      *request
	lastRecv []byte // the last phase 1 message received, to spot retransmissions
	lastResp []byte // what we answered it with
	respNATT bool

	quick map[uint32]*quickMode // phase 2 exchanges by message id
	seen  map[uint32]time.Time  // informational message ids already processed

	dpdSeq     uint32
	dpdPending bool
	dpdSent    time.Time
}

// request is an outstanding message we sent and retransmit until answered.
type request struct {
	pkt   []byte
	natt  bool
	what  string // "main mode message 1"
	first time.Time
	next  time.Time
	tries int
}

func (s *ikeSA) spi() []byte {
	return append(append([]byte(nil), s.ci[:]...), s.cr[:]...)
}

func (s *ikeSA) name() string {
	return fmt.Sprintf("%x_i%x_r", s.ci[:], s.cr[:])
}

// childSA is an IPsec SA pair (phase 2): an inbound and an outbound ESP SA for one pair of
// traffic selectors.
type childSA struct {
	in, out       *espSA
	local, remote netip.Prefix
	prop          ESPProposal
	initiator     bool // we ran the Quick Mode as initiator
	created       time.Time
	rekeyAt       time.Time
	expireAt      time.Time
	rekeying      bool           // a replacement Quick Mode is under way
	rekeyed       bool           // replaced; kept for in-flight packets until expireAt
	dst           netip.AddrPort // where ESP goes: the peer's NAT-T address
	// ike is the ISAKMP SA the Quick Mode ran over (the one its Delete goes on: strongSwan
	// looks IPsec SAs up under the ISAKMP SA that made them); negotiated is when that
	// Quick Mode began here, which tells a rekey from a collision (collision.go).
	ike        *ikeSA
	negotiated time.Time
}

func (c *childSA) String() string {
	return fmt.Sprintf("%s === %s (SPIs in %08x out %08x, %s)", c.local, c.remote, c.in.spi, c.out.spi, c.prop)
}

// quickMode is one Quick Mode exchange (RFC 2409 §5.5).
type quickMode struct {
	msgID     uint32
	initiator bool
	iv        []byte // IV of the next message of this exchange
	ni, nr    []byte
	dh        *dhKey
	gxy       []byte
	spiIn     uint32 // the SPI we chose (our inbound SA)
	spiOut    uint32 // the peer's (our outbound SA)
	prop      ESPProposal
	offered   []ESPProposal
	encap     uint64
	local     netip.Prefix
	remote    netip.Prefix
	req       *request
	lastRecv  []byte
	lastResp  []byte
	created   time.Time
	rekeyOf   *childSA
	result    *childSA // installed (responder keeps it for QM3)
	done      bool
	probed    bool // an R-U-THERE went with the first retransmission (collision.go)
}

// subnetID encodes a prefix as an ID_IPV4_ADDR_SUBNET (or ID_IPV4_ADDR for a /32).
func subnetID(p netip.Prefix) identity {
	a := p.Masked().Addr().As4()
	if p.Bits() == 32 {
		return identity{Type: idIPv4Addr, Data: a[:]}
	}
	m := binary.BigEndian.AppendUint32(nil, ^uint32(0)<<(32-p.Bits()))
	if p.Bits() == 0 {
		m = []byte{0, 0, 0, 0}
	}
	return identity{Type: idIPv4AddrSubnet, Data: append(a[:], m...)}
}

// prefixOfID decodes a Quick Mode identity into a prefix; ranges that are not prefixes and
// other types fail.
func prefixOfID(id identity) (netip.Prefix, error) {
	switch id.Type {
	case idIPv4Addr:
		a, _ := netip.AddrFromSlice(id.Data)
		return netip.PrefixFrom(a, 32), nil
	case idIPv4AddrSubnet:
		a, _ := netip.AddrFromSlice(id.Data[:4])
		m := binary.BigEndian.Uint32(id.Data[4:8])
		bits := 0
		for bits < 32 && m&(1<<(31-bits)) != 0 {
			bits++
		}
		if bits < 32 && m<<bits != 0 {
			return netip.Prefix{}, fmt.Errorf("ipsec: non-contiguous netmask %08x", m)
		}
		return netip.PrefixFrom(a, bits).Masked(), nil
	case idIPv4AddrRange:
		lo, _ := netip.AddrFromSlice(id.Data[:4])
		hi, _ := netip.AddrFromSlice(id.Data[4:8])
		for bits := 0; bits <= 32; bits++ {
			p := netip.PrefixFrom(lo, bits).Masked()
			if p.Addr() == lo && lastAddr(p) == hi {
				return p, nil
			}
		}
		return netip.Prefix{}, fmt.Errorf("ipsec: range %s-%s is not a prefix", lo, hi)
	}
	return netip.Prefix{}, fmt.Errorf("ipsec: unsupported traffic selector ID type %d", id.Type)
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	v := binary.BigEndian.Uint32(a[:]) | ^(^uint32(0) << (32 - p.Bits()))
	if p.Bits() == 0 {
		v = ^uint32(0)
	}
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// covers reports whether outer contains all of inner.
func covers(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

// newBlock makes the phase 1 cipher.
func newBlock(key []byte) cipher.Block {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic("ipsec: " + err.Error()) // key sizes come from validated proposals
	}
	return b
}
