//go:build linux

package netns

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	mdnetlink "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// A delay fault sends its packets to an NFQUEUE (the xtables target through nft_compat: this
// kernel has no nftables queue expression) and a relay in the sandbox holds each one for the
// delay before it tells the kernel to let it go: the packet itself waits, in the kernel's queue.

// nfnetlink_queue protocol numbers (linux/netfilter/nfnetlink_queue.h).
const (
	nfnlSubsysQueue    = 3
	nfqnlMsgPacket     = 0
	nfqnlMsgVerdict    = 1
	nfqnlMsgConfig     = 2
	nfqaPacketHdr      = 1
	nfqaVerdictHdr     = 2
	nfqaCfgCmd         = 1
	nfqaCfgParams      = 2
	nfqnlCfgCmdBind    = 1
	nfqnlCopyMeta      = 1
	nfAccept           = 1
	nfqFlagBypass      = 1 // without a listener the kernel lets packets pass
	nfqueueTargetRev   = 3
	nfqueueTargetBytes = 6
)

// relay holds the packets of one queue for delay each.
type relay struct {
	c     *mdnetlink.Conn
	queue uint16
	delay time.Duration
	mu    sync.Mutex // Send
	once  sync.Once
}

// startRelay binds queue in the host's network namespace.
func startRelay(h *host, queue uint16, delay time.Duration) (*relay, error) {
	c, err := mdnetlink.Dial(unix.NETLINK_NETFILTER, &mdnetlink.Config{NetNS: int(h.ns)})
	if err != nil {
		return nil, fmt.Errorf("netns: %s: delay relay: %w", h.name, err)
	}
	r := &relay{c: c, queue: queue, delay: delay}
	ae := mdnetlink.NewAttributeEncoder()
	ae.Bytes(nfqaCfgCmd, []byte{nfqnlCfgCmdBind, 0, 0, 0})
	ae.Bytes(nfqaCfgParams, []byte{0, 0, 0, 0, nfqnlCopyMeta})
	attrs, err := ae.Encode()
	if err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Execute(r.message(nfqnlMsgConfig, attrs, mdnetlink.Request|mdnetlink.Acknowledge)); err != nil {
		c.Close()
		return nil, fmt.Errorf("netns: %s: delay relay: bind queue %d: %w", h.name, queue, err)
	}
	go r.run()
	return r, nil
}

func (r *relay) message(typ uint16, attrs []byte, flags mdnetlink.HeaderFlags) mdnetlink.Message {
	data := make([]byte, 4, 4+len(attrs))
	data[0] = unix.AF_UNSPEC
	binary.BigEndian.PutUint16(data[2:], r.queue)
	return mdnetlink.Message{Header: mdnetlink.Header{Type: mdnetlink.HeaderType(nfnlSubsysQueue<<8 | typ), Flags: flags},
		Data: append(data, attrs...)}
}

func (r *relay) run() {
	for {
		msgs, err := r.c.Receive()
		if err != nil {
			if ne, ok := err.(*mdnetlink.OpError); ok && ne.Err == unix.ENOBUFS {
				continue // the kernel's queue overflowed our socket; those packets are lost
			}
			return // closed
		}
		for _, m := range msgs {
			if m.Header.Type != mdnetlink.HeaderType(nfnlSubsysQueue<<8|nfqnlMsgPacket) || len(m.Data) < 4 {
				continue
			}
			ad, err := mdnetlink.NewAttributeDecoder(m.Data[4:])
			if err != nil {
				continue
			}
			for ad.Next() {
				if ad.Type() == nfqaPacketHdr && len(ad.Bytes()) >= 4 {
					id := binary.BigEndian.Uint32(ad.Bytes())
					time.AfterFunc(r.delay, func() { r.accept(id) })
				}
			}
		}
	}
}

// accept lets packet id go on.
func (r *relay) accept(id uint32) {
	v := make([]byte, 8)
	binary.BigEndian.PutUint32(v, nfAccept)
	binary.BigEndian.PutUint32(v[4:], id)
	ae := mdnetlink.NewAttributeEncoder()
	ae.Bytes(nfqaVerdictHdr, v)
	attrs, _ := ae.Encode()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.c.Send(r.message(nfqnlMsgVerdict, attrs, mdnetlink.Request))
}

func (r *relay) close() { r.once.Do(func() { r.c.Close() }) }

// nfqueueTarget is the xtables NFQUEUE target (revision 3: queue, queues total, flags).
func nfqueueInfo(queue uint16) []byte {
	b := make([]byte, nfqueueTargetBytes)
	binary.NativeEndian.PutUint16(b, queue)
	binary.NativeEndian.PutUint16(b[2:], 1)
	binary.NativeEndian.PutUint16(b[4:], nfqFlagBypass)
	return b
}
