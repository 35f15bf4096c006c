//go:build linux

package netns

import (
	"container/list"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"

	"github.com/vishvananda/netlink"
	vnl "github.com/vishvananda/netlink/nl"
	vns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// A host's netlink sockets (the netlink.Handle and quietLink's raw socket) are bound to its
// namespace, so every host needs its own; kept open for the host's life they made three
// descriptors per host with the namespace's, and 10,000 hosts passed the usual hard
// RLIMIT_NOFILE (20,000 on some machines, which a sandbox cannot raise). A host now holds
// only its namespace. Its sockets are opened when work needs them (useNetlink) and stay
// open afterwards in a pool of bounded size: when more sets are open than the pool keeps,
// the least recently used idle ones are closed. Up to the pool's size (2,048 hosts where the
// limit allows) nothing is ever reopened, so start-up costs what it did; beyond it a host's
// sockets are reopened in one visit to its namespace when it is touched again.
//
// h.nl and h.raw are valid only between useNetlink and its release: they are nil otherwise
// (a use without useNetlink fails loudly instead of reaching a closed or reused descriptor).

// nlPool keeps the open netlink sockets of hosts, bounded. Every field of the hosts it
// manages that concerns sockets (nl, raw, nlRefs, nlIdle, nlOpening, nlGone) is guarded by mu.
type nlPool struct {
	mu   sync.Mutex
	cond sync.Cond // broadcast when a host's sockets finish opening
	max  int       // sets kept open when idle
	open int       // sets open now (idle or in use)
	idle list.List // hosts with open sockets nobody uses, most recently used first

	// dial opens a host's sockets; nil is openNetlink (a test gives another).
	dial func(h *host) (*netlink.Handle, *vnl.SocketHandle, error)
	// shut closes them; nil closes both.
	shut func(nl *netlink.Handle, raw *vnl.SocketHandle)

	dials, shuts int // how many sets were opened and closed (tests, debug logs)
}

// newNLPool makes a pool that keeps at most max idle sets open.
func newNLPool(max int) *nlPool {
	p := &nlPool{max: max}
	p.cond.L = &p.mu
	return p
}

// nlPoolSize is how many hosts' sockets the sandbox keeps open: an eighth of the descriptor
// limit (each set is two), at least 16 and at most 2,048. The rest of the limit is for the
// hosts' namespaces, services and Apply's own sockets.
func nlPoolSize() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == unix.RLIM_INFINITY {
		return 2048
	}
	return min(max(int(lim.Cur/8), 16), 2048)
}

// resize changes how many sets the pool keeps (the descriptor limit can change while the
// sandbox runs: prlimit), closing idle ones beyond it.
func (p *nlPool) resize(n int) {
	p.mu.Lock()
	p.max = n
	shut := p.evictLocked()
	p.mu.Unlock()
	p.shutAll(shut)
}

// reserve is how many descriptors the pool may still open beyond those it holds now, for the
// file budget.
func (p *nlPool) reserve() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return 2 * max(p.max-p.open, 0)
}

// adopt takes the sockets newHost opened into the pool, idle.
func (p *nlPool) adopt(h *host) {
	p.mu.Lock()
	h.pool = p
	if h.nl == nil || h.nlGone {
		p.mu.Unlock()
		return
	}
	p.open++
	p.dials++
	h.nlIdle = p.idle.PushFront(h)
	shut := p.evictLocked()
	p.mu.Unlock()
	p.shutAll(shut)
}

type nlSet struct {
	nl  *netlink.Handle
	raw *vnl.SocketHandle
}

// evictLocked takes the least recently used idle sets out while more than max are open and
// returns them, to be closed after mu is released.
func (p *nlPool) evictLocked() []nlSet {
	var out []nlSet
	for p.open > p.max {
		e := p.idle.Back()
		if e == nil {
			break
		}
		out = append(out, p.takeLocked(e.Value.(*host)))
	}
	return out
}

