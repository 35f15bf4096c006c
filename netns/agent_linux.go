//go:build linux

package netns

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/rpc"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	vns "github.com/vishvananda/netns"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/services"
)

// sandboxMain is the sandbox process: it owns every host and serves the parent over fd 3
// (net/rpc) and Exec clients over the Unix listener on fd 4.
func sandboxMain() int {
	dir := os.Getenv(envSandbox)
	var level slog.Level
	level.UnmarshalText([]byte(os.Getenv("SPACELAB_SANDBOX_LOGLEVEL")))
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := setupSandbox(dir); err != nil {
		log.Error("sandbox setup failed", "err", err)
		return 1
	}
	var err error
	rootNS, err = vns.Get()
	if err != nil {
		log.Error("sandbox setup failed", "err", fmt.Errorf("open the sandbox's network namespace: %w", err))
		return 1
	}
	a := &Agent{log: log, run: filepath.Join(dir, "run"), hosts: map[string]*host{}, links: map[string]*netspec.Link{}, spec: &netspec.Spec{},
		nlPool: newNLPool(nlPoolSize())}
	ctl, err := net.FileConn(os.NewFile(3, "control"))
	if err != nil {
		log.Error("no control socket", "err", err)
		return 1
	}
	el, err := net.FileListener(os.NewFile(4, "exec"))
	if err != nil {
		log.Error("no exec socket", "err", err)
		return 1
	}
	go a.serveExec(el)
	srv := rpc.NewServer()
	if err := srv.RegisterName("Agent", a); err != nil {
		log.Error("rpc", "err", err)
		return 1
	}
	srv.ServeConn(ctl) // returns when the parent closes the socket or dies
	el.Close()
	a.shutdown()
	return 0
}

// setupSandbox makes the sandbox's mounts private, gives it a tmpfs for per-host files and its
// own /proc, and brings its loopback up.
func setupSandbox(dir string) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	run := filepath.Join(dir, "run")
	if err := unix.Mount("spacelab", run, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", run, err)
	}
	// A /proc of our own PID namespace, so processes inside see only the sandbox, /proc/self
	// names the sandbox's own namespaces and /proc/sys/net is this network namespace's. The
	// inherited one would do none of that (it counts pids of the parent's PID namespace), so a
	// refusal is fatal; sandboxMode avoids the one known refusal (a masked /proc in a container).
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount a /proc for the sandbox's PID namespace: %w", err)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}

// Agent is the sandbox side of the control connection. Its exported methods are the RPCs.
type Agent struct {
	log *slog.Logger
	run string

	mu    sync.Mutex // serializes Apply; guards hosts, links, spec
	hosts map[string]*host
	links map[string]*netspec.Link
	spec  *netspec.Spec

	faults faultState // the hosts with a fault table (fault_linux.go)
	nlPool *nlPool    // the hosts' open netlink sockets (nlpool_linux.go)
	seq    uint64     // counts applies: the number of spec (ApplyDelta's base)
}

// Ping answers the parent's readiness check.
func (a *Agent) Ping(in string, out *string) error {
	*out = "pong"
	return nil
}

// Hosts lists the running hosts.
func (a *Agent) Hosts(_ struct{}, out *[]HostInfo) error {
	a.mu.Lock()
	spec := a.spec
	a.mu.Unlock()
	*out = hostInfos(spec)
	return nil
}

func hostInfos(spec *netspec.Spec) []HostInfo {
	var out []HostInfo
	for _, h := range spec.Hosts {
		hi := HostInfo{Name: h.Name, Kind: h.Kind, Aliases: h.Aliases}
		for _, p := range spec.AddrsOf(h.Name) {
			hi.Addrs = append(hi.Addrs, p.String())
		}
		out = append(out, hi)
	}
	return out
}

// ServiceStatus reports the state of every service that has one (see services.Statuser), by
// host and service name, JSON-encoded.
func (a *Agent) ServiceStatus(_ struct{}, out *map[string]map[string][]byte) error {
	a.mu.Lock()
	hosts := make([]*host, 0, len(a.hosts))
	for _, h := range a.hosts {
		hosts = append(hosts, h)
	}
	a.mu.Unlock()
	res := map[string]map[string][]byte{}
	for _, h := range hosts {
		h.mu.Lock()
		for name, r := range h.services {
			if s, ok := r.svc.(services.Statuser); ok {
				b, err := json.Marshal(s.Status())
				if err != nil {
					continue
				}
				if res[h.name] == nil {
					res[h.name] = map[string][]byte{}
				}
				res[h.name][name] = b
			}
		}
		h.mu.Unlock()
	}
	*out = res
	return nil
}

