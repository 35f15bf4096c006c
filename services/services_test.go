package services_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/services"
)

// loopback is an Env whose listeners bind 127.0.0.1 on free ports and report where.
type loopback struct {
	t     *testing.T
	addrs []string
}

func (lb *loopback) env() services.Env {
	return services.Env{
		Host: "test",
		Listen: func(network, addr string) (net.Listener, error) {
			l, err := net.Listen("tcp4", "127.0.0.1:0")
			if err == nil {
				lb.addrs = append(lb.addrs, l.Addr().String())
			}
			return l, err
		},
		ListenPacket: func(network, addr string) (net.PacketConn, error) {
			// DNS: UDP and TCP on the same port.
			pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err == nil {
				lb.addrs = append(lb.addrs, pc.LocalAddr().String())
			}
			return pc, err
		},
	}
}

func start(t *testing.T, cfg netspec.Service, lb *loopback) services.Service {
	t.Helper()
	s, err := services.Start(cfg, lb.env())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var anyAddr = []netip.AddrPort{netip.MustParseAddrPort("10.0.0.5:5000")}

func get(t *testing.T, addr, host string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRouterProxiesToWebDynosWithVia(t *testing.T) {
	web := &loopback{t: t}
	start(t, netspec.Service{Name: "web", Kind: "web", Listen: anyAddr, Web: &netspec.WebConfig{App: "app1", Dyno: "web.1"}}, web)
	backend := netip.MustParseAddrPort(web.addrs[0])
	router := &loopback{t: t}
	cfg := netspec.Service{Name: "router", Kind: "proxy", Listen: anyAddr, Proxy: &netspec.ProxyConfig{
		Via: "spaces-router (abc123)", Backends: map[string][]netip.AddrPort{"app1.herokuapp.com": {backend}, "idle.herokuapp.com": nil}}}
	r := start(t, cfg, router)
	tests := []struct {
		name, host string
		status     int
		body       string
	}{
		{"known app", "app1.herokuapp.com", 200, "served by web.1"},
		{"host with port", "app1.herokuapp.com:80", 200, "served by web.1"},
		{"unknown app", "nope.herokuapp.com", 404, "No such app"},
		{"app without a web dyno up (H14)", "idle.herokuapp.com", 503, "Application Error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, router.addrs[0], tc.host)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("status %d body %q", resp.StatusCode, body)
			}
			if via := resp.Header.Get("Via"); via != "1.1 spaces-router (abc123)" {
				t.Fatalf("Via = %q", via)
			}
		})
	}
	// Backends change in place; the listener stays.
	cfg.Proxy = &netspec.ProxyConfig{Via: "spaces-router (abc123)", Backends: map[string][]netip.AddrPort{}}
	if !r.Update(cfg) {
		t.Fatal("update refused")
	}
	if resp, _ := get(t, router.addrs[0], "app1.herokuapp.com"); resp.StatusCode != 404 {
		t.Fatalf("after update: %d", resp.StatusCode)
	}
}

func TestRouterWithDeadBackendAnswers503(t *testing.T) {
	router := &loopback{t: t}
	start(t, netspec.Service{Name: "router", Kind: "proxy", Listen: anyAddr, Proxy: &netspec.ProxyConfig{
		Via: "spaces-router (x)", Backends: map[string][]netip.AddrPort{"a.herokuapp.com": {netip.MustParseAddrPort("127.0.0.1:1")}}}}, router)
	resp, body := get(t, router.addrs[0], "a.herokuapp.com")
	if resp.StatusCode != 503 || !strings.Contains(body, "Application Error") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func query(t *testing.T, server, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDNS(t *testing.T) {
	upstream := &loopback{t: t}
	start(t, netspec.Service{Name: "public", Kind: "dns", Listen: anyAddr, DNS: &netspec.DNSConfig{
		Zones: []string{"."}, Records: []netspec.DNSRecord{
			{Name: "app.herokuapp.com.", Addr: netip.MustParseAddr("10.0.25.212"), TTL: 60},
			{Name: "app.herokuapp.com.", Addr: netip.MustParseAddr("10.0.15.133"), TTL: 60},
		}}}, upstream)
	vpc := &loopback{t: t}
	var recs []netspec.DNSRecord
	for i := range 5 {
		recs = append(recs, netspec.DNSRecord{Name: "worker.a.app.localspace.", Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + i)}), TTL: 60})
	}
	recs = append(recs, netspec.DNSRecord{Name: "ip-172-16-0-8.ec2.internal.", Addr: netip.MustParseAddr("172.16.0.8"), TTL: 60})
	start(t, netspec.Service{Name: "vpc", Kind: "dns", Listen: anyAddr, DNS: &netspec.DNSConfig{
		Zones: []string{"ec2.internal.", "app.localspace."}, Records: recs, Pick: 3,
		Forwarders: []netip.AddrPort{netip.MustParseAddrPort(upstream.addrs[0])}}}, vpc)
	server := vpc.addrs[0]
	tests := []struct {
		name    string
		q       string
		qtype   uint16
		rcode   int
		answers int
		aa      bool
	}{
		{"forwarded to the public resolver", "app.herokuapp.com.", dns.TypeA, dns.RcodeSuccess, 2, true},
		{"own zone", "ip-172-16-0-8.ec2.internal.", dns.TypeA, dns.RcodeSuccess, 1, true},
		{"own zone, missing", "ip-1-2-3-4.ec2.internal.", dns.TypeA, dns.RcodeNameError, 0, true},
		{"at most three of a process type", "worker.a.app.localspace.", dns.TypeA, dns.RcodeSuccess, 3, true},
		{"AAAA of an A-only name", "ip-172-16-0-8.ec2.internal.", dns.TypeAAAA, dns.RcodeSuccess, 0, true},
		{"unknown on the internet", "nothing.example.", dns.TypeA, dns.RcodeNameError, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := query(t, server, tc.q, tc.qtype)
			if r.Rcode != tc.rcode || len(r.Answer) != tc.answers {
				t.Fatalf("rcode %s answers %d: %v", dns.RcodeToString[r.Rcode], len(r.Answer), r.Answer)
			}
			for _, a := range r.Answer {
				if a.Header().Ttl != 60 {
					t.Fatalf("ttl %d", a.Header().Ttl)
				}
			}
		})
	}
}

