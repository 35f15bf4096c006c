//go:build linux

package netns

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// packetSock is an AF_PACKET socket opened inside one host's namespace: it sees every frame
// that enters or leaves the host's interfaces (or one of them), with its direction and
// interface. Captures and probe witnesses read it.
type packetSock struct {
	f      *os.File
	raw    bool // SOCK_RAW (link-layer header kept) rather than SOCK_DGRAM
	ifidx  int
	hatype uint16 // of the bound interface, for raw sockets
}

// frame is one packet a packetSock saw.
type frame struct {
	At      time.Time
	Ifindex int
	Hatype  uint16 // link type of the interface (ARPHRD_*)
	PktType uint8  // PACKET_HOST, PACKET_OUTGOING, …
	Proto   uint16 // ethertype, host order
	Len     int    // length on the wire
	Data    []byte
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// openPacketSock opens a packet socket in h. With an interface name it binds to it and keeps
// the link-layer header (SOCK_RAW); without, it sees every interface and gets network-layer
// payloads (SOCK_DGRAM), as tcpdump -i any does.
func (h *host) openPacketSock(ifname string) (*packetSock, error) {
	ps := &packetSock{}
	if ifname != "" {
		release, err := h.useNetlink()
		if err != nil {
			return nil, err
		}
		link, err := h.nl.LinkByName(ifname)
		release()
		if err != nil {
			return nil, fmt.Errorf("%s: no interface %s: %w", h.name, ifname, err)
		}
		ps.raw, ps.ifidx = true, link.Attrs().Index
		ps.hatype = arphrdOf(link.Attrs().EncapType)
	}
	typ := unix.SOCK_DGRAM
	if ps.raw {
		typ = unix.SOCK_RAW
	}
	var fd int
	err := inNS(h.ns, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_PACKET, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: packet socket: %w", h.name, err)
	}
	if ps.ifidx != 0 {
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ps.ifidx}); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("%s: bind packet socket to %s: %w", h.name, ifname, err)
		}
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	ps.f = os.NewFile(uintptr(fd), "packet")
	return ps, nil
}

// arphrdOf maps netlink's encapsulation names to ARPHRD numbers for the kinds spacelab makes.
func arphrdOf(encap string) uint16 {
	switch encap {
	case "ether":
		return unix.ARPHRD_ETHER
	case "loopback":
		return unix.ARPHRD_LOOPBACK
	case "none":
		return unix.ARPHRD_NONE
	}
	return unix.ARPHRD_ETHER
}

// read returns the next frame, or an error once the deadline passes or the socket closes.
func (ps *packetSock) read(buf []byte) (frame, error) {
	rc, err := ps.f.SyscallConn()
	if err != nil {
		return frame{}, err
	}
	var fr frame
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, from, err := unix.Recvfrom(int(fd), buf, unix.MSG_TRUNC)
		if errors.Is(err, unix.EAGAIN) {
			return false
		}
		if err != nil {
			rerr = err
			return true
		}
		fr = frame{At: time.Now(), Len: n, Data: buf[:min(n, len(buf))]}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok {
			fr.Ifindex, fr.Hatype, fr.PktType, fr.Proto = ll.Ifindex, ll.Hatype, ll.Pkttype, htons(ll.Protocol)
		}
		return true
	})
	if err != nil {
		return frame{}, err
	}
	return fr, rerr
}

func (ps *packetSock) close() error { return ps.f.Close() }

// drain hands fn every frame still queued on the socket, without waiting for more.
func (ps *packetSock) drain(buf []byte, fn func(frame) bool) {
	rc, err := ps.f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		for {
			n, from, err := unix.Recvfrom(int(fd), buf, unix.MSG_TRUNC|unix.MSG_DONTWAIT)
			if err != nil {
				return
			}
			fr := frame{At: time.Now(), Len: n, Data: buf[:min(n, len(buf))]}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok {
				fr.Ifindex, fr.Hatype, fr.PktType, fr.Proto = ll.Ifindex, ll.Hatype, ll.Pkttype, htons(ll.Protocol)
			}
			if !fn(fr) {
				return
			}
		}
	})
}

// ipv4 returns the IPv4 header and payload of a frame, whatever its link type; ok is false
// for anything else.
func (fr frame) ipv4(raw bool) ([]byte, bool) {
	b := fr.Data
	if raw {
		switch fr.Hatype {
		case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
			if len(b) < 14 || b[12] != 0x08 || b[13] != 0x00 {
				return nil, false
			}
			b = b[14:]
		}
	} else if fr.Proto != unix.ETH_P_IP {
		return nil, false
	}
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, false
	}
	return b, true
}
