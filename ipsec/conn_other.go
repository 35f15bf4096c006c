//go:build !linux

package ipsec

import (
	"net"
	"net/netip"
)

func setBuffers(c *net.UDPConn) {
	c.SetReadBuffer(socketBuffer)
	c.SetWriteBuffer(socketBuffer)
}

func newPlatformConn(c *net.UDPConn, local netip.AddrPort) (Conn, error) {
	return newBatchConn(c, local), nil
}
