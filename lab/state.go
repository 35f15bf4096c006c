package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spacelab-dev/spacelab/internal/proc"
)

// State is the directory a `spacelab up` keeps its sockets, pid files and env file in. It is
// per user: $SPACELAB_STATE_DIR, else $XDG_RUNTIME_DIR/spacelab, else /tmp/spacelab-UID.
// Only what is recorded here is ever cleaned up: processes whose pid and start time match a
// record, files inside the directory.
type State struct {
	Dir string

	// afterLook, when set (tests), runs in Down between looking at the running up and acting.
	afterLook func()
}

// DefaultState returns the caller's state directory.
func DefaultState() State {
	if d := os.Getenv("SPACELAB_STATE_DIR"); d != "" {
		return State{Dir: d}
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return State{Dir: filepath.Join(d, "spacelab")}
	}
	return State{Dir: filepath.Join(os.TempDir(), fmt.Sprintf("spacelab-%d", os.Getuid()))}
}

// Paths inside the state directory.
func (s State) ControlSocket() string { return filepath.Join(s.Dir, "control.sock") }
func (s State) SandboxSocket() string { return filepath.Join(s.Dir, "sandbox.sock") }
func (s State) EnvFile() string       { return filepath.Join(s.Dir, "env") }
func (s State) ClientDir() string     { return filepath.Join(s.Dir, "clients") }
func (s State) LogFile() string       { return filepath.Join(s.Dir, "up.log") } // of `up --detach`
func (s State) lockFile() string      { return filepath.Join(s.Dir, "lock") }
func (s State) pidFile(role string) string {
	return filepath.Join(s.Dir, role+".pid")
}

// ErrRunning is returned by Lock when another `spacelab up` holds the state directory.
var ErrRunning = errors.New("lab: spacelab is already running")

// Lock takes the state directory for a running `up`: an exclusive lock held until release or
// process death (so a kill -9 frees it). It first removes what a dead previous run left.
// A `down` removes the lock file while it holds the lock; an `up` that was waiting on the
// removed file finds, once it has the lock, that the path names another file (or none) and
// tries again, so two ups never both believe they hold the directory.
func (s State) Lock() (release func(), err error) {
	for {
		if err := os.MkdirAll(s.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		f, err := os.OpenFile(s.lockFile(), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			pid, _, _ := s.readPID("up")
			return nil, fmt.Errorf("%w (pid %d, state %s); stop it with `spacelab down`", ErrRunning, pid, s.Dir)
		}
		if !s.lockIsCurrent(f) {
			f.Close()
			continue
		}
		s.removeLeftovers()
		return func() {
			s.removeLeftovers()
			f.Close()
		}, nil
	}
}

// lockIsCurrent reports whether the locked file f is still the state directory's lock file.
func (s State) lockIsCurrent(f *os.File) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Stat(s.lockFile())
	return err == nil && os.SameFile(held, now)
}

// Running reports the pid of the `up` holding the state directory, or 0.
func (s State) Running() int {
	f, err := os.OpenFile(s.lockFile(), os.O_RDWR, 0)
	if err != nil {
		return 0
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return 0
	}
	pid, _, _ := s.readPID("up")
	if pid == 0 {
		pid = -1
	}
	return pid
}

// RecordPID notes a process of this run (role up or sandbox) with its start time.
func (s State) RecordPID(role string, pid int) error {
	st, err := proc.StartTime(pid)
	if err != nil {
		return err
	}
	return os.WriteFile(s.pidFile(role), []byte(fmt.Sprintf("%d %d\n", pid, st)), 0o600)
}

func (s State) readPID(role string) (pid int, start uint64, err error) {
	b, err := os.ReadFile(s.pidFile(role))
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("lab: bad pid file %s", s.pidFile(role))
	}
	pid, _ = strconv.Atoi(f[0])
	start, _ = strconv.ParseUint(f[1], 10, 64)
	return pid, start, nil
}

// alive reports whether the recorded process still runs (same pid and start time).
func (s State) alive(role string) (int, bool) {
	pid, start, err := s.readPID(role)
	if err != nil || pid <= 0 {
		return 0, false
	}
	st, err := proc.StartTime(pid)
	return pid, err == nil && st == start
}

