//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// Probe runs a reachability check from a host. Failures are results, not errors; the error
// is for a probe that could not run at all (no such host).
func (a *Agent) Probe(p netspec.Probe, out *netspec.ProbeResult) error {
	h, hs := a.lookup(p.From)
	if h == nil {
		return fmt.Errorf("%w: %q", ErrNoHost, p.From)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	var before map[string]map[string]uint64
	if p.Witness {
		before = a.allDrops()
	}
	ctx, cancelCause := context.WithCancelCause(context.Background())
	defer cancelCause(nil)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var w *witness
	if p.Expect != nil {
		var err error
		if w, err = a.watchDrop(ctx, cancelCause, p.Expect); err != nil {
			a.log.Debug("probe: cannot watch the expected drop", "at", p.Expect.Host, "err", err)
		}
	}
	start := time.Now()
	var r netspec.ProbeResult
	var err error
	switch p.Kind {
	case "http":
		r, err = probeHTTP(ctx, h, hs, p)
	case "dns":
		r, err = probeDNS(ctx, h, hs, p)
	case "tcp":
		r, err = probeTCP(ctx, h, hs, p)
	case "icmp":
		r, err = probeICMP(ctx, h, hs, p)
	case "udp":
		r, err = probeUDP(ctx, h, hs, p)
	default:
		err = fmt.Errorf("unknown probe kind %q", p.Kind)
	}
	r.Elapsed = time.Since(start)
	if w != nil {
		w.stop()
		r.Witnessed = <-w.how
	}
	if err != nil {
		r.OK = false
		r.Err = describeErr(err)
		if context.Cause(ctx) == errWitnessed {
			r.Err = "dropped at " + p.Expect.Host
		}
	}
	if p.Witness {
		r.Drops = diffDrops(before, a.allDrops())
	}
	*out = r
	return nil
}

func describeErr(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return "timed out: " + err.Error()
	}
	return err.Error()
}

func (a *Agent) allDrops() map[string]map[string]uint64 {
	a.mu.Lock()
	hosts := make([]*host, 0, len(a.hosts))
	for _, h := range a.hosts {
		hosts = append(hosts, h)
	}
	a.mu.Unlock()
	out := map[string]map[string]uint64{}
	for _, h := range hosts {
		if c, err := h.dropCounters(); err == nil && c != nil {
			out[h.name] = c
		}
	}
	return out
}

func diffDrops(before, after map[string]map[string]uint64) []netspec.DropCount {
	var out []netspec.DropCount
	for host, rules := range after {
		for why, n := range rules {
			if d := n - before[host][why]; d > 0 {
				out = append(out, netspec.DropCount{Host: host, Why: why, Packets: d})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host+out[i].Why < out[j].Host+out[j].Why })
	return out
}

// resolve turns a name into addresses through the host's resolver (or server), as a stub
// resolver would: one A query over UDP.
func resolve(ctx context.Context, h *host, hs *netspec.Host, name string, server netip.Addr, r *netspec.ProbeResult) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a}, nil
	}
	if !server.IsValid() {
		if len(hs.Resolvers) == 0 {
			return nil, fmt.Errorf("%s has no resolver", hs.Name)
		}
		server = hs.Resolvers[0]
	}
	srv := netip.AddrPortFrom(server, 53)
	r.Server = srv
	fqdn := dns.Fqdn(name)
	c, err := h.dial(ctx, "udp4", srv.String())
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", name, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	co := &dns.Conn{Conn: c}
	q := new(dns.Msg)
	q.SetQuestion(fqdn, dns.TypeA)
	q.SetEdns0(4096, false)
	if err := co.WriteMsg(q); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", name, err)
	}
	resp, err := co.ReadMsg()
	if err != nil {
		return nil, fmt.Errorf("resolve %s via %s: %w", name, srv, err)
	}
	if resp.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("resolve %s via %s: %s", name, srv, dns.RcodeToString[resp.Rcode])
	}
	var out []netip.Addr
	for _, rr := range resp.Answer {
		if a, ok := rr.(*dns.A); ok {
			addr, _ := netip.AddrFromSlice(a.A)
			out = append(out, addr.Unmap())
			r.TTLs = append(r.TTLs, a.Hdr.Ttl)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("resolve %s via %s: no A records", name, srv)
	}
	r.Addrs = out
	return out, nil
}

func probeDNS(ctx context.Context, h *host, hs *netspec.Host, p netspec.Probe) (netspec.ProbeResult, error) {
	var r netspec.ProbeResult
	_, err := resolve(ctx, h, hs, p.Target, p.Server, &r)
	r.OK = err == nil
	return r, err
}

