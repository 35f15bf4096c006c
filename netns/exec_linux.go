//go:build linux

package netns

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// process is a program started in a host: by Exec, or as a command service.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	code int
}

func (p *process) kill() {
	if p.cmd.Process == nil {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// shimConfig tells the exec shim how to become the requested program inside a host.
type shimConfig struct {
	// Confined programs (command services: a dyno's process, an instance's user data) see
	// the host machine's files read-only where the kernel allows, and write to a scratch
	// directory: a fresh tmpfs at /tmp (also $TMPDIR and $HOME).
	Confined bool
	Hostname string
	Files    map[string]string // target path → file to bind-mount over it
	Argv     []string
	Env      []string
	Dir      string
}

// spawn starts argv inside the host: the exec shim is cloned into new mount and UTS
// namespaces from a thread inside the host's network namespace, bind-mounts the host's
// resolv.conf, hosts and hostname over /etc, sets the host name and execs the program.
func (h *host) spawn(hs *netspec.Host, argv, env []string, dir string, stdin, stdout, stderr *os.File) (*process, error) {
	return h.spawnWith(false, hs, argv, env, dir, stdin, stdout, stderr)
}

// spawnWith is spawn, confined (read-only files, scratch /tmp) or not.
func (h *host) spawnWith(confined bool, hs *netspec.Host, argv, env []string, dir string, stdin, stdout, stderr *os.File) (*process, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command")
	}
	base := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	full := mergeEnv(mergeEnv(base, hs.Env), env)
	cfg := shimConfig{
		Hostname: hs.Hostname,
		Files: map[string]string{
			"/etc/resolv.conf": filepath.Join(h.dir, "resolv.conf"),
			"/etc/hosts":       filepath.Join(h.dir, "hosts"),
			"/etc/hostname":    filepath.Join(h.dir, "hostname"),
		},
		Argv: argv, Env: full, Dir: dir, Confined: confined,
	}
	b, _ := json.Marshal(cfg)
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:   exe,
		Args:   []string{"spacelab-exec"},
		Env:    []string{envNSExec + "=" + string(b)},
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWUTS,
			Setsid:     true,
			Pdeathsig:  syscall.SIGKILL,
		},
	}
	if err := inNS(h.ns, cmd.Start); err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", h.name, argv[0], err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	pid := cmd.Process.Pid
	h.procs[pid] = p
	go func() {
		err := cmd.Wait()
		p.code = exitCode(err)
		// done first: a service being stopped by configure (which holds h.mu) waits for it.
		close(p.done)
		h.mu.Lock()
		delete(h.procs, pid)
		h.mu.Unlock()
	}()
	return p, nil
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 255
}

// mergeEnv returns base with the entries of over added or replacing same-named ones.
func mergeEnv(base, over []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, b := range out {
			if bk, _, _ := strings.Cut(b, "="); bk == k {
				out[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// shimMain runs in the fresh mount and UTS namespaces, inside the host's network namespace.
func shimMain() int {
	var c shimConfig
	if err := json.Unmarshal([]byte(os.Getenv(envNSExec)), &c); err != nil {
		fmt.Fprintln(os.Stderr, "spacelab exec:", err)
		return 127
	}
	for target, src := range c.Files {
		if _, err := os.Stat(target); err != nil {
			continue
		}
		if err := unix.Mount(src, target, "", unix.MS_BIND, ""); err != nil {
			fmt.Fprintf(os.Stderr, "spacelab exec: warning: cannot bind %s: %v\n", target, err)
		}
	}
	if c.Confined {
		confine()
	}
	if c.Hostname != "" {
		unix.Sethostname([]byte(c.Hostname))
	}
	if c.Dir != "" {
		if err := os.Chdir(c.Dir); err != nil {
			os.Chdir("/")
		}
	}
	path, err := lookPath(c.Argv[0], c.Env)
	if err != nil {
		fmt.Fprintf(os.Stderr, "spacelab exec: %s: %v\n", c.Argv[0], err)
		return 127
	}
	err = syscall.Exec(path, c.Argv, c.Env)
	fmt.Fprintf(os.Stderr, "spacelab exec: %s: %v\n", c.Argv[0], err)
	return 126
}

// confine makes every mount read-only (recursively, mount_setattr) and mounts a scratch tmpfs
// at /tmp. Where the kernel refuses (an old kernel, locked mounts), the program runs with the
// files as they are, and says so.
func confine() {
	if err := unix.MountSetattr(-1, "/", unix.AT_RECURSIVE, &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}); err != nil {
		fmt.Fprintf(os.Stderr, "spacelab: warning: files stay writable (read-only mounts refused: %v)\n", err)
	}
	if err := unix.Mount("scratch", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		fmt.Fprintf(os.Stderr, "spacelab: warning: no scratch directory at /tmp: %v\n", err)
	}
}

func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("command not found")
}

// startCommand runs a command service; its output goes to the sandbox log.
func (h *host) startCommand(cfg netspec.Service, hs *netspec.Host, log *slog.Logger) (*process, error) {
	if cfg.Cmd == nil || len(cfg.Cmd.Argv) == 0 {
		return nil, fmt.Errorf("%s: service %s: no command", h.name, cfg.Name)
	}
	env := append([]string(nil), cfg.Cmd.Env...)
	if len(cfg.Listen) > 0 {
		env = append(env, "PORT="+strconv.Itoa(int(cfg.Listen[0].Port())))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	devnull, _ := os.Open(os.DevNull)
	env = append(env, "TMPDIR=/tmp", "HOME=/tmp")
	p, err := h.spawnWith(true, hs, cfg.Cmd.Argv, env, "/", devnull, w, w)
	w.Close()
	devnull.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	l := log.With("host", h.name, "service", cfg.Name)
	out := openOutputLog(h.dir)
	name := cfg.Name // a dyno's lines carry its name (DYNO), as heroku logs shows them
	for _, e := range append(append([]string(nil), hs.Env...), cfg.Cmd.Env...) {
		if v, ok := strings.CutPrefix(e, "DYNO="); ok {
			name = v
		}
	}
	out.line("heroku", name, "Starting process with command `"+strings.Join(cfg.Cmd.Argv, " ")+"`")
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.Info(sc.Text())
			out.line("app", name, sc.Text())
		}
		r.Close()
		<-p.done
		l.Info("process exited", "code", p.code)
		out.line("heroku", name, fmt.Sprintf("Process exited with status %d", p.code))
		out.close()
	}()
	return p, nil
}

// execMessage is one record of the exec socket protocol (SOCK_SEQPACKET, JSON).
type execMessage struct {
	Op     string     `json:"op"` // exec, hosts, started, exit, error, signal, hostlist
	Host   string     `json:"host,omitempty"`
	Argv   []string   `json:"argv,omitempty"`
	Env    []string   `json:"env,omitempty"`
	Dir    string     `json:"dir,omitempty"`
	Pid    int        `json:"pid,omitempty"`
	Code   int        `json:"code,omitempty"`
	Signal int        `json:"signal,omitempty"`
	Error  string     `json:"error,omitempty"`
	Hosts  []HostInfo `json:"hosts,omitempty"`
	// capture, capturing
	Capture *CaptureRequest `json:"capture,omitempty"`
	Ifaces  map[int]string  `json:"ifaces,omitempty"`
	Tuns    []string        `json:"tuns,omitempty"`
}

func (a *Agent) serveExec(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go a.handleExec(c.(*net.UnixConn))
	}
}