// LabFile is where `spacelab lab start` records the lab it runs, once its up holds the lock.
func (s State) LabFile() string { return filepath.Join(s.Dir, "lab.json") }

// removeLeftovers kills recorded processes of a dead run and deletes its files. Call only
// while holding the lock, or when no `up` holds it.
func (s State) removeLeftovers() []string {
	var did []string
	for _, role := range []string{"sandbox", "up"} {
		if pid, ok := s.alive(role); ok && pid != os.Getpid() {
			syscall.Kill(pid, syscall.SIGKILL)
			did = append(did, fmt.Sprintf("killed %s process %d", role, pid))
		}
		os.Remove(s.pidFile(role))
	}
	for _, p := range []string{s.ControlSocket(), s.SandboxSocket(), s.EnvFile(), s.LabFile()} {
		if os.Remove(p) == nil {
			did = append(did, "removed "+p)
		}
	}
	os.RemoveAll(s.ClientDir())
	did = append(did, s.removeOwnedFiles()...)
	// The sandbox's tmpfs lives in its own mount namespace; the mount point is an empty directory.
	os.Remove(filepath.Join(s.Dir, "run"))
	return did
}

// Down stops the `up` running when it looks (SIGTERM, then SIGKILL after timeout) and removes
// every leftover of it or of an earlier run that died. It returns what it did.
//
// It acts only on the process it saw: the pid and start time recorded by the `up` holding the
// lock at that moment. If that `up` ends and a new one starts before Down is done, the new one
// is left running with everything it made: Down cleans up only while it holds the lock itself.
func (s State) Down(timeout time.Duration) ([]string, error) {
	var did []string
	pid, start, held := s.holder()
	if held && pid == 0 {
		// An up holds the lock but has not recorded itself yet: wait for it to, or to go.
		deadline := time.Now().Add(timeout)
		for held && pid == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			pid, start, held = s.holder()
		}
		if held && pid == 0 {
			return did, fmt.Errorf("lab: a spacelab up holds %s but recorded no pid within %s; not stopping an unknown process", s.Dir, timeout)
		}
	}
	if s.afterLook != nil {
		s.afterLook()
	}
	if held {
		if sameProcess(pid, start) {
			syscall.Kill(pid, syscall.SIGTERM)
			did = append(did, fmt.Sprintf("stopped spacelab up (pid %d)", pid))
		}
		deadline := time.Now().Add(timeout)
		for sameProcess(pid, start) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if sameProcess(pid, start) {
			syscall.Kill(pid, syscall.SIGKILL)
			for sameProcess(pid, start) {
				time.Sleep(20 * time.Millisecond)
			}
			did = append(did, fmt.Sprintf("killed spacelab up (pid %d) after %s", pid, timeout))
		}
	}
	// Clean up holding the lock, so that no up starts meanwhile. The up just stopped may
	// still be releasing it (its deferred cleanup): wait for that, but only for that process.
	var f *os.File
	for {
		var err error
		f, err = os.OpenFile(s.lockFile(), os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			f = nil
			break
		}
		if err != nil {
			return did, fmt.Errorf("lab: %w", err)
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if s.lockIsCurrent(f) {
				break
			}
			f.Close()
			continue
		}
		f.Close()
		newPid, newStart, _ := s.holder()
		if newPid != 0 && (newPid != pid || newStart != start) {
			did = append(did, fmt.Sprintf("left the spacelab up that started meanwhile running (pid %d)", newPid))
			return did, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	did = append(did, s.removeLeftovers()...)
	os.Remove(s.LogFile())
	if f != nil {
		os.Remove(s.lockFile())
		f.Close()
	}
	os.Remove(s.Dir)
	return did, nil
}

// holder reports the up holding the lock: held, and its recorded pid and start time (0 when it
// has not recorded them yet).
func (s State) holder() (pid int, start uint64, held bool) {
	f, err := os.OpenFile(s.lockFile(), os.O_RDWR, 0)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return 0, 0, false
	}
	pid, start, _ = s.readPID("up")
	return pid, start, true
}

// sameProcess reports whether pid is still the process that started at start.
func sameProcess(pid int, start uint64) bool { return proc.ID{PID: pid, Start: start}.Alive() }
