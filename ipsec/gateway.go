package ipsec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// GatewayConfig configures a Gateway.
type GatewayConfig struct {
	// Tunnels are the tunnels to run. Several may share a local address (one customer
	// gateway with two tunnels to two peers) or a peer (two local addresses to one peer).
	Tunnels []Config
	// Device carries the inner packets; the gateway owns it and closes it.
	Device Device
	// Listen opens the UDP socket for a local address and port (500 and 4500 for every local
	// address of the tunnels); the gateway owns and closes what it returns.
	Listen func(netip.AddrPort) (Conn, error)
	// Log receives events; nil discards them. The gateway adds component=ipsec.
	Log *slog.Logger
}

// Gateway runs tunnels over one packet device: what the device hands it is encrypted into
// the tunnel whose remote networks contain the destination (the first that is up, in
// configuration order), and what arrives in ESP is decrypted onto the device.
type Gateway struct {
	log       *slog.Logger
	dev       Device
	endpoints []*Endpoint
	byPair    map[[2]netip.Addr]*Endpoint // (local, peer) → tunnel
	socks     map[netip.Addr]*sockets

	spiMu    sync.Mutex
	reserved map[uint32]bool
	spis     atomic.Pointer[map[uint32]inbound]

	wg     sync.WaitGroup
	closed atomic.Bool
	once   sync.Once

	// Counters are the gateway-wide drops: packets for which no tunnel exists, datagrams from
	// unknown peers, junk on port 4500.
	Counters GatewayCounters
}

// GatewayCounters count packets the gateway could not hand to any tunnel.
type GatewayCounters struct {
	NoTunnel, UnknownPeer, UnknownSPI, Junk, NotIPv4 atomic.Uint64
}

type sockets struct {
	ike, natt Conn
}

// inbound is an entry of the SPI table: an inbound ESP SA and its tunnel.
type inbound struct {
	sa    *espSA
	ep    *Endpoint
	child *childSA
}

// Buffer sizes of the data path: every datagram and inner packet fits (jumbo frames included).
const (
	bufSize     = 9216
	batchSize   = 64
	nattBatch   = 32
	maxDatagram = 65536
	headroom    = espHeaderLen + espIVLen // inner packets are read here so ESP is built in place
)

// NewGateway validates the configuration, opens the sockets and starts the tunnels.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Device == nil || cfg.Listen == nil {
		return nil, errors.New("ipsec: gateway needs a device and a Listen function")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := &Gateway{log: log.With("component", "ipsec"), dev: cfg.Device, byPair: map[[2]netip.Addr]*Endpoint{},
		socks: map[netip.Addr]*sockets{}, reserved: map[uint32]bool{}}
	empty := map[uint32]inbound{}
	g.spis.Store(&empty)
	names := map[string]bool{}
	for _, tc := range cfg.Tunnels {
		tc = tc.withDefaults()
		if err := tc.validate(); err != nil {
			return nil, err
		}
		if names[tc.Name] {
			return nil, fmt.Errorf("ipsec: two tunnels named %s", tc.Name)
		}
		names[tc.Name] = true
		key := [2]netip.Addr{tc.Local, tc.Peer}
		if g.byPair[key] != nil {
			return nil, fmt.Errorf("ipsec: tunnels %s and %s both run %s to %s", g.byPair[key].cfg.Name, tc.Name, tc.Local, tc.Peer)
		}
		ep := newEndpoint(tc, g, g.log)
		g.byPair[key] = ep
		g.endpoints = append(g.endpoints, ep)
	}
	for _, ep := range g.endpoints {
		local := ep.cfg.Local
		if g.socks[local] != nil {
			continue
		}
		ike, err := cfg.Listen(netip.AddrPortFrom(local, PortIKE))
		if err != nil {
			g.closeSockets()
			return nil, fmt.Errorf("ipsec: listen %s:%d: %w", local, PortIKE, err)
		}
		natt, err := cfg.Listen(netip.AddrPortFrom(local, PortNATT))
		if err != nil {
			ike.Close()
			g.closeSockets()
			return nil, fmt.Errorf("ipsec: listen %s:%d: %w", local, PortNATT, err)
		}
		g.socks[local] = &sockets{ike: ike, natt: natt}
	}
	for local, s := range g.socks {
		g.wg.Add(2)
		go g.readIKE(local, s.ike)
		go g.readNATT(local, s.natt)
	}
	g.wg.Add(1)
	go g.readDevice()
	for _, ep := range g.endpoints {
		go ep.run()
	}
	return g, nil
}

