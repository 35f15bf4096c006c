//go:build linux

package netns

import (
	"container/list"
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
	vnl "github.com/vishvananda/netlink/nl"
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
	dir  string // resolv.conf, hosts, hostname

	// The host's netlink sockets, valid between useNetlink and its release (nlpool_linux.go);
	// these fields are guarded by pool.mu.
	nl        *netlink.Handle
	raw       *vnl.SocketHandle // for requests the netlink package does not build (quietLink)
	pool      *nlPool
	nlRefs    int           // uses in progress
	nlIdle    *list.Element // in pool.idle while open and unused
	nlOpening bool
	nlGone    bool // closed: no more uses

	mu      sync.Mutex
	applied *netspec.Host
	filter  string // fingerprint of the applied filter
	// forwarding is whether the host routes (guarded by idxMu: links read it while created).
	forwarding bool

	pingOnce sync.Once
	pingErr  error

	idxMu     sync.Mutex
	nextIndex int            // the last interface index handed out (allocIndex)
	bridges   map[string]int // bridge name → interface index
	ifindex   map[string]int // name → index of the veth ends made here
	ports     portGroups     // where bridges with more than a bridge's ports continue

	fresh    bool // made by the current Apply, not configured yet
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

// newHost creates an empty network namespace with loopback up and the sysctls every host needs,
// and forwarding as asked. Everything happens on the thread that created the namespace, in
// one visit: the sysctls a fresh namespace already has right are not written (see
// freshDefaults), the netlink socket is opened there, and loopback (always index 1 in a new
// namespace) goes up without a lookup.
func newHost(name, runDir string, forwarding bool) (*host, error) {
	var ns vns.NsHandle
	var nl *netlink.Handle
	var raw *vnl.NetlinkSocket
	settings := hostSysctls(forwarding)
	err := func() error {
		runtime.LockOSThread()
		n, err := vns.New() // unshare(CLONE_NEWNET): this thread is now inside the new namespace
		if err != nil {
			runtime.UnlockOSThread()
			return err
		}
		ns = n
		serr := writeSysctls(settings)
		if serr == nil {
			nl, serr = netlink.NewHandle(unix.NETLINK_ROUTE)
		}
		if serr == nil {
			raw, serr = vnl.GetNetlinkSocketAt(vns.None(), vns.None(), unix.NETLINK_ROUTE)
		}
		if serr == nil {
			if e := nl.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1, Name: "lo"}}); e != nil {
				serr = fmt.Errorf("loopback up: %w", e)
			}
		}
		if e := vns.Set(rootNS); e != nil {
			return fmt.Errorf("cannot return to the sandbox namespace: %w", e)
		}
		runtime.UnlockOSThread()
		return serr
	}()
	if err != nil {
		if nl != nil {
			nl.Close()
		}
		if raw != nil {
			raw.Close()
		}
		if ns.IsOpen() {
			ns.Close()
		}
		return nil, fmt.Errorf("netns: host %s: %w", name, err)
	}
	h := &host{name: name, ns: ns, nl: nl, raw: &vnl.SocketHandle{Socket: raw}, services: map[string]*running{}, procs: map[int]*process{},
		dir: filepath.Join(runDir, "hosts", fileName(name)), forwarding: forwarding, fresh: true}
	if err := os.MkdirAll(h.dir, 0o755); err != nil {
		h.close()
		return nil, fmt.Errorf("netns: host %s: %w", name, err)
	}
	return h, nil
}

// hostSysctls are the namespace-wide settings a host needs: no reverse-path filter (routers see
// asymmetric paths) and, for routers, IPv4 forwarding. Those a fresh namespace already has are
// left out, which on most machines leaves nothing to write for most hosts. A sysctl write is
// costly with many namespaces (see writeSysctls), so the per-interface settings — forwarding
// off in hosts that do not route, no IPv6 addresses (no link-local chatter on the links) —
// go over netlink with each interface instead (quietLink). Unprivileged ping comes later, for
// the hosts that need it (allowPing).
func hostSysctls(forwarding bool) [][2]string {
	all := [][2]string{
		{"net/ipv4/conf/all/rp_filter", "0"},
		{"net/ipv4/conf/default/rp_filter", "0"},
	}
	if forwarding {
		all = append(all, [2]string{"net/ipv4/ip_forward", "1"})
	}
	def := freshDefaults()
	out := all[:0:0]
	for _, kv := range all {
		if v, ok := def[kv[0]]; !ok || v != kv[1] {
			out = append(out, kv)
		}
	}
	return out
}

