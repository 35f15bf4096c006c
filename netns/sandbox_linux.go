//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Start launches a sandbox process and waits until it answers. The sandbox runs in new user,
// network, mount and PID namespaces; as a normal user the caller's uid is root inside it, as
// root the first 65536 ids map to themselves. Inside a container (root with a masked /proc, see
// sandboxMode) it needs no user namespace and gets none: network, mount and PID namespaces only.
func Start(ctx context.Context, o Options) (*Sandbox, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	relay := log // the sandbox's own records carry their component
	log = log.With("component", "netns")
	s := &Sandbox{dir: o.Dir, log: log, done: make(chan struct{}), logs: make(chan struct{})}
	sweepStale(log)
	if s.dir == "" {
		d, err := makeTempDir(log)
		if err != nil {
			return nil, fmt.Errorf("netns: %w", err)
		}
		s.dir, s.ownDir = d, true
	}
	fail := func(err error) (*Sandbox, error) {
		if s.ownDir {
			os.RemoveAll(s.dir)
		}
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "run"), 0o700); err != nil {
		return fail(fmt.Errorf("netns: %w", err))
	}
	sock := s.SocketPath()
	os.Remove(sock)
	ul, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: sock, Net: "unixpacket"})
	if err != nil {
		return fail(fmt.Errorf("netns: listen %s: %w", sock, err))
	}
	ul.SetUnlinkOnClose(false)
	lf, err := ul.File()
	ul.Close()
	if err != nil {
		return fail(fmt.Errorf("netns: %w", err))
	}
	defer lf.Close()
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(fmt.Errorf("netns: socketpair: %w", err))
	}
	parentEnd := os.NewFile(uintptr(pair[0]), "sandbox-rpc")
	childEnd := os.NewFile(uintptr(pair[1]), "sandbox-rpc-child")
	defer childEnd.Close()

	exe, err := os.Executable()
	if err != nil {
		parentEnd.Close()
		return fail(fmt.Errorf("netns: %w", err))
	}
	logR, logW, err := os.Pipe()
	if err != nil {
		parentEnd.Close()
		return fail(fmt.Errorf("netns: %w", err))
	}
	level := "INFO"
	if o.Debug {
		level = "DEBUG"
	}
	cmd := &exec.Cmd{
		Path: exe,
		Args: []string{"spacelab-sandbox"},
		Env: []string{
			envSandbox + "=" + s.dir,
			"SPACELAB_SANDBOX_LOGLEVEL=" + level,
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + os.Getenv("HOME"),
			"LANG=C.UTF-8",
		},
		Stdin:      nil,
		Stdout:     logW,
		Stderr:     logW,
		ExtraFiles: []*os.File{childEnd, lf}, // fd 3: control, fd 4: exec listener
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC,
			Pdeathsig:  syscall.SIGKILL,
			Setpgid:    true,
		},
	}
	cmd.Env = append(cmd.Env, o.Env...)
	uid, gid := os.Getuid(), os.Getgid()
	mode := sandboxMode()
	if mode.reason != "" {
		log.Debug("sandbox without a user namespace", "reason", mode.reason)
	}
	if !mode.userns {
		cmd.SysProcAttr.Cloneflags &^= unix.CLONE_NEWUSER
	} else if uid == 0 {
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 65536}}
		// Programs that drop privileges (tcpdump, charon, sshd) call setgroups.
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
	} else {
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: uid, Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: gid, Size: 1}}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = false
	}

	// PR_SET_PDEATHSIG fires when the thread that forked exits, so fork from a thread that
	// lives exactly as long as the sandbox.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitEr = cmd.Wait()
		close(s.done)
	}()
	err = <-started
	logW.Close()
	if err != nil {
		logR.Close()
		parentEnd.Close()
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) {
			return fail(fmt.Errorf("%w: %v", ErrNoUserNamespaces, err))
		}
		return fail(fmt.Errorf("netns: start sandbox: %w", err))
	}
	s.pid = cmd.Process.Pid
	go func() {
		relayLogs(logR, relay.With("sandbox", s.pid))
		logR.Close()
		close(s.logs)
	}()
	s.stop = func() {
		parentEnd.Close() // the sandbox exits when its control socket closes
		select {
		case <-s.done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
		}
	}
	conn, err := net.FileConn(parentEnd)
	parentEnd.Close()
	if err != nil {
		cmd.Process.Kill()
		<-s.done
		return fail(fmt.Errorf("netns: %w", err))
	}
	s.rpc = rpc.NewClient(conn)
	s.stop = func() {
		conn.Close()
		select {
		case <-s.done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
		}
	}
	var pong string
	if err := s.call(ctx, "Agent.Ping", "ping", &pong); err != nil {
		s.Close()
		if s.waitEr != nil {
			err = fmt.Errorf("%w (sandbox exited: %v)", err, s.waitEr)
		}
		return nil, fmt.Errorf("netns: sandbox did not start: %w", err)
	}
	log.Debug("sandbox started", "pid", s.pid, "dir", s.dir)
	return s, nil
}
