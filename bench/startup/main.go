// Command startup measures how fast the sandbox builds a data plane of N hosts joined by veth
// pairs (a star: one hub, N-1 leaves, each link addressed on both ends), against the kernel's
// floor for the same namespaces and pairs: `ip -batch` (bench/netns-floor.sh). It prints the
// time of the sandbox's start and of its Apply, and with -floor runs the script in the same
// process for the ratio.
//
//	go run ./bench/startup -hosts 224 -floor
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netspec"
)

// star is the spec: hub "h0" and leaves h1..hN-1, link i from the hub's v<i> to the leaf's
// eth0, addressed 10.<i/64>.<4*(i%64)>.1/30 and .2/30.
func star(n int) *netspec.Spec {
	s := &netspec.Spec{Hosts: []*netspec.Host{{Name: "h0", Kind: "router", Forwarding: true}}}
	for i := 1; i < n; i++ {
		name := "h" + strconv.Itoa(i)
		s.Hosts = append(s.Hosts, &netspec.Host{Name: name, Kind: "instance"})
		base := netip.AddrFrom4([4]byte{10, byte(i / 64), byte(4 * (i % 64)), 0})
		a, b := base.Next(), base.Next().Next()
		s.Links = append(s.Links, &netspec.Link{
			A: netspec.End{Host: "h0", Ifname: "v" + strconv.Itoa(i), Addrs: []netip.Prefix{netip.PrefixFrom(a, 30)}},
			B: netspec.End{Host: name, Ifname: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(b, 30)}},
		})
	}
	return s
}

func main() {
	netns.Main()
	hosts := flag.Int("hosts", 224, "namespaces to create")
	floor := flag.Bool("floor", false, "also time bench/netns-floor.sh (ip -batch) for the ratio")
	verbose := flag.Bool("v", false, "log the sandbox's phases")
	flag.Parse()
	ctx := context.Background()
	start := time.Now()
	opts := netns.Options{}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts.Debug = true
	}
	sb, err := netns.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	started := time.Since(start)
	t0 := time.Now()
	if err := sb.Apply(ctx, star(*hosts)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	applied := time.Since(t0)
	sb.Close()
	fmt.Printf("spacelab: %d hosts, %d veth pairs: sandbox start %s, apply %s, total %s (%.2f ms/host)\n", *hosts, *hosts-1,
		started.Round(time.Millisecond), applied.Round(time.Millisecond), (started + applied).Round(time.Millisecond),
		float64((started+applied).Microseconds())/1000/float64(*hosts))
	if !*floor {
		return
	}
	// Let the kernel finish destroying the namespaces first, or the floor pays for it.
	time.Sleep(2 * time.Second)
	t0 = time.Now()
	out, err := exec.Command("bash", "bench/netns-floor.sh", strconv.Itoa(*hosts)).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v %s\n", err, out)
		os.Exit(1)
	}
	floorTook := time.Since(t0)
	fmt.Printf("peer: ip -batch, same namespaces and pairs: %s (%s)\n", floorTook.Round(time.Millisecond), strings.TrimSpace(string(out)))
	fmt.Printf("ratio spacelab/ip-batch: %.2f× (target ≤ 2×)\n", float64(started+applied)/float64(floorTook))
}