// Apply converges the sandbox to spec.
func (a *Agent) Apply(spec *netspec.Spec, out *ApplyResult) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.result(a.apply(spec, nil), out)
	return nil
}

// ApplyDelta converges the sandbox to its spec changed by d, looking only at the hosts d
// touches. A delta made against another spec than the one held is refused (Stale).
func (a *Agent) ApplyDelta(d *netspec.Delta, out *ApplyResult) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.spec == nil || d.Base != a.seq {
		out.Stale, out.Seq = true, a.seq
		return nil
	}
	a.result(a.apply(a.spec.Patch(d), d.Touched(a.spec)), out)
	return nil
}

func (a *Agent) result(err error, out *ApplyResult) {
	a.seq++
	out.Seq = a.seq
	if err != nil {
		out.Err = err.Error()
		var he *netspec.ApplyError
		if errors.As(err, &he) {
			out.Hosts, out.Err = he.Hosts, he.Other
		}
	}
}

// apply converges the sandbox to spec. With touched set, only those hosts (and links with an
// end in one of them) can differ from what is applied: the others are not looked at.
func (a *Agent) apply(spec *netspec.Spec, touched map[string]bool) error {
	looked := func(name string) bool { return touched == nil || touched[name] }
	want := map[string]*netspec.Host{}
	for _, h := range spec.Hosts {
		if _, dup := want[h.Name]; dup {
			return fmt.Errorf("host %s appears twice", h.Name)
		}
		want[h.Name] = h
	}
	var errs []error
	hostErrs := map[string]string{} // host → why it could not be converged
	var hmu sync.Mutex
	failHost := func(name string, err error) {
		hmu.Lock()
		defer hmu.Unlock()
		if prev := hostErrs[name]; prev != "" {
			hostErrs[name] = prev + "; " + err.Error()
		} else {
			hostErrs[name] = err.Error()
		}
	}
	// Hosts that are gone take their links and services with them (hostremove_linux.go).
	a.removeHosts(want)
	// New hosts, in parallel: creating a namespace costs the kernel a little time each.
	t0, c0 := time.Now(), cpuTime()
	var newNames []string
	for name := range want {
		if a.hosts[name] == nil {
			newNames = append(newNames, name)
		}
	}
	sort.Strings(newNames)
	a.nlPool.resize(nlPoolSize())
	newHosts := make([]*netspec.Host, len(newNames))
	for i, name := range newNames {
		newHosts[i] = want[name]
	}
	if err := checkFileBudget(len(a.hosts), len(newNames), serviceFDs(newHosts), a.nlPool.reserve()); err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	created := make([]*host, len(newNames))
	var g errgroup.Group
	g.SetLimit(2 * runtime.NumCPU())
	for i, name := range newNames {
		g.Go(func() error {
			h, err := newHost(name, a.run, want[name].Forwarding)
			if h != nil {
				a.nlPool.adopt(h)
			}
			created[i] = h
			if err != nil {
				failHost(name, err)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		errs = append(errs, err)
	}
	for i, h := range created {
		if h != nil {
			a.hosts[newNames[i]] = h
		}
	}
	tHosts, cHosts := time.Since(t0), cpuTime()-c0
	t0, c0 = time.Now(), cpuTime()
	// Links: recreate any whose description changed.
	dirty := map[string]bool{}
	wantLinks := map[string]*netspec.Link{}
	for _, l := range spec.Links {
		if looked(l.A.Host) || looked(l.B.Host) {
			wantLinks[l.Key()] = l
		}
	}
	for k, l := range a.links {
		if !looked(l.A.Host) && !looked(l.B.Host) {
			continue
		}
		if w := wantLinks[k]; w == nil || !reflect.DeepEqual(w, l) {
			if h := a.hosts[l.A.Host]; h != nil {
				if release, err := h.useNetlink(); err == nil {
					if link, err := h.nl.LinkByName(l.A.Ifname); err == nil {
						h.nl.LinkDel(link)
					}
					release()
				}
				h.rememberIndex(l.A.Ifname, 0)
			}
			if h := a.hosts[l.B.Host]; h != nil {
				h.rememberIndex(l.B.Ifname, 0)
			}
			delete(a.links, k)
			dirty[l.A.Host], dirty[l.B.Host] = true, true
		}
	}
	// Bridges must exist before links are enslaved to them.
	for name, hs := range want {
		if !looked(name) {
			continue
		}
		if h := a.hosts[name]; h != nil && (h.applied == nil || !reflect.DeepEqual(h.applied.Bridges, hs.Bridges)) {
			if err := h.applyBridgesNL(hs.Bridges); err != nil {
				errs = append(errs, err)
				failHost(name, err)
			}
		}
	}
	var newLinks []*netspec.Link
	for k, l := range wantLinks {
		if a.links[k] == nil {
			newLinks = append(newLinks, l)
		}
	}
	sort.Slice(newLinks, func(i, j int) bool { return newLinks[i].Key() < newLinks[j].Key() })
	var lg errgroup.Group
	lg.SetLimit(2 * runtime.NumCPU())
	var lmu sync.Mutex
	for _, l := range newLinks {
		ha, hb := a.hosts[l.A.Host], a.hosts[l.B.Host]
		if ha == nil || hb == nil {
			errs = append(errs, fmt.Errorf("link %s: host missing", l.Key()))
			continue
		}
		lg.Go(func() error {
			if err := createLinkNL(ha, hb, l); err != nil {
				failHost(l.A.Host, err)
				failHost(l.B.Host, err)
				return err
			}
			lmu.Lock()
			a.links[l.Key()] = l
			dirty[l.A.Host], dirty[l.B.Host] = true, true
			lmu.Unlock()
			return nil
		})
	}
	if err := lg.Wait(); err != nil {
		errs = append(errs, err)
	}
	tLinks, cLinks := time.Since(t0), cpuTime()-c0
	t0, c0 = time.Now(), cpuTime()
	// Per-host configuration, in parallel.
	var hg errgroup.Group
	hg.SetLimit(2 * runtime.NumCPU())
	var emu sync.Mutex
	for name, hs := range want {
		h := a.hosts[name]
		if h == nil || !looked(name) && !dirty[name] {
			continue
		}
		if !dirty[name] && h.applied != nil && reflect.DeepEqual(h.applied, hs) {
			continue
		}
		linksChanged := dirty[name]
		hg.Go(func() error {
			if err := h.configureNL(hs, linksChanged, a.log); err != nil {
				var pe *policyError
				if errors.As(err, &pe) {
					failHost(name, errors.Unwrap(err)) // without the "host NAME:" prefix
					return nil
				}
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
			return nil
		})
	}
	hg.Wait()
	var made []string
	for _, name := range newNames {
		if a.hosts[name] != nil {
			made = append(made, name)
		}
	}
	for name, err := range a.restoreFaults(made) {
		failHost(name, fmt.Errorf("faults: %w", err))
	}
	a.spec = spec
	if he := netspec.NewApplyError(hostErrs); he != nil {
		if len(errs) > 0 {
			he.Other = errors.Join(errs...).Error()
		}
		return he
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	a.log.Debug("applied", "hosts", len(spec.Hosts), "links", len(spec.Links), "new_hosts", len(newNames),
		"new_links", len(newLinks), "hosts_took", tHosts, "links_took", tLinks, "configure_took", time.Since(t0),
		"hosts_cpu", cHosts, "links_cpu", cLinks, "configure_cpu", cpuTime()-c0, "netlink", a.nlPool.stats())
	return nil
}

// cpuTime is the CPU time the sandbox process has used so far, its own and the kernel's on its
// behalf (the applied log line gives each phase's: with the machine shared, it says more
// than the wall time).
func cpuTime() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// createLink makes a veth pair with one end in each host, addressed and up. The pair is made
// in one request with both ends' MTU, queues and interface index (chosen by the hosts, so no
// lookup follows) and the first end in its bridge; each end's settings, state, addresses,
// alternative names and the second end's bridge port take more requests.
// Where the kernel refuses the chosen index, the slower path with lookups runs instead.
func createLink(ha, hb *host, l *netspec.Link) error {
	mtu := l.MTU
	if mtu == 0 {
		mtu = 1500
	}
	// The end the request creates first can join its bridge in the same request: make it the
	// bridged end where there is one.
	first, second := vethEnd{h: ha, e: l.A}, vethEnd{h: hb, e: l.B}
	if l.B.Bridge != "" && l.A.Bridge == "" {
		first, second = second, first
	}
	first.idx, second.idx = first.h.allocIndex(), second.h.allocIndex()
	master, err := first.h.takePort(first.e.Bridge)
	if err != nil {
		return fmt.Errorf("link %s: %w", l.Key(), err)
	}
	first.master = master
	err = addVeth(mtu, first, second)
	for errors.Is(err, unix.EXFULL) && first.master != 0 { // the bridge is full: a port group takes it
		first.h.bridgeFull(first.master)
		if first.master, err = first.h.takePort(first.e.Bridge); err == nil {
			err = addVeth(mtu, first, second)
		}
	}
	if errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST) && !ha.hasLink(l.A.Ifname) && !hb.hasLink(l.B.Ifname) {
		first.idx, second.idx = 0, 0
		err = addVeth(mtu, first, second)
	}
	if err != nil {
		return fmt.Errorf("link %s: %w", l.Key(), err)
	}
	// The first end is enslaved unless the kernel chose the indexes.
	if err := first.h.setupEnd(first.e, first.idx, true, first.idx == 0 || first.master == 0); err != nil {
		return fmt.Errorf("link %s: %w", l.Key(), err)
	}
	if err := second.h.setupEnd(second.e, second.idx, true, true); err != nil {
		return fmt.Errorf("link %s: %w", l.Key(), err)
	}
	return nil
}

// vethEnd is one end of a pair being created: its host, spec, chosen index (0: the kernel's
// choice) and, for the first end, the bridge it joins at once (0: none).
type vethEnd struct {
	h      *host
	e      netspec.End
	idx    int
	master int
}

// addVeth sends one RTM_NEWLINK for the pair, both ends down (see setupEnd), the first in its
// bridge. Each
// end has one queue each way: without the attributes the kernel registers a queue per
// possible CPU (with its sysfs entries) and then removes all but one.
func addVeth(mtu int, first, second vethEnd) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(first.idx)
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(first.e.Ifname)))
	req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu))))
	req.AddData(nl.NewRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(1)))
	req.AddData(nl.NewRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(1)))
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(first.h.ns))))
	if first.idx != 0 && first.master != 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(first.master))))
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	pm := nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	pm.Index = int32(second.idx)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(second.e.Ifname))
	peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu)))
	peer.AddRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(1))
	peer.AddRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(1))
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(second.h.ns)))
	req.AddData(info)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// rememberIndex records the index of an interface spacelab made (0 forgets it).