// takeLocked removes an idle host's sockets from it and from the pool.
func (p *nlPool) takeLocked(h *host) nlSet {
	p.idle.Remove(h.nlIdle)
	h.nlIdle = nil
	s := nlSet{h.nl, h.raw}
	h.nl, h.raw = nil, nil
	p.open--
	p.shuts++
	return s
}

func (p *nlPool) shutAll(sets []nlSet) {
	for _, s := range sets {
		if p.shut != nil {
			p.shut(s.nl, s.raw)
			continue
		}
		if s.nl != nil {
			s.nl.Close()
		}
		if s.raw != nil {
			s.raw.Close()
		}
	}
}

// useNetlink makes h.nl and h.raw usable until release is called (once). Uses nest and run
// concurrently: the sockets close only when no use holds them.
func (h *host) useNetlink() (release func(), err error) {
	p := h.pool
	if p == nil { // made outside an Agent: the sockets newHost opened stay for the host's life
		if h.nl == nil {
			return nil, fmt.Errorf("netns: host %s: no netlink sockets", h.name)
		}
		return func() {}, nil
	}
	p.mu.Lock()
	for h.nlOpening {
		p.cond.Wait()
	}
	if h.nlGone {
		p.mu.Unlock()
		return nil, fmt.Errorf("netns: host %s: removed", h.name)
	}
	if h.nl == nil {
		h.nlOpening = true
		p.mu.Unlock()
		dial := p.dial
		if dial == nil {
			dial = openNetlink
		}
		nl, raw, err := dial(h)
		p.mu.Lock()
		h.nlOpening = false
		p.cond.Broadcast()
		if err != nil {
			p.mu.Unlock()
			return nil, fmt.Errorf("netns: host %s: %w", h.name, err)
		}
		h.nl, h.raw = nl, raw
		p.open++
		p.dials++
	} else if h.nlRefs == 0 {
		p.idle.Remove(h.nlIdle)
		h.nlIdle = nil
	}
	h.nlRefs++
	p.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { p.release(h) }) }, nil
}

func (p *nlPool) release(h *host) {
	p.mu.Lock()
	h.nlRefs--
	var shut []nlSet
	if h.nlRefs == 0 {
		if h.nlGone {
			shut = append(shut, nlSet{h.nl, h.raw})
			h.nl, h.raw = nil, nil
			p.open--
			p.shuts++
		} else {
			h.nlIdle = p.idle.PushFront(h)
			shut = p.evictLocked()
		}
	}
	p.mu.Unlock()
	p.shutAll(shut)
}

// useNetlink2 is useNetlink for two hosts (the ends of a link; they may be the same host).
func useNetlink2(a, b *host) (func(), error) {
	ra, err := a.useNetlink()
	if err != nil {
		return nil, err
	}
	rb, err := b.useNetlink()
	if err != nil {
		ra()
		return nil, err
	}
	return func() { rb(); ra() }, nil
}

// forgetNetlink is the host's end: no use can start any more, and its sockets close now, or
// when the last use in progress releases them. It returns once no socket is being opened in
// the namespace, so the namespace may be closed after.
func (h *host) forgetNetlink() {
	p := h.pool
	if p == nil {
		if h.nl != nil {
			h.nl.Close()
		}
		if h.raw != nil {
			h.raw.Close()
		}
		h.nl, h.raw = nil, nil
		return
	}
	p.mu.Lock()
	for h.nlOpening {
		p.cond.Wait()
	}
	h.nlGone = true
	var shut []nlSet
	if h.nl != nil && h.nlRefs == 0 {
		shut = append(shut, p.takeLocked(h))
	}
	p.mu.Unlock()
	p.shutAll(shut)
}

// openNetlink opens a host's two netlink sockets in one visit to its namespace.
func openNetlink(h *host) (*netlink.Handle, *vnl.SocketHandle, error) {
	var nl *netlink.Handle
	var raw *vnl.NetlinkSocket
	err := inNS(h.ns, func() error {
		var err error
		if nl, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
			return err
		}
		raw, err = vnl.GetNetlinkSocketAt(vns.None(), vns.None(), unix.NETLINK_ROUTE)
		return err
	})
	if err != nil {
		if nl != nil {
			nl.Close()
		}
		return nil, nil, fmt.Errorf("netlink sockets: %w", err)
	}
	return nl, &vnl.SocketHandle{Socket: raw}, nil
}