// quietLink sets the per-interface settings of a device that is still down: IPv4 forwarding as
// the host's, and no IPv6 address generation (so no link-local address, duplicate address
// detection or router solicitations once it is up). One RTM_SETLINK; it must precede the
// device going up, because the kernel generates the link-local address at that moment.
func (h *host) quietLink(index int) error {
	req := vnl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	req.Sockets = map[int]*vnl.SocketHandle{unix.NETLINK_ROUTE: h.raw}
	msg := vnl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	fwd := uint32(0)
	if h.forwardingNow() {
		fwd = 1
	}
	spec := vnl.NewRtAttr(unix.IFLA_AF_SPEC, nil)
	inet := spec.AddRtAttr(unix.AF_INET, nil)
	conf := inet.AddRtAttr(unix.IFLA_INET_CONF, nil)
	conf.AddRtAttr(ipv4DevconfForwarding, vnl.Uint32Attr(fwd))
	inet6 := spec.AddRtAttr(unix.AF_INET6, nil)
	inet6.AddRtAttr(unix.IFLA_INET6_ADDR_GEN_MODE, []byte{in6AddrGenModeNone})
	req.AddData(spec)
	if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
		return fmt.Errorf("%s: interface %d settings: %w", h.name, index, err)
	}
	return nil
}

// Values of the kernel's uapi the unix package does not name.
const (
	ipv4DevconfForwarding = 1 // IPV4_DEVCONF_FORWARDING, an attribute of IFLA_INET_CONF
	in6AddrGenModeNone    = 1 // IN6_ADDR_GEN_MODE_NONE
)

func (h *host) forwardingNow() bool {
	h.idxMu.Lock()
	defer h.idxMu.Unlock()
	return h.forwarding
}

// writeSysctls writes sysctls of the calling thread's network namespace. Each namespace has
// its own /proc/sys/net/ipv4 and ipv6 directories, and the kernel keeps every namespace's
// dentries for them on one hash chain, so a path lookup through them costs time in proportion
// to the number of namespaces. The directories are therefore looked up once per call and the
// files opened relative to them.
func writeSysctls(kvs [][2]string) error {
	dirs := map[string]int{}
	defer func() {
		for _, fd := range dirs {
			unix.Close(fd)
		}
	}()
	var err error
	for _, kv := range kvs {
		if e := writeSysctlAt(dirs, kv[0], kv[1]); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func writeSysctlAt(dirs map[string]int, key, value string) error {
	fail := func(e error) error {
		return fmt.Errorf("sysctl %s: %w", strings.ReplaceAll(key, "/", "."), e)
	}
	parts := strings.SplitN(key, "/", 3) // net, ipv4|ipv6, rest
	if len(parts) != 3 {
		return writeSysctl(key, value)
	}
	dir := parts[0] + "/" + parts[1]
	dfd, ok := dirs[dir]
	if !ok {
		var err error
		if dfd, err = unix.Open("/proc/sys/"+dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			return fail(err)
		}
		dirs[dir] = dfd
	}
	fd, err := unix.Openat(dfd, parts[2], unix.O_WRONLY|unix.O_TRUNC|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, []byte(value)); err != nil {
		return fail(err)
	}
	return nil
}

// allowPing lets every mapped group open ICMP echo sockets in the host (what probes and ping
// use), once, before the first probe or process that may need it.
func (h *host) allowPing() error {
	h.pingOnce.Do(func() {
		v := pingGroups()
		if freshDefaults()["net/ipv4/ping_group_range"] == v {
			return
		}
		h.pingErr = inNS(h.ns, func() error { return writeSysctls([][2]string{{"net/ipv4/ping_group_range", v}}) })
	})
	return h.pingErr
}

// freshDefaults are the values of the host sysctls in a new network namespace, read once in
// a throwaway namespace: IPv4 settings are copied from the machine's initial namespace, so
// they differ between machines. Values that could not be read are absent (and so always
// written).
var freshDefaults = sync.OnceValue(func() map[string]string {
	def := map[string]string{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine, namespace and all
		ns, err := vns.New()
		if err != nil {
			return
		}
		defer ns.Close()
		for _, kv := range hostSysctlKeys {
			if b, err := os.ReadFile("/proc/sys/" + kv); err == nil {
				def[kv] = strings.Join(strings.Fields(string(b)), " ")
			}
		}
	}()
	<-done
	return def
})

// hostSysctlKeys are the settings freshDefaults reads.
var hostSysctlKeys = []string{
	"net/ipv4/conf/all/rp_filter", "net/ipv4/conf/default/rp_filter",
	"net/ipv4/ping_group_range", "net/ipv4/ip_forward",
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
	return services.Env{Host: h.name, Listen: h.listen, ListenPacket: h.listenPacket, Dial: h.dial, OpenDevice: h.openDevice,
		Output: h.output}
}

// output appends a line to the host's output log (`spacelab logs`, `heroku logs`): the
// router's request lines.
func (h *host) output(source, name, text string) {
	out := openOutputLog(h.dir)
	out.line(source, name, text)
	out.close()
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
	h.forgetNetlink()
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
