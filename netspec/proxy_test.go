package netspec_test

import (
	"bytes"
	"encoding/gob"
	"net/netip"
	"reflect"
	"testing"

	"github.com/spacelab-dev/spacelab/netspec"
)

// TestProxyConfigCrossesGob: a proxy's configuration decodes as it was encoded, inside a host
// as the sandbox receives it; empty maps and lists arrive as nil, as plain gob leaves them.
func TestProxyConfigCrossesGob(t *testing.T) {
	ap := netip.MustParseAddrPort
	router := netspec.ProxyConfig{
		Via: "spaces-router (0123456789ab)",
		Backends: map[string][]netip.AddrPort{
			"web-app.herokuapp.com": {ap("10.0.128.5:5000"), ap("10.0.128.6:5000")},
			"idle.herokuapp.com":    nil,
			"v6.example":            {ap("[2001:db8::1%eth0]:80")},
		},
		Names:          map[netip.AddrPort]string{ap("10.0.128.5:5000"): "web.1", ap("10.0.128.6:5000"): "web.2"},
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("2001:db8::/32")},
	}
	tests := []struct {
		name     string
		in, want netspec.ProxyConfig
	}{
		{"zero", netspec.ProxyConfig{}, netspec.ProxyConfig{}},
		{"empty maps", netspec.ProxyConfig{Via: "x", Backends: map[string][]netip.AddrPort{}, Names: map[netip.AddrPort]string{}, AllowedSources: []netip.Prefix{}},
			netspec.ProxyConfig{Via: "x"}},
		{"a space router", router, router},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := netspec.Host{Name: "space-router/s", Services: []netspec.Service{{Name: "router", Proxy: &tc.in}}}
			if err := gob.NewEncoder(&buf).Encode(h); err != nil {
				t.Fatal(err)
			}
			var got netspec.Host
			if err := gob.NewDecoder(&buf).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if len(got.Services) != 1 || got.Services[0].Proxy == nil || !reflect.DeepEqual(*got.Services[0].Proxy, tc.want) {
				t.Errorf("decoded %+v, want %+v", got.Services, tc.want)
			}
		})
	}
}

// FuzzProxyConfigDecode: any bytes decode to a config or an error, never a panic, and what
// decodes encodes back to a form that decodes the same.
func FuzzProxyConfigDecode(f *testing.F) {
	seed, _ := netspec.ProxyConfig{Via: "v", Backends: map[string][]netip.AddrPort{"a": {netip.MustParseAddrPort("10.0.0.1:80")}},
		Names: map[netip.AddrPort]string{netip.MustParseAddrPort("10.0.0.1:80"): "web.1"}, AllowedSources: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}.GobEncode()
	f.Add(seed)
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p netspec.ProxyConfig
		if p.GobDecode(b) != nil {
			return
		}
		again, err := p.GobEncode()
		if err != nil {
			t.Fatal(err)
		}
		var q netspec.ProxyConfig
		if err := q.GobDecode(again); err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("re-encoded config decodes as %+v (%v), want %+v", q, err, p)
		}
	})
}
