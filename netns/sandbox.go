package netns

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/rpc"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/netspec"
)

// ErrNotSupported is returned where the platform has no network namespaces.
var ErrNotSupported = errors.New("netns: network namespaces are not supported on this platform")

// ErrNoUserNamespaces means the kernel refused to create the sandbox's user namespace: the
// caller is not root and unprivileged user namespaces are disabled.
var ErrNoUserNamespaces = errors.New("netns: cannot create a user namespace (run as root, or enable unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces>0)")

// ErrClosed is returned by calls on a sandbox that has stopped.
var ErrClosed = errors.New("netns: sandbox is closed")

// Options configure Start.
type Options struct {
	// Dir holds the sandbox's Unix socket and its private files. Empty means a new temporary
	// directory, removed by Close. The directory must be short enough for a socket path.
	Dir string
	// Logger receives the sandbox's events (component=netns); nil discards them.
	Logger *slog.Logger
	// Debug makes the sandbox log at debug level.
	Debug bool
	// Env is added to the sandbox process's environment (NAME=value entries), which otherwise
	// holds only what the sandbox needs. Tests use it to switch on test-only behaviour in the
	// re-executed test binary that runs the sandbox.
	Env []string
}

// Sandbox is a running sandbox process, seen from its parent.
type Sandbox struct {
	dir    string
	ownDir bool
	log    *slog.Logger
	rpc    *rpc.Client
	pid    int
	done   chan struct{}
	waitEr error
	once   sync.Once
	stop   func()
	logs   chan struct{} // closed when the sandbox's log stream ends

	seqMu sync.Mutex
	seq   uint64 // the agent's number for the spec the last Apply or ApplyDelta installed
}

// SocketPath is the Unix socket on which the sandbox accepts Exec and Hosts requests.
func (s *Sandbox) SocketPath() string { return filepath.Join(s.dir, socketName) }

// Dir is the sandbox's directory.
func (s *Sandbox) Dir() string { return s.dir }

// Pid is the sandbox process's id in the caller's PID namespace.
func (s *Sandbox) Pid() int { return s.pid }

// Done is closed when the sandbox process has exited.
func (s *Sandbox) Done() <-chan struct{} { return s.done }

const socketName = "sandbox.sock"

// Apply makes the sandbox's network match spec: it creates and deletes hosts and links, sets
// addresses, routes, rules and filters, and starts, updates or stops services. It is
// idempotent; applying the same spec twice changes nothing the second time.
func (s *Sandbox) Apply(ctx context.Context, spec *netspec.Spec) error {
	var reply ApplyResult
	if err := s.call(ctx, "Agent.Apply", spec, &reply); err != nil {
		return fmt.Errorf("netns: apply: %w", err)
	}
	return s.applied(&reply, "apply")
}

// ErrStaleDelta is ApplyDelta's answer when the sandbox no longer holds the spec the delta was
// made against; apply the whole spec instead.
var ErrStaleDelta = errors.New("netns: apply delta: the sandbox holds another spec than the delta's base")

// ApplyDelta changes the sandbox's network by d, made against the spec the last Apply or
// ApplyDelta through s installed: only the hosts d names (and both ends of its links) are
// looked at and configured, the others are left as they are. Refused with ErrStaleDelta when
// the sandbox holds another spec.
func (s *Sandbox) ApplyDelta(ctx context.Context, d *netspec.Delta) error {
	s.seqMu.Lock()
	d.Base = s.seq
	s.seqMu.Unlock()
	var reply ApplyResult
	if err := s.call(ctx, "Agent.ApplyDelta", d, &reply); err != nil {
		return fmt.Errorf("netns: apply delta: %w", err)
	}
	if reply.Stale {
		return ErrStaleDelta
	}
	return s.applied(&reply, "apply delta")
}

func (s *Sandbox) applied(reply *ApplyResult, what string) error {
	s.seqMu.Lock()
	s.seq = reply.Seq
	s.seqMu.Unlock()
	if len(reply.Hosts) > 0 {
		return fmt.Errorf("netns: %s: %w", what, &netspec.ApplyError{Hosts: reply.Hosts, Other: reply.Err})
	}
	if reply.Err != "" {
		return fmt.Errorf("netns: %s: %s", what, reply.Err)
	}
	return nil
}