func (g *Gateway) closeSockets() {
	for _, s := range g.socks {
		s.ike.Close()
		s.natt.Close()
	}
}

// Close deletes the SAs (telling the peers), stops the tunnels and closes the sockets and the
// device.
func (g *Gateway) Close() error {
	g.once.Do(func() {
		for _, ep := range g.endpoints {
			ep.close()
		}
		g.closed.Store(true)
		g.closeSockets()
		g.dev.Close()
		g.wg.Wait()
	})
	return nil
}

// Endpoints returns the tunnels in configuration order.
func (g *Gateway) Endpoints() []*Endpoint { return g.endpoints }

// Endpoint returns the tunnel with that name, or nil.
func (g *Gateway) Endpoint(name string) *Endpoint {
	for _, ep := range g.endpoints {
		if ep.cfg.Name == name {
			return ep
		}
	}
	return nil
}

// Status returns every tunnel's status in configuration order.
func (g *Gateway) Status() []Status {
	var out []Status
	for _, ep := range g.endpoints {
		out = append(out, ep.Status())
	}
	return out
}

// sendControl sends one datagram from a local socket (IKE messages, keepalives).
func (g *Gateway) sendControl(local netip.Addr, port uint16, dst netip.AddrPort, b []byte) {
	s := g.socks[local]
	if s == nil || g.closed.Load() {
		return
	}
	c := s.ike
	if port == PortNATT {
		c = s.natt
	}
	c.WriteBatch([]Datagram{{Buf: b, Addr: dst}})
}

// allocSPI reserves a random unused SPI (above the reserved range 1-255).
func (g *Gateway) allocSPI() uint32 {
	g.spiMu.Lock()
	defer g.spiMu.Unlock()
	live := *g.spis.Load()
	for {
		v := randomUint32()
		if v < minESPSPI || g.reserved[v] {
			continue
		}
		if _, ok := live[v]; ok {
			continue
		}
		g.reserved[v] = true
		return v
	}
}

