//go:build linux

package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
	vns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/services"
)

// rootNS is the sandbox's own network namespace, where threads return after visiting a host.
var rootNS vns.NsHandle

// host is one network namespace of the spec, as the sandbox holds it.
type host struct {
	name string
	ns   vns.NsHandle
	nl   *netlink.Handle
	dir  string // resolv.conf, hosts, hostname

	mu       sync.Mutex
	applied  *netspec.Host
	filter   string // fingerprint of the applied filter
	services map[string]*running
	procs    map[int]*process // commands started by Exec or command services
}

type running struct {
	cfg netspec.Service
	svc services.Service
	cmd *process // for command services
}

// inNS runs fn on a thread that is in ns, then returns the thread to the sandbox namespace.
// If the thread cannot be returned it stays locked and dies with the goroutine, so no other
// goroutine ever runs in the wrong namespace.
func inNS(ns vns.NsHandle, fn func() error) error {
	runtime.LockOSThread()
	if err := vns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns: %w", err)
	}
	err := fn()
	if e := vns.Set(rootNS); e != nil {
		return fmt.Errorf("netns: cannot return to the sandbox namespace: %w", e)
	}
	runtime.UnlockOSThread()
	return err
}

// newHost creates an empty network namespace with loopback up and the sysctls every host needs.
func newHost(name, runDir string) (*host, error) {
	var ns vns.NsHandle
	err := func() error {
		runtime.LockOSThread()
		n, err := vns.New() // unshare(CLONE_NEWNET): this thread is now inside the new namespace
		if err != nil {
			runtime.UnlockOSThread()
			return err
		}
		ns = n
		settings := [][2]string{
			{"net/ipv6/conf/all/disable_ipv6", "1"},
			{"net/ipv6/conf/default/disable_ipv6", "1"},
			{"net/ipv4/conf/all/rp_filter", "0"},
			{"net/ipv4/conf/default/rp_filter", "0"},
			{"net/ipv4/ping_group_range", pingGroups()},
		}
		var serr error
		for _, s := range settings {
			if e := writeSysctl(s[0], s[1]); e != nil && serr == nil {
				serr = e
			}
		}
		if e := vns.Set(rootNS); e != nil {
			return fmt.Errorf("cannot return to the sandbox namespace: %w", e)
		}
		runtime.UnlockOSThread()
		return serr
	}()
	if err != nil {
		if ns.IsOpen() {
			ns.Close()
		}
		return nil, fmt.Errorf("netns: host %s: %w", name, err)
	}
	nl, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netns: host %s: netlink: %w", name, err)
	}
	h := &host{name: name, ns: ns, nl: nl, services: map[string]*running{}, procs: map[int]*process{},
		dir: filepath.Join(runDir, "hosts", fileName(name))}
	lo, err := nl.LinkByName("lo")
	if err == nil {
		err = nl.LinkSetUp(lo)
	}
	if err == nil {
		err = os.MkdirAll(h.dir, 0o755)
	}
	if err != nil {
		h.close()
		return nil, fmt.Errorf("netns: host %s: %w", name, err)
	}
	return h, nil
}

// pingGroups is the range of mapped group ids, all allowed unprivileged ICMP echo sockets.
var pingGroups = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/self/gid_map")
	if err != nil {
		return "0 0"
	}
	maxID := uint64(0)
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		in, _ := strconv.ParseUint(f[0], 10, 32)
		n, _ := strconv.ParseUint(f[2], 10, 32)
		if in+n-1 > maxID && n > 0 {
			maxID = in + n - 1
		}
	}
	if maxID > 2147483647 {
		maxID = 2147483647
	}
	return "0 " + strconv.FormatUint(maxID, 10)
})

// writeSysctl writes a sysctl of the calling thread's network namespace.
func writeSysctl(key, value string) error {
	err := os.WriteFile("/proc/sys/"+key, []byte(value), 0o644)
	if err != nil {
		return fmt.Errorf("sysctl %s: %w", strings.ReplaceAll(key, "/", "."), err)
	}
	return nil
}

func (h *host) sysctl(key, value string) error {
	return inNS(h.ns, func() error { return writeSysctl(key, value) })
}

// listen opens a listener inside the host. Addresses need not exist yet (IP_FREEBIND), so a
// service can start before its interface is configured.
func (h *host) listen(network, addr string) (net.Listener, error) {
	var l net.Listener
	err := inNS(h.ns, func() error {
		var err error
		l, err = freebind.Listen(context.Background(), network, addr)
		return err
	})
	return l, err
}

func (h *host) listenPacket(network, addr string) (net.PacketConn, error) {
	var pc net.PacketConn
	err := inNS(h.ns, func() error {
		var err error
		pc, err = freebind.ListenPacket(context.Background(), network, addr)
		return err
	})
	return pc, err
}

// dial connects from inside the host.
func (h *host) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNS(h.ns, func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

var freebind = net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_FREEBIND, 1)
		if serr == nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		}
	})
	if err != nil {
		return err
	}
	return serr
}}

func (h *host) env() services.Env {
	return services.Env{Host: h.name, Listen: h.listen, ListenPacket: h.listenPacket, Dial: h.dial, OpenDevice: h.openDevice}
}

// close stops everything in the host and releases the namespace.
func (h *host) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, r := range h.services {
		r.stop()
		delete(h.services, name)
	}
	for _, p := range h.procs {
		p.kill()
	}
	if h.nl != nil {
		h.nl.Close()
	}
	h.ns.Close()
	os.RemoveAll(h.dir)
}

func (r *running) stop() {
	if r.svc != nil {
		r.svc.Close()
	}
	if r.cmd != nil {
		r.cmd.kill()
	}
}

// fileName makes a host name safe as a file name.
func fileName(name string) string {
	r := strings.NewReplacer("/", "_", ":", "_", " ", "_")
	return r.Replace(name)
}