// Probe runs a reachability check from a host; see netspec.Probe.
func (s *Sandbox) Probe(ctx context.Context, p netspec.Probe) (netspec.ProbeResult, error) {
	var r netspec.ProbeResult
	if err := s.call(ctx, "Agent.Probe", p, &r); err != nil {
		return r, fmt.Errorf("netns: probe: %w", err)
	}
	return r, nil
}

// ServiceStatus returns the JSON status of every service that reports one, by host and service.
func (s *Sandbox) ServiceStatus(ctx context.Context) (map[string]map[string][]byte, error) {
	var out map[string]map[string][]byte
	if err := s.call(ctx, "Agent.ServiceStatus", struct{}{}, &out); err != nil {
		return nil, fmt.Errorf("netns: service status: %w", err)
	}
	return out, nil
}

// Hosts lists the hosts the sandbox runs.
func (s *Sandbox) Hosts(ctx context.Context) ([]HostInfo, error) {
	var hs []HostInfo
	if err := s.call(ctx, "Agent.Hosts", struct{}{}, &hs); err != nil {
		return nil, fmt.Errorf("netns: hosts: %w", err)
	}
	return hs, nil
}

// Exec runs a command in a host of the sandbox; see Exec.
func (s *Sandbox) Exec(ctx context.Context, req ExecRequest, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	return ExecStreams(ctx, s.SocketPath(), req, stdin, stdout, stderr)
}

// ApplyResult is Agent.Apply's reply.
type ApplyResult struct {
	Err   string
	Hosts []netspec.HostError // the hosts that failed (closed), when the failure is theirs
	Seq   uint64              // the number of the spec the sandbox now holds (ApplyDelta's base)
	Stale bool                // ApplyDelta only: the delta's base is not what the sandbox holds
}

// HostInfo describes a running host.
type HostInfo struct {
	Name    string
	Kind    string
	Aliases []string
	Addrs   []string
}

func (s *Sandbox) call(ctx context.Context, method string, args, reply any) error {
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	call := s.rpc.Go(method, args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		if errors.Is(call.Error, rpc.ErrShutdown) || errors.Is(call.Error, io.ErrUnexpectedEOF) {
			return ErrClosed
		}
		return call.Error
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrClosed
	}
}

// Close stops the sandbox: every host, service and process in it goes away with it. It waits
// for the process to exit and removes the directory if Start made it.
func (s *Sandbox) Close() error {
	s.once.Do(func() {
		s.rpc.Close()
		s.stop()
		<-s.done
		select {
		case <-s.logs:
		case <-time.After(time.Second):
		}
		if s.ownDir {
			os.RemoveAll(s.dir)
		} else {
			os.Remove(s.SocketPath())
			os.RemoveAll(filepath.Join(s.dir, "run"))
		}
	})
	return nil
}

// relayLogs re-emits the sandbox's JSON log lines through the parent's logger.
func relayLogs(r io.Reader, log *slog.Logger) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var rec map[string]any
		if json.Unmarshal(line, &rec) != nil {
			log.Info(string(line))
			continue
		}
		level := slog.LevelInfo
		if l, ok := rec["level"].(string); ok {
			level.UnmarshalText([]byte(l))
		}
		msg, _ := rec["msg"].(string)
		delete(rec, "level")
		delete(rec, "msg")
		delete(rec, "time")
		// One component per record (the sandbox's services name theirs), then the rest in a
		// stable order.
		attrs := make([]any, 0, 2*len(rec)+2)
		if c, ok := rec["component"]; ok {
			attrs = append(attrs, "component", c)
			delete(rec, "component")
		} else {
			attrs = append(attrs, "component", "netns")
		}
		keys := make([]string, 0, len(rec))
		for k := range rec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			attrs = append(attrs, k, rec[k])
		}
		log.Log(context.Background(), level, msg, attrs...)
	}
}

// SetFaults replaces the sandbox's faults (netspec.Fault) with faults.
func (s *Sandbox) SetFaults(ctx context.Context, faults []netspec.Fault) error {
	var out []netspec.FaultCounter
	if err := s.call(ctx, "Agent.SetFaults", faults, &out); err != nil {
		return fmt.Errorf("netns: faults: %w", err)
	}
	return nil
}

// FaultCounters reports how many packets each fault has dropped, by host.
func (s *Sandbox) FaultCounters(ctx context.Context) ([]netspec.FaultCounter, error) {
	var out []netspec.FaultCounter
	if err := s.call(ctx, "Agent.FaultCounters", struct{}{}, &out); err != nil {
		return nil, fmt.Errorf("netns: fault counters: %w", err)
	}
	return out, nil
}
