//go:build linux

package netns

import (
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"spacelab/services"
)

// tun is a TUN device opened inside a host.
type tun struct {
	f    *os.File
	rc   syscall.RawConn
	h    *host
	name string
}

// ReadPackets reads up to len(bufs) packets in one wake-up: it blocks until the device is
// readable, then reads until it would block (services.PacketDevice batching).
func (t *tun) ReadPackets(bufs [][]byte, sizes []int) (int, error) {
	n := 0
	var rerr error
	err := t.rc.Read(func(fd uintptr) bool {
		for n < len(bufs) {
			m, err := unix.Read(int(fd), bufs[n])
			switch {
			case err == unix.EINTR:
				continue
			case err == unix.EAGAIN:
				return n > 0
			case err != nil:
				rerr = err
				return true
			}
			sizes[n] = m
			n++
		}
		return true
	})
	if n > 0 {
		return n, nil
	}
	if err != nil {
		return 0, err
	}
	return 0, rerr
}

// WritePackets writes the packets, waiting when the device queue is full.
func (t *tun) WritePackets(bufs [][]byte) (int, error) {
	n := 0
	var werr error
	err := t.rc.Write(func(fd uintptr) bool {
		for n < len(bufs) {
			_, err := unix.Write(int(fd), bufs[n])
			switch {
			case err == unix.EINTR:
				continue
			case err == unix.EAGAIN:
				return false
			case err != nil:
				werr = err
				n++ // a packet the kernel refuses is dropped, the rest still go
				continue
			}
			n++
		}
		return true
	})
	if err != nil {
		return n, err
	}
	return n, werr
}

// AddRoute routes dst into the device (services.DeviceRouter). The route is not one of the
// spec's (its protocol is boot, not static), so route syncing leaves it alone; it goes away
// with the device.
func (t *tun) AddRoute(dst netip.Prefix) error {
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

func (t *tun) ReadPacket(b []byte) (int, error) { return t.f.Read(b) }
func (t *tun) WritePacket(b []byte) error {
	_, err := t.f.Write(b)
	return err
}
func (t *tun) Close() error { return t.f.Close() }

// openDevice creates a TUN device in the host (IFF_TUN|IFF_NO_PI), addresses it and brings it
// up. It needs access to /dev/net/tun, which a sandbox started by root has; an unprivileged
// user's sandbox usually has not (the device node is root-only on most systems).
func (h *host) openDevice(name string, mtu int, addrs []netip.Prefix) (services.PacketDevice, error) {
	var fd int
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
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF %s: %w", name, err)
		}
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
	return &tun{f: f, rc: rc, h: h, name: name}, nil
}
