// Package killtest kills spacelab with SIGKILL at random moments (during start-up and while it
// runs) over `up`, `run` and `lab start`, then starts it once more, stops it, and lists what was
// left: processes, state, temporary and env files, links in the caller's namespace, named
// network namespaces, mounts. bench/kill9 runs it 100 times; a test runs it 10 times.
package killtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Options say what to kill and how often.
type Options struct {
	// Binary is the spacelab binary.
	Binary string
	// Dir holds the state directory, TMPDIR and the env file; it must exist.
	Dir string
	// Kills is how many starts are killed.
	Kills int
	// Seed chooses the commands' moments of death.
	Seed uint64
	// Log receives a line per kill; nil discards them.
	Log io.Writer
}

// Result is what Run saw.
type Result struct {
	Kills         int
	DuringStartUp int // killed before the command said it was ready
	WhileRunning  int
	ByCommand     map[string]int
	// Leftovers are what remained after the last start and its down; empty is the goal.
	Leftovers []string
	Elapsed   time.Duration
}

// commands are the starts killed in turn.
var commands = [][]string{
	{"up", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0", "--env-file", "ENV"},
	{"run", "peering"},
	{"lab", "start", "peering", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0", "--env-file", "ENV"},
}

// stepLine is the first line `spacelab run` prints once its emulator is up.
var stepLine = regexp.MustCompile(`^\s*\d+\. \[`)

// Run kills o.Kills starts, then checks that the next start leaves nothing once it is down.
func Run(ctx context.Context, o Options) (Result, error) {
	start := time.Now()
	res := Result{ByCommand: map[string]int{}}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	tmp := filepath.Join(o.Dir, "tmp")
	state := filepath.Join(o.Dir, "state")
	envFile := filepath.Join(o.Dir, "spacelab.env")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return res, err
	}
	env := append(os.Environ(), "TMPDIR="+tmp, "SPACELAB_STATE_DIR="+state)
	links, mounts := hostLinks(), mountCount(o.Dir)
	rng := rand.New(rand.NewPCG(o.Seed, 0x9))
	startUp := 500 * time.Millisecond // how long a start takes to be ready; measured as it goes
	for i := 0; i < o.Kills; i++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		args := argv(commands[i%len(commands)], envFile)
		during := rng.IntN(2) == 0
		var wait time.Duration
		if during {
			wait = time.Duration(rng.Int64N(int64(startUp)))
		} else {
			wait = time.Duration(rng.Int64N(int64(300 * time.Millisecond)))
		}
		t0 := time.Now()
		cmd := exec.Command(o.Binary, args...)
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			return res, err
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			return res, err
		}
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			closed := false
			for sc.Scan() {
				if !closed && (strings.HasPrefix(sc.Text(), "export ") || stepLine.MatchString(sc.Text())) {
					close(ready)
					closed = true
				}
			}
		}()
		wasReady := false
		if during {
			select {
			case <-ready:
				wasReady = true
			case <-time.After(wait):
			}
		} else {
			<-ready
			startUp = (startUp + time.Since(t0)) / 2
			time.Sleep(wait)
			wasReady = true
		}
		cmd.Process.Kill()
		cmd.Wait()
		waitGone(processes(o.Binary))
		res.Kills++
		res.ByCommand[args[0]]++
		if wasReady {
			res.WhileRunning++
		} else {
			res.DuringStartUp++
		}
		logf("kill %3d: %-9s %s after %v", i+1, args[0], map[bool]string{true: "while running", false: "during start-up"}[wasReady], time.Since(t0).Round(time.Millisecond))
	}
	// The next start cleans up after the killed ones; then down.
	cmd := exec.Command(o.Binary, argv(commands[0], envFile)...)
	cmd.Env = env
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return res, err
	}
	sc := bufio.NewScanner(out)
	readyUp := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "export ") {
			readyUp = true
			break
		}
	}
	go io.Copy(io.Discard, out)
	if !readyUp {
		cmd.Wait()
		return res, errors.New("killtest: the last start never became ready")
	}
	down := exec.Command(o.Binary, "down")
	down.Env = env
	if b, err := down.CombinedOutput(); err != nil {
		return res, fmt.Errorf("killtest: down: %v: %s", err, b)
	}
	cmd.Wait()
	waitGone(processes(o.Binary))
	if p := processes(o.Binary); len(p) > 0 {
		res.Leftovers = append(res.Leftovers, fmt.Sprintf("processes %v", p))
	}
	if d, _ := filepath.Glob(filepath.Join(tmp, "spacelab-*")); len(d) > 0 {
		res.Leftovers = append(res.Leftovers, fmt.Sprintf("temporary directories %v", d))
	}
	for _, f := range []string{state, envFile} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			res.Leftovers = append(res.Leftovers, f)
		}
	}
	if got := hostLinks(); got != links {
		res.Leftovers = append(res.Leftovers, fmt.Sprintf("host links: before %s, after %s", links, got))
	}
	if entries, _ := os.ReadDir("/run/netns"); len(entries) > 0 {
		res.Leftovers = append(res.Leftovers, fmt.Sprintf("named network namespaces %v", entries))
	}
	if m := mountCount(o.Dir); m != mounts {
		res.Leftovers = append(res.Leftovers, fmt.Sprintf("mounts under %s: %d before, %d after", o.Dir, mounts, m))
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func argv(a []string, envFile string) []string {
	out := make([]string, len(a))
	for i, s := range a {
		if s == "ENV" {
			s = envFile
		}
		out[i] = s
	}
	return out
}

// processes lists the processes whose command line names bin (only this binary's: other
// spacelabs on the machine are not counted).
func processes(bin string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.HasPrefix(string(b), bin+"\x00") {
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && !strings.Contains(string(st), ") Z ") {
				out = append(out, pid)
			}
		}
	}
	return out
}

// waitGone waits until none of pids runs, by pidfd.
func waitGone(pids []int) {
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue
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

// hostLinks lists the caller's network interfaces.
func hostLinks() string {
	b, _ := os.ReadFile("/proc/net/dev")
	var names []string
	for _, line := range strings.Split(string(b), "\n")[2:] {
		if n, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// mountCount counts the caller's mounts at or under dir.
func mountCount(dir string) int {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			n++
		}
	}
	return n
}
