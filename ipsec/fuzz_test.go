package ipsec

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"
)

// recordConn is a Conn that records what is written and never delivers anything.
type recordConn struct {
	mu    sync.Mutex
	local netip.AddrPort
	sent  [][]byte
}

func (c *recordConn) ReadBatch(ds []Datagram) (int, error) { return 0, net.ErrClosed }
func (c *recordConn) WriteBatch(ds []Datagram) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range ds {
		c.sent = append(c.sent, append([]byte(nil), d.Buf...))
	}
	return len(ds), nil
}
func (c *recordConn) LocalAddr() netip.AddrPort { return c.local }
func (c *recordConn) Close() error              { return nil }

type nullDevice struct{}

func (nullDevice) ReadPacket(b []byte) (int, error) { return 0, net.ErrClosed }
func (nullDevice) WritePacket(b []byte) error       { return nil }
func (nullDevice) Close() error                     { return nil }

var (
	fuzzLocal = netip.MustParseAddr("203.0.113.2")
	fuzzPeer  = netip.MustParseAddr("198.51.100.2")
)

// loopless builds a gateway and endpoint whose loop is not running, so a test can drive the
// state machine synchronously.
func loopless(t testing.TB, local, peer netip.Addr, initiate bool) (*Endpoint, *recordConn, *recordConn) {
	cfg := Config{Name: "fuzz", Local: local, Peer: peer, PSK: []byte("fuzz-psk"),
		LocalNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}, RemoteNets: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/16")},
		Initiate: initiate}.withDefaults()
	ike, natt := &recordConn{local: netip.AddrPortFrom(local, 500)}, &recordConn{local: netip.AddrPortFrom(local, 4500)}
	g := &Gateway{log: slog.New(slog.DiscardHandler), dev: nullDevice{}, byPair: map[[2]netip.Addr]*Endpoint{},
		socks: map[netip.Addr]*sockets{local: {ike: ike, natt: natt}}, reserved: map[uint32]bool{}}
	empty := map[uint32]inbound{}
	g.spis.Store(&empty)
	e := newEndpoint(cfg, g, g.log)
	g.byPair[[2]netip.Addr{local, peer}] = e
	g.endpoints = append(g.endpoints, e)
	return e, ike, natt
}

// mainModeSeeds runs a Go-to-Go exchange synchronously and returns every IKE message sent,
// as seeds for the fuzzers.
func mainModeSeeds(t testing.TB) [][]byte {
	ini, iIKE, iNATT := loopless(t, fuzzPeer, fuzzLocal, true)
	ini.cfg.LocalNets, ini.cfg.RemoteNets = ini.cfg.RemoteNets, ini.cfg.LocalNets
	resp, rIKE, rNATT := loopless(t, fuzzLocal, fuzzPeer, false)
	var seeds [][]byte
	ini.startMainMode(time.Now(), false)
	pump(ini, resp, iIKE, iNATT, rIKE, rNATT, func(m []byte) { seeds = append(seeds, m) })
	if len(ini.activeChildren()) == 0 || len(resp.activeChildren()) == 0 {
		t.Fatalf("synchronous exchange did not complete: %q / %q", ini.Status().Message, resp.Status().Message)
	}
	return seeds
}

// established is a responder with an established ISAKMP SA and IPsec SA, shared by fuzz
// iterations so that mutated encrypted messages reach the phase 2 and informational code.
var established struct {
	once sync.Once
	mu   sync.Mutex
	e    *Endpoint
}

func establishedResponder(t testing.TB) *Endpoint {
	established.once.Do(func() {
		ini, iIKE, iNATT := loopless(t, fuzzPeer, fuzzLocal, true)
		ini.cfg.LocalNets, ini.cfg.RemoteNets = ini.cfg.RemoteNets, ini.cfg.LocalNets
		resp, rIKE, rNATT := loopless(t, fuzzLocal, fuzzPeer, false)
		ini.startMainMode(time.Now(), false)
		pump(ini, resp, iIKE, iNATT, rIKE, rNATT, nil)
		established.e = resp
	})
	return established.e
}

