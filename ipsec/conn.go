package ipsec

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
)

// Datagram is one UDP datagram of a batch.
type Datagram struct {
	// Buf holds the payload. Reading fills Buf[:N]; writing sends Buf as it is.
	Buf []byte
	// N is the number of bytes read.
	N int
	// Addr is the sender (read) or the destination (write).
	Addr netip.AddrPort
	// Seg, when reading, is non-zero if the kernel coalesced several datagrams of one
	// sender into Buf[:N] (UDP generic receive offload): each is Seg bytes, the last may be
	// shorter.
	Seg int
}

// Conn is a UDP socket bound to one local address and port (500 or 4500). Reads and writes
// move batches so implementations can use recvmmsg and sendmmsg.
type Conn interface {
	// ReadBatch blocks until at least one datagram arrives and returns how many of ds it
	// filled. Buffers should hold 64 KiB: a Conn may return several datagrams of one sender
	// coalesced (see Datagram.Seg).
	ReadBatch(ds []Datagram) (int, error)
	// WriteBatch sends the datagrams and returns how many were sent.
	WriteBatch(ds []Datagram) (int, error)
	// LocalAddr is the bound address.
	LocalAddr() netip.AddrPort
	Close() error
}

// Device moves inner IPv4 packets between the gateway and the network it protects: a TUN
// device in a spacelab host (services.PacketDevice has this shape) or an in-memory double.
type Device interface {
	ReadPacket(b []byte) (int, error)
	WritePacket(b []byte) error
	Close() error
}

// BatchDevice is a Device that can move several packets per call.
type BatchDevice interface {
	Device
	// ReadPackets blocks until at least one packet is available, then reads as many as are
	// ready (up to len(bufs)) and stores their sizes.
	ReadPackets(bufs [][]byte, sizes []int) (int, error)
	// WritePackets writes the packets and returns how many were written.
	WritePackets(bufs [][]byte) (int, error)
}

// Socket buffer sizes asked for on UDP sockets: large enough to absorb bursts while the
// reader is busy decrypting (the strongSwan baseline loses packets to a full receive buffer).
const socketBuffer = 8 << 20

// udpConn is a Conn over golang.org/x/net's batch API (recvmmsg/sendmmsg where the platform
// has them), for platforms without the Linux implementation in conn_linux.go.
type udpConn struct {
	c     *net.UDPConn
	pc    *ipv4.PacketConn
	local netip.AddrPort
	rmsgs []ipv4.Message
	wmu   sync.Mutex // writes come from the data path and the IKE loops
	wmsgs []ipv4.Message
	addrs []net.UDPAddr
}

// NewUDPConn wraps a UDP socket (a *net.UDPConn, as net.ListenPacket and spacelab's
// Env.ListenPacket return) as a Conn, enlarging its socket buffers. Reads must come from one
// goroutine at a time; writes may come from several.
func NewUDPConn(pc net.PacketConn) (Conn, error) {
	c, ok := pc.(*net.UDPConn)
	if !ok {
		return nil, fmt.Errorf("ipsec: %T is not a UDP socket", pc)
	}
	setBuffers(c)
	la, _ := netip.ParseAddrPort(c.LocalAddr().String())
	return newPlatformConn(c, netip.AddrPortFrom(la.Addr().Unmap(), la.Port()))
}

func newBatchConn(c *net.UDPConn, local netip.AddrPort) *udpConn {
	return &udpConn{c: c, pc: ipv4.NewPacketConn(c), local: local}
}

func (u *udpConn) LocalAddr() netip.AddrPort { return u.local }
func (u *udpConn) Close() error              { return u.c.Close() }

func (u *udpConn) ReadBatch(ds []Datagram) (int, error) {
	if cap(u.rmsgs) < len(ds) {
		u.rmsgs = make([]ipv4.Message, len(ds))
		for i := range u.rmsgs {
			u.rmsgs[i].Buffers = make([][]byte, 1)
		}
	}
	ms := u.rmsgs[:len(ds)]
	for i := range ds {
		ms[i].Buffers[0] = ds[i].Buf
	}
	n, err := u.pc.ReadBatch(ms, 0)
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		ds[i].N = ms[i].N
		if ua, ok := ms[i].Addr.(*net.UDPAddr); ok {
			a, _ := netip.AddrFromSlice(ua.IP)
			ds[i].Addr = netip.AddrPortFrom(a.Unmap(), uint16(ua.Port))
		}
	}
	return n, nil
}

func (u *udpConn) WriteBatch(ds []Datagram) (int, error) {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	if cap(u.wmsgs) < len(ds) {
		u.wmsgs = make([]ipv4.Message, len(ds))
		u.addrs = make([]net.UDPAddr, len(ds))
		for i := range u.wmsgs {
			u.wmsgs[i].Buffers = make([][]byte, 1)
			u.addrs[i].IP = make(net.IP, 4)
		}
	}
	ms := u.wmsgs[:len(ds)]
	for i := range ds {
		ms[i].Buffers[0] = ds[i].Buf
		a := &u.addrs[i]
		a4 := ds[i].Addr.Addr().As4()
		copy(a.IP, a4[:])
		a.Port = int(ds[i].Addr.Port())
		ms[i].Addr = a
	}
	sent := 0
	for sent < len(ms) {
		n, err := u.pc.WriteBatch(ms[sent:], 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return sent, err
			}
			// A datagram the kernel refuses (no route, ICMP error pending) must not stall
			// the rest of the batch.
			sent++
			continue
		}
		sent += n
	}
	return sent, nil
}