func (h *host) rememberIndex(name string, idx int) {
	h.idxMu.Lock()
	defer h.idxMu.Unlock()
	if idx == 0 {
		delete(h.ifindex, name)
		return
	}
	if h.ifindex == nil {
		h.ifindex = map[string]int{}
	}
	h.ifindex[name] = idx
}

// knownIndex is the index of an interface or bridge spacelab made, or 0.
func (h *host) knownIndex(name string) int {
	h.idxMu.Lock()
	defer h.idxMu.Unlock()
	if i, ok := h.ifindex[name]; ok {
		return i
	}
	return h.bridges[name]
}

// bridgeIndex is the interface index of a bridge of the host (applyBridges records them), or
// 0 for none or unknown.
func (h *host) bridgeIndex(name string) int {
	if name == "" {
		return 0
	}
	h.idxMu.Lock()
	defer h.idxMu.Unlock()
	return h.bridges[name]
}

// firstIndex is where the interface indexes a host hands out start: far above the kernel's
// own (it numbers devices from 2 upwards), so the two do not meet in practice.
const firstIndex = 1000

func (h *host) allocIndex() int {
	h.idxMu.Lock()
	defer h.idxMu.Unlock()
	if h.nextIndex < firstIndex {
		h.nextIndex = firstIndex
	}
	h.nextIndex++
	return h.nextIndex
}

