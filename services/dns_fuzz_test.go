package services

import (
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/spacelab-dev/spacelab/netspec"
)

// FuzzDNSAnswer feeds arbitrary datagrams to the sandbox's DNS server the way miekg/dns hands
// them over: whatever unpacks is answered without panicking, the answer packs, keeps the
// question's id, and holds only records of the configured zone.
func FuzzDNSAnswer(f *testing.F) {
	for _, q := range []struct {
		name string
		typ  uint16
	}{{"web.1.app.app.localspace.", dns.TypeA}, {"app.localspace.", dns.TypeANY}, {"APP.localspace.", dns.TypeAAAA}, {"example.com.", dns.TypeA}, {".", dns.TypeNS}} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.typ)
		m.SetEdns0(1232, true)
		b, _ := m.Pack()
		f.Add(b, true)
		f.Add(b, false)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0}, true)
	cfg := &netspec.DNSConfig{Zones: []string{"app.localspace."}, Pick: 3, Records: []netspec.DNSRecord{
		{Name: "web.1.app.app.localspace.", Addr: netip.MustParseAddr("10.0.0.5"), TTL: 10},
		{Name: "web.app.app.localspace.", Addr: netip.MustParseAddr("10.0.0.5"), TTL: 10},
		{Name: "web.app.app.localspace.", Addr: netip.MustParseAddr("10.0.0.6"), TTL: 10},
	}}
	s := &dnsServer{}
	s.cfg.Store(&netspec.Service{Name: "dns", Kind: "dns", DNS: cfg})
	f.Fuzz(func(t *testing.T, pkt []byte, udp bool) {
		req := new(dns.Msg)
		if err := req.Unpack(pkt); err != nil {
			return // miekg/dns drops what does not unpack
		}
		w := &recorder{udp: udp}
		s.ServeDNS(w, req)
		if w.msg == nil {
			t.Fatalf("no answer to %v", req)
		}
		if _, err := w.msg.Pack(); err != nil {
			t.Fatalf("answer does not pack: %v", err)
		}
		if w.msg.Id != req.Id {
			t.Fatalf("answer id %d for question id %d", w.msg.Id, req.Id)
		}
		for _, rr := range w.msg.Answer {
			if !inZone(cfg.Zones, dnsLower(rr.Header().Name)) {
				t.Fatalf("answer %v outside the zone", rr)
			}
		}
	})
}

func dnsLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// recorder is a dns.ResponseWriter that keeps the answer.
type recorder struct {
	udp bool
	msg *dns.Msg
}

func (r *recorder) LocalAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 53} }
func (r *recorder) RemoteAddr() net.Addr {
	if r.udp {
		return &net.UDPAddr{IP: net.IPv4(10, 0, 0, 9), Port: 40000}
	}
	return &net.TCPAddr{IP: net.IPv4(10, 0, 0, 9), Port: 40000}
}
func (r *recorder) WriteMsg(m *dns.Msg) error   { r.msg = m; return nil }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) Close() error                { return nil }
func (r *recorder) TsigStatus() error           { return nil }
func (r *recorder) TsigTimersOnly(bool)         {}
func (r *recorder) Hijack()                     {}
