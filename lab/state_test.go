package lab

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperUp is not a test: run with LAB_HELPER_UP=dir it plays a `spacelab up` on that state
// directory (lock, pid, env files, "ready" on stdout) until SIGTERM.
func TestHelperUp(t *testing.T) {
	dir := os.Getenv("LAB_HELPER_UP")
	if dir == "" {
		t.Skip("helper process for the State tests")
	}
	st := State{Dir: dir}
	release, err := st.Lock()
	if err != nil {
		fmt.Println("lock:", err)
		os.Exit(3)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	st.RecordPID("up", os.Getpid())
	files := []string{st.EnvFile()}
	if extra := os.Getenv("LAB_HELPER_ENV_FILE"); extra != "" {
		files = append(files, extra)
	}
	for _, f := range files {
		os.WriteFile(f, []byte(fmt.Sprintf("export X=%d\n", os.Getpid())), 0o600)
	}
	st.RecordOwnedFiles(files...)
	fmt.Println("ready")
	<-term
	release()
	os.Exit(0)
}

// helperUp starts a helper up on dir and returns once it is ready.
func helperUp(t *testing.T, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperUp$")
	cmd.Env = append(append(os.Environ(), "LAB_HELPER_UP="+dir), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if sc.Text() == "ready" {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd
		}
		t.Logf("helper: %s", sc.Text())
	}
	cmd.Wait()
	t.Fatalf("helper up on %s did not get ready", dir)
	return nil
}

func alive(cmd *exec.Cmd) bool {
	return cmd.Process.Signal(syscall.Signal(0)) == nil && cmd.ProcessState == nil
}

// TestDownLeavesANewerUpRunning: down looks at up A; before it acts, A dies and up B starts.
// Down must not signal B nor remove anything of B's; a later down stops B.
func TestDownLeavesANewerUpRunning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	a := helperUp(t, dir)
	var b *exec.Cmd
	st := State{Dir: dir, afterLook: func() {
		a.Process.Kill()
		a.Wait()
		b = helperUp(t, dir)
	}}
	did, err := st.Down(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("down: %q", did)
	t.Cleanup(func() {
		if b != nil && alive(b) {
			b.Process.Kill()
			b.Wait()
		}
	})
	if !alive(b) {
		t.Fatalf("down stopped the up that started after it looked (did: %q)", did)
	}
	if pid, _, held := (State{Dir: dir}).holder(); !held || pid != b.Process.Pid {
		t.Errorf("after down the lock is held %v by %d, want by the new up %d", held, pid, b.Process.Pid)
	}
	if env, err := os.ReadFile(st.EnvFile()); err != nil || !strings.Contains(string(env), fmt.Sprint(b.Process.Pid)) {
		t.Errorf("the new up's env file: %q, %v", env, err)
	}
	if !strings.Contains(strings.Join(did, "\n"), "started meanwhile") {
		t.Errorf("down did not say it left the new up running: %q", did)
	}
	did, err = State{Dir: dir}.Down(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b.Wait()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(dir)
		t.Errorf("state directory left after the second down (%q): %v", did, entries)
	}
}

// TestEnvFilesRemoved: the env file and --env-file go with down, and with the next start
// after a kill -9; an --env-file the user has changed since stays.
func TestEnvFilesRemoved(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "state")
	extra := filepath.Join(base, "spacelab.env")

	up := helperUp(t, dir, "LAB_HELPER_ENV_FILE="+extra)
	if _, err := os.Stat(extra); err != nil {
		t.Fatal(err)
	}
	if _, err := (State{Dir: dir}).Down(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	up.Wait()
	for _, f := range []string{extra, dir} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("down left %s", f)
		}
	}

	up = helperUp(t, dir, "LAB_HELPER_ENV_FILE="+extra)
	up.Process.Kill()
	up.Wait()
	if _, err := os.Stat(extra); err != nil {
		t.Fatalf("the env file should outlive a kill -9 until the next start: %v", err)
	}
	release, err := State{Dir: dir}.Lock() // the next start
	if err != nil {
		t.Fatal(err)
	}
	release()
	if _, err := os.Stat(extra); !os.IsNotExist(err) {
		t.Errorf("the next start left the killed up's --env-file %s", extra)
	}

	up = helperUp(t, dir, "LAB_HELPER_ENV_FILE="+extra)
	os.WriteFile(extra, []byte("export MINE=1\n"), 0o600) // the user's now
	if _, err := (State{Dir: dir}).Down(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	up.Wait()
	if b, err := os.ReadFile(extra); err != nil || string(b) != "export MINE=1\n" {
		t.Errorf("down removed or changed an env file the user rewrote: %q %v", b, err)
	}
}

// TestLockNoticesARemovedLockFile: a lock taken on a lock file that down has since removed is
// not the directory's lock.
func TestLockNoticesARemovedLockFile(t *testing.T) {
	st := State{Dir: t.TempDir()}
	f, err := os.OpenFile(st.lockFile(), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !st.lockIsCurrent(f) {
		t.Fatal("the lock file is not current")
	}
	os.Remove(st.lockFile())
	if st.lockIsCurrent(f) {
		t.Error("a removed lock file counts as current")
	}
	g, _ := os.OpenFile(st.lockFile(), os.O_CREATE|os.O_RDWR, 0o600)
	defer g.Close()
	if st.lockIsCurrent(f) || !st.lockIsCurrent(g) {
		t.Error("a recreated lock file: the old one counts, or the new one does not")
	}
}
