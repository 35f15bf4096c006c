// Command kill9 kills spacelab with SIGKILL at random moments of `up`, `run` and `lab start`
// (during start-up and while running), then starts it once more and stops it, and reports what
// was left (nothing, is the goal):
//
//	go build -o /tmp/spacelab ./cmd/spacelab && go run ./bench/kill9 -bin /tmp/spacelab -n 100
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spacelab-dev/spacelab/internal/killtest"
)

func main() {
	bin := flag.String("bin", "", "the spacelab binary (required)")
	n := flag.Int("n", 100, "how many starts to kill")
	seed := flag.Uint64("seed", 1, "chooses the moments")
	quiet := flag.Bool("q", false, "no line per kill")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "kill9: -bin is required (go build -o /tmp/spacelab ./cmd/spacelab)")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kill9:", err)
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "kill9-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kill9:", err)
		os.Exit(1)
	}
	if os.Getenv("KILL9_KEEP") == "" {
		defer os.RemoveAll(dir)
	}
	o := killtest.Options{Binary: abs, Dir: dir, Kills: *n, Seed: *seed}
	if !*quiet {
		o.Log = os.Stdout
	}
	res, err := killtest.Run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kill9:", err)
		os.Exit(1)
	}
	fmt.Printf("%d kill -9s (up %d, run %d, lab start %d; %d during start-up, %d while running) in %s: %d leftovers\n",
		res.Kills, res.ByCommand["up"], res.ByCommand["run"], res.ByCommand["lab"], res.DuringStartUp, res.WhileRunning,
		res.Elapsed.Round(1e9), len(res.Leftovers))
	for _, l := range res.Leftovers {
		fmt.Println("  left:", l)
	}
	if len(res.Leftovers) > 0 {
		os.Exit(1)
	}
}
