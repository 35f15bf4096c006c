package lab_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/bench/settle"
	"github.com/spacelab-dev/spacelab/lab"
)

// parallelLabs is how many labs BenchmarkParallelLabsReady starts at once (as TestParallelLabs
// in labtest does).
const parallelLabs = 8

// settleKernel waits, timer stopped, after closing labs and before starting the next: the kernel
// frees closed namespaces asynchronously (its cleanup_net work holds the locks that creating
// namespaces needs), so without it each start would pay for the previous one's cleanup — 8
// labs' worth before the single start. bench/settle watches that work finish.
func settleKernel() { settle.Wait(30 * time.Second) }

// BenchmarkParallelLabsReady compares the time until 8 labs started at once are all ready with
// the time one lab takes alone (same process, same topology), each after the kernel has settled.
// The 8-vs-1-ratio metric is the ratio; 8-sandbox-ms and 8-converge-ms are the mean phases of a
// lab of the 8. Its peer is the kernel's floor for the same shape of work in the same run: as many
// namespaces and veth pairs as a lab has hosts, made by one `ip -batch` each (bench/netns-floor.sh),
// once and 8 at once; floor-8-vs-1-ratio is the floor's own ratio (the kernel serialises network
// configuration under one lock, so no start can beat it) and vs-floor is spacelab's ratio over it.
//
//	go test ./lab -run - -bench ParallelLabsReady -benchtime 3x
func BenchmarkParallelLabsReady(b *testing.B) {
	ctx := context.Background()
	var one, eight, floorOne, floorEight time.Duration
	hosts := 0
	phases := map[string]time.Duration{} // summed over the labs started 8 at a time
	for b.Loop() {
		b.StopTimer()
		settleKernel()
		b.StartTimer()
		t0 := time.Now()
		l, err := lab.Start(ctx, lab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		one += time.Since(t0)
		b.StopTimer()
		l.Close()
		settleKernel()
		b.StartTimer()

		labs := make([]*lab.Lab, parallelLabs)
		errs := make([]error, parallelLabs)
		var wg sync.WaitGroup
		t0 = time.Now()
		for i := range labs {
			wg.Go(func() { labs[i], errs[i] = lab.Start(ctx, lab.Options{}) })
		}
		wg.Wait()
		eight += time.Since(t0)
		b.StopTimer()
		for _, l := range labs {
			if l != nil {
				hosts = l.Health().Hosts
				for k, v := range l.Phases {
					phases[k] += v
				}
				l.Close()
			}
		}
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		settleKernel()
		d1, d8 := floorRun(b, hosts, 1), time.Duration(0)
		settleKernel()
		d8 = floorRun(b, hosts, parallelLabs)
		floorOne, floorEight = floorOne+d1, floorEight+d8
		settleKernel()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(one.Microseconds())/1000/n, "one-ms")
	b.ReportMetric(float64(eight.Microseconds())/1000/n, fmt.Sprintf("%d-ms", parallelLabs))
	b.ReportMetric(float64(eight)/float64(one), fmt.Sprintf("%d-vs-1-ratio", parallelLabs))
	floorRatio := float64(floorEight) / float64(floorOne)
	b.ReportMetric(floorRatio, fmt.Sprintf("floor-%d-vs-1-ratio", parallelLabs))
	b.ReportMetric(float64(eight)/float64(one)/floorRatio, "vs-floor")
	for _, k := range []string{"sandbox", "converge"} {
		b.ReportMetric(float64(phases[k].Microseconds())/1000/n/parallelLabs, fmt.Sprintf("%d-%s-ms", parallelLabs, k))
	}
}

// floorRun makes n copies of the kernel's floor for a lab of the given hosts at once and returns
// the time until all are done: per copy, one `ip -batch` creating the namespaces and a veth pair
// from the first to each other one, inside a private user, mount and network namespace (nothing
// reaches the host's).
func floorRun(b *testing.B, hosts, n int) time.Duration {
	b.Helper()
	var batch strings.Builder
	for i := range hosts {
		fmt.Fprintf(&batch, "netns add h%d\n", i)
	}
	for i := 1; i < hosts; i++ {
		fmt.Fprintf(&batch, "link add v%d netns h0 type veth peer name eth0 netns h%d\n", i, i)
	}
	file := filepath.Join(b.TempDir(), "batch")
	if err := os.WriteFile(file, []byte(batch.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := range n {
		wg.Go(func() {
			out, err := exec.Command("unshare", "--user", "--map-root-user", "--mount", "--net", "sh", "-c",
				"mount -t tmpfs spacelab-bench /run && ip -batch "+file).CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("floor: %v: %s", err, out)
			}
		})
	}
	wg.Wait()
	d := time.Since(t0)
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return d
}
