// Package settle lets a benchmark wait until the kernel has finished destroying the network
// namespaces of an earlier run. Namespaces die asynchronously: after the last process leaves,
// a kernel worker ("kworker/…+netns" while it runs) tears them down, and a run started
// meanwhile competes with it for the CPU and the kernel's network-configuration lock, which
// charges one size's teardown to the next size.
package settle

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Quiet is how long no namespace cleanup may run before Wait returns.
const Quiet = 300 * time.Millisecond

// Wait returns once no kernel worker has run network-namespace cleanup for Quiet, or after
// limit, and says how long it waited and whether cleanup was seen to end. Where the kernel's
// workers are not visible (a PID namespace without them) it returns after Quiet.
func Wait(limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	quietSince := start
	for {
		now := time.Now()
		if busy() {
			quietSince = now
		} else if now.Sub(quietSince) >= Quiet {
			return now.Sub(start), true
		}
		if now.Sub(start) >= limit {
			return now.Sub(start), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// busy reports whether a kernel worker is running namespace cleanup right now.
func busy() bool {
	comms, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, c := range comms {
		b, err := os.ReadFile(c)
		if err != nil || !strings.HasPrefix(string(b), "kworker/") {
			continue
		}
		if strings.Contains(string(b), "+netns") {
			return true
		}
	}
	return false
}