func (h *host) hasLink(name string) bool {
	_, err := h.nl.LinkByName(name)
	return err == nil
}

// setupEnd configures one end of a new pair; idx 0 means the kernel chose the index, so the
// interface is looked up by name. Each end gets its settings (quietLink) while it is still
// down: for an interface that is up, the same request also tells every protocol of the host
// that the interface changed, and IPv6 answers by walking the host's whole IPv6 routing table
// (a subnet router's holds an entry per interface, so the cost grew with every port). The
// second end goes up last: the pair has no carrier until then, so no IPv6 address appears
// meanwhile.
func (h *host) setupEnd(e netspec.End, idx int, up, enslave bool) error {
	var link netlink.Link = &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: idx, Name: e.Ifname}}
	if idx == 0 {
		var err error
		if link, err = h.nl.LinkByName(e.Ifname); err != nil {
			return fmt.Errorf("%s: %s: %w", h.name, e.Ifname, err)
		}
	}
	h.rememberIndex(e.Ifname, link.Attrs().Index)
	if err := h.quietLink(link.Attrs().Index); err != nil {
		return err
	}
	if up {
		if err := h.nl.LinkSetUp(link); err != nil {
			return fmt.Errorf("%s: %s up: %w", h.name, e.Ifname, err)
		}
	}
	if e.Label != "" {
		h.nl.LinkAddAltName(link, e.Label)
	}
	if e.Bridge != "" && enslave {
		if err := h.enslavePort(link, e.Bridge); err != nil {
			return fmt.Errorf("%s: enslave %s to %s: %w", h.name, e.Ifname, e.Bridge, err)
		}
	}
	for _, p := range e.Addrs {
		if err := h.nl.AddrAdd(link, &netlink.Addr{IPNet: ipNet(p)}); err != nil {
			return fmt.Errorf("%s: %s add %s: %w", h.name, e.Ifname, p, err)
		}
	}
	return nil
}

// newBridge describes a bridge as spacelab makes them, so that adding a port costs the kernel
// the same whatever the number of ports already there (a subnet's bridge holds hundreds):
//   - its own MAC address: a bridge without one takes the lowest of its ports' addresses,
//     which the kernel recomputes over every port at each join (and, when it changes, tells
//     every neighbour table);
//   - no multicast snooping: the kernel otherwise re-arms each port's multicast timers every
//     time a port joins (the VPC networks it emulates do not snoop IGMP either; multicast
//     floods, as on a hub);
//   - no default VLAN: VLAN filtering is off, so a per-port VLAN entry is work for nothing.
func newBridge(name string) *netlink.Bridge {
	off := false
	pvid := uint16(0)
	return &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, HardwareAddr: randomMAC()},
		MulticastSnooping: &off, VlanDefaultPVID: &pvid}
}

// randomMAC is a random unicast, locally administered MAC address.
func randomMAC() net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	rand.Read(mac)
	mac[0] = mac[0]&^0x01 | 0x02
	return mac
}

func (h *host) applyBridges(want []netspec.Bridge) error {
	for _, b := range want {
		link, err := h.nl.LinkByName(b.Name)
		if err != nil {
			if err := h.nl.LinkAdd(newBridge(b.Name)); err != nil {
				return fmt.Errorf("%s: bridge %s: %w", h.name, b.Name, err)
			}
			if link, err = h.nl.LinkByName(b.Name); err != nil {
				return fmt.Errorf("%s: bridge %s: %w", h.name, b.Name, err)
			}
			if err := h.quietLink(link.Attrs().Index); err != nil {
				return err
			}
		}
		h.idxMu.Lock()
		if h.bridges == nil {
			h.bridges = map[string]int{}
		}
		h.bridges[b.Name] = link.Attrs().Index
		h.idxMu.Unlock()
		if err := h.syncAddrs(link, b.Addrs); err != nil {
			return err
		}
		if err := h.nl.LinkSetUp(link); err != nil {
			return fmt.Errorf("%s: bridge %s up: %w", h.name, b.Name, err)
		}
	}
	return nil
}

// syncAddrs makes the link's IPv4 addresses exactly want.
func (h *host) syncAddrs(link netlink.Link, want []netip.Prefix) error {
	have, err := h.nl.AddrList(link, unix.AF_INET)
	if err != nil {
		return fmt.Errorf("%s: list addresses: %w", h.name, err)
	}
	keep := map[netip.Prefix]bool{}
	for _, p := range want {
		keep[p] = true
	}
	for _, a := range have {
		p := prefixOf(a.IPNet)
		if !keep[p] {
			h.nl.AddrDel(link, &a)
		}
		delete(keep, p)
	}
	for _, p := range want {
		if keep[p] {
			if err := h.nl.AddrAdd(link, &netlink.Addr{IPNet: ipNet(p)}); err != nil {
				return fmt.Errorf("%s: %s add %s: %w", h.name, link.Attrs().Name, p, err)
			}
		}
	}
	return nil
}

// configure applies everything of the host besides links: forwarding, loopback addresses,
// routes, rules, filter, resolver files and services. When the host's network (addresses,
// routes, rules, filter) cannot be made to match, it fails closed: the host gets a filter that
// drops everything, so it never keeps rules looser than the spec, and the error is a
// *policyError.
func (h *host) configure(hs *netspec.Host, linksChanged bool, log *slog.Logger) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	// What was applied before (nothing, for a host made by this Apply) tells which parts
	// cannot have changed and need no listing or rewriting.
	prev, fresh := h.applied, h.fresh
	h.fresh = false
	same := func(f func(*netspec.Host) any) bool { return prev != nil && reflect.DeepEqual(f(prev), f(hs)) }
	var errs, policy []error
	if hs.Forwarding != h.forwarding {
		if err := h.setForwarding(hs.Forwarding); err != nil {
			policy = append(policy, err)
		}
	}
	if !(fresh && len(hs.Loopback) == 0) && !same(func(x *netspec.Host) any { return x.Loopback }) {
		lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1, Name: "lo"}}
		want := append([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}, hs.Loopback...)
		if err := h.syncAddrs(lo, want); err != nil {
			policy = append(policy, err)
		}
	}
	if !(fresh && len(hs.Routes) == 0) && (linksChanged || !same(func(x *netspec.Host) any { return x.Routes })) {
		if err := h.syncRoutes(hs.Routes, fresh); err != nil {
			policy = append(policy, err)
		}
	}
	if !(fresh && len(hs.Rules) == 0) && (linksChanged || !same(func(x *netspec.Host) any { return x.Rules })) {
		if err := h.syncRules(hs.Rules); err != nil {
			policy = append(policy, err)
		}
	}
	if err := h.applyFilter(hs.Filter, fresh); err != nil {
		policy = append(policy, err)
	}
	if len(policy) > 0 {
		pe := &policyError{err: errors.Join(policy...)}
		if err := h.applyFilter(closedFilter(pe.err), false); err != nil {
			pe.err = fmt.Errorf("%w; closing the host failed too: %w", pe.err, err)
			h.downLinks()
		}
		errs = append(errs, pe)
	}
	if !same(func(x *netspec.Host) any { return [3]any{x.Resolvers, x.Search, x.Hostname} }) {
		if err := h.writeFiles(hs); err != nil {
			errs = append(errs, err)
		}
	}
	h.syncServices(hs, log, &errs)
	h.applied = hs
	if len(errs) > 0 {
		h.applied = nil // try again next time, everything
		return fmt.Errorf("host %s: %w", h.name, errors.Join(errs...))
	}
	return nil
}

// policyError is a host whose network could not be made to match its spec (and was closed).
type policyError struct{ err error }

func (e *policyError) Error() string { return e.err.Error() }
func (e *policyError) Unwrap() error { return e.err }

// closedFilter drops every packet in and out of a host, naming why.
func closedFilter(why error) *netspec.Filter {
	msg := "host closed: its rules could not be applied: " + why.Error()
	f := &netspec.Filter{}
	for _, hook := range []netspec.Hook{netspec.Input, netspec.Output, netspec.Forward} {
		f.Chains = append(f.Chains, netspec.Chain{Name: "closed-" + string(hook), Hook: hook, Policy: netspec.Drop, PolicyWhy: msg,
			Rules: []netspec.FilterRule{{Iif: "lo", Verdict: netspec.Accept, Why: "loopback stays open"}, {Oif: "lo", Verdict: netspec.Accept, Why: "loopback stays open"}}})
	}
	return f
}

// downLinks sets every interface but lo down: the last resort when even a closing filter fails.
func (h *host) downLinks() {
	links, err := h.nl.LinkList()
	if err != nil {
		return
	}
	for _, l := range links {
		if l.Attrs().Name != "lo" {
			h.nl.LinkSetDown(l)
		}
	}
}

// setForwarding turns routing on or off in a running host: the namespace's switch where a
// router needs it (newHost), and every interface's own setting, which is what the kernel
// consults for a packet arriving on it.
func (h *host) setForwarding(on bool) error {
	h.idxMu.Lock()
	h.forwarding = on
	h.idxMu.Unlock()
	if kv := hostSysctls(on); len(kv) > 0 {
		if err := inNS(h.ns, func() error { return writeSysctls(kv) }); err != nil {
			return fmt.Errorf("%s: %w", h.name, err)
		}
	}
	links, err := h.nl.LinkList()
	if err != nil {
		return fmt.Errorf("%s: list interfaces: %w", h.name, err)
	}
	for _, l := range links {
		if l.Attrs().Index == 1 { // loopback
			continue
		}
		if err := h.quietLink(l.Attrs().Index); err != nil {
			return err
		}
	}
	return nil
}

type routeKey struct {
	table  int
	dst    netip.Prefix
	via    netip.Addr
	dev    int
	typ    int
	metric int
	src    netip.Addr
}

// managedProto marks the routes spacelab installs, so others (connected routes) stay.
const managedProto = netlink.RouteProtocol(unix.RTPROT_STATIC)

// syncRoutes makes the host's managed routes exactly want; a fresh host has none to list.
func (h *host) syncRoutes(want []netspec.Route, fresh bool) error {
	var errs []error
	wantKeys := map[routeKey]netspec.Route{}
	for _, r := range want {
		k, err := h.routeKey(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		wantKeys[k] = r
	}
	var have []netlink.Route
	if !fresh {
		var err error
		have, err = h.nl.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: unix.RT_TABLE_UNSPEC, Protocol: managedProto},
			netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return fmt.Errorf("%s: list routes: %w", h.name, err)
		}
	}
	for _, r := range have {
		k := routeKey{table: r.Table, dev: r.LinkIndex, typ: r.Type, metric: r.Priority}
		if r.Dst != nil {
			k.dst = prefixOf(r.Dst)
		} else {
			k.dst = netip.MustParsePrefix("0.0.0.0/0")
		}
		if a, ok := netip.AddrFromSlice(r.Gw); ok {
			k.via = a.Unmap()
		}
		if a, ok := netip.AddrFromSlice(r.Src); ok {
			k.src = a.Unmap()
		}
		if _, ok := wantKeys[k]; ok {
			delete(wantKeys, k)
			continue
		}
		rr := r
		h.nl.RouteDel(&rr)
	}
	// Device routes first, so gateways are reachable when routes through them go in.
	keys := make([]routeKey, 0, len(wantKeys))
	for k := range wantKeys {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return !keys[i].via.IsValid() && keys[j].via.IsValid() })
	for _, k := range keys {
		r := &netlink.Route{Table: k.table, Dst: ipNet(k.dst), LinkIndex: k.dev, Type: k.typ, Priority: k.metric, Protocol: managedProto}
		if k.table == 0 {
			r.Table = unix.RT_TABLE_MAIN
		}
		if k.via.IsValid() {
			r.Gw = k.via.AsSlice()
		}
		if k.src.IsValid() {
			r.Src = k.src.AsSlice()
		}
		if k.typ == unix.RTN_UNICAST && !k.via.IsValid() {
			r.Scope = netlink.SCOPE_LINK
		}
		if err := h.nl.RouteAdd(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: route %s: %w", h.name, describeRoute(wantKeys[k]), err))
		}
	}
	return errors.Join(errs...)
}

func (h *host) routeKey(r netspec.Route) (routeKey, error) {
	k := routeKey{table: r.Table, dst: r.Dst.Masked(), via: r.Via, metric: r.Metric, src: r.Src}
	if k.table == 0 {
		k.table = unix.RT_TABLE_MAIN
	}
	switch r.Type {
	case netspec.Unicast:
		k.typ = unix.RTN_UNICAST
	case netspec.Blackhole:
		k.typ = unix.RTN_BLACKHOLE
	case netspec.Unreachable:
		k.typ = unix.RTN_UNREACHABLE
	case netspec.Prohibit:
		k.typ = unix.RTN_PROHIBIT
	default:
		return k, fmt.Errorf("%s: route %s: unknown type %q", h.name, r.Dst, r.Type)
	}
	if r.Dev != "" && k.typ == unix.RTN_UNICAST {
		if k.dev = h.knownIndex(r.Dev); k.dev == 0 {
			link, err := h.nl.LinkByName(r.Dev)
			if err != nil {
				return k, fmt.Errorf("%s: route %s dev %s: %w", h.name, r.Dst, r.Dev, err)
			}
			k.dev = link.Attrs().Index
		}
	}
	return k, nil
}

func describeRoute(r netspec.Route) string {
	s := r.Dst.String()
	if r.Type != netspec.Unicast {
		s = string(r.Type) + " " + s
	}
	if r.Via.IsValid() {
		s += " via " + r.Via.String()
	}
	if r.Dev != "" {
		s += " dev " + r.Dev
	}
	if r.Table != 0 {
		s += " table " + strconv.Itoa(r.Table)
	}
	return s
}

