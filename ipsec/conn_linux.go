//go:build linux

package ipsec

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setBuffers asks for large socket buffers: SO_RCVBUFFORCE/SO_SNDBUFFORCE where the process
// may exceed net.core.rmem_max, else the plain options (capped by the kernel).
func setBuffers(c *net.UDPConn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, socketBuffer) != nil {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, socketBuffer)
		}
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, socketBuffer) != nil {
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF, socketBuffer)
		}
	})
}

// mmsgConn is a Conn over recvmmsg/sendmmsg with preallocated headers: unlike
// golang.org/x/net's batch API it allocates nothing per datagram (no net.Addr values).
type mmsgConn struct {
	c     *net.UDPConn
	rc    syscall.RawConn
	local netip.AddrPort
	r     mmsgBufs // used by the single reader
	wmu   sync.Mutex
	w     mmsgBufs
	// UDP segmentation offload (UDP_SEGMENT): runs of equal-sized datagrams to one
	// destination leave in one message, split by the kernel as late as possible. A run's
	// message gathers its datagrams where they are (one iovec each): nothing is copied in
	// user space. Off once the kernel refuses it.
	gso   bool
	ctrl  []byte // one UDP_SEGMENT control message per message
	first []int  // index of the first datagram of each message
}

type mmsgBufs struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet4
	ctrl  []byte // a control message area per header (UDP_GRO on reads)
}

// ctrlSpace is the control area per message: one int (UDP_GRO's segment size).
var ctrlSpace = unix.CmsgSpace(4)

func (b *mmsgBufs) ensure(n int) {
	if len(b.hdrs) >= n {
		return
	}
	b.hdrs = make([]unix.Mmsghdr, n)
	b.iovs = make([]unix.Iovec, n)
	b.names = make([]unix.RawSockaddrInet4, n)
	b.ctrl = make([]byte, n*ctrlSpace)
}

func newPlatformConn(c *net.UDPConn, local netip.AddrPort) (Conn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	// UDP generic receive offload: the kernel may hand over several datagrams of one sender
	// at once (reported in Datagram.Seg). Without it, reads are one datagram each.
	rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_UDP, unix.UDP_GRO, 1) })
	return &mmsgConn{c: c, rc: rc, local: local, gso: true}, nil
}

// GSO limits: segments per message and bytes per message (an IPv4 datagram).
const (
	gsoMaxSegments = 64
	gsoMaxBytes    = 65507
)

func (u *mmsgConn) LocalAddr() netip.AddrPort { return u.local }
func (u *mmsgConn) Close() error              { return u.c.Close() }

// transient are errors a UDP socket reports for an earlier datagram (an ICMP error): they
// say nothing about the next one.
func transient(e syscall.Errno) bool {
	return e == unix.EINTR || e == unix.ECONNREFUSED || e == unix.EHOSTUNREACH || e == unix.ENETUNREACH
}

func (u *mmsgConn) ReadBatch(ds []Datagram) (int, error) {
	n := len(ds)
	if n == 0 {
		return 0, nil
	}
	b := &u.r
	b.ensure(n)
	for i := 0; i < n; i++ {
		b.iovs[i].Base = &ds[i].Buf[0]
		b.iovs[i].SetLen(len(ds[i].Buf))
		h := &b.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Namelen = unix.SizeofSockaddrInet4
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
		h.Control = &b.ctrl[i*ctrlSpace]
		h.SetControllen(ctrlSpace)
		h.Flags = 0
	}
	var got int
	var serr error
	err := u.rc.Read(func(fd uintptr) bool {
		for {
			r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[0])), uintptr(n), unix.MSG_DONTWAIT, 0, 0)
			switch {
			case e == unix.EAGAIN:
				return false
			case e != 0 && transient(e):
				continue
			case e != 0:
				serr = e
			default:
				got = int(r)
			}
			return true
		}
	})
	if err != nil {
		return 0, err
	}
	if serr != nil {
		return 0, serr
	}
	for i := 0; i < got; i++ {
		ds[i].N = int(b.hdrs[i].Len)
		ds[i].Seg = 0
		h := &b.hdrs[i].Hdr
		if int(h.Controllen) >= unix.CmsgLen(4) {
			c := b.ctrl[i*ctrlSpace : (i+1)*ctrlSpace]
			ch := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
			if ch.Level == unix.SOL_UDP && ch.Type == unix.UDP_GRO {
				ds[i].Seg = int(*(*int32)(unsafe.Pointer(&c[unix.CmsgLen(0)])))
			}
		}
		sa := &b.names[i]
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
		ds[i].Addr = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port)
	}
	return got, nil
}

