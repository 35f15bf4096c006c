package ipsec_test

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/ipsec"
	"github.com/spacelab-dev/spacelab/ipsec/ipsectest"
)

var (
	spaceGW  = netip.MustParseAddr("203.0.113.2")
	officeGW = netip.MustParseAddr("198.51.100.2")
	spaceNet = netip.MustParsePrefix("10.0.0.0/16")
	officeNt = netip.MustParsePrefix("172.16.0.0/16")
	dyno     = netip.MustParseAddr("10.0.1.10")
	officePC = netip.MustParseAddr("172.16.0.10")
)

// testLog is a gateway's log: on stderr with IPSEC_TEST_LOG set, else kept and shown only if
// the test fails (what both gateways did is what explains a failure).
func testLog(t testing.TB) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	if os.Getenv("IPSEC_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, opts))
}

// fast shortens the timers so failures show in milliseconds.
func fast(c ipsec.Config) ipsec.Config {
	c.RetransmitTimeout = 100 * time.Millisecond
	c.RetransmitTries = 3
	c.RetryInterval = time.Hour
	c.Tick = 10 * time.Millisecond
	return c
}

func spaceTunnel() ipsec.Config {
	return fast(ipsec.Config{Name: "tunnel-1", Local: spaceGW, Peer: officeGW, PSK: []byte("secret-psk-0123"),
		LocalNets: []netip.Prefix{spaceNet}, RemoteNets: []netip.Prefix{officeNt}, PeerLabel: "the customer gateway"})
}

func officeTunnel() ipsec.Config {
	return fast(ipsec.Config{Name: "office", Local: officeGW, Peer: spaceGW, PSK: []byte("secret-psk-0123"),
		LocalNets: []netip.Prefix{officeNt}, RemoteNets: []netip.Prefix{spaceNet}, Initiate: true, PeerLabel: "the space gateway"})
}

type side struct {
	gw  *ipsec.Gateway
	dev *ipsectest.Device
}

