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
}

type mmsgBufs struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet4
}

func (b *mmsgBufs) ensure(n int) {
	if len(b.hdrs) >= n {
		return
	}
	b.hdrs = make([]unix.Mmsghdr, n)
	b.iovs = make([]unix.Iovec, n)
	b.names = make([]unix.RawSockaddrInet4, n)
}

func newPlatformConn(c *net.UDPConn, local netip.AddrPort) (Conn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &mmsgConn{c: c, rc: rc, local: local}, nil
}

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
		h.Control = nil
		h.SetControllen(0)
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
	b := &u.w
	b.ensure(n)
	for i := 0; i < n; i++ {
		if len(ds[i].Buf) > 0 {
			b.iovs[i].Base = &ds[i].Buf[0]
		} else {
			b.iovs[i].Base = nil
		}
		b.iovs[i].SetLen(len(ds[i].Buf))
		sa := &b.names[i]
		sa.Family = unix.AF_INET
		sa.Addr = ds[i].Addr.Addr().As4()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:], ds[i].Addr.Port())
		h := &b.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(sa))
		h.Namelen = unix.SizeofSockaddrInet4
		h.Iov = &b.iovs[i]
		h.SetIovlen(1)
		h.Control = nil
		h.SetControllen(0)
		h.Flags = 0
	}
	sent := 0
	var serr error
	err := u.rc.Write(func(fd uintptr) bool {
		for sent < n {
			r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.hdrs[sent])), uintptr(n-sent), 0, 0, 0)
			switch {
			case e == unix.EAGAIN:
				return false
			case e == unix.EINTR:
				continue
			case e != 0:
				// The first datagram was refused (no route, an ICMP error pending): drop it,
				// the rest of the batch still goes.
				if serr == nil && !transient(e) {
					serr = e
				}
				sent++
			default:
				sent += int(r)
			}
		}
		return true
	})
	if err != nil {
		return sent, err
	}
	return sent, serr
}
