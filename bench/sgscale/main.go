// Command sgscale measures what one security group costs as it grows: N instances in a VPC's
// default group (whose default rule lets members reach each other, so every member's filter
// references the whole group). For each N it reports the time and peak memory to render the
// model into a network, and, up to -dataplane, to converge a real sandbox to it, per host.
//
//	go run ./bench/sgscale                                  # 10, 100, 1000, 10000 members
//	go run ./bench/sgscale -members 10,100,1000,5000,10000 -dataplane 10000
//
// Peak memory is VmHWM of this process (and of the sandbox process), reset before each case
// (/proc/PID/clear_refs), so each row is that case's own peak. Rows from 1,000 members on end
// with the growth of the per-host cost against the first of them (1.00× throughout is linear).
// A size that does not converge says why and the run goes on. -debug logs the sandbox's
// phases (hosts, links, per-host configuration) of each Apply.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netns"
)

var caller = emulator.Caller{Account: "435886841536", Region: "us-east-1"}

// world is one VPC (10.0.0.0/16, one /16 subnet) with n instances in its default group.
func world(n int) (*emulator.World, error) {
	w := emulator.NewWorld(emulator.Options{Seed: 1})
	err := w.Update(func(tx *emulator.Tx) error {
		tx.AddAccessKey(emulator.AccessKey{ID: "AKIABENCH", Secret: "s", Account: caller.Account})
		v, err := tx.CreateVPC(caller, netip.MustParsePrefix("10.0.0.0/16"), emulator.VPCOptions{})
		if err != nil {
			return err
		}
		s, err := tx.CreateSubnet(caller, v.ID, netip.MustParsePrefix("10.0.0.0/16"), emulator.SubnetOptions{})
		if err != nil {
			return err
		}
		for range n {
			if _, err := tx.RunInstance(caller, s.ID, emulator.InstanceOptions{}); err != nil {
				return err
			}
		}
		return nil
	})
	return w, err
}

// hwm is a process's peak resident memory in KiB; resetHWM starts a new peak.
func hwm(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}

func resetHWM(pid int) { os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) }

func main() {
	membersFlag := flag.String("members", "10,100,1000,10000", "group sizes to measure")
	dataplane := flag.Int("dataplane", 1000, "converge a real sandbox for sizes up to this (0: never)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run here")
	debug := flag.Bool("debug", false, "log the sandbox's debug events (phases of each Apply) to stderr")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sgscale:", err)
			os.Exit(2)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var sizes []int
	for _, s := range strings.Split(*membersFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintln(os.Stderr, "sgscale: -members:", err)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	ctx := context.Background()
	fmt.Printf("%8s | %10s %10s %12s %12s | %10s %10s %14s %14s\n", "members", "render", "ms/host", "peak KiB", "KiB/host",
		"converge", "ms/host", "peak KiB (sb)", "KiB/host (sb)")
	var firstMs, firstKiB float64 // per host at the first converged size of 1,000 or more: the growth baseline
	for _, n := range sizes {
		w, err := world(n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sgscale:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "(%d members: model built)\n", n)
		runtime.GC()
		resetHWM(os.Getpid())
		base := hwm(os.Getpid())
		start := time.Now()
		spec := (&render.Reconciler{World: w}).Render()
		took := time.Since(start)
		peak := hwm(os.Getpid()) - base
		hosts := len(spec.Hosts)
		fmt.Printf("%8d | %10s %10.3f %12d %12.1f |", n, took.Round(time.Millisecond), ms(took)/float64(hosts), peak, float64(peak)/float64(hosts))
		if *dataplane == 0 || n > *dataplane {
			fmt.Println("          (not converged: above -dataplane)")
			continue
		}
		opts := netns.Options{}
		if *debug {
			opts.Logger, opts.Debug = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})), true
		}
		sb, err := netns.Start(ctx, opts)
		if err != nil {
			fmt.Fprintln(os.Stderr, "\nsgscale: sandbox:", err)
			os.Exit(1)
		}
		resetHWM(sb.Pid())
		sbBase := hwm(sb.Pid())
		rec := &render.Reconciler{World: w, Dataplane: sb}
		start = time.Now()
		err = rec.Sync(ctx)
		took = time.Since(start)
		sbPeak := hwm(sb.Pid()) - sbBase
		sb.Close()
		if err != nil {
			msg := err.Error()
			if len(msg) > 300 {
				msg = msg[:300] + "…"
			}
			fmt.Printf(" not converged: %s\n", msg)
			continue
		}
		perHost := ms(took) / float64(hosts)
		if firstMs == 0 && n >= 1000 {
			firstMs, firstKiB = perHost, float64(sbPeak)/float64(hosts)
		}
		growth := ""
		if firstMs > 0 {
			growth = fmt.Sprintf("   %.2f× ms/host, %.2f× KiB/host of the first size ≥ 1,000", perHost/firstMs, float64(sbPeak)/float64(hosts)/firstKiB)
		}
		fmt.Printf(" %10s %10.3f %14d %14.1f%s\n", took.Round(time.Millisecond), perHost, sbPeak, float64(sbPeak)/float64(hosts), growth)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