func (a *Agent) handleExec(c *net.UnixConn) {
	defer c.Close()
	buf := make([]byte, 256*1024)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return
	}
	var fds []int
	if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
		for _, m := range msgs {
			if f, err := unix.ParseUnixRights(&m); err == nil {
				fds = append(fds, f...)
			}
		}
	}
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		files[i] = os.NewFile(uintptr(fd), "stdio"+strconv.Itoa(i))
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	send := func(m execMessage) error {
		b, _ := json.Marshal(m)
		_, err := c.Write(b)
		return err
	}
	var req execMessage
	if err := json.Unmarshal(buf[:n], &req); err != nil {
		send(execMessage{Op: "error", Error: "bad request: " + err.Error()})
		return
	}
	switch req.Op {
	case "hosts":
		a.mu.Lock()
		hs := hostInfos(a.spec)
		a.mu.Unlock()
		send(execMessage{Op: "hostlist", Hosts: hs})
		return
	case "capture":
		a.serveCapture(c, req)
		return
	case "exec":
	default:
		send(execMessage{Op: "error", Error: "unknown op " + req.Op})
		return
	}
	if len(files) != 3 {
		send(execMessage{Op: "error", Error: "exec needs three file descriptors (stdin, stdout, stderr)"})
		return
	}
	h, hs := a.lookup(req.Host)
	if h == nil {
		send(execMessage{Op: "error", Error: fmt.Sprintf("no host %q (see spacelab hosts)", req.Host)})
		return
	}
	h.allowPing() // the command may ping; without it, ping reports the error itself
	h.mu.Lock()
	p, err := h.spawn(hs, req.Argv, req.Env, req.Dir, files[0], files[1], files[2])
	h.mu.Unlock()
	for _, f := range files {
		f.Close()
	}
	files = nil
	if err != nil {
		send(execMessage{Op: "error", Error: err.Error()})
		return
	}
	send(execMessage{Op: "started", Pid: p.cmd.Process.Pid})
	// Signals from the client until the process ends; a vanished client ends the process.
	gone := make(chan struct{})
	var once sync.Once
	go func() {
		rb := make([]byte, 4096)
		for {
			n, err := c.Read(rb)
			if err != nil {
				once.Do(func() { close(gone) })
				return
			}
			var m execMessage
			if json.Unmarshal(rb[:n], &m) == nil && m.Op == "signal" && m.Signal > 0 {
				syscall.Kill(-p.cmd.Process.Pid, syscall.Signal(m.Signal))
			}
		}
	}()
	select {
	case <-p.done:
		send(execMessage{Op: "exit", Code: p.code})
	case <-gone:
		p.kill()
	}
}

var _ = io.EOF
