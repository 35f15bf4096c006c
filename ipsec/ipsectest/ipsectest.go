// Package ipsectest has in-memory doubles for package ipsec: a Network of UDP sockets that can
// drop or watch datagrams, and a Device standing in for a TUN device, so gateways can talk to
// each other in plain go test without privilege.
package ipsectest

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/ipsec"
)

// queueLen is how many datagrams a socket or device buffers before it drops, like a full
// kernel receive buffer.
const queueLen = 8192

// Network is an in-memory UDP network: sockets bound with Listen reach each other by address.
type Network struct {
	mu     sync.Mutex
	conns  map[netip.AddrPort]*Conn
	filter func(from, to netip.AddrPort, b []byte) bool
	tap    func(from, to netip.AddrPort, b []byte)
	delay  func(from, to netip.AddrPort, b []byte) time.Duration
}

// NewNetwork returns an empty network.
func NewNetwork() *Network { return &Network{conns: map[netip.AddrPort]*Conn{}} }

// SetFilter installs a function that decides whether each datagram is delivered (nil
// delivers everything): a firewall dropping UDP 500/4500, or a dead link.
func (n *Network) SetFilter(f func(from, to netip.AddrPort, b []byte) bool) {
	n.mu.Lock()
	n.filter = f
	n.mu.Unlock()
}

// SetDelay installs a function that decides how long each datagram is in flight (nil or a
// non-positive duration delivers at once): a long path, or, with varying delays, one that
// reorders datagrams.
func (n *Network) SetDelay(f func(from, to netip.AddrPort, b []byte) time.Duration) {
	n.mu.Lock()
	n.delay = f
	n.mu.Unlock()
}

// SetTap installs a function that sees every datagram sent (a capture on the path).
func (n *Network) SetTap(f func(from, to netip.AddrPort, b []byte)) {
	n.mu.Lock()
	n.tap = f
	n.mu.Unlock()
}

// Listen binds a socket; it satisfies ipsec.GatewayConfig.Listen.
func (n *Network) Listen(ap netip.AddrPort) (ipsec.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.conns[ap] != nil {
		return nil, fmt.Errorf("ipsectest: %s: address in use", ap)
	}
	c := &Conn{net: n, local: ap, ch: make(chan datagram, queueLen), done: make(chan struct{})}
	n.conns[ap] = c
	return c, nil
}

type datagram struct {
	b    []byte
	from netip.AddrPort
}

// Send delivers a datagram as if from any address (a spoofing attacker).
func (n *Network) Send(from, to netip.AddrPort, b []byte) {
	n.deliver(to, datagram{b: append([]byte(nil), b...), from: from})
}

// Conn is a socket of a Network.
type Conn struct {
	net   *Network
	local netip.AddrPort
	ch    chan datagram
	done  chan struct{}
	once  sync.Once
}

// LocalAddr is the bound address.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// Close unbinds the socket and wakes its reader.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.net.mu.Lock()
		if c.net.conns[c.local] == c {
			delete(c.net.conns, c.local)
		}
		c.net.mu.Unlock()
		close(c.done)
	})
	return nil
}

// ReadBatch waits for a datagram, then takes every one queued, up to len(ds).
func (c *Conn) ReadBatch(ds []ipsec.Datagram) (int, error) {
	var d datagram
	select {
	case d = <-c.ch:
	case <-c.done:
		return 0, net.ErrClosed
	}
	n := 0
	for {
		ds[n].N = copy(ds[n].Buf, d.b)
		ds[n].Addr = d.from
		n++
		if n == len(ds) {
			return n, nil
		}
		select {
		case d = <-c.ch:
		default:
			return n, nil
		}
	}
}

