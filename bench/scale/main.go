// Command scale measures how spacelab grows: time-to-ready of a topology with N dynos and M
// VPCs (each with an instance), peak memory of the emulator and its sandbox, and the time to
// scale an app from 0 to 100 dynos and back. Targets (the peers printed): 200 dynos + 10 VPCs
// ready in under 5 s and under 1 GiB; 1,000 dynos + 20 VPCs ready in 3 s; cost growing
// linearly. Every size runs in a fresh process after the kernel has finished destroying the
// previous size's namespaces (the "settled" column says how long that took).
//
//	go run ./bench/scale                         # root or a user with unprivileged user namespaces
//	go run ./bench/scale -sizes 1000x20          # one size
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/bench/fleet"
	"github.com/spacelab-dev/spacelab/bench/settle"
	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/topology"
)

func topo(dynos, vpcs int) *topology.Topology {
	t, err := fleet.Topology(dynos, vpcs, "idle-app")
	if err != nil {
		panic(err)
	}
	return t
}

// hwm is a process's peak resident memory in KiB.
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

func memAvailable() int {
	b, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}

var verbose bool

type size struct{ dynos, vpcs int }

func (z size) String() string { return fmt.Sprintf("%dx%d", z.dynos, z.vpcs) }

func parseSizes(v string) ([]size, error) {
	var out []size
	for _, f := range strings.Split(v, ",") {
		var z size
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%dx%d", &z.dynos, &z.vpcs); err != nil {
			return nil, fmt.Errorf("size %q: want DYNOSxVPCS", f)
		}
		out = append(out, z)
	}
	return out, nil
}

// targets are the issues' ready-time targets, the peer each size is printed against.
var targets = map[size]time.Duration{{200, 10}: 5 * time.Second, {1000, 20}: 3 * time.Second}

func main() {
	sizesFlag := flag.String("sizes", "50x10,100x10,200x10,1000x20", "topologies to measure, DYNOSxVPCS, comma-separated")
	one := flag.String("one", "", "measure one size in this process (what the parent runs for each size)")
	flag.BoolVar(&verbose, "v", false, "log the lab's and the sandbox's phases to stderr")
	flag.Parse()
	if *one != "" {
		zs, err := parseSizes(*one)
		if err != nil || len(zs) != 1 {
			fmt.Fprintln(os.Stderr, "bad -one:", err)
			os.Exit(2)
		}
		measure(zs[0])
		return
	}
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// Each size runs in a fresh process once the kernel has destroyed the previous size's
	// namespaces, so no size pays for another's teardown.
	fmt.Printf("%-22s %6s %9s %8s %10s %10s %9s   %s\n", "topology", "hosts", "ready", "ms/host", "peak RSS", "host mem", "settled", "peer")
	for _, z := range sizes {
		waited, ended := settle.Wait(60 * time.Second)
		note := waited.Round(10 * time.Millisecond).String()
		if !ended {
			note += "!"
		}
		cmd := exec.Command(os.Args[0], "-one", z.String(), "-v="+strconv.FormatBool(verbose))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", z, err)
			os.Exit(1)
		}
		for i, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if i == 0 {
				line = strings.Replace(line, "\t", fmt.Sprintf(" %9s   ", note), 1)
			}
			fmt.Println(line)
		}
	}
}

// measure starts a lab of one size, prints one line (a tab marks where the parent puts the
// settle time) and, for 200 dynos, times scaling another app 0 → 100 → 0 next to them.
func measure(z size) {
	ctx := context.Background()
	runtime.GC()
	before := memAvailable()
	opts := lab.Options{Topology: topo(z.dynos, z.vpcs)}
	if verbose {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts.Debug = true
	}
	l, err := lab.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer l.Close()
	hosts := len(l.Reconciler.Spec().Hosts)
	used := before - memAvailable()
	rss := hwm(os.Getpid()) + hwm(l.Sandbox.Pid())
	peer := "no target"
	if t, ok := targets[z]; ok {
		peer = fmt.Sprintf("target %s: %.2f× of it", t, float64(l.ReadyIn)/float64(t))
	}
	fmt.Printf("%-22s %6d %9s %8.2f %6d MiB %6d MiB\t%s\n", fmt.Sprintf("%d dynos + %d VPCs", z.dynos, z.vpcs), hosts,
		l.ReadyIn.Round(time.Millisecond), float64(l.ReadyIn.Microseconds())/1000/float64(hosts), rss/1024, used/1024, peer)
	fmt.Printf("  phases: model %s, sandbox start %s, first convergence %s\n", l.Phases["model"].Round(time.Millisecond),
		l.Phases["sandbox"].Round(time.Millisecond), l.Phases["converge"].Round(time.Millisecond))
	if z.dynos != 200 {
		return
	}
	for _, n := range []int{100, 0} {
		start := time.Now()
		q := n
		if err := l.World.Update(func(tx *emulator.Tx) error {
			_, err := tx.Scale("idle-app", []emulator.ScaleUpdate{{Type: "web", Quantity: &q}})
			return err
		}); err != nil {
			panic(err)
		}
		if err := l.Sync(ctx); err != nil {
			panic(err)
		}
		fmt.Printf("  scale idle-app to %3d dynos: %s (with 200 other dynos running)\n", n, time.Since(start).Round(time.Millisecond))
	}
}
