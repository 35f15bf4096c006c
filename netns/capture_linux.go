//go:build linux

package netns

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// serveCapture streams the frames of a host to a capture client, one SOCK_SEQPACKET message
// each (a fixed header, then the frame), until the client goes away.
func (a *Agent) serveCapture(c *net.UnixConn, req execMessage) {
	send := func(m execMessage) { b, _ := json.Marshal(m); c.Write(b) }
	if req.Capture == nil {
		send(execMessage{Op: "error", Error: "capture: no request"})
		return
	}
	h, _ := a.lookup(req.Capture.Host)
	if h == nil {
		send(execMessage{Op: "error", Error: fmt.Sprintf("no host %q (see spacelab hosts)", req.Capture.Host)})
		return
	}
	ps, err := h.openPacketSock(req.Capture.Iface)
	if err != nil {
		send(execMessage{Op: "error", Error: err.Error()})
		return
	}
	defer ps.close()
	names := map[int]string{}
	var tuns []string
	if release, err := h.useNetlink(); err == nil {
		if links, err := h.nl.LinkList(); err == nil {
			for _, l := range links {
				names[l.Attrs().Index] = l.Attrs().Name
				if l.Attrs().EncapType == "none" {
					tuns = append(tuns, l.Attrs().Name)
				}
			}
		}
		release()
	}
	send(execMessage{Op: "capturing", Ifaces: names, Tuns: tuns})
	// The client ends a capture by shutting down its writing side (or closing): the frames
	// still queued are sent, then the connection closes.
	stopping := make(chan struct{})
	go func() {
		b := make([]byte, 512)
		for {
			if _, err := c.Read(b); err != nil {
				close(stopping)
				ps.f.SetReadDeadline(time.Now())
				return
			}
		}
	}()
	buf := make([]byte, maxSnap)
	out := make([]byte, frameHeader+maxSnap)
	sendFrame := func(fr frame) bool {
		binary.BigEndian.PutUint64(out[0:8], uint64(fr.At.UnixNano()))
		binary.BigEndian.PutUint32(out[8:12], uint32(fr.Ifindex))
		binary.BigEndian.PutUint16(out[12:14], fr.Hatype)
		out[14] = fr.PktType
		out[15] = 0
		if ps.raw {
			out[15] = 1
		}
		binary.BigEndian.PutUint16(out[16:18], fr.Proto)
		binary.BigEndian.PutUint32(out[18:22], uint32(fr.Len))
		n := copy(out[frameHeader:], fr.Data)
		_, err := c.Write(out[:frameHeader+n])
		return err == nil
	}
	for {
		fr, err := ps.read(buf)
		if err != nil {
			select {
			case <-stopping:
				ps.drain(buf, sendFrame)
			default:
			}
			return
		}
		if !sendFrame(fr) {
			return
		}
	}
}
