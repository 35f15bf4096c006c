package netns

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// PcapWriter writes captured frames as a pcap file (tcpdump's and tshark's format). The link
// type follows the first frame: Ethernet for an interface's frames, raw IP for a TUN device's,
// Linux "cooked" (SLL) for captures of every interface.
type PcapWriter struct {
	w      *pcapgo.Writer
	link   layers.LinkType
	opened bool
	// Packets counts the frames written.
	Packets int
}

// NewPcapWriter writes to w; the file header goes out with the first frame (or Close).
func NewPcapWriter(w io.Writer) *PcapWriter { return &PcapWriter{w: pcapgo.NewWriterNanos(w)} }

func linkTypeOf(f Frame) layers.LinkType {
	switch {
	case f.Link == LinkEthernet:
		return layers.LinkTypeEthernet
	case f.Tunnel && f.fromIface:
		return layers.LinkTypeRaw
	}
	return layers.LinkTypeLinuxSLL
}

// Write adds one frame.
func (p *PcapWriter) Write(f Frame) error {
	if !p.opened {
		p.link = linkTypeOf(f)
		if err := p.w.WriteFileHeader(maxSnap, p.link); err != nil {
			return fmt.Errorf("netns: pcap: %w", err)
		}
		p.opened = true
	}
	data := f.Data
	wire := f.Len
	if p.link == layers.LinkTypeLinuxSLL {
		data = append(sllHeader(f), f.Data...)
		wire += 16
	}
	ci := gopacket.CaptureInfo{Timestamp: f.At, CaptureLength: len(data), Length: max(wire, len(data))}
	if err := p.w.WritePacket(ci, data); err != nil {
		return fmt.Errorf("netns: pcap: %w", err)
	}
	p.Packets++
	return nil
}

// Close writes the file header if no frame came, so the file is still a valid capture.
func (p *PcapWriter) Close() error {
	if !p.opened {
		p.opened = true
		return p.w.WriteFileHeader(maxSnap, layers.LinkTypeLinuxSLL)
	}
	return nil
}

// sllHeader is the Linux cooked-capture header of a network-layer frame.
func sllHeader(f Frame) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:2], uint16(f.PktType))
	hatype := uint16(1) // ARPHRD_ETHER
	if f.Tunnel {
		hatype = 65534
	}
	binary.BigEndian.PutUint16(h[2:4], hatype)
	binary.BigEndian.PutUint16(h[14:16], f.EtherType)
	return h
}

// Decode parses a captured frame with gopacket.
func (f Frame) Decode() gopacket.Packet {
	switch {
	case f.Link == LinkEthernet:
		return gopacket.NewPacket(f.Data, layers.LayerTypeEthernet, gopacket.NoCopy)
	case f.EtherType == 0x0806:
		return gopacket.NewPacket(f.Data, layers.LayerTypeARP, gopacket.NoCopy)
	}
	return gopacket.NewPacket(f.Data, layers.LayerTypeIPv4, gopacket.NoCopy)
}

// PacketFilter selects frames by a small part of tcpdump's syntax: terms joined by "and", each
// one of tcp, udp, icmp, arp, host ADDR, src ADDR, dst ADDR, port N, or "not TERM".
type PacketFilter struct {
	terms []filterTerm
}

type filterTerm struct {
	not  bool
	kind string // proto, host, src, dst, port
	arg  string
	addr netip.Addr
	port uint16
}

// ParsePacketFilter parses a filter expression; the empty expression matches everything.
func ParsePacketFilter(expr string) (*PacketFilter, error) {
	f := &PacketFilter{}
	words := strings.Fields(expr)
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "and" || w == "&&" {
			continue
		}
		t := filterTerm{}
		if w == "not" || w == "!" {
			t.not = true
			i++
			if i >= len(words) {
				return nil, fmt.Errorf("filter %q: nothing after not", expr)
			}
			w = words[i]
		}
		switch w {
		case "tcp", "udp", "icmp", "arp", "ip":
			t.kind, t.arg = "proto", w
		case "host", "src", "dst", "port":
			i++
			if i >= len(words) {
				return nil, fmt.Errorf("filter %q: %s needs an argument", expr, w)
			}
			t.kind, t.arg = w, words[i]
			if w == "port" {
				n, err := strconv.ParseUint(t.arg, 10, 16)
				if err != nil {
					return nil, fmt.Errorf("filter %q: bad port %q", expr, t.arg)
				}
				t.port = uint16(n)
			} else {
				a, err := netip.ParseAddr(t.arg)
				if err != nil {
					return nil, fmt.Errorf("filter %q: bad address %q", expr, t.arg)
				}
				t.addr = a
			}
		case "or", "||":
			return nil, fmt.Errorf("filter %q: only \"and\" is supported", expr)
		default:
			return nil, fmt.Errorf("filter %q: unknown term %q (tcp, udp, icmp, arp, host A, src A, dst A, port N, not …, and)", expr, w)
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// Match reports whether a frame passes the filter.
func (f *PacketFilter) Match(fr Frame) bool {
	if f == nil || len(f.terms) == 0 {
		return true
	}
	pkt := fr.Decode()
	var src, dst netip.Addr
	var proto string
	var sport, dport uint16
	if ip, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		proto = "ip"
	}
	if pkt.Layer(layers.LayerTypeARP) != nil {
		proto = "arp"
	}
	if t, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); ok {
		proto, sport, dport = "tcp", uint16(t.SrcPort), uint16(t.DstPort)
	}
	if u, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		proto, sport, dport = "udp", uint16(u.SrcPort), uint16(u.DstPort)
	}
	if pkt.Layer(layers.LayerTypeICMPv4) != nil {
		proto = "icmp"
	}
	for _, t := range f.terms {
		var m bool
		switch t.kind {
		case "proto":
			m = proto == t.arg || (t.arg == "ip" && src.IsValid())
		case "host":
			m = src == t.addr || dst == t.addr
		case "src":
			m = src == t.addr
		case "dst":
			m = dst == t.addr
		case "port":
			m = (sport == t.port || dport == t.port) && (proto == "tcp" || proto == "udp")
		}
		if m == t.not {
			return false
		}
	}
	return true
}
