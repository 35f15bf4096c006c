package proc

import (
	"os"
	"os/exec"
	"testing"
)

func TestSelfAliveAndRoundTrip(t *testing.T) {
	me, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	if !me.Alive() {
		t.Fatalf("%v: the calling process is not alive", me)
	}
	back, err := Parse(me.String())
	if err != nil || back != me {
		t.Fatalf("Parse(%q) = %v, %v", me.String(), back, err)
	}
	if (ID{PID: me.PID, Start: me.Start + 1}).Alive() {
		t.Fatal("another start time under the same pid counts as alive")
	}
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"", "12", "x:1", "1:x", "0:5", "-3:5"} {
		t.Run(s, func(t *testing.T) {
			if id, err := Parse(s); err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", s, id)
			}
		})
	}
}

func TestDeadChildIsNotAlive(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.Env = append(os.Environ(), "SPACELAB_PROC_TEST=mark-"+t.Name())
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	id, err := Of(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	marked, err := Marked("SPACELAB_PROC_TEST")
	if err != nil {
		t.Fatal(err)
	}
	if marked[id.PID] != "mark-"+t.Name() {
		t.Fatalf("Marked found %v, want pid %d with the mark", marked, id.PID)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if id.Alive() {
		t.Fatalf("%v is alive after it was killed and reaped", id)
	}
}
