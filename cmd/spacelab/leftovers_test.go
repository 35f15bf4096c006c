package main_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// stepLine is the first line `spacelab run` prints once its emulator is up.
var stepLine = regexp.MustCompile(`^\s*\d+\. \[`)

// startReady starts the spacelab binary with args and returns once it says it is ready: the
// first export line of `up`, the first step of `run`.
func startReady(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "export ") || stepLine.MatchString(sc.Text()) {
			go io.Copy(io.Discard, out)
			return cmd
		}
	}
	cmd.Wait()
	t.Fatalf("spacelab %s exited before it was ready", strings.Join(args, " "))
	return nil
}

// waitGone waits until none of pids runs, by pidfd (an event, not a poll).
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // already gone
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		unix.Close(fd)
	}
}

// tempDirs lists the temporary sandbox directories in tmp.
func tempDirs(tmp string) []string {
	m, _ := filepath.Glob(filepath.Join(tmp, "spacelab-*"))
	return m
}

// TestKill9SpreadLeavesNothing kills `spacelab run` and `spacelab up` with SIGKILL once each is
// ready, alternating, and checks that after the next start (and a final down) nothing of
// theirs remains: no process, no state or temporary directory, no env file, no host link, no
// named namespace. Each killed run's temporary directory is gone as soon as the next start is
// ready.
func TestKill9SpreadLeavesNothing(t *testing.T) {
	netnstest.Start(t)
	links := hostLinks(t)
	base := t.TempDir()
	tmp := filepath.Join(base, "tmp")
	state := filepath.Join(base, "state")
	envFile := filepath.Join(base, "spacelab.env")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{"TMPDIR=" + tmp, "SPACELAB_STATE_DIR=" + state}
	upArgs := []string{"up", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0", "--env-file", envFile}
	const kills = 6
	var killedRunDirs []string
	for i := range kills {
		args := upArgs
		if i%2 == 0 {
			args = []string{"run", "peering"}
		}
		cmd := startReady(t, env, args...)
		for _, d := range killedRunDirs {
			if _, err := os.Stat(d); !os.IsNotExist(err) {
				t.Errorf("start %d (%s): the killed run's directory %s is still there", i, args[0], d)
			}
		}
		killedRunDirs = nil
		if args[0] == "run" {
			killedRunDirs = tempDirs(tmp)
			if len(killedRunDirs) == 0 {
				t.Fatalf("run made no temporary directory in %s", tmp)
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		waitGone(t, processes(binary))
	}
	// The next start, then down.
	u := startReady(t, env, upArgs...)
	down := exec.Command(binary, "down")
	down.Env = append(os.Environ(), env...)
	if out, err := down.CombinedOutput(); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	u.Wait()
	waitGone(t, processes(binary))
	if p := processes(binary); len(p) > 0 {
		t.Errorf("spacelab processes left: %v", p)
	}
	if d := tempDirs(tmp); len(d) > 0 {
		t.Errorf("temporary sandbox directories left: %v", d)
	}
	for _, f := range []string{state, envFile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind", f)
		}
	}
	if got := hostLinks(t); got != links {
		t.Errorf("host links changed: before %s, after %s", links, got)
	}
	if entries, _ := os.ReadDir("/run/netns"); len(entries) > 0 {
		t.Errorf("named network namespaces exist: %v", entries)
	}
}