// WriteBatch delivers copies of the datagrams; a full queue or the filter drops them.
func (c *Conn) WriteBatch(ds []ipsec.Datagram) (int, error) {
	select {
	case <-c.done:
		return 0, net.ErrClosed
	default:
	}
	c.net.mu.Lock()
	filter, tap, delay := c.net.filter, c.net.tap, c.net.delay
	c.net.mu.Unlock()
	for _, d := range ds {
		if tap != nil {
			tap(c.local, d.Addr, d.Buf)
		}
		if filter != nil && !filter(c.local, d.Addr, d.Buf) {
			continue
		}
		dg := datagram{b: append([]byte(nil), d.Buf...), from: c.local}
		if delay != nil {
			if wait := delay(c.local, d.Addr, d.Buf); wait > 0 {
				to := d.Addr
				time.AfterFunc(wait, func() { c.net.deliver(to, dg) })
				continue
			}
		}
		c.net.deliver(d.Addr, dg)
	}
	return len(ds), nil
}

// deliver queues a datagram at the socket bound to to, if any; a full queue drops it.
func (n *Network) deliver(to netip.AddrPort, dg datagram) {
	n.mu.Lock()
	dst := n.conns[to]
	n.mu.Unlock()
	if dst == nil {
		return
	}
	select {
	case dst.ch <- dg:
	default:
	}
}

// Device is an in-memory packet device: Inject plays the host routing a packet into it,
// Receive takes what the gateway wrote. It implements ipsec.BatchDevice.
type Device struct {
	in, out chan []byte
	done    chan struct{}
	once    sync.Once
}

// NewDevice returns an open device.
func NewDevice() *Device {
	return &Device{in: make(chan []byte, queueLen), out: make(chan []byte, queueLen), done: make(chan struct{})}
}

// Inject queues a packet for the gateway to read (and encrypt).
func (d *Device) Inject(p []byte) {
	select {
	case d.in <- append([]byte(nil), p...):
	case <-d.done:
	}
}

// Receive returns the next packet the gateway wrote (decrypted), or false after timeout.
func (d *Device) Receive(timeout time.Duration) ([]byte, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case p := <-d.out:
		return p, true
	case <-t.C:
		return nil, false
	}
}

// Out is the channel of packets the gateway wrote.
func (d *Device) Out() <-chan []byte { return d.out }

// ReadPacket blocks for the next injected packet.
func (d *Device) ReadPacket(b []byte) (int, error) {
	select {
	case p := <-d.in:
		return copy(b, p), nil
	case <-d.done:
		return 0, net.ErrClosed
	}
}

// ReadPackets reads at least one packet and then whatever else is queued.
func (d *Device) ReadPackets(bufs [][]byte, sizes []int) (int, error) {
	n, err := d.ReadPacket(bufs[0])
	if err != nil {
		return 0, err
	}
	sizes[0] = n
	i := 1
	for ; i < len(bufs); i++ {
		select {
		case p := <-d.in:
			sizes[i] = copy(bufs[i], p)
		default:
			return i, nil
		}
	}
	return i, nil
}

// WritePacket hands a packet to the "host" (Receive).
func (d *Device) WritePacket(b []byte) error {
	select {
	case d.out <- append([]byte(nil), b...):
	case <-d.done:
		return net.ErrClosed
	default: // a host that does not read drops, like a full TUN queue
	}
	return nil
}

// WritePackets writes each packet.
func (d *Device) WritePackets(bufs [][]byte) (int, error) {
	for i, b := range bufs {
		if err := d.WritePacket(b); err != nil {
			return i, err
		}
	}
	return len(bufs), nil
}

// Close closes the device.
func (d *Device) Close() error {
	d.once.Do(func() { close(d.done) })
	return nil
}

// IPv4 builds an IPv4 packet with a valid header checksum carrying payload as protocol proto
// (17 for UDP: the payload is then used as the UDP payload, with ports 1234 → 5678).
func IPv4(src, dst netip.Addr, proto uint8, payload []byte) []byte {
	body := payload
	if proto == 17 {
		u := make([]byte, 8, 8+len(payload))
		binary.BigEndian.PutUint16(u[0:2], 1234)
		binary.BigEndian.PutUint16(u[2:4], 5678)
		binary.BigEndian.PutUint16(u[4:6], uint16(8+len(payload)))
		body = append(u, payload...)
	}
	p := make([]byte, 20+len(body))
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:4], uint16(len(p)))
	p[8] = 64
	p[9] = proto
	s, d := src.As4(), dst.As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(p[i : i+2]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(p[10:12], ^uint16(sum))
	copy(p[20:], body)
	return p
}