// pump delivers messages between two loopless endpoints until they fall silent.
func pump(ini, resp *Endpoint, iIKE, iNATT, rIKE, rNATT *recordConn, seen func([]byte)) {
	delivered := map[*recordConn]int{}
	for round := 0; round < 12; round++ {
		for _, p := range []struct {
			from *recordConn
			to   *Endpoint
			natt bool
			src  netip.AddrPort
		}{
			{iIKE, resp, false, netip.AddrPortFrom(fuzzPeer, 500)}, {iNATT, resp, true, netip.AddrPortFrom(fuzzPeer, 4500)},
			{rIKE, ini, false, netip.AddrPortFrom(fuzzLocal, 500)}, {rNATT, ini, true, netip.AddrPortFrom(fuzzLocal, 4500)},
		} {
			p.from.mu.Lock()
			msgs := p.from.sent[delivered[p.from]:]
			delivered[p.from] = len(p.from.sent)
			p.from.mu.Unlock()
			for _, m := range msgs {
				if p.natt {
					m = m[4:]
				}
				if seen != nil {
					seen(m)
				}
				p.to.handleIKE(event{pkt: m, from: p.src, natt: p.natt})
			}
		}
	}
}

func TestSynchronousExchange(t *testing.T) {
	if n := len(mainModeSeeds(t)); n != 9 {
		t.Errorf("expected 9 messages (MM1-6, QM1-3), got %d", n)
	}
}

// FuzzISAKMP feeds arbitrary datagrams to the codec and to a responder's state machine: they
// must be rejected or handled without a panic, and parsed SA payloads must re-encode to
// something that parses to the same value.
func FuzzISAKMP(f *testing.F) {
	for _, s := range mainModeSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 28))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := parseHeader(b); err == nil {
			if ps, err := parsePayloads(h.Next, b[isakmpHeaderLen:h.Length], true); err == nil {
				for _, p := range ps {
					switch p.Type {
					case plSA:
						if sa, err := parseSA(p.Body); err == nil {
							again, err := parseSA(sa.encode())
							if err != nil || !sameSA(sa, again) {
								t.Fatalf("SA does not round-trip: %v", err)
							}
						}
					case plNotify:
						parseNotify(p.Body)
					case plDelete:
						parseDelete(p.Body)
					case plID:
						if id, err := parseID(p.Body); err == nil {
							prefixOfID(id)
						}
					}
				}
			}
		}
		e, _, _ := loopless(t, fuzzLocal, fuzzPeer, false)
		e.handleIKE(event{pkt: b, from: netip.AddrPortFrom(fuzzPeer, 500)})
		e.handleIKE(event{pkt: b, from: netip.AddrPortFrom(fuzzPeer, 4500), natt: true})
		e.housekeeping(time.Now())
		est := establishedResponder(t)
		established.mu.Lock()
		defer established.mu.Unlock()
		est.handleIKE(event{pkt: b, from: netip.AddrPortFrom(fuzzPeer, 4500), natt: true})
	})
}

func sameSA(a, b saPayload) bool {
	if len(a.Proposals) != len(b.Proposals) {
		return false
	}
	for i := range a.Proposals {
		pa, pb := a.Proposals[i], b.Proposals[i]
		if pa.Num != pb.Num || pa.Protocol != pb.Protocol || !bytes.Equal(pa.SPI, pb.SPI) || len(pa.Transforms) != len(pb.Transforms) {
			return false
		}
		for j := range pa.Transforms {
			ta, tb := pa.Transforms[j], pb.Transforms[j]
			if ta.Num != tb.Num || ta.ID != tb.ID || len(ta.Attrs) != len(tb.Attrs) {
				return false
			}
			for k := range ta.Attrs {
				if ta.Attrs[k].Type != tb.Attrs[k].Type || ta.Attrs[k].Value != tb.Attrs[k].Value {
					return false
				}
			}
		}
	}
	return reflect.DeepEqual(a.DOI, b.DOI)
}

// FuzzESPDecap feeds arbitrary packets to ESP decapsulation: no panic, and nothing but
// authentic packets is accepted.
func FuzzESPDecap(f *testing.F) {
	out, _ := testSAPair(f, SHA1, 16)
	for _, n := range []int{20, 100, 1400} {
		buf := make([]byte, out.sealedLen(n))
		seq, _ := out.nextSeq()
		out.seal(buf, innerPacket(n), seq)
		f.Add(buf)
	}
	f.Add([]byte{0, 0, 0x12, 0x34, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, in := testSAPair(t, SHA1, 16)
		p, err := in.open(append([]byte(nil), b...))
		if err == nil && len(p) > len(b)-espHeaderLen-espIVLen-2-in.icvLen {
			t.Fatalf("inner packet of %d bytes from %d", len(p), len(b))
		}
		classify(b)
	})
}
