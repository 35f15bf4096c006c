package main_test

import (
	"context"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/killtest"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// TestKill9AtRandomMoments kills `up`, `run` and `lab start` with SIGKILL at seeded random
// moments, during start-up and while running, 10 times; after the next start and its down
// nothing is left (go run ./bench/kill9 does the same 100 times).
func TestKill9AtRandomMoments(t *testing.T) {
	netnstest.Start(t)
	res, err := killtest.Run(context.Background(), killtest.Options{Binary: binary, Dir: t.TempDir(), Kills: 10, Seed: 10, Log: tlog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d kills: %d during start-up, %d while running, %v", res.Kills, res.DuringStartUp, res.WhileRunning, res.ByCommand)
	for _, l := range res.Leftovers {
		t.Errorf("left: %s", l)
	}
}

type tlog struct{ t *testing.T }

func (w tlog) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }
