//go:build linux

package netns

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"spacelab/services"
)

// tun is a TUN device opened inside a host.
type tun struct {
	f *os.File
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
	return &tun{f: f}, nil
}
