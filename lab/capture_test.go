package lab_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// TestLabCaptureTunnelInnerAndOuter records the office gateway while office-pc reaches the app
// through spacelab's own IPsec: the outer frames are ESP in UDP 4500 between the gateways, the
// inner ones (the TUN device) the plain TCP of the probe.
func TestLabCaptureTunnelInnerAndOuter(t *testing.T) {
	top := topology.Default()
	top.Offices[0].IPsec = "builtin"
	l := labtest.Start(t, lab.Options{Topology: top})
	ctx := context.Background()
	if err := l.World.Update(func(tx *emulator.Tx) error {
		_, err := tx.CreateVPNConnection(tx.Space("enablement-jp"), "office", netip.MustParseAddr("203.0.113.20"), []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	up := func() bool {
		n := 0
		l.World.View(func(tx *emulator.Tx) error {
			for _, tn := range tx.VPNConnections("")[0].Tunnels {
				if tn.Status == "UP" {
					n++
				}
			}
			return nil
		})
		return n == 2
	}
	for deadline := time.Now().Add(20 * time.Second); !up() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
	}
	if !up() {
		t.Fatal("the tunnels did not come up")
	}
	cctx, stop := context.WithCancel(ctx)
	var mu sync.Mutex
	var frames []netns.Frame
	var tuns []string
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- netns.Capture(cctx, l.Sandbox.SocketPath(), netns.CaptureRequest{Host: "office-gw"},
			func(ts []string) { tuns = ts; close(ready) },
			func(f netns.Frame) bool { mu.Lock(); frames = append(frames, f); mu.Unlock(); return true })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	c, err := l.Check(ctx, netspec.Probe{From: "office-pc", Kind: "tcp", Target: "10.0.25.212:80"})
	if err != nil || !c.Result.OK {
		t.Fatalf("office-pc → the router: %v %s", err, c.Summary())
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(tuns) == 0 {
		t.Fatal("the gateway reports no TUN device")
	}
	var inner, esp int
	for _, f := range frames {
		pkt := f.Decode()
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		switch {
		case f.Tunnel && tcp != nil && ip != nil && ip.DstIP.String() == "10.0.25.212" && tcp.DstPort == 80:
			inner++
		case !f.Tunnel && udp != nil && (udp.DstPort == 4500 || udp.SrcPort == 4500):
			esp++
		}
	}
	if inner == 0 || esp == 0 {
		var kinds []string
		for _, f := range frames {
			kinds = append(kinds, f.Iface)
		}
		t.Fatalf("%d frames: %d inner TCP to the router, %d ESP-in-UDP (ifaces %s)", len(frames), inner, esp, strings.Join(kinds, ","))
	}
}