// fdsPerHost is what a host holds open while it exists: its namespace (its netlink sockets
// are the pool's, counted apart; services add their listeners: serviceFDs).
const fdsPerHost = 1

// serviceFDs is how many sockets the services of new hosts will hold open: one per listen
// address (a DNS server two, UDP and TCP). A web dyno's server is one more descriptor than
// its namespace, so 10,000 web dynos need 20,000 of them before any netlink socket.
func serviceFDs(hosts []*netspec.Host) int {
	n := 0
	for _, h := range hosts {
		for _, s := range h.Services {
			k := len(s.Listen)
			if s.Kind == "dns" {
				k *= 2
			}
			n += k
		}
	}
	return n
}

// checkFileBudget refuses to make n more hosts, whose services will open svc sockets, when
// their descriptors, with what the netlink pool may still open (reserve), would pass the
// process's limit: past it, sockets fail deep inside libraries (one of which then crashes on
// the failed socket: mdlayher/socket drops the error of a socket made in another namespace),
// so the refusal comes first, naming the limit. An Apply that makes no host opens none of
// theirs and is not checked: counting the open descriptors costs in proportion to the hosts
// there are.
func checkFileBudget(have, n, svc, reserve int) error {
	if n == 0 {
		return nil
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur == unix.RLIM_INFINITY {
		return nil
	}
	open := 0
	if d, err := os.Open("/proc/self/fd"); err == nil {
		names, _ := d.Readdirnames(-1) // unsorted, unlike os.ReadDir
		open = len(names)
		d.Close()
	}
	// A margin for the Apply's own sockets (nftables, links) and for sets in use beyond the
	// pool's size: each of 2×NumCPU workers holds at most two hosts' sets.
	margin := 64 + 8*runtime.NumCPU()
	need := open + n*fdsPerHost + svc + reserve + margin
	if uint64(need) > lim.Cur {
		return fmt.Errorf("%d more hosts (%d now) need about %d file descriptors (%d each, %d for their services' sockets, %d for netlink sockets, %d of margin), and the sandbox may open %d (RLIMIT_NOFILE; raise the hard limit, e.g. ulimit -Hn, to run more): %w",
			n, have, need, fdsPerHost, svc, reserve, margin, lim.Cur, unix.EMFILE)
	}
	return nil
}

// stats says how many hosts' sockets are open and how many were opened and closed so far.
func (p *nlPool) stats() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("%d open (keeps %d), %d opened, %d closed", p.open, p.max, p.dials, p.shuts)
}

// The steps of an Apply that use hosts' netlink sockets, each holding them for its duration.

func createLinkNL(ha, hb *host, l *netspec.Link) error {
	release, err := useNetlink2(ha, hb)
	if err != nil {
		return fmt.Errorf("link %s: %w", l.Key(), err)
	}
	defer release()
	return createLink(ha, hb, l)
}

func (h *host) applyBridgesNL(want []netspec.Bridge) error {
	release, err := h.useNetlink()
	if err != nil {
		return err
	}
	defer release()
	return h.applyBridges(want)
}

func (h *host) configureNL(hs *netspec.Host, linksChanged bool, log *slog.Logger) error {
	release, err := h.useNetlink()
	if err != nil {
		// Nothing of the spec could be applied: the host fails closed (its filter needs no
		// netlink socket of the pool) and is tried again, whole, next time.
		h.mu.Lock()
		defer h.mu.Unlock()
		h.applied = nil
		if ferr := h.applyFilter(closedFilter(err), false); ferr != nil {
			err = fmt.Errorf("%w; closing the host failed too: %w", err, ferr)
		}
		return &policyError{err: err}
	}
	defer release()
	return h.configure(hs, linksChanged, log)
}