func probeTCP(ctx context.Context, h *host, hs *netspec.Host, p netspec.Probe) (netspec.ProbeResult, error) {
	var r netspec.ProbeResult
	name, port, err := net.SplitHostPort(p.Target)
	if err != nil {
		return r, err
	}
	addrs, err := resolve(ctx, h, hs, name, p.Server, &r)
	if err != nil {
		return r, err
	}
	target := net.JoinHostPort(addrs[0].String(), port)
	r.Remote, _ = netip.ParseAddrPort(target)
	c, err := dialTCP(ctx, h, target, &r)
	if err != nil {
		return r, err
	}
	defer c.Close()
	// A server that speaks first (a banner) is read, briefly.
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	r.Body = string(buf[:n])
	r.OK = true
	return r, nil
}

func probeHTTP(ctx context.Context, h *host, hs *netspec.Host, p netspec.Probe) (netspec.ProbeResult, error) {
	var r netspec.ProbeResult
	target := p.Target
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil {
		return r, err
	}
	if u.Scheme != "http" {
		return r, fmt.Errorf("only http:// URLs can be probed, got %s", u.Scheme)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	addrs, err := resolve(ctx, h, hs, u.Hostname(), p.Server, &r)
	if err != nil {
		return r, err
	}
	remote := net.JoinHostPort(addrs[0].String(), port)
	r.Remote, _ = netip.ParseAddrPort(remote)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialTCP(ctx, h, remote, &r)
		},
		DisableKeepAlives: true,
		Proxy:             nil,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return r, err
	}
	req.Header.Set("User-Agent", "spacelab-probe/1")
	resp, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64*1024))
	r.Status, r.Header, r.Body = resp.StatusCode, resp.Header, string(body)
	r.OK = true
	return r, nil
}

func probeICMP(ctx context.Context, h *host, hs *netspec.Host, p netspec.Probe) (netspec.ProbeResult, error) {
	var r netspec.ProbeResult
	addrs, err := resolve(ctx, h, hs, p.Target, p.Server, &r)
	if err != nil {
		return r, err
	}
	if err := h.allowPing(); err != nil {
		return r, err
	}
	var pc *icmp.PacketConn
	err = inNS(h.ns, func() error {
		var err error
		pc, err = icmp.ListenPacket("udp4", "0.0.0.0")
		return err
	})
	if err != nil {
		return r, fmt.Errorf("icmp socket: %w", err)
	}
	defer pc.Close()
	if dl, ok := ctx.Deadline(); ok {
		pc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { pc.SetDeadline(time.Now()) })
	defer stop()
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: 1, Seq: 1, Data: []byte("spacelab")}}
	b, _ := msg.Marshal(nil)
	dst := &net.UDPAddr{IP: addrs[0].AsSlice()}
	if _, err := pc.WriteTo(b, dst); err != nil {
		return r, err
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return r, err
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil {
			continue
		}
		switch m.Type {
		case ipv4.ICMPTypeEchoReply:
			r.OK = true
			r.Remote, _ = netip.ParseAddrPort(net.JoinHostPort(strings.Split(from.String(), ":")[0], "0"))
			return r, nil
		case ipv4.ICMPTypeDestinationUnreachable:
			return r, fmt.Errorf("destination unreachable (from %s, code %s)", from, strconv.Itoa(m.Code))
		}
	}
}

// probeUDP sends one datagram to host:port and waits for any answer; an ICMP port unreachable
// comes back as a refused read.
func probeUDP(ctx context.Context, h *host, hs *netspec.Host, p netspec.Probe) (netspec.ProbeResult, error) {
	var r netspec.ProbeResult
	name, port, err := net.SplitHostPort(p.Target)
	if err != nil {
		return r, err
	}
	addrs, err := resolve(ctx, h, hs, name, p.Server, &r)
	if err != nil {
		return r, err
	}
	target := net.JoinHostPort(addrs[0].String(), port)
	r.Remote, _ = netip.ParseAddrPort(target)
	c, err := h.dial(ctx, "udp4", target)
	if err != nil {
		return r, err
	}
	defer c.Close()
	r.Local, _ = netip.ParseAddrPort(c.LocalAddr().String())
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.Write([]byte("spacelab probe\n")); err != nil {
		return r, err
	}
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		return r, err
	}
	r.Body = string(buf[:n])
	r.OK = true
	return r, nil
}

// dialTCP connects from inside the host, binding the socket first so its source port is known
// (and reported in r.Local) even when no answer ever comes.
func dialTCP(ctx context.Context, h *host, target string, r *netspec.ProbeResult) (net.Conn, error) {
	var c net.Conn
	d := net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			if unix.Bind(int(fd), &unix.SockaddrInet4{}) != nil {
				return
			}
			if sa, err := unix.Getsockname(int(fd)); err == nil {
				if in, ok := sa.(*unix.SockaddrInet4); ok {
					r.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte{}), uint16(in.Port))
				}
			}
		})
	}}
	err := inNS(h.ns, func() error {
		var err error
		c, err = d.DialContext(ctx, "tcp4", target)
		return err
	})
	if err == nil {
		r.Local, _ = netip.ParseAddrPort(c.LocalAddr().String())
	}
	return c, err
}
