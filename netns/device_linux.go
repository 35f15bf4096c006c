//go:build linux

package netns

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/spacelab-dev/spacelab/services"
)

// tun is a TUN device opened inside a host. It is opened with a virtio-net header and TCP
// segmentation offload where the kernel allows (see offload_linux.go), which its methods hide:
// they read and write plain IPv4 packets.
type tun struct {
	f    *os.File
	rc   syscall.RawConn
	h    *host
	name string
	vnet bool // packets carry a virtio-net header

	rmu  sync.Mutex
	rbuf []byte // one raw read: header and packet (up to 64 KiB)
	seg  segmenter

	wmu  sync.Mutex
	wbuf []byte       // the virtio-net header of a write
	wiov []unix.Iovec // one write's pieces
}

// errDropped marks a raw packet the device could not turn into packets (it is skipped).
var errDropped = errors.New("netns: unusable packet from the device")

func (t *tun) ReadPacket(b []byte) (int, error) {
	sizes := [1]int{}
	n, err := t.ReadPackets([][]byte{b}, sizes[:])
	if n == 0 {
		return 0, err
	}
	return sizes[0], nil
}

// ReadPackets reads up to len(bufs) packets in one wake-up: it blocks until the device is
// readable, then takes what is ready without blocking again. A TCP super-packet from the
// kernel is split into MTU-sized segments.
func (t *tun) ReadPackets(bufs [][]byte, sizes []int) (int, error) {
	t.rmu.Lock()
	defer t.rmu.Unlock()
	n := 0
	for n < len(bufs) {
		if t.seg.pkt != nil {
			m, err := t.seg.next(bufs[n:], sizes[n:])
			n += m
			if err != nil && n == 0 {
				return 0, err
			}
			continue
		}
		m, err := t.readRaw(n == 0)
		if err != nil {
			if n > 0 {
				return n, nil
			}
			if errors.Is(err, errDropped) {
				continue
			}
			return 0, err
		}
		raw := t.rbuf[:m]
		if !t.vnet {
			if len(bufs[n]) < m {
				continue
			}
			sizes[n] = copy(bufs[n], raw)
			n++
			continue
		}
		if m < vnetHdrLen {
			continue
		}
		h := parseVnetHdr(raw)
		pkt := raw[vnetHdrLen:]
		switch h.gsoType &^ vnetGSOECN {
		case vnetGSONone:
			if h.flags&vnetNeedsCsum != 0 && !completeChecksum(pkt, int(h.csumStart), int(h.csumOffset)) {
				continue
			}
			if len(bufs[n]) < len(pkt) {
				continue
			}
			sizes[n] = copy(bufs[n], pkt)
			n++
		case vnetGSOTCPv4:
			t.seg.start(pkt, h)
		}
	}
	return n, nil
}

// readRaw reads one raw packet into rbuf; with block false it returns EAGAIN instead of
// waiting.
func (t *tun) readRaw(block bool) (int, error) {
	var m int
	var rerr error
	err := t.rc.Read(func(fd uintptr) bool {
		for {
			m, rerr = unix.Read(int(fd), t.rbuf)
			if rerr == unix.EINTR {
				continue
			}
			return !(rerr == unix.EAGAIN && block)
		}
	})
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, rerr
	}
	return m, nil
}

func (t *tun) WritePacket(b []byte) error {
	_, err := t.WritePackets([][]byte{b})
	return err
}

// WritePackets writes the packets, coalescing consecutive TCP segments of a flow into one
// super-packet where the device takes them; it waits when the device queue is full. Nothing
// is copied in user space: each write gathers the virtio-net header and the packets (for a
// super-packet, the first packet whole and the payloads of the others) with writev, and the
// first packet of a super-packet has its headers rewritten in place for the whole.
func (t *tun) WritePackets(bufs [][]byte) (int, error) {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	done := 0
	var firstErr error
	for i := 0; i < len(bufs); {
		j := i + 1
		t.wiov = t.wiov[:0]
		if t.vnet {
			hdr := t.wbuf[:vnetHdrLen]
			if first, ok := coalescable(bufs[i]); ok {
				prev, prevSeg := bufs[i], first
				total := len(bufs[i])
				for j < len(bufs) && j-i < maxCoalescedSegments && prevSeg.payloadLen == first.payloadLen && prev[33]&tcpFlagPSH == 0 {
					q, ok := coalescable(bufs[j])
					if !ok || q.seq != prevSeg.seq+uint32(prevSeg.payloadLen) || q.payloadLen > first.payloadLen ||
						total+q.payloadLen > maxCoalescedBytes || !sameFlow(bufs[i], bufs[j], first, q) {
						break
					}
					total += q.payloadLen
					prev, prevSeg = bufs[j], q
					j++
				}
				if j-i > 1 {
					coalesceHeaders(hdr, bufs[i:j], first)
					t.wiov = appendIovec(t.wiov, hdr)
					t.wiov = appendIovec(t.wiov, bufs[i])
					for _, q := range bufs[i+1 : j] {
						t.wiov = appendIovec(t.wiov, q[first.hl:])
					}
				}
			}
			if len(t.wiov) == 0 {
				clear(hdr)
				t.wiov = appendIovec(t.wiov, hdr)
				t.wiov = appendIovec(t.wiov, bufs[i])
			}
		} else {
			t.wiov = appendIovec(t.wiov, bufs[i])
		}
		if err := t.writeRaw(t.wiov); err != nil {
			if errors.Is(err, os.ErrClosed) {
				return done, err
			}
			if firstErr == nil {
				firstErr = err // a packet the kernel refuses is dropped, the rest still go
			}
		}
		done += j - i
		i = j
	}
	return done, firstErr
}

