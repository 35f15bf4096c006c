//go:build linux

package netns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/netspec"
)

// errWitnessed ends a probe whose packets were seen dying where the model said.
var errWitnessed = errors.New("dropped where the model said")

// witness watches the hop a probe's packets are expected to die at, and cancels the probe
// (with errWitnessed as the cause) when it sees them die. It returns how it saw it, once the
// probe is over, and a function that stops the watch.
type witness struct {
	how  chan string
	stop context.CancelFunc
}

// pollEvery is how often a drop counter is read while a probe runs: a netlink dump of one
// host's rules, far cheaper than the timeout it saves.
const pollEvery = 2 * time.Millisecond

func (a *Agent) watchDrop(ctx context.Context, cancel context.CancelCauseFunc, d *netspec.DropPoint) (*witness, error) {
	h, _ := a.lookup(d.Host)
	if h == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoHost, d.Host)
	}
	wctx, stop := context.WithCancel(ctx)
	w := &witness{how: make(chan string, 1), stop: stop}
	if d.Rule != "" {
		before, err := h.dropCounters()
		if err != nil {
			stop()
			return nil, err
		}
		go func() {
			t := time.NewTicker(pollEvery)
			defer t.Stop()
			for {
				select {
				case <-wctx.Done():
					w.how <- ""
					return
				case <-t.C:
				}
				now, err := h.dropCounters()
				if err != nil {
					continue
				}
				if n := now[d.Rule] - before[d.Rule]; n > 0 {
					w.how <- fmt.Sprintf("the drop counter of %q in %s grew by %d", d.Rule, h.name, n)
					cancel(errWitnessed)
					return
				}
			}
		}()
		return w, nil
	}
	ps, err := h.openPacketSock("")
	if err != nil {
		stop()
		return nil, err
	}
	context.AfterFunc(wctx, func() { ps.close() })
	go func() {
		buf := make([]byte, 256)
		for {
			fr, err := ps.read(buf)
			if err != nil {
				w.how <- ""
				return
			}
			if fr.PktType == unix.PACKET_OUTGOING {
				continue
			}
			ip, ok := fr.ipv4(false)
			if !ok || !matchesPoint(ip, d) {
				continue
			}
			src, _ := netip.AddrFromSlice(ip[12:16])
			dst, _ := netip.AddrFromSlice(ip[16:20])
			release, err := h.useNetlink()
			if err != nil {
				continue
			}
			iif := ""
			if l, err := h.nl.LinkByIndex(fr.Ifindex); err == nil {
				iif = l.Attrs().Name
			}
			why, dropped := h.routeDrops(src, dst, iif)
			release()
			if dropped {
				w.how <- fmt.Sprintf("a packet %s → %s arrived at %s on %s, and its routing %s", src, dst, h.name, iif, why)
				cancel(errWitnessed)
				return
			}
		}
	}()
	return w, nil
}

// matchesPoint reports whether an IPv4 packet is one of the probe's, as the drop point names it.
func matchesPoint(ip []byte, d *netspec.DropPoint) bool {
	dst, _ := netip.AddrFromSlice(ip[16:20])
	if dst != d.Dst || (d.Proto != 0 && ip[9] != d.Proto) {
		return false
	}
	if d.Port != 0 && (d.Proto == netspec.TCP || d.Proto == netspec.UDP) {
		hl := int(ip[0]&0x0f) * 4
		if len(ip) < hl+4 || binary.BigEndian.Uint16(ip[hl+2:hl+4]) != d.Port {
			return false
		}
	}
	return true
}

// routeDrops asks the host's kernel how it routes a packet that arrived on iif: dropped is
// true when the answer is a blackhole, unreachable or prohibit route (or no route at all).
func (h *host) routeDrops(src, dst netip.Addr, iif string) (string, bool) {
	rs, err := h.nl.RouteGetWithOptions(dst.AsSlice(), &netlink.RouteGetOptions{Iif: iif, SrcAddr: src.AsSlice()})
	switch {
	case errors.Is(err, unix.EINVAL):
		return "discards it (blackhole route)", true
	case errors.Is(err, unix.EHOSTUNREACH), errors.Is(err, unix.ENETUNREACH):
		return "has no way on (unreachable)", true
	case errors.Is(err, unix.EACCES):
		return "refuses it (prohibit route)", true
	case err != nil:
		return "", false
	}
	for _, r := range rs {
		switch r.Type {
		case unix.RTN_BLACKHOLE:
			return "discards it (blackhole route)", true
		case unix.RTN_UNREACHABLE:
			return "has no way on (unreachable)", true
		case unix.RTN_PROHIBIT:
			return "refuses it (prohibit route)", true
		}
	}
	return "", false
}
