package netns

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// CaptureRequest asks the sandbox to record the frames of one host: on one interface, or on
// all of them when Iface is empty (as tcpdump -i any).
type CaptureRequest struct {
	Host  string `json:"host"`
	Iface string `json:"iface,omitempty"`
}

// Frame is one packet a capture saw inside a host.
type Frame struct {
	At time.Time
	// Iface is the interface it crossed, Outgoing whether the host sent it.
	Iface    string
	Outgoing bool
	// Link tells what Data starts with: LinkEthernet (a veth or loopback frame with its
	// Ethernet header) or LinkNetwork (the network-layer packet: a TUN device's, or any frame
	// of a capture of every interface), whose protocol EtherType gives.
	Link      Link
	EtherType uint16
	// Tunnel is set for frames of a TUN device: an IPsec gateway's inner (decrypted) side.
	Tunnel bool
	// fromIface is set when the capture was of this one interface.
	fromIface bool
	// PktType is the kernel's packet type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing).
	PktType uint8
	// Len is the length on the wire; Data may be shorter (the snap length).
	Len  int
	Data []byte
}

// Link is the first header of a captured frame's data.
type Link uint8

const (
	LinkEthernet Link = 1
	LinkNetwork  Link = 2
)

// frame header on the wire: ts(8) ifindex(4) hatype(2) pkttype(1) raw(1) proto(2) len(4) pad(2)
const frameHeader = 24

// Capture records frames inside a host of the sandbox listening on socket until ctx ends or fn
// returns false. ready, if set, is called once the capture is armed (every frame after it is
// seen) with the host's TUN devices, whose frames are a tunnel's inner packets.
func Capture(ctx context.Context, socket string, req CaptureRequest, ready func(tuns []string), fn func(Frame) bool) error {
	c, err := net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: socket, Net: "unixpacket"})
	if err != nil {
		return fmt.Errorf("netns: capture: is the sandbox running? %w", err)
	}
	defer c.Close()
	b, _ := json.Marshal(execMessage{Op: "capture", Host: req.Host, Capture: &req})
	if _, err := c.Write(b); err != nil {
		return fmt.Errorf("netns: capture: %w", err)
	}
	m, err := readMessage(c)
	if err != nil {
		return fmt.Errorf("netns: capture: %w", err)
	}
	if m.Op == "error" {
		if strings.HasPrefix(m.Error, "no host ") {
			return fmt.Errorf("%w: %s", ErrNoHost, m.Error)
		}
		return fmt.Errorf("netns: capture: %s", m.Error)
	}
	if m.Op != "capturing" {
		return fmt.Errorf("netns: capture: unexpected %q", m.Op)
	}
	if ready != nil {
		ready(m.Tuns)
	}
	// Ending: ask the sandbox to send what it still holds and close; the frames up to the
	// moment ctx ended are all delivered. A sandbox that does not answer is given up on.
	stop := context.AfterFunc(ctx, func() {
		c.CloseWrite()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
	})
	defer stop()
	buf := make([]byte, frameHeader+maxSnap)
	for {
		n, err := c.Read(buf)
		if n == 0 && err == nil {
			err = io.EOF
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("netns: capture: %w", err)
		}
		if n < frameHeader {
			continue
		}
		h := buf[:frameHeader]
		f := Frame{
			At:        time.Unix(0, int64(binary.BigEndian.Uint64(h[0:8]))),
			Iface:     m.Ifaces[int(binary.BigEndian.Uint32(h[8:12]))],
			PktType:   h[14],
			EtherType: binary.BigEndian.Uint16(h[16:18]),
			Len:       int(binary.BigEndian.Uint32(h[18:22])),
			Data:      append([]byte(nil), buf[frameHeader:n]...),
		}
		f.Outgoing = f.PktType == 4
		hatype := binary.BigEndian.Uint16(h[12:14])
		f.Tunnel = hatype == 65534 // ARPHRD_NONE: a TUN device
		f.fromIface = h[15] == 1
		f.Link = LinkEthernet
		if h[15] == 0 || f.Tunnel { // network-layer payload
			f.Link = LinkNetwork
			if f.EtherType == 0 {
				f.EtherType = 0x0800
			}
		}
		if !fn(f) {
			return nil
		}
	}
}

// maxSnap is the most of a frame a capture keeps.
const maxSnap = 65535