// registerSPI makes an inbound SA reachable from the data path.
func (g *Gateway) registerSPI(sa *espSA, ep *Endpoint, c *childSA) {
	g.spiMu.Lock()
	defer g.spiMu.Unlock()
	old := *g.spis.Load()
	m := make(map[uint32]inbound, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[sa.spi] = inbound{sa: sa, ep: ep, child: c}
	g.spis.Store(&m)
}

func (g *Gateway) unregisterSPI(spi uint32) {
	g.spiMu.Lock()
	defer g.spiMu.Unlock()
	delete(g.reserved, spi)
	old := *g.spis.Load()
	if _, ok := old[spi]; !ok {
		return
	}
	m := make(map[uint32]inbound, len(old))
	for k, v := range old {
		if k != spi {
			m[k] = v
		}
	}
	g.spis.Store(&m)
}

func (g *Gateway) readErr(err error) bool {
	if g.closed.Load() || errors.Is(err, net.ErrClosed) {
		return true
	}
	time.Sleep(10 * time.Millisecond) // a transient error must not spin
	return false
}

// readIKE hands IKE messages on port 500 to their tunnel.
func (g *Gateway) readIKE(local netip.Addr, c Conn) {
	defer g.wg.Done()
	ds := make([]Datagram, 8)
	for i := range ds {
		ds[i].Buf = make([]byte, maxDatagram)
	}
	for {
		n, err := c.ReadBatch(ds)
		if err != nil {
			if g.readErr(err) {
				return
			}
			continue
		}
		for i := 0; i < n; i++ {
			ep := g.byPair[[2]netip.Addr{local, ds[i].Addr.Addr()}]
			if ep == nil {
				g.Counters.UnknownPeer.Add(1)
				continue
			}
			b, seg := ds[i].Buf[:ds[i].N], ds[i].Seg
			if seg <= 0 || seg > len(b) {
				seg = len(b)
			}
			for len(b) > 0 {
				m := min(seg, len(b))
				ep.deliver(event{pkt: append([]byte(nil), b[:m]...), from: ds[i].Addr})
				b = b[m:]
			}
		}
	}
}

// readNATT demultiplexes port 4500: ESP is decrypted and written to the device in batches,
// IKE goes to its tunnel's loop, keepalives are counted.
func (g *Gateway) readNATT(local netip.Addr, c Conn) {
	defer g.wg.Done()
	// Buffers take a whole coalesced datagram (UDP receive offload: up to 64 KiB).
	ds := make([]Datagram, nattBatch)
	for i := range ds {
		ds[i].Buf = make([]byte, maxDatagram)
	}
	inner := make([][]byte, 0, 4*batchSize)
	var esp espBatch
	bd, batched := g.dev.(BatchDevice)
	for {
		n, err := c.ReadBatch(ds)
		if err != nil {
			if g.readErr(err) {
				return
			}
			continue
		}
		now := time.Now().UnixNano()
		inner = inner[:0]
		esp.reset()
		spis := *g.spis.Load()
		for i := 0; i < n; i++ {
			b := ds[i].Buf[:ds[i].N]
			seg := ds[i].Seg
			if seg <= 0 || seg > len(b) {
				seg = len(b)
			}
			for len(b) > 0 {
				m := min(seg, len(b))
				g.handleNATT(local, ds[i].Addr, b[:m], spis, &esp)
				b = b[m:]
			}
		}
		inner = esp.open(inner, now)
		if len(inner) == 0 {
			continue
		}
		if batched {
			bd.WritePackets(inner)
		} else {
			for _, p := range inner {
				g.dev.WritePacket(p)
			}
		}
	}
}

// espBatch collects the ESP packets of one read from port 4500 so that the packets of each SA
// are opened together (espSA.openBatch). Its slices are kept from read to read.
type espBatch struct {
	in    []inbound
	pkts  [][]byte
	inner [][]byte
	errs  []error
	mac   batchMAC
}

func (e *espBatch) reset() {
	clear(e.in)
	clear(e.pkts)
	e.in, e.pkts = e.in[:0], e.pkts[:0]
}

func (e *espBatch) add(in inbound, pkt []byte) {
	e.in = append(e.in, in)
	e.pkts = append(e.pkts, pkt)
}

// open opens the collected packets, runs of one SA at a time, and appends the inner packets
// that decrypted and passed their SA's traffic selectors to out.
func (e *espBatch) open(out [][]byte, now int64) [][]byte {
	n := len(e.pkts)
	if cap(e.inner) < n {
		e.inner, e.errs = make([][]byte, n), make([]error, n)
	}
	inner, errs := e.inner[:n], e.errs[:n]
	for i := 0; i < n; {
		j := i + 1
		for j < n && e.in[j].sa == e.in[i].sa {
			j++
		}
		e.in[i].sa.openBatch(&e.mac, e.pkts[i:j], inner[i:j], errs[i:j])
		i = j
	}
	for i := range n {
		in, p := e.in[i], inner[i]
		switch {
		case errs[i] != nil:
			in.ep.countESPError(errs[i])
		case !in.ep.innerAllowed(in.child, p):
			in.ep.Counters.ESPPolicyDrops.Add(1)
		default:
			in.ep.Counters.ESPIn.Add(1)
			in.ep.Counters.ESPInBytes.Add(uint64(len(p)))
			in.ep.lastInbound.Store(now)
			out = append(out, p)
		}
	}
	clear(inner)
	clear(errs)
	return out
}

// handleNATT handles one datagram from port 4500: ESP for a known SA joins the batch (opened
// once the read is handled), IKE goes to its tunnel, keepalives are counted.
func (g *Gateway) handleNATT(local netip.Addr, from netip.AddrPort, b []byte, spis map[uint32]inbound, esp *espBatch) {
	switch classify(b) {
	case kindESP:
		in, ok := spis[binary.BigEndian.Uint32(b)]
		if !ok {
			if ep := g.byPair[[2]netip.Addr{local, from.Addr()}]; ep != nil {
				ep.Counters.ESPUnknownSPI.Add(1)
			} else {
				g.Counters.UnknownSPI.Add(1)
			}
			return
		}
		esp.add(in, b)
	case kindIKE:
		ep := g.byPair[[2]netip.Addr{local, from.Addr()}]
		if ep == nil {
			g.Counters.UnknownPeer.Add(1)
			return
		}
		ep.deliver(event{pkt: append([]byte(nil), b[4:]...), from: from, natt: true})
	case kindKeepalive:
		if ep := g.byPair[[2]netip.Addr{local, from.Addr()}]; ep != nil {
			ep.Counters.Keepalives.Add(1)
		}
	default:
		g.Counters.Junk.Add(1)
	}
}

func (e *Endpoint) countESPError(err error) {
	switch {
	case errors.Is(err, errESPAuth):
		e.Counters.ESPAuthFailed.Add(1)
	case errors.Is(err, errESPReplay):
		e.Counters.ESPReplayed.Add(1)
	case errors.Is(err, errESPDummy):
	default:
		e.Counters.ESPMalformed.Add(1)
	}
}

// innerAllowed checks a decrypted packet against the SA's traffic selectors (RFC 4301 §5.2).
func (e *Endpoint) innerAllowed(c *childSA, p []byte) bool {
	src, dst, ok := ipv4Addrs(p)
	return ok && c.remote.Contains(src) && c.local.Contains(dst)
}

func ipv4Addrs(p []byte) (src, dst netip.Addr, ok bool) {
	if len(p) < 20 || p[0]>>4 != 4 {
		return src, dst, false
	}
	return netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20])), true
}

