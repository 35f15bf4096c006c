package tftest

import (
	"os"
	"os/exec"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/proc"
)

// A process marked with a gone owner is killed; one whose owner runs is left alone.
func TestSweepKillsWhatAGoneTestLeft(t *testing.T) {
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	me, err := proc.Self()
	if err != nil {
		t.Fatal(err)
	}
	start := func(owner string) *exec.Cmd {
		cmd := exec.Command("sleep", "600")
		cmd.Env = append(os.Environ(), ownerKey+"="+owner)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	orphan := start(proc.ID{PID: gone.Process.Pid, Start: 1}.String())
	ours := start(me.String())
	orphanID, _ := proc.Of(orphan.Process.Pid)
	oursID, _ := proc.Of(ours.Process.Pid)

	sweep(t)
	orphan.Wait() // reaped here: it is our child
	if orphanID.Alive() {
		t.Errorf("the process left by a gone test (%v) still runs", orphanID)
	}
	if !oursID.Alive() {
		t.Errorf("the process of this running test (%v) was killed", oursID)
	}
}