func startGateway(t testing.TB, n *ipsectest.Network, cfgs ...ipsec.Config) side {
	t.Helper()
	dev := ipsectest.NewDevice()
	gw, err := ipsec.NewGateway(ipsec.GatewayConfig{Tunnels: cfgs, Device: dev, Listen: n.Listen, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	return side{gw: gw, dev: dev}
}

// waitStatus waits until the tunnel's status satisfies ok, failing with the last status.
func waitStatus(t testing.TB, ep *ipsec.Endpoint, timeout time.Duration, ok func(ipsec.Status) bool) ipsec.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := ep.Status()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("tunnel %s: status %s %q, counters %+v", s.Name, s.State, s.Message, s.Counters)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isUp(s ipsec.Status) bool { return s.State == ipsec.StateUp }

// ping sends a packet into from's device and expects it, unchanged, out of to's device.
func ping(t testing.TB, from, to side, src, dst netip.Addr, payload string) {
	t.Helper()
	p := ipsectest.IPv4(src, dst, 17, []byte(payload))
	from.dev.Inject(p)
	for {
		got, ok := to.dev.Receive(2 * time.Second)
		if !ok {
			t.Fatalf("%s → %s: packet did not arrive", src, dst)
		}
		if bytes.Equal(got, p) {
			return
		}
	}
}

func TestTunnelEstablishesAndCarriesTrafficBothWays(t *testing.T) {
	n := ipsectest.NewNetwork()
	var ports [65536]atomic.Int64
	var clear atomic.Int64
	n.SetTap(func(from, to netip.AddrPort, b []byte) {
		ports[to.Port()].Add(1)
		if bytes.Contains(b, []byte("hello-")) {
			clear.Add(1)
		}
	})
	space := startGateway(t, n, spaceTunnel())
	office := startGateway(t, n, officeTunnel())
	start := time.Now()
	st := waitStatus(t, office.gw.Endpoint("office"), 5*time.Second, isUp)
	waitStatus(t, space.gw.Endpoint("tunnel-1"), time.Second, isUp)
	t.Logf("established in %s: %s", time.Since(start), st.Message)
	if !strings.Contains(st.Message, "aes128-sha1-modp2048") {
		t.Errorf("expected the first Heroku suite, got %q", st.Message)
	}
	ping(t, office, space, officePC, dyno, "hello-dyno")
	ping(t, space, office, dyno, officePC, "hello-office")
	if clear.Load() != 0 {
		t.Errorf("inner payload seen in clear on the wire %d times", clear.Load())
	}
	if ports[500].Load() == 0 || ports[4500].Load() == 0 {
		t.Errorf("expected IKE on 500 then 4500: %d, %d", ports[500].Load(), ports[4500].Load())
	}
	c := space.gw.Endpoint("tunnel-1").Status().Counters
	if c.ESPIn != 1 || c.ESPOut != 1 {
		t.Errorf("space counters: %+v", c)
	}
	// Traffic outside the selectors is not sent.
	space.dev.Inject(ipsectest.IPv4(dyno, netip.MustParseAddr("192.168.1.1"), 17, []byte("x")))
	if p, ok := office.dev.Receive(100 * time.Millisecond); ok {
		t.Errorf("packet outside the selectors arrived: %x", p)
	}
}

func TestTunnelSuites(t *testing.T) {
	for _, tc := range []struct{ ike, esp string }{
		{"aes128-sha256-modp1024", "aes128-sha256"},
		{"aes256-sha1-modp2048", "aes256-sha1-modp2048"},
		{"aes192-sha384-ecp256", "aes192-sha512-ecp384"},
		{"aes128-sha1-modp1536", "aes128-sha1-modp1024"},
	} {
		t.Run(tc.ike+"/"+tc.esp, func(t *testing.T) {
			ike, err := ipsec.ParseIKEProposals(tc.ike)
			if err != nil {
				t.Fatal(err)
			}
			esp, err := ipsec.ParseESPProposals(tc.esp)
			if err != nil {
				t.Fatal(err)
			}
			pol := ipsec.Policy{IKE: ike, ESP: esp}
			a, b := spaceTunnel(), officeTunnel()
			a.Policy, b.Policy = pol, pol
			n := ipsectest.NewNetwork()
			space := startGateway(t, n, a)
			office := startGateway(t, n, b)
			st := waitStatus(t, office.gw.Endpoint("office"), 5*time.Second, isUp)
			if !strings.Contains(st.Message, tc.ike) || !strings.Contains(st.Message, tc.esp) {
				t.Errorf("status %q", st.Message)
			}
			waitStatus(t, space.gw.Endpoint("tunnel-1"), time.Second, isUp)
			ping(t, office, space, officePC, dyno, "hello")
			ping(t, space, office, dyno, officePC, "hello")
		})
	}
}

func TestTunnelFailuresAreNamed(t *testing.T) {
	mustIKE := func(s string) []ipsec.IKEProposal {
		p, err := ipsec.ParseIKEProposals(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	mustESP := func(s string) []ipsec.ESPProposal {
		p, err := ipsec.ParseESPProposals(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name       string
		office     func(*ipsec.Config)
		block      bool
		space, off string // substrings of the two statuses
	}{
		{
			name:   "phase 1 proposal mismatch",
			office: func(c *ipsec.Config) { c.Policy.IKE = mustIKE("aes256-sha256-modp2048") },
			space:  "no acceptable phase 1 proposal: the customer gateway offered aes256-sha256-modp2048, this gateway accepts aes128-{sha1,sha256}-{modp2048,modp1024}",
			off:    "phase 1 refused by the space gateway (NO_PROPOSAL_CHOSEN)",
		},
		{
			name:   "phase 2 proposal mismatch",
			office: func(c *ipsec.Config) { c.Policy.ESP = mustESP("aes256-sha1") },
			space:  "phase 1 up, phase 2 refused: the customer gateway offered esp aes256-sha1, this gateway accepts esp aes128-{sha1,sha256}-{modp2048,modp1024,nopfs}",
			off:    "phase 1 up, phase 2 refused by the space gateway (NO_PROPOSAL_CHOSEN)",
		},
		{
			name:   "pre-shared key mismatch",
			office: func(c *ipsec.Config) { c.PSK = []byte("another-key") },
			space:  "pre-shared key mismatch (could not decrypt main mode message 5",
			off:    "pre-shared key mismatch",
		},
		{
			name:   "traffic selectors mismatch",
			office: func(c *ipsec.Config) { c.RemoteNets = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")} },
			space:  "phase 1 up, phase 2 refused: the customer gateway proposed traffic selectors 172.16.0.0/16 === 10.9.0.0/16",
			off:    "INVALID_ID_INFORMATION",
		},
		{
			name:  "no answer",
			block: true,
			space: "waiting for the customer gateway to initiate",
			off:   "no answer from the space gateway on UDP 500/4500 (main mode message 1 sent 4 times",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := ipsectest.NewNetwork()
			if tc.block {
				n.SetFilter(func(from, to netip.AddrPort, b []byte) bool { return false })
			}
			oc := officeTunnel()
			if tc.office != nil {
				tc.office(&oc)
			}
			space := startGateway(t, n, spaceTunnel())
			office := startGateway(t, n, oc)
			has := func(want string) func(ipsec.Status) bool {
				return func(s ipsec.Status) bool { return s.State == ipsec.StateDown && strings.Contains(s.Message, want) }
			}
			s := waitStatus(t, space.gw.Endpoint("tunnel-1"), 5*time.Second, has(tc.space))
			o := waitStatus(t, office.gw.Endpoint("office"), 5*time.Second, has(tc.off))
			t.Logf("space: %s\noffice: %s", s.Message, o.Message)
		})
	}
}

func TestIKEv2OfferIsRefusedWithNoProposalChosen(t *testing.T) {
	n := ipsectest.NewNetwork()
	space := startGateway(t, n, spaceTunnel())
	peer, err := n.Listen(netip.AddrPortFrom(officeGW, 500))
	if err != nil {
		t.Fatal(err)
	}
	// A minimal IKE_SA_INIT request: header (SPIi, SPIr=0, next=SA(33), v2.0, exchange 34,
	// flags Initiator, message id 0) and an empty-ish SA payload.
	req := make([]byte, 28, 64)
	copy(req[0:8], "spi-init")
	req[16], req[17], req[18], req[19] = 33, 0x20, 34, 0x08
	sa := []byte{0, 0, 0, 8, 0, 0, 0, 0}
	req = append(req, sa...)
	req[27] = byte(len(req))
	peer.WriteBatch([]ipsec.Datagram{{Buf: req, Addr: netip.AddrPortFrom(spaceGW, 500)}})
	ds := []ipsec.Datagram{{Buf: make([]byte, 1500)}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := peer.ReadBatch(ds); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("no answer to IKE_SA_INIT")
	}
	resp := ds[0].Buf[:ds[0].N]
	if len(resp) != 36 || !bytes.Equal(resp[0:8], []byte("spi-init")) || resp[16] != 41 || resp[17] != 0x20 || resp[18] != 34 || resp[19] != 0x20 || resp[35] != 14 {
		t.Fatalf("response %x is not IKE_SA_INIT N(NO_PROPOSAL_CHOSEN)", resp)
	}
	waitStatus(t, space.gw.Endpoint("tunnel-1"), time.Second, func(s ipsec.Status) bool {
		return s.Message == "the customer gateway offered IKEv2; this gateway speaks IKEv1 only"
	})
}

func TestDeadPeerDetection(t *testing.T) {
	n := ipsectest.NewNetwork()
	sc, oc := spaceTunnel(), officeTunnel()
	for _, c := range []*ipsec.Config{&sc, &oc} {
		c.Policy = ipsec.HerokuPolicy()
		c.Policy.DPDDelay, c.Policy.DPDTimeout = 200*time.Millisecond, 800*time.Millisecond
	}
	space := startGateway(t, n, sc)
	office := startGateway(t, n, oc)
	waitStatus(t, office.gw.Endpoint("office"), 5*time.Second, isUp)
	waitStatus(t, space.gw.Endpoint("tunnel-1"), time.Second, isUp)
	// Idle but alive: DPD keeps it up.
	time.Sleep(1500 * time.Millisecond)
	if s := space.gw.Endpoint("tunnel-1").Status(); s.State != ipsec.StateUp {
		t.Fatalf("idle tunnel went down: %q", s.Message)
	}
	n.SetFilter(func(from, to netip.AddrPort, b []byte) bool { return false })
	start := time.Now()
	dead := func(s ipsec.Status) bool {
		return s.State == ipsec.StateDown && s.Message == "dead peer detected (no DPD answer for 800ms)"
	}
	waitStatus(t, space.gw.Endpoint("tunnel-1"), 3*time.Second, dead)
	waitStatus(t, office.gw.Endpoint("office"), 3*time.Second, dead)
	t.Logf("dead after %s", time.Since(start))
	// The path comes back: the initiator re-establishes.
	n.SetFilter(nil)
	o := office.gw.Endpoint("office")
	o.Status()
	waitStatus(t, o, 10*time.Second, isUp)
	ping(t, office, space, officePC, dyno, "after-dpd")
}

func TestRekeyKeepsTrafficFlowing(t *testing.T) {
	n := ipsectest.NewNetwork()
	sc, oc := spaceTunnel(), officeTunnel()
	for _, c := range []*ipsec.Config{&sc, &oc} {
		c.Policy = ipsec.HerokuPolicy()
		c.Policy.ESPLifetime = time.Second
		c.Policy.IKELifetime = 2500 * time.Millisecond
	}
	space := startGateway(t, n, sc)
	office := startGateway(t, n, oc)
	first := waitStatus(t, office.gw.Endpoint("office"), 5*time.Second, isUp)
	// The responder sends only once it has Quick Mode's message 3: wait for it too.
	waitStatus(t, space.gw.Endpoint("tunnel-1"), time.Second, isUp)
	deadline := time.Now().Add(4500 * time.Millisecond)
	seen := map[string]bool{first.ESP[0]: true}
	for i := 0; time.Now().Before(deadline); i++ {
		ping(t, office, space, officePC, dyno, "rekey")
		ping(t, space, office, dyno, officePC, "rekey")
		if s := office.gw.Endpoint("office").Status(); len(s.ESP) > 0 {
			seen[s.ESP[0]] = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(seen) < 4 {
		t.Errorf("expected several generations of IPsec SAs over 4.5 s with 1 s lifetimes, saw %d: %v", len(seen), seen)
	}
	c := office.gw.Endpoint("office").Status().Counters
	t.Logf("SA generations %d, counters %+v", len(seen), c)
}

func TestHostilePacketsAreDroppedAndCounted(t *testing.T) {
	n := ipsectest.NewNetwork()
	var captured [][]byte
	var capMu = make(chan struct{}, 1)
	capMu <- struct{}{}
	n.SetTap(func(from, to netip.AddrPort, b []byte) {
		<-capMu
		captured = append(captured, append([]byte(nil), b...))
		capMu <- struct{}{}
	})
	space := startGateway(t, n, spaceTunnel())
	office := startGateway(t, n, officeTunnel())
	waitStatus(t, space.gw.Endpoint("tunnel-1"), 5*time.Second, isUp)
	ping(t, office, space, officePC, dyno, "before")
	// A stranger (an address no tunnel knows) sends junk to both ports.
	stranger, _ := n.Listen(netip.MustParseAddrPort("192.0.2.66:500"))
	<-capMu
	pkts := captured
	capMu <- struct{}{}
	dst500 := netip.AddrPortFrom(spaceGW, 500)
	dst4500 := netip.AddrPortFrom(spaceGW, 4500)
	junk := [][]byte{nil, {0}, {0xff, 0xff}, make([]byte, 27), bytes.Repeat([]byte{0x41}, 200)}
	for _, j := range junk {
		stranger.WriteBatch([]ipsec.Datagram{{Buf: j, Addr: dst500}, {Buf: j, Addr: dst4500}})
	}
	// Replays and mutations of everything seen on the wire, spoofed from the peer's address.
	spoof := n.Send
	for _, p := range pkts {
		for _, mut := range []func([]byte) []byte{
			func(b []byte) []byte { return b },                              // replay
			func(b []byte) []byte { return b[:len(b)/2] },                   // truncation
			func(b []byte) []byte { b[len(b)-1] ^= 1; return b },            // bit flip at the end (ICV)
			func(b []byte) []byte { b[len(b)/2] ^= 0x80; return b },         // bit flip in the middle
			func(b []byte) []byte { b[min(6, len(b)-1)] ^= 0x40; return b }, // ESP: a fresh sequence number, forged
		} {
			m := mut(append([]byte(nil), p...))
			spoof(netip.AddrPortFrom(officeGW, 500), dst500, m)
			spoof(netip.AddrPortFrom(officeGW, 4500), dst4500, m)
		}
	}
	time.Sleep(200 * time.Millisecond)
	s := waitStatus(t, space.gw.Endpoint("tunnel-1"), time.Second, isUp)
	ping(t, office, space, officePC, dyno, "after")
	ping(t, space, office, dyno, officePC, "after")
	c := s.Counters
	t.Logf("counters after the attack: %+v, gateway: unknown peer %d junk %d", c,
		space.gw.Counters.UnknownPeer.Load(), space.gw.Counters.Junk.Load())
	if c.ESPReplayed == 0 || c.ESPAuthFailed == 0 {
		t.Errorf("replayed and forged ESP must be counted: %+v", c)
	}
	if c.IKEMalformed+c.IKEUndecryptable+c.IKEUnexpected == 0 {
		t.Errorf("mutated IKE must be counted: %+v", c)
	}
	if space.gw.Counters.UnknownPeer.Load() == 0 {
		t.Errorf("datagrams from a stranger must be counted")
	}
}

// TestTwoTunnelsFailOver is a Heroku VPN connection: two tunnels from two space gateway
// addresses to one customer gateway, which runs both. Traffic takes the first tunnel that
// is up; when its path dies, DPD takes it down and traffic moves to the second.
func TestTwoTunnelsFailOver(t *testing.T) {
	n := ipsectest.NewNetwork()
	space2 := netip.MustParseAddr("203.0.113.3")
	dpd := func(c *ipsec.Config) {
		c.Policy = ipsec.HerokuPolicy()
		c.Policy.DPDDelay, c.Policy.DPDTimeout = 200*time.Millisecond, 800*time.Millisecond
	}
	t1, t2 := spaceTunnel(), spaceTunnel()
	t2.Name, t2.Local, t2.PSK = "tunnel-2", space2, []byte("second-psk")
	o1, o2 := officeTunnel(), officeTunnel()
	o1.Name, o2.Name, o2.Peer, o2.PSK = "to-tunnel-1", "to-tunnel-2", space2, []byte("second-psk")
	for _, c := range []*ipsec.Config{&t1, &t2, &o1, &o2} {
		dpd(c)
	}
	space := startGateway(t, n, t1, t2)
	office := startGateway(t, n, o1, o2)
	for _, ep := range append(space.gw.Endpoints(), office.gw.Endpoints()...) {
		waitStatus(t, ep, 5*time.Second, isUp)
	}
	before := space.gw.Endpoint("tunnel-1").Status().Counters.ESPIn
	ping(t, office, space, officePC, dyno, "via-1")
	ping(t, space, office, dyno, officePC, "via-1")
	if space.gw.Endpoint("tunnel-1").Status().Counters.ESPIn != before+1 || space.gw.Endpoint("tunnel-2").Status().Counters.ESPIn != 0 {
		t.Fatalf("traffic did not take tunnel 1")
	}
	// The path to the first space address dies.
	n.SetFilter(func(from, to netip.AddrPort, b []byte) bool {
		return from.Addr() != spaceGW && to.Addr() != spaceGW
	})
	dead := func(s ipsec.Status) bool {
		return s.State == ipsec.StateDown && strings.HasPrefix(s.Message, "dead peer detected")
	}
	waitStatus(t, space.gw.Endpoint("tunnel-1"), 5*time.Second, dead)
	waitStatus(t, office.gw.Endpoint("to-tunnel-1"), 5*time.Second, dead)
	ping(t, office, space, officePC, dyno, "via-2")
	ping(t, space, office, dyno, officePC, "via-2")
	if space.gw.Endpoint("tunnel-2").Status().Counters.ESPIn == 0 {
		t.Fatalf("traffic did not move to tunnel 2")
	}
	if s := space.gw.Endpoint("tunnel-2").Status(); s.State != ipsec.StateUp {
		t.Fatalf("tunnel 2: %s %q", s.State, s.Message)
	}
}

// TestRefusedPhase2IsNotRetriedPerPacket checks that traffic waiting for a refused IPsec SA
// does not turn into a Quick Mode per packet.
func TestRefusedPhase2IsNotRetriedPerPacket(t *testing.T) {
	n := ipsectest.NewNetwork()
	oc := officeTunnel()
	esp, _ := ipsec.ParseESPProposals("aes256-sha1")
	oc.Policy.ESP = esp
	startGateway(t, n, spaceTunnel())
	office := startGateway(t, n, oc)
	ep := office.gw.Endpoint("office")
	waitStatus(t, ep, 5*time.Second, func(s ipsec.Status) bool { return strings.Contains(s.Message, "phase 2 refused") })
	before := ep.Status().Counters.IKEOut
	for i := 0; i < 200; i++ {
		office.dev.Inject(ipsectest.IPv4(officePC, dyno, 17, []byte("waiting")))
	}
	time.Sleep(300 * time.Millisecond)
	c := ep.Status().Counters
	if c.IKEOut-before > 2 || c.NoSADrops < 200 {
		t.Errorf("after 200 packets: %d IKE messages sent, %d packets dropped for want of an SA", c.IKEOut-before, c.NoSADrops)
	}
}
