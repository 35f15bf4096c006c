package lab_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/lab"
)

// parallelLabs is how many labs BenchmarkParallelLabsReady starts at once (as TestParallelLabs
// in labtest does).
const parallelLabs = 8

// settle is the pause, timer stopped, after closing labs and before starting the next: the kernel
// frees closed namespaces asynchronously (its cleanup_net work holds the locks that creating
// namespaces needs) and tells no one when it is done, so without a pause each start would pay
// for the previous one's cleanup — 8 labs' worth before the single start.
const settle = 2 * time.Second

// BenchmarkParallelLabsReady compares the time until 8 labs started at once are all ready with
// the time one lab takes alone (same process, same topology), each after the kernel has settled.
// The 8-vs-1-ratio metric is the ratio; 8-sandbox-ms and 8-converge-ms are the mean phases of a
// lab of the 8.
//
//	go test ./lab -run - -bench ParallelLabsReady -benchtime 3x
func BenchmarkParallelLabsReady(b *testing.B) {
	ctx := context.Background()
	var one, eight time.Duration
	phases := map[string]time.Duration{} // summed over the labs started 8 at a time
	for b.Loop() {
		b.StopTimer()
		time.Sleep(settle)
		b.StartTimer()
		t0 := time.Now()
		l, err := lab.Start(ctx, lab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		one += time.Since(t0)
		b.StopTimer()
		l.Close()
		time.Sleep(settle)
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
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(one.Microseconds())/1000/n, "one-ms")
	b.ReportMetric(float64(eight.Microseconds())/1000/n, fmt.Sprintf("%d-ms", parallelLabs))
	b.ReportMetric(float64(eight)/float64(one), fmt.Sprintf("%d-vs-1-ratio", parallelLabs))
	for _, k := range []string{"sandbox", "converge"} {
		b.ReportMetric(float64(phases[k].Microseconds())/1000/n/parallelLabs, fmt.Sprintf("%d-%s-ms", parallelLabs, k))
	}
}
