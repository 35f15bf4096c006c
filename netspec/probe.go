package netspec

import (
	"net/http"
	"net/netip"
	"time"
)

// Probe asks a host to try something the way a person would check it: fetch a URL, resolve a
// name, open a TCP connection, send a ping. The packets really travel; the result says what
// came back.
type Probe struct {
	From string // host name or alias
	Kind string // http, dns, tcp, icmp
	// Target: a URL for http (host names resolve through the host's resolver), a name for dns,
	// host:port for tcp, an address or name for icmp.
	Target string
	// Server overrides the resolver for dns (address, port 53).
	Server netip.Addr
	// Timeout bounds the whole attempt; 0 means 2s.
	Timeout time.Duration
	// Witness reads every host's filter drop counters before and after the attempt and reports
	// the rules that dropped packets meanwhile. It costs a netlink dump per filtered host.
	Witness bool
	// Expect is where the model says the packets die. The probe watches that hop and ends as
	// soon as it sees them die there (a drop counter growing, or the packet arriving at a
	// host whose routing discards it), instead of waiting for its timeout.
	Expect *DropPoint `json:",omitempty"`
}

// DropPoint is a hop where packets are expected to die: by a filter rule (Rule, the rule's Why)
// or by the host's routing (Rule empty), for packets to Dst on Proto/Port as they arrive there.
type DropPoint struct {
	Host  string
	Rule  string `json:",omitempty"`
	Dst   netip.Addr
	Proto uint8
	Port  uint16 `json:",omitempty"`
}

// ProbeResult is what a probe saw.
type ProbeResult struct {
	OK bool
	// Err says why it failed (timeout, refused, NXDOMAIN, …).
	Err string
	// Addrs are the addresses a name resolved to (dns, and http/tcp/icmp on names).
	Addrs []netip.Addr
	TTLs  []uint32
	// Server is the resolver that answered.
	Server netip.AddrPort
	// HTTP response.
	Status int
	Header http.Header
	Body   string
	// Remote is the address connected to.
	Remote netip.AddrPort
	// Elapsed is how long the attempt took.
	Elapsed time.Duration
	// Drops lists the filter rules whose drop counters grew during the probe (host and Why),
	// a witness of where packets died.
	Drops []DropCount
	// Local is the probe's own address and port of its last connection attempt, when known.
	Local netip.AddrPort
	// Witnessed says how the expected drop (Probe.Expect) was seen; empty when it was not
	// (the probe then waited for its timeout).
	Witnessed string `json:",omitempty"`
}

// DropCount is a filter rule that dropped packets during a probe.
type DropCount struct {
	Host    string
	Why     string
	Packets uint64
}
