package netns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExecRequest names a host (by name or alias) and the program to run in it.
type ExecRequest struct {
	Host string
	Argv []string
	Env  []string // added to the host's environment
	Dir  string   // working directory; empty means /
}

// ErrNoHost is returned when the sandbox has no host of the requested name.
var ErrNoHost = errors.New("netns: no such host")

// Exec runs a program in a host of the sandbox listening on socket, with the given files as its
// stdin, stdout and stderr (a terminal's own descriptors work). It returns the program's exit
// code. Signals in forward (e.g. SIGINT from Ctrl-C) are passed on to the program.
func Exec(ctx context.Context, socket string, req ExecRequest, stdin, stdout, stderr *os.File, forward ...os.Signal) (int, error) {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: socket, Net: "unixpacket"})
	if err != nil {
		return 0, fmt.Errorf("netns: exec: is the sandbox running? %w", err)
	}
	defer c.Close()
	b, _ := json.Marshal(execMessage{Op: "exec", Host: req.Host, Argv: req.Argv, Env: req.Env, Dir: req.Dir})
	rights := unix.UnixRights(int(stdin.Fd()), int(stdout.Fd()), int(stderr.Fd()))
	if _, _, err := c.WriteMsgUnix(b, rights, nil); err != nil {
		return 0, fmt.Errorf("netns: exec: %w", err)
	}
	m, err := readMessage(c)
	if err != nil {
		return 0, fmt.Errorf("netns: exec: %w", err)
	}
	switch m.Op {
	case "started":
	case "error":
		if len(m.Error) > 8 && m.Error[:8] == "no host " {
			return 0, fmt.Errorf("%w: %s", ErrNoHost, m.Error)
		}
		return 0, fmt.Errorf("netns: exec: %s", m.Error)
	default:
		return 0, fmt.Errorf("netns: exec: unexpected %q", m.Op)
	}
	sigs := make(chan os.Signal, 4)
	if len(forward) > 0 {
		signal.Notify(sigs, forward...)
		defer signal.Stop(sigs)
	}
	result := make(chan execMessage, 1)
	go func() {
		m, err := readMessage(c)
		if err != nil {
			m = execMessage{Op: "error", Error: err.Error()}
		}
		result <- m
	}()
	for {
		select {
		case s := <-sigs:
			if n, ok := s.(syscall.Signal); ok {
				b, _ := json.Marshal(execMessage{Op: "signal", Signal: int(n)})
				c.Write(b)
			}
		case <-ctx.Done():
			b, _ := json.Marshal(execMessage{Op: "signal", Signal: int(syscall.SIGKILL)})
			c.Write(b)
			return 0, ctx.Err()
		case m := <-result:
			if m.Op == "exit" {
				return m.Code, nil
			}
			return 0, fmt.Errorf("netns: exec: sandbox went away: %s", m.Error)
		}
	}
}

// ExecStreams is Exec with readers and writers instead of files.
func ExecStreams(ctx context.Context, socket string, req ExecRequest, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	var copies []chan struct{}
	in, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	closers = append(closers, in)
	if stdin != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return 0, err
		}
		closers = append(closers, r)
		go func() { io.Copy(w, stdin); w.Close() }()
		in = r
	}
	out := func(dst io.Writer) (*os.File, error) {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		done := make(chan struct{})
		copies = append(copies, done)
		go func() {
			if dst == nil {
				dst = io.Discard
			}
			io.Copy(dst, r)
			r.Close()
			close(done)
		}()
		return w, nil
	}
	ow, err := out(stdout)
	if err != nil {
		return 0, err
	}
	ew := ow // one pipe when both streams go to the same writer, so their order is kept
	if stderr != stdout {
		if ew, err = out(stderr); err != nil {
			ow.Close()
			return 0, err
		}
	}
	code, err := Exec(ctx, socket, req, in, ow, ew)
	ow.Close()
	if ew != ow {
		ew.Close()
	}
	if err == nil {
		for _, d := range copies {
			<-d
		}
	}
	return code, err
}

// ListHosts asks the sandbox listening on socket for its hosts.
func ListHosts(socket string) ([]HostInfo, error) {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: socket, Net: "unixpacket"})
	if err != nil {
		return nil, fmt.Errorf("netns: hosts: is the sandbox running? %w", err)
	}
	defer c.Close()
	b, _ := json.Marshal(execMessage{Op: "hosts"})
	if _, err := c.Write(b); err != nil {
		return nil, err
	}
	m, err := readMessage(c)
	if err != nil {
		return nil, err
	}
	if m.Op != "hostlist" {
		return nil, fmt.Errorf("netns: hosts: %s", m.Error)
	}
	return m.Hosts, nil
}

func readMessage(c *net.UnixConn) (execMessage, error) {
	buf := make([]byte, 1<<20)
	n, err := c.Read(buf)
	if err != nil {
		return execMessage{}, err
	}
	var m execMessage
	if err := json.Unmarshal(buf[:n], &m); err != nil {
		return execMessage{}, err
	}
	return m, nil
}
