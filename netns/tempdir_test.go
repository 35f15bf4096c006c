//go:build linux

package netns

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/proc"
)

// TestSweepTempDirs: the temporary directory of a sandbox whose maker was killed is removed by
// the next start; those of live makers, without an owner file, or not spacelab's stay.
func TestSweepTempDirs(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	mk := func(name, owner string) string {
		d := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(d, "run"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "sandbox.sock"), nil, 0o600)
		if owner != "" {
			os.WriteFile(filepath.Join(d, ownerName), []byte(owner), 0o600)
		}
		return d
	}
	// A maker that is gone: a process that ran and was reaped.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadStart := uint64(1) // any start time: the pid no longer runs
	me, _ := proc.StartTime(os.Getpid())
	stale := mk("spacelab-stale", fmt.Sprintf("%d %d\n", dead.Process.Pid, deadStart))
	reused := mk("spacelab-reused", fmt.Sprintf("%d %d\n", os.Getpid(), me+1)) // our pid, another start: a reused pid
	live := mk("spacelab-live", fmt.Sprintf("%d %d\n", os.Getpid(), me))
	foreign := mk("spacelab-noowner", "")
	other := mk("other-dir", fmt.Sprintf("%d %d\n", dead.Process.Pid, deadStart))
	// Makers killed before they wrote the owner file: the name says who made the directory.
	unwritten := mk(fmt.Sprintf("spacelab-%d.%d-123", dead.Process.Pid, deadStart), "")
	unwrittenLive := mk(fmt.Sprintf("spacelab-%d.%d-456", os.Getpid(), me), "")

	sweepStale(slog.New(slog.DiscardHandler))
	d, err := makeTempDir(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(d)
	for _, gone := range []string{stale, reused, unwritten} {
		if _, err := os.Stat(gone); !os.IsNotExist(err) {
			t.Errorf("%s of a dead maker is still there", gone)
		}
	}
	for _, kept := range []string{live, foreign, other, unwrittenLive, d} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s was removed: %v", kept, err)
		}
	}
	pid, start, err := readOwner(filepath.Join(d, ownerName))
	if err != nil || pid != os.Getpid() || start != me {
		t.Errorf("new directory's owner: %d %d %v, want %d %d", pid, start, err, os.Getpid(), me)
	}
}