func (u *mmsgConn) WriteBatch(ds []Datagram) (int, error) {
	n := len(ds)
	if n == 0 {
		return 0, nil
	}
	u.wmu.Lock()
	defer u.wmu.Unlock()
	for {
		sent, err, gsoFailed := u.writeBatch(ds)
		if !gsoFailed {
			return sent, err
		}
		// The kernel does not segment UDP here: send the rest one datagram each.
		u.gso = false
		ds = ds[sent:]
	}
}

// writeBatch builds the messages (GSO runs where possible) and sends them. When the kernel
// refuses a GSO message it stops there and reports how many datagrams went before it.
func (u *mmsgConn) writeBatch(ds []Datagram) (int, error, bool) {
	n := len(ds)
	b := &u.w
	b.ensure(n)
	u.first = u.first[:0]
	space := unix.CmsgSpace(2)
	if cap(u.ctrl) < n*space {
		u.ctrl = make([]byte, n*space)
	}
	for k, d := range ds { // iovec k is datagram k; a message takes a run of them
		if len(d.Buf) > 0 {
			b.iovs[k].Base = &d.Buf[0]
		} else {
			b.iovs[k].Base = nil
		}
		b.iovs[k].SetLen(len(d.Buf))
	}
	msgs := 0
	for i := 0; i < n; {
		j := i + 1
		seg := len(ds[i].Buf)
		if u.gso && seg > 0 {
			total := seg
			for j < n && j-i < gsoMaxSegments && ds[j].Addr == ds[i].Addr && len(ds[j].Buf) > 0 &&
				len(ds[j].Buf) <= seg && total+len(ds[j].Buf) <= gsoMaxBytes {
				total += len(ds[j].Buf)
				j++
				if len(ds[j-1].Buf) < seg {
					break // a shorter datagram can only end a run
				}
			}
		}
		h := &b.hdrs[msgs].Hdr
		if j-i > 1 {
			c := u.ctrl[msgs*space : (msgs+1)*space]
			clear(c)
			ch := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
			ch.Level, ch.Type = unix.SOL_UDP, unix.UDP_SEGMENT
			ch.SetLen(unix.CmsgLen(2))
			*(*uint16)(unsafe.Pointer(&c[unix.CmsgLen(0)])) = uint16(seg)
			h.Control = &c[0]
			h.SetControllen(space)
		} else {
			h.Control = nil
			h.SetControllen(0)
		}
		sa := &b.names[msgs]
		sa.Family = unix.AF_INET
		sa.Addr = ds[i].Addr.Addr().As4()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], ds[i].Addr.Port())
		h.Name = (*byte)(unsafe.Pointer(sa))
		h.Namelen = unix.SizeofSockaddrInet4
		h.Iov = &b.iovs[i]
		h.SetIovlen(j - i)
		h.Flags = 0
		u.first = append(u.first, i)
		msgs++
		i = j
	}
	sentMsgs := 0
	var serr error
	gsoFailed := false
	err := u.rc.Write(func(fd uintptr) bool {
		for sentMsgs < msgs {
			r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[sentMsgs])), uintptr(msgs-sentMsgs), 0, 0, 0)
			switch {
			case e == unix.EAGAIN:
				return false
			case e == unix.EINTR:
				continue
			case e != 0 && b.hdrs[sentMsgs].Hdr.Controllen != 0 && (e == unix.EIO || e == unix.EINVAL || e == unix.EOPNOTSUPP || e == unix.ENOPROTOOPT):
				gsoFailed = true
				return true
			case e != 0:
				// The first message was refused (no route, an ICMP error pending): drop
				// it, the rest of the batch still goes.
				if serr == nil && !transient(e) {
					serr = e
				}
				sentMsgs++
			default:
				sentMsgs += int(r)
			}
		}
		return true
	})
	sent := n
	if sentMsgs < msgs {
		sent = u.first[sentMsgs]
	}
	if err != nil {
		return sent, err, false
	}
	return sent, serr, gsoFailed
}
