package services_test

import (
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/ipsec/ipsectest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/services"
)

// gatewayEnv is an Env with real UDP sockets (the service binds ports 500 and 4500 of its
// tunnel address; on loopback, as root) and an in-memory packet device.
func gatewayEnv(t *testing.T, dev *ipsectest.Device) services.Env {
	return services.Env{
		Host:         "test",
		ListenPacket: func(network, addr string) (net.PacketConn, error) { return net.ListenPacket(network, addr) },
		OpenDevice: func(name string, mtu int, addrs []netip.Prefix) (services.PacketDevice, error) {
			return dev, nil
		},
	}
}

func TestIPsecServiceTunnel(t *testing.T) {
	a, b := netip.MustParseAddr("127.0.0.41"), netip.MustParseAddr("127.0.0.42")
	if pc, err := net.ListenPacket("udp4", netip.AddrPortFrom(a, 500).String()); err != nil {
		testenv.Missing(t, "binding UDP port 500 (root): %v", err)
	} else {
		pc.Close()
	}
	space := netspec.IPsecTunnel{Name: "tunnel-1", Local: a, Peer: b, PSK: "k", LocalNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")},
		RemoteNets: []netip.Prefix{netip.MustParsePrefix("172.16.0.0/16")}}
	office := netspec.IPsecTunnel{Name: "office", Local: b, Peer: a, PSK: "k", LocalNets: space.RemoteNets, RemoteNets: space.LocalNets,
		Initiate: true, Policy: netspec.IPsecPolicy{IKE: []string{"aes128-sha256-modp2048"}, ESP: []string{"aes128-sha256"}}}
	sdev, odev := ipsectest.NewDevice(), ipsectest.NewDevice()
	ss, err := services.Start(netspec.Service{Name: "vpn", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: []netspec.IPsecTunnel{space}}}, gatewayEnv(t, sdev))
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	osvc, err := services.Start(netspec.Service{Name: "vpn", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: []netspec.IPsecTunnel{office}}}, gatewayEnv(t, odev))
	if err != nil {
		t.Fatal(err)
	}
	defer osvc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := json.Marshal(ss.(services.Statuser).Status())
		var st services.IPsecStatus
		json.Unmarshal(b, &st)
		if len(st.Tunnels) == 1 && st.Tunnels[0].State == "UP" {
			if !strings.Contains(st.Tunnels[0].Message, "aes128-sha256-modp2048") {
				t.Errorf("status %q", st.Tunnels[0].Message)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status: %s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	p := ipsectest.IPv4(netip.MustParseAddr("172.16.0.10"), netip.MustParseAddr("10.0.1.10"), 17, []byte("through the service"))
	odev.Inject(p)
	got, ok := sdev.Receive(2 * time.Second)
	if !ok || string(got) != string(p) {
		t.Fatalf("packet did not cross: %v %x", ok, got)
	}
	if _, err := services.Start(netspec.Service{Name: "bad", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: []netspec.IPsecTunnel{{Name: "x", Local: a, Peer: b, PSK: "k",
		LocalNets: space.LocalNets, RemoteNets: space.RemoteNets, Policy: netspec.IPsecPolicy{IKE: []string{"3des-md5-modp1024"}}}}}}, gatewayEnv(t, ipsectest.NewDevice())); err == nil {
		t.Error("an unsupported proposal was accepted")
	}
}

// A gateway whose TUN device cannot be opened (an unprivileged user without /dev/net/tun) still
// runs and reports every tunnel DOWN with the cause, so `spacelab status` and the Heroku API say
// why instead of showing an empty reason.
func TestIPsecServiceWithoutDevice(t *testing.T) {
	env := services.Env{
		Host:         "vpn/space/office",
		ListenPacket: func(network, addr string) (net.PacketConn, error) { return net.ListenPacket(network, addr) },
		OpenDevice: func(name string, mtu int, addrs []netip.Prefix) (services.PacketDevice, error) {
			return nil, &os.PathError{Op: "open", Path: "/dev/net/tun", Err: os.ErrPermission}
		},
	}
	tunnels := []netspec.IPsecTunnel{
		{Name: "vpn-1-tunnel-1", Local: netip.MustParseAddr("127.0.0.51"), Peer: netip.MustParseAddr("127.0.0.52"), PSK: "k"},
		{Name: "vpn-1-tunnel-2", Local: netip.MustParseAddr("127.0.0.53"), Peer: netip.MustParseAddr("127.0.0.52"), PSK: "k"},
	}
	svc, err := services.Start(netspec.Service{Name: "vpn", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: tunnels}}, env)
	if err != nil {
		t.Fatalf("a gateway without its device must still report its tunnels, got %v", err)
	}
	defer svc.Close()
	b, _ := json.Marshal(svc.(services.Statuser).Status())
	var st services.IPsecStatus
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Tunnels) != 2 {
		t.Fatalf("want both tunnels reported, got %s", b)
	}
	for _, tu := range st.Tunnels {
		if tu.State != "DOWN" || !strings.Contains(tu.Message, "/dev/net/tun") || !strings.Contains(tu.Message, "permission denied") || !strings.Contains(tu.Message, "spacelab doctor") {
			t.Errorf("tunnel %s: %s %q", tu.Name, tu.State, tu.Message)
		}
	}
}
