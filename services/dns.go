package services

import (
	"context"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/spacelab-dev/spacelab/netspec"
)

// dnsServer answers A queries for its zones from its records and forwards everything else to
// its forwarders: the public resolver of the internet, AmazonProvidedDNS of a VPC, and the
// space's service discovery for *.app.localspace are all this one server with different data.
type dnsServer struct {
	cfg     atomic.Pointer[netspec.Service]
	env     Env
	servers []*dns.Server
}

func startDNS(cfg netspec.Service, env Env) (Service, error) {
	s := &dnsServer{env: env}
	s.cfg.Store(&cfg)
	for _, ap := range cfg.Listen {
		pc, err := env.ListenPacket("udp4", ap.String())
		if err != nil {
			s.Close()
			return nil, err
		}
		l, err := env.Listen("tcp4", ap.String())
		if err != nil {
			pc.Close()
			s.Close()
			return nil, err
		}
		for _, srv := range []*dns.Server{{PacketConn: pc, Handler: s}, {Listener: l, Handler: s}} {
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			s.servers = append(s.servers, srv)
			go srv.ActivateAndServe()
			<-started
		}
	}
	return s, nil
}

// ServeDNS implements dns.Handler.
func (s *dnsServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	cfg := s.cfg.Load().DNS
	resp := s.answer(cfg, w.RemoteAddr(), req)
	if resp == nil {
		return // dropped
	}
	if o := req.IsEdns0(); o != nil && resp.IsEdns0() == nil {
		resp.SetEdns0(4096, false)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		resp.Truncate(dns.MinMsgSize)
		if o := req.IsEdns0(); o != nil {
			resp.Truncate(int(o.UDPSize()))
		}
	}
	// Names are compressed as every real server does, whatever the size (Truncate turns
	// compression off when the answer fits without it): the answers point back at the
	// question's name, so the seed's two-record answer is 91 bytes, not 151.
	resp.Compress = true
	w.WriteMsg(resp)
}

func (s *dnsServer) answer(cfg *netspec.DNSConfig, from net.Addr, req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = len(cfg.Forwarders) > 0 || inZone(cfg.Zones, ".")
	if !allowed(cfg.AllowedSources, clientAddr(from)) {
		m.Rcode = dns.RcodeRefused
		return m
	}
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if !inZone(cfg.Zones, name) {
		if len(cfg.Forwarders) == 0 {
			m.Rcode = dns.RcodeRefused
			return m
		}
		return s.forward(cfg, req)
	}
	m.Authoritative = true
	var found []netspec.DNSRecord
	for _, r := range cfg.Records {
		if r.Name == name {
			found = append(found, r)
		}
	}
	if len(found) == 0 {
		// A name below a known one (an empty non-terminal) exists; anything else does not.
		exists := false
		for _, r := range cfg.Records {
			if strings.HasSuffix(r.Name, "."+name) {
				exists = true
				break
			}
		}
		if !exists {
			m.Rcode = dns.RcodeNameError
		}
		m.Ns = []dns.RR{soa(zoneOf(cfg.Zones, name))}
		return m
	}
	if q.Qtype != dns.TypeA && q.Qtype != dns.TypeANY {
		m.Ns = []dns.RR{soa(zoneOf(cfg.Zones, name))}
		return m
	}
	if cfg.Pick > 0 && len(found) > cfg.Pick {
		rand.Shuffle(len(found), func(i, j int) { found[i], found[j] = found[j], found[i] })
		found = found[:cfg.Pick]
	}
	for _, r := range found {
		m.Answer = append(m.Answer, &dns.A{
			Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: r.TTL},
			A:   r.Addr.AsSlice(),
		})
	}
	return m
}

func (s *dnsServer) forward(cfg *netspec.DNSConfig, req *dns.Msg) *dns.Msg {
	for _, fwd := range cfg.Forwarders {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		resp, err := s.exchange(ctx, req, fwd.String())
		cancel()
		if err == nil {
			// A recursive resolver's answer is not authoritative (dig shows "qr rd ra").
			resp.Id, resp.Authoritative = req.Id, false
			return resp
		}
		s.env.Log.Debug("forward failed", "to", fwd, "err", err)
	}
	m := new(dns.Msg)
	m.SetRcode(req, dns.RcodeServerFailure)
	m.RecursionAvailable = true
	return m
}

func (s *dnsServer) exchange(ctx context.Context, req *dns.Msg, server string) (*dns.Msg, error) {
	c, err := s.env.Dial(ctx, "udp4", server)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	co := &dns.Conn{Conn: c}
	out := req.Copy()
	out.Id = dns.Id()
	if err := co.WriteMsg(out); err != nil {
		return nil, err
	}
	for {
		resp, err := co.ReadMsg()
		if err != nil {
			return nil, err
		}
		if resp.Id == out.Id {
			return resp, nil
		}
	}
}

func inZone(zones []string, name string) bool { return zoneOf(zones, name) != "" }

// zoneOf returns the longest zone that contains name.
func zoneOf(zones []string, name string) string {
	best := ""
	for _, z := range zones {
		if z == "." || name == z || strings.HasSuffix(name, "."+z) {
			if len(z) > len(best) {
				best = z
			}
		}
	}
	return best
}

func soa(zone string) dns.RR {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
		Ns:      "ns1." + strings.TrimPrefix(zone, "."),
		Mbox:    "hostmaster." + strings.TrimPrefix(zone, "."),
		Serial:  1,
		Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60,
	}
}

func (s *dnsServer) Update(cfg netspec.Service) bool {
	if !sameListen(s.cfg.Load().Listen, cfg.Listen) || cfg.DNS == nil {
		return false
	}
	s.cfg.Store(&cfg)
	return true
}

func (s *dnsServer) Close() error {
	for _, srv := range s.servers {
		srv.Shutdown()
	}
	return nil
}