func TestDNSRefusesOutsiders(t *testing.T) {
	lb := &loopback{t: t}
	start(t, netspec.Service{Name: "vpc", Kind: "dns", Listen: anyAddr, DNS: &netspec.DNSConfig{
		Zones: []string{"ec2.internal."}, AllowedSources: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/16")}}}, lb)
	if r := query(t, lb.addrs[0], "x.ec2.internal.", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
	}
}

func TestBannerAndEcho(t *testing.T) {
	lb := &loopback{t: t}
	start(t, netspec.Service{Name: "postgres", Kind: "tcp", Listen: anyAddr, Banner: "postgres ready"}, lb)
	c, err := net.Dial("tcp", lb.addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	c.Close()
	if string(b) != "postgres ready\r\n" {
		t.Fatalf("%q", b)
	}
	e := &loopback{t: t}
	start(t, netspec.Service{Name: "echo", Kind: "echo", Listen: anyAddr}, e)
	resp, body := get(t, e.addrs[0], "echo")
	if resp.StatusCode != 200 || strings.TrimSpace(body) != "127.0.0.1" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestUnknownKind(t *testing.T) {
	if _, err := services.Start(netspec.Service{Name: "x", Kind: "telnet"}, services.Env{}); err == nil {
		t.Fatal("want an error")
	}
}

var _ = context.Background

// TestDNSAnswerIsCompressed: the seed's dig of test-vpn-compute.herokuapp.com (two A records,
// EDNS) reads "MSG SIZE rcvd: 91", the size with the answers' names compressed — asked of the
// zone's own server and through a forwarding one, counted in the bytes on the wire and by dig
// when it is installed.
func TestDNSAnswerIsCompressed(t *testing.T) {
	public := &loopback{t: t}
	start(t, netspec.Service{Name: "public", Kind: "dns", Listen: anyAddr, DNS: &netspec.DNSConfig{
		Zones: []string{"."}, Records: []netspec.DNSRecord{
			{Name: "test-vpn-compute.herokuapp.com.", Addr: netip.MustParseAddr("10.0.25.212"), TTL: 60},
			{Name: "test-vpn-compute.herokuapp.com.", Addr: netip.MustParseAddr("10.0.15.133"), TTL: 60},
		}}}, public)
	vpc := &loopback{t: t}
	start(t, netspec.Service{Name: "vpc", Kind: "dns", Listen: anyAddr, DNS: &netspec.DNSConfig{
		Zones: []string{"ec2.internal."}, Forwarders: []netip.AddrPort{netip.MustParseAddrPort(public.addrs[0])}}}, vpc)
	for _, tc := range []struct{ name, server string }{{"authoritative", public.addrs[0]}, {"forwarded", vpc.addrs[0]}} {
		t.Run(tc.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion("test-vpn-compute.herokuapp.com.", dns.TypeA)
			m.SetEdns0(4096, false)
			wire, err := m.Pack()
			if err != nil {
				t.Fatal(err)
			}
			c, err := net.Dial("udp4", tc.server)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Write(wire); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4096)
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			if n != 91 {
				t.Errorf("answer is %d bytes on the wire, the seed's dig received 91", n)
			}
			dig := testenv.Binary(t, "dig")
			host, port, _ := net.SplitHostPort(tc.server)
			out, err := exec.Command(dig, "@"+host, "-p", port, "+tries=1", "test-vpn-compute.herokuapp.com").CombinedOutput()
			if err != nil || !strings.Contains(string(out), "MSG SIZE  rcvd: 91") {
				t.Errorf("dig: %v\n%s", err, out)
			}
		})
	}
}