// Rule priorities spacelab manages; the kernel's own (0, 32766, 32767) stay.
const (
	minRulePriority = 1
	maxRulePriority = 32765
)

func (h *host) syncRules(want []netspec.Rule) error {
	have, err := h.nl.RuleList(unix.AF_INET)
	if err != nil {
		return fmt.Errorf("%s: list rules: %w", h.name, err)
	}
	type key struct {
		prio  int
		iif   string
		src   netip.Prefix
		table int
	}
	wantKeys := map[key]bool{}
	for _, r := range want {
		wantKeys[key{r.Priority, r.Iif, r.Src, r.Table}] = true
	}
	for _, r := range have {
		if r.Priority < minRulePriority || r.Priority > maxRulePriority {
			continue
		}
		k := key{prio: r.Priority, iif: r.IifName, table: r.Table}
		if r.Src != nil {
			k.src = prefixOf(r.Src)
		}
		if wantKeys[k] {
			delete(wantKeys, k)
			continue
		}
		rr := r
		h.nl.RuleDel(&rr)
	}
	var errs []error
	for k := range wantKeys {
		r := netlink.NewRule()
		r.Priority, r.IifName, r.Table, r.Family = k.prio, k.iif, k.table, unix.AF_INET
		if k.src.IsValid() {
			r.Src = ipNet(k.src)
		}
		if err := h.nl.RuleAdd(r); err != nil {
			errs = append(errs, fmt.Errorf("%s: rule %d iif %s table %d: %w", h.name, k.prio, k.iif, k.table, err))
		}
	}
	return errors.Join(errs...)
}

// writeFiles writes the host's resolv.conf, hosts and hostname for processes started in it.
func (h *host) writeFiles(hs *netspec.Host) error {
	var resolv []byte
	for _, r := range hs.Resolvers {
		resolv = fmt.Appendf(resolv, "nameserver %s\n", r)
	}
	if len(hs.Search) > 0 {
		resolv = fmt.Appendf(resolv, "search")
		for _, s := range hs.Search {
			resolv = fmt.Appendf(resolv, " %s", s)
		}
		resolv = append(resolv, '\n')
	}
	resolv = append(resolv, "options timeout:2 attempts:2\n"...)
	hosts := []byte("127.0.0.1\tlocalhost\n")
	hostname := hs.Hostname
	if hostname == "" {
		hostname = "localhost"
	}
	hosts = fmt.Appendf(hosts, "127.0.1.1\t%s\n", hostname)
	for _, f := range []struct {
		name string
		data []byte
	}{{"resolv.conf", resolv}, {"hosts", hosts}, {"hostname", []byte(hostname + "\n")}} {
		if err := os.WriteFile(filepath.Join(h.dir, f.name), f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// syncServices starts, updates and stops services to match the spec.
func (h *host) syncServices(hs *netspec.Host, log *slog.Logger, errs *[]error) {
	want := map[string]netspec.Service{}
	for _, s := range hs.Services {
		want[s.Name] = s
	}
	for name, r := range h.services {
		w, ok := want[name]
		if ok && reflect.DeepEqual(w, r.cfg) {
			continue
		}
		if ok && r.svc != nil && w.Kind == r.cfg.Kind && r.svc.Update(w) {
			r.cfg = w
			continue
		}
		r.stop()
		delete(h.services, name)
	}
	for name, cfg := range want {
		if h.services[name] != nil {
			continue
		}
		r := &running{cfg: cfg}
		var err error
		if cfg.Kind == "command" {
			h.allowPing()
			r.cmd, err = h.startCommand(cfg, hs, log)
		} else {
			env := h.env()
			env.Log = log
			r.svc, err = services.Start(cfg, env)
		}
		if err != nil {
			*errs = append(*errs, err)
			continue
		}
		h.services[name] = r
	}
}

// shutdown stops every host.
func (a *Agent) shutdown() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for name, h := range a.hosts {
		h.close()
		delete(a.hosts, name)
	}
}

// lookup finds a running host by name or alias.
func (a *Agent) lookup(nameOrAlias string) (*host, *netspec.Host) {
	a.mu.Lock()
	defer a.mu.Unlock()
	hs := a.spec.Resolve(nameOrAlias)
	if hs == nil {
		return nil, nil
	}
	return a.hosts[hs.Name], hs
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func prefixOf(n *net.IPNet) netip.Prefix {
	a, _ := netip.AddrFromSlice(n.IP)
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones)
}

var _ = context.Background