// outBatch collects sealed datagrams per local socket.
type outBatch struct {
	conn Conn
	ds   []Datagram
}

// sealJob is one packet of a batch read from the device: where it goes and with which
// sequence number, decided in order before the packets are encrypted (possibly in parallel).
type sealJob struct {
	ep  *Endpoint
	c   *childSA
	seq uint32
	n   int // inner length in; sealed length out
}

// sealRange is work for a sealing helper: encrypt jobs[from:to] into bufs.
type sealRange struct {
	bufs     [][]byte
	jobs     []sealJob
	from, to int
	done     chan struct{}
	scratch  sealScratch
}

// sealScratch is a sealing goroutine's own state for espSA.sealBatch, kept between batches.
type sealScratch struct {
	mac        batchMAC
	dst, inner [][]byte
	seqs       []uint32
	lens       []int
}

// sealAll seals jobs[from:to], each run of packets of one SA together (espSA.sealBatch).
func sealAll(sc *sealScratch, bufs [][]byte, jobs []sealJob, from, to int) {
	for i := from; i < to; {
		if jobs[i].c == nil {
			i++
			continue
		}
		sa := jobs[i].c.out
		sc.dst, sc.inner, sc.seqs, sc.lens = sc.dst[:0], sc.inner[:0], sc.seqs[:0], sc.lens[:0]
		k := i
		for ; k < to && jobs[k].c != nil && jobs[k].c.out == sa; k++ {
			sc.dst = append(sc.dst, bufs[k])
			sc.inner = append(sc.inner, bufs[k][headroom:headroom+jobs[k].n])
			sc.seqs = append(sc.seqs, jobs[k].seq)
			sc.lens = append(sc.lens, 0)
		}
		sa.sealBatch(&sc.mac, sc.dst, sc.inner, sc.seqs, sc.lens)
		for x := i; x < k; x++ {
			jobs[x].n = sc.lens[x-i]
		}
		clear(sc.dst)
		clear(sc.inner)
		i = k
	}
}

// sealer encrypts ranges of batches handed to it, so a large batch from the device is
// encrypted on two cores while its order on the wire stays that of the sequence numbers.
func (g *Gateway) sealer(work <-chan *sealRange) {
	for r := range work {
		sealAll(&r.scratch, r.bufs, r.jobs, r.from, r.to)
		r.done <- struct{}{}
	}
}