// maxCoalescedSegments bounds the segments of one written super-packet (Linux GRO merges at
// most 64 too), and with it the iovecs of one writev.
const maxCoalescedSegments = 64

func appendIovec(iov []unix.Iovec, b []byte) []unix.Iovec {
	v := unix.Iovec{}
	if len(b) > 0 {
		v.Base = &b[0]
	}
	v.SetLen(len(b))
	return append(iov, v)
}

// writeRaw writes one packet gathered from iov (writev: a TUN device takes one packet per
// write, whatever the iovecs).
func (t *tun) writeRaw(iov []unix.Iovec) error {
	var werr error
	err := t.rc.Write(func(fd uintptr) bool {
		for {
			_, _, e := unix.Syscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
			werr = nil
			if e != 0 {
				werr = e
			}
			if werr == unix.EINTR {
				continue
			}
			return werr != unix.EAGAIN
		}
	})
	if err != nil {
		return err
	}
	return werr
}

// AddRoute routes dst into the device (services.DeviceRouter). The route is not one of the
// spec's (its protocol is boot, not static), so route syncing leaves it alone; it goes away
// with the device.
func (t *tun) AddRoute(dst netip.Prefix) error {
	release, err := t.h.useNetlink()
	if err != nil {
		return err
	}
	defer release()
	link, err := t.h.nl.LinkByName(t.name)
	if err != nil {
		return fmt.Errorf("netns: %s: device %s: %w", t.h.name, t.name, err)
	}
	r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: ipNet(dst.Masked()), Scope: netlink.SCOPE_LINK, Protocol: unix.RTPROT_BOOT}
	if err := t.h.nl.RouteReplace(r); err != nil {
		return fmt.Errorf("netns: %s: route %s dev %s: %w", t.h.name, dst, t.name, err)
	}
	return nil
}

func (t *tun) Close() error { return t.f.Close() }

// openDevice creates a TUN device in the host (IFF_TUN|IFF_NO_PI, with IFF_VNET_HDR and TCP
// segmentation offload where possible), addresses it and brings it up. It needs access to
// /dev/net/tun, which a sandbox started by root has; an unprivileged user's sandbox usually
// has not (the device node is root-only on most systems).
func (h *host) openDevice(name string, mtu int, addrs []netip.Prefix) (services.PacketDevice, error) {
	var fd int
	vnet := false
	err := inNS(h.ns, func() error {
		var err error
		fd, err = unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open /dev/net/tun: %w", err)
		}
		ifr, err := unix.NewIfreq(name)
		if err != nil {
			unix.Close(fd)
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF %s: %w", name, err)
		}
		vnet = true
		// Without offloads the device still works, packet by packet.
		unix.IoctlSetInt(fd, unix.TUNSETOFFLOAD, tunFCSum|tunFTSO4)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("netns: %s: %w", h.name, err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "/dev/net/tun")
	release, err := h.useNetlink()
	if err != nil {
		f.Close()
		return nil, err
	}
	defer release()
	link, err := h.nl.LinkByName(name)
	if err == nil && mtu > 0 {
		err = h.nl.LinkSetMTU(link, mtu)
	}
	for _, p := range addrs {
		if err == nil {
			err = h.nl.AddrAdd(link, &netlink.Addr{IPNet: ipNet(p)})
		}
	}
	if err == nil {
		err = h.quietLink(link.Attrs().Index)
	}
	if err == nil {
		err = h.nl.LinkSetUp(link)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("netns: %s: device %s: %w", h.name, name, err)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &tun{f: f, rc: rc, h: h, name: name, vnet: vnet,
		rbuf: make([]byte, vnetHdrLen+maxIPv4Packet), wbuf: make([]byte, vnetHdrLen),
		wiov: make([]unix.Iovec, 0, 2+maxCoalescedSegments)}, nil
}
