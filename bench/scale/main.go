// Command scale measures how spacelab grows: time-to-ready of a topology with N dynos and M
// VPCs (each with an instance), peak memory of the emulator and its sandbox, and the time to
// scale an app from 0 to 100 dynos and back. Issue targets: 200 dynos + 10 VPCs ready in under
// 5 s and under 1 GiB, cost growing linearly.
//
//	go run ./bench/scale            # root or a user with unprivileged user namespaces
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/topology"
)

func topo(dynos, vpcs int) *topology.Topology {
	var b strings.Builder
	fmt.Fprintf(&b, `heroku:
  users: [{email: user@example.com}]
  spaces:
    - name: big
      team: t
      region: virginia
      apps:
        - name: web-app
          formation: {web: %d}
        - name: idle-app
aws:
  accounts:
    - id: "435886841536"
      access_key_id: AKIA1
      secret_access_key: s
      vpcs:
`, dynos)
	for i := range vpcs {
		fmt.Fprintf(&b, `        - id: vpc-0%016x
          region: us-east-1
          cidr: 172.%d.0.0/16
          subnets:
            - cidr: 172.%d.0.0/24
              instances: [{private_ip: 172.%d.0.8, services: [{http: 80}]}]
`, i+1, 16+i, 16+i, 16+i)
	}
	raw, err := topology.Parse([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	t, err := raw.Resolve()
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

func main() {
	ctx := context.Background()
	fmt.Printf("%-22s %10s %10s %14s %14s %16s\n", "topology", "hosts", "ready", "ms/host", "peak RSS", "host memory used")
	for _, c := range []struct{ dynos, vpcs int }{{50, 10}, {100, 10}, {200, 10}} {
		runtime.GC()
		before := memAvailable()
		l, err := lab.Start(ctx, lab.Options{Topology: topo(c.dynos, c.vpcs)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		hosts := len(l.Reconciler.Spec().Hosts)
		used := before - memAvailable()
		rss := hwm(os.Getpid()) + hwm(l.Sandbox.Pid())
		fmt.Printf("%-22s %10d %10s %14.2f %11d MiB %13d MiB\n", fmt.Sprintf("%d dynos + %d VPCs", c.dynos, c.vpcs), hosts,
			l.ReadyIn.Round(time.Millisecond), float64(l.ReadyIn.Microseconds())/1000/float64(hosts), rss/1024, used/1024)
		if c.dynos == 200 {
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
				fmt.Printf("scale idle-app to %3d dynos: %s (with 200 other dynos running)\n", n, time.Since(start).Round(time.Millisecond))
			}
		}
		l.Close()
	}
}
