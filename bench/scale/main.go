// Command scale measures how spacelab grows: time-to-ready of a topology with N dynos and M
// VPCs (each with an instance), peak memory of the emulator and its sandbox, and the time to
// scale an app from 0 to 100 dynos and back. Targets (the peers printed): 200 dynos + 10 VPCs
// ready in under 5 s and under 1 GiB; 1,000 dynos + 20 VPCs ready in 3 s; cost growing
// linearly. Every size runs in a fresh process after the kernel has finished destroying the
// previous size's namespaces (the "settled" column says how long that took). Past 1,000 dynos
// the dynos are spread over apps of 1,000 (bench/fleet), Heroku's limit per process type.
//
// Each size reports the time to ready and its cost per host: ms, and KiB of peak resident
// memory (VmHWM of this process and of the sandbox: "proc" and "sandbox") and of the
// machine's memory the size took (MemAvailable before and after: the kernel's namespaces,
// devices and tables, most of a host's cost). Sizes from the first ≥ 1,000 hosts on end with
// the growth of each per-host figure against that size (1.00× is linear).
//
//	go run ./bench/scale                         # root or a user with unprivileged user namespaces
//	go run ./bench/scale -sizes 1000x20          # one size
//	go run ./bench/scale -sizes 1000x20,5000x20,7500x20
//	go run ./bench/scale -sizes 5000x20 -cpuprofile /tmp/cpu -memprofile /tmp/mem  # this process's profiles
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
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

var (
	verbose                bool
	cpuProfile, memProfile string
)

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
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of each size's process (model, render, reconciler; the sandbox is another process) to this file, suffixed with the size")
	flag.StringVar(&memProfile, "memprofile", "", "write a heap profile of each size's process at ready to this file, suffixed with the size")
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
	fmt.Printf("%-22s %6s %9s %8s %9s %9s %9s %9s %9s   %s\n", "topology", "hosts", "ready", "ms/host", "proc", "sandbox",
		"KiB/host", "host mem", "KiB/host", "settled")
	var base *figures
	for _, z := range sizes {
		waited, ended := settle.Wait(60 * time.Second)
		note := waited.Round(10 * time.Millisecond).String()
		if !ended {
			note += "!"
		}
		args := []string{"-one", z.String(), "-v=" + strconv.FormatBool(verbose)}
		if cpuProfile != "" {
			args = append(args, "-cpuprofile", cpuProfile+"."+z.String())
		}
		if memProfile != "" {
			args = append(args, "-memprofile", memProfile+"."+z.String())
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", z, err)
			os.Exit(1)
		}
		lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
		var f figures
		if _, err := fmt.Sscanf(lines[0], "figures %d %d %d %d %d", &f.hosts, &f.readyUs, &f.proc, &f.sandbox, &f.used); err != nil {
			fmt.Fprintf(os.Stderr, "%s: no figures in %q\n", z, lines[0])
			os.Exit(1)
		}
		peer := "no target"
		if t, ok := targets[z]; ok {
			peer = fmt.Sprintf("target %s: %.2f× of it", t, float64(f.readyUs)/float64(t.Microseconds()))
		}
		fmt.Printf("%-22s %6d %9s %8.2f %5d MiB %5d MiB %9.1f %5d MiB %9.1f %9s   %s\n",
			fmt.Sprintf("%d dynos + %d VPCs", z.dynos, z.vpcs), f.hosts, (time.Duration(f.readyUs) * time.Microsecond).Round(time.Millisecond),
			f.msPerHost(), f.proc/1024, f.sandbox/1024, f.rssPerHost(), f.used/1024, f.usedPerHost(), note, peer)
		if base == nil && f.hosts >= 1000 {
			base = &f
		}
		if base != nil && base != &f {
			fmt.Printf("  growth per host against %d hosts: %.2f× ms, %.2f× KiB resident, %.2f× KiB of the machine's memory\n",
				base.hosts, f.msPerHost()/base.msPerHost(), f.rssPerHost()/base.rssPerHost(), f.usedPerHost()/base.usedPerHost())
		}
		for _, line := range lines[1:] {
			fmt.Println(line)
		}
	}
}

// figures are what one size's process reports: hosts, time to ready in µs, peak resident KiB
// of the process and of the sandbox, and KiB of the machine's memory the size took.
type figures struct{ hosts, readyUs, proc, sandbox, used int }

func (f figures) msPerHost() float64   { return float64(f.readyUs) / 1000 / float64(f.hosts) }
func (f figures) rssPerHost() float64  { return float64(f.proc+f.sandbox) / float64(f.hosts) }
func (f figures) usedPerHost() float64 { return float64(f.used) / float64(f.hosts) }

// measure starts a lab of one size, prints its figures (the first line, for the parent) and
// the phases, and, for 200 dynos, times scaling another app 0 → 100 → 0 next to them.
func measure(z size) {
	ctx := context.Background()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
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
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	hosts := len(l.Reconciler.Spec().Hosts)
	used := before - memAvailable()
	fmt.Printf("figures %d %d %d %d %d\n", hosts, l.ReadyIn.Microseconds(), hwm(os.Getpid()), hwm(l.Sandbox.Pid()), used)
	fmt.Printf("  phases: model %s, sandbox start %s, first convergence %s\n", l.Phases["model"].Round(time.Millisecond),
		l.Phases["sandbox"].Round(time.Millisecond), l.Phases["converge"].Round(time.Millisecond))
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err == nil {
			err = pprof.WriteHeapProfile(f)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
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
