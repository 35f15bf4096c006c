package netspec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// A proxy's configuration crosses to the sandbox with every change of its host (a space
// router's trusted IP ranges, say), and holds an address per dyno of the space: gob would
// encode each address through its MarshalBinary, one allocation each, which made encoding
// the larger part of a write's cost at 1,000 dynos. So ProxyConfig encodes itself, in one
// buffer: a version byte, then Via, Backends, Names and AllowedSources, each a count and its
// items (maps in no order, as gob sends them); a string is its length and bytes, an address
// or prefix its length and binary form. Empty maps and lists decode as nil, as gob leaves
// them.

const proxyWireVersion = 1

// GobEncode implements gob.GobEncoder.
func (p ProxyConfig) GobEncode() ([]byte, error) {
	b := []byte{proxyWireVersion}
	b = appendString(b, p.Via)
	b = binary.AppendUvarint(b, uint64(len(p.Backends)))
	for host, aps := range p.Backends {
		b = appendString(b, host)
		b = binary.AppendUvarint(b, uint64(len(aps)))
		for _, ap := range aps {
			b = appendBinary(b, ap)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(p.Names)))
	for ap, name := range p.Names {
		b = appendBinary(b, ap)
		b = appendString(b, name)
	}
	b = binary.AppendUvarint(b, uint64(len(p.AllowedSources)))
	for _, pfx := range p.AllowedSources {
		b = appendBinary(b, pfx)
	}
	return b, nil
}

// GobDecode implements gob.GobDecoder.
func (p *ProxyConfig) GobDecode(b []byte) error {
	if len(b) == 0 || b[0] != proxyWireVersion {
		return errors.New("netspec: proxy config: unknown encoding")
	}
	r := wireReader{b: b[1:]}
	out := ProxyConfig{Via: r.string()}
	if n := r.count(); n > 0 {
		out.Backends = make(map[string][]netip.AddrPort, n)
		for range n {
			host := r.string()
			var aps []netip.AddrPort
			if m := r.count(); m > 0 {
				aps = make([]netip.AddrPort, m)
				for i := range aps {
					r.binary(&aps[i])
				}
			}
			out.Backends[host] = aps
		}
	}
	if n := r.count(); n > 0 {
		out.Names = make(map[netip.AddrPort]string, n)
		for range n {
			var ap netip.AddrPort
			r.binary(&ap)
			out.Names[ap] = r.string()
		}
	}
	if n := r.count(); n > 0 {
		out.AllowedSources = make([]netip.Prefix, n)
		for i := range out.AllowedSources {
			r.binary(&out.AllowedSources[i])
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the end", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("netspec: proxy config: %w", r.err)
	}
	*p = out
	return nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendBinary appends v's binary form after its length (an address, address and port, or
// prefix: at most 16 bytes, a zone and 3 more).
func appendBinary(b []byte, v interface{ AppendBinary([]byte) ([]byte, error) }) []byte {
	i := len(b)
	b = append(b, 0)
	b, _ = v.AppendBinary(b) // never fails
	b[i] = byte(len(b) - i - 1)
	return b
}

// wireReader reads what appendString, appendBinary and binary.AppendUvarint wrote; its first
// error sticks, and reads after it return zero values.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number of items, each at least a byte long: never more than remain.
func (r *wireReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *wireReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *wireReader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated")
	}
}

func (r *wireReader) string() string { return string(r.bytes(r.uvarint())) }

func (r *wireReader) binary(v interface{ UnmarshalBinary([]byte) error }) {
	n := r.bytes(1)
	if r.err != nil {
		return
	}
	b := r.bytes(uint64(n[0]))
	if r.err != nil {
		return
	}
	r.err = v.UnmarshalBinary(b)
}