// parallelSealMin is the batch size from which half of it is handed to the helper.
const parallelSealMin = 8

// readDevice encrypts what the host routes into the device and sends it in batches.
func (g *Gateway) readDevice() {
	defer g.wg.Done()
	bufs := make([][]byte, batchSize)
	views := make([][]byte, batchSize)
	sizes := make([]int, batchSize)
	jobs := make([]sealJob, batchSize)
	for i := range bufs {
		bufs[i] = make([]byte, bufSize)
		views[i] = bufs[i][headroom : bufSize-espOverhead]
	}
	var work chan *sealRange
	help := &sealRange{bufs: bufs, jobs: jobs, done: make(chan struct{}, 1)}
	var own sealScratch
	if runtime.GOMAXPROCS(0) > 1 {
		work = make(chan *sealRange)
		go g.sealer(work)
		defer close(work)
	}
	bd, batched := g.dev.(BatchDevice)
	var outs []*outBatch
	bySock := map[netip.Addr]*outBatch{}
	for {
		var n int
		var err error
		if batched {
			n, err = bd.ReadPackets(views, sizes)
		} else {
			sizes[0], err = g.dev.ReadPacket(views[0])
			n = 1
		}
		if err != nil {
			if g.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for i := 0; i < n; i++ {
			jobs[i] = sealJob{n: sizes[i]}
			src, dst, ok := ipv4Addrs(views[i][:sizes[i]])
			if !ok {
				g.Counters.NotIPv4.Add(1)
				continue
			}
			ep, c := g.route(src, dst)
			if c == nil {
				continue
			}
			seq, err := c.out.nextSeq()
			if err != nil {
				ep.Counters.NoSADrops.Add(1)
				ep.requestSA()
				continue
			}
			jobs[i].ep, jobs[i].c, jobs[i].seq = ep, c, seq
		}
		if work != nil && n >= parallelSealMin {
			// Halves of a multiple of minMACBatch packets, so both fill their lanes.
			mid := (n/2 + minMACBatch - 1) / minMACBatch * minMACBatch
			if mid >= n {
				mid = n / 2
			}
			help.from, help.to = mid, n
			work <- help
			sealAll(&own, bufs, jobs, 0, mid)
			<-help.done
		} else {
			sealAll(&own, bufs, jobs, 0, n)
		}
		for i := 0; i < n; i++ {
			j := &jobs[i]
			if j.c == nil {
				continue
			}
			ob := bySock[j.ep.cfg.Local]
			if ob == nil {
				ob = &outBatch{conn: g.socks[j.ep.cfg.Local].natt}
				bySock[j.ep.cfg.Local] = ob
				outs = append(outs, ob)
			}
			ob.ds = append(ob.ds, Datagram{Buf: bufs[i][:j.n], Addr: j.c.dst})
			j.ep.Counters.ESPOut.Add(1)
			j.ep.Counters.ESPOutBytes.Add(uint64(sizes[i]))
		}
		for _, ob := range outs {
			if len(ob.ds) > 0 {
				ob.conn.WriteBatch(ob.ds)
				clear(ob.ds)
				ob.ds = ob.ds[:0]
			}
		}
		clear(jobs[:n])
	}
}

// route picks the tunnel and SA for an inner packet: the first tunnel, in configuration
// order, with an SA for it. Without one, tunnels that carry dst are asked to negotiate and
// the packet is dropped (never sent in clear).
func (g *Gateway) route(src, dst netip.Addr) (*Endpoint, *childSA) {
	for _, ep := range g.endpoints {
		if c := ep.outbound(src, dst); c != nil {
			return ep, c
		}
	}
	wanted := false
	for _, ep := range g.endpoints {
		if ep.wants(dst) {
			wanted = true
			ep.Counters.NoSADrops.Add(1)
			ep.requestSA()
		}
	}
	if !wanted {
		g.Counters.NoTunnel.Add(1)
	}
	return nil, nil
}
