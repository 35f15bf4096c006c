// Package netspec describes a network as data: the hosts (network namespaces) with their
// interfaces, addresses, routes, policy rules, packet filters and the services they run, and the
// links (veth pairs) between them. The emulator renders its model into a Spec; the netns package
// makes the kernel match it. Keeping the description separate lets the reconciler be tested
// without privilege, and lets a Spec be diffed, printed and drawn.
package netspec

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Spec is the whole desired network.
type Spec struct {
	Hosts []*Host
	Links []*Link
}

// Host is one network namespace.
type Host struct {
	// Name is the unique key (e.g. "vpc/vpc-0cb1…", "instance/i-0f3c…", "dyno/app/web.1").
	Name string
	// Kind groups hosts for people: internet, router, instance, dyno, space-router, data.
	Kind string
	// Aliases are other names `spacelab exec` accepts (ip-172-16-0-8, i-…, app/web.1).
	Aliases []string
	// Hostname is what `hostname` prints inside the host.
	Hostname string
	// Forwarding turns on IPv4 forwarding (routers).
	Forwarding bool
	// Bridges are Linux bridges inside the host; links may attach to them.
	Bridges []Bridge
	// Loopback addresses (besides 127.0.0.1), e.g. a resolver address a router answers on.
	Loopback []netip.Prefix
	// Routes, in the main table unless Table is set.
	Routes []Route
	// Rules are policy-routing rules.
	Rules []Rule
	// Filter is the packet filter; nil means none (accept everything).
	Filter *Filter
	// Services are the programs the host runs.
	Services []Service
	// Resolvers and Search make the host's /etc/resolv.conf.
	Resolvers []netip.Addr
	Search    []string
	// Env is added to the environment of every process started in the host.
	Env []string
}

// Bridge is a Linux bridge with optional addresses (a subnet's gateway side).
type Bridge struct {
	Name  string
	Addrs []netip.Prefix
}

// Link is a veth pair joining two hosts.
type Link struct {
	A, B End
	// MTU of both ends; 0 means 1500.
	MTU int
}

// End is one side of a link.
type End struct {
	Host   string
	Ifname string
	Addrs  []netip.Prefix
	// Bridge enslaves the interface to a bridge of the host.
	Bridge string
	// Label is a longer description stored as the interface's alternative name
	// (e.g. the pcx id); must be unique in the host, at most 127 bytes.
	Label string
}

// RouteType is the kernel route type.
type RouteType string

const (
	Unicast     RouteType = ""            // forward normally
	Blackhole   RouteType = "blackhole"   // drop silently
	Unreachable RouteType = "unreachable" // drop and answer ICMP unreachable
	Prohibit    RouteType = "prohibit"    // drop and answer ICMP prohibited
)

// Route is one kernel route.
type Route struct {
	Table  int // 0 means main
	Dst    netip.Prefix
	Via    netip.Addr // gateway; invalid for device routes
	Dev    string     // output interface (or bridge)
	Type   RouteType
	Metric int
	Src    netip.Addr // preferred source
	// Why says which model object asked for the route (for people reading dumps).
	Why string
	// Code classifies what a route that discards traffic means (an explanation code such as
	// NO_ROUTE_IN_TABLE or PEERING_NOT_ACTIVE, see docs/checks.md); empty for others.
	Code string `json:",omitempty"`
}

// Rule is a policy-routing rule: packets that arrive on Iif (or come from Src) are looked up
// in Table.
type Rule struct {
	Priority int
	Iif      string
	Src      netip.Prefix
	Table    int
}

// Service is a program a host runs, built in or external.
type Service struct {
	// Name is unique in the host.
	Name string
	// Kind is one of: web (the built-in app web server), proxy (an HTTP router),
	// dns (a DNS server), echo (reports the client address), tcp (accepts and answers a banner),
	// command (an external program with $PORT), ipsec (an IKEv1/ESP site-to-site gateway).
	Kind   string
	Listen []netip.AddrPort
	Web    *WebConfig     `json:",omitempty"`
	Proxy  *ProxyConfig   `json:",omitempty"`
	DNS    *DNSConfig     `json:",omitempty"`
	Banner string         `json:",omitempty"`
	Cmd    *CommandConfig `json:",omitempty"`
	IPsec  *IPsecConfig   `json:",omitempty"`
}

// WebConfig configures the built-in web server of an app process.
type WebConfig struct {
	App  string
	Dyno string
}

// ProxyConfig configures an HTTP router: requests are sent to one of the backends of the app
// named by the Host header, and the response gets "Via: 1.1 <Via>".
type ProxyConfig struct {
	Via string
	// Backends maps a host name (lower case, no port) to the addresses that serve it.
	Backends map[string][]netip.AddrPort
	// Names maps a backend address to the dyno it is (web.1), for the router's log lines.
	Names map[netip.AddrPort]string `json:",omitempty"`
	// AllowedSources, when non-empty, are the only client prefixes served; others get the
	// connection closed (trusted IP ranges).
	AllowedSources []netip.Prefix `json:",omitempty"`
}

// DNSConfig configures a DNS server: authoritative Records for the Zones it owns, everything
// else forwarded to Forwarders (if any) or answered REFUSED.
type DNSConfig struct {
	Zones      []string
	Records    []DNSRecord
	Forwarders []netip.AddrPort
	// Pick, when > 0, answers an A query with at most Pick records chosen at random (service
	// discovery of "PROCESS.APP.app.localspace").
	Pick int `json:",omitempty"`
	// AllowedSources, when non-empty, are the only client prefixes answered.
	AllowedSources []netip.Prefix `json:",omitempty"`
}

// DNSRecord is an A record.
type DNSRecord struct {
	Name string // fully qualified, lower case, with trailing dot
	Addr netip.Addr
	TTL  uint32
}

// CommandConfig is an external program started in the host with PORT set.
type CommandConfig struct {
	Argv []string
	Env  []string
	// Generation changes when the program must be started again with the same settings
	// (heroku ps:restart): the host stops it and starts a new one.
	Generation int `json:",omitempty"`
}

// IPsecConfig configures the built-in IPsec gateway: IKEv1 (Main Mode, pre-shared key, Quick
// Mode) with ESP in UDP 4500, its inner packets on a TUN device of the host. UDP 500 and 4500
// are opened on each tunnel's local address; the remote networks of every tunnel are routed
// into the device.
type IPsecConfig struct {
	// Device is the TUN device's name (default ipsec0); MTU its MTU (default 1400, as
	// strongSwan's kernel-libipsec).
	Device string `json:",omitempty"`
	MTU    int    `json:",omitempty"`
	// Addrs are optional addresses of the device.
	Addrs   []netip.Prefix `json:",omitempty"`
	Tunnels []IPsecTunnel
}

// IPsecTunnel is one tunnel of an IPsec gateway (a Heroku VPN connection has two).
type IPsecTunnel struct {
	Name string
	// Local is this gateway's public address, Peer the other gateway's.
	Local, Peer netip.Addr
	PSK         string
	// LocalNets and RemoteNets are the traffic selectors (one IPsec SA per pair); packets to
	// RemoteNets are routed into the device.
	LocalNets, RemoteNets []netip.Prefix
	// Initiate makes this side start the negotiation; otherwise it only responds.
	Initiate bool `json:",omitempty"`
	// PeerLabel names the peer in status messages (default "the customer gateway").
	PeerLabel string      `json:",omitempty"`
	Policy    IPsecPolicy `json:",omitempty"`
}

// IPsecPolicy is what a tunnel offers and accepts; zero fields take Heroku's defaults (IKEv1,
// PSK, aes128-{sha1,sha256}-{modp2048,modp1024}, ESP the same with or without PFS,
// 28800 s / 3600 s, DPD 10 s / 30 s). Suites are written as strongSwan proposals, with {a,b}
// alternatives: "aes256-sha256-modp2048", "aes128-{sha1,sha256}".
type IPsecPolicy struct {
	IKE         []string      `json:",omitempty"`
	ESP         []string      `json:",omitempty"`
	IKELifetime time.Duration `json:",omitempty"`
	ESPLifetime time.Duration `json:",omitempty"`
	DPDDelay    time.Duration `json:",omitempty"`
	DPDTimeout  time.Duration `json:",omitempty"`
	// NoDPD turns dead peer detection off.
	NoDPD bool `json:",omitempty"`
	// Retransmission of unanswered IKE messages: the first after RetransmitTimeout (default
	// 2 s), growing by 1.8 each time, RetransmitTries times (default 5); an initiator starts
	// over after RetryInterval (default 10 s).
	RetransmitTimeout time.Duration `json:",omitempty"`
	RetransmitTries   int           `json:",omitempty"`
	RetryInterval     time.Duration `json:",omitempty"`
}

// Host returns the host with that name, or nil.
func (s *Spec) Host(name string) *Host {
	for _, h := range s.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Resolve finds a host by name or alias.
func (s *Spec) Resolve(nameOrAlias string) *Host {
	for _, h := range s.Hosts {
		if h.Name == nameOrAlias || slices.Contains(h.Aliases, nameOrAlias) {
			return h
		}
	}
	return nil
}

// Sort orders hosts, links and their contents so equal networks compare equal: hosts by name,
// links by Key. It allocates nothing, and a spec already in order costs one pass (a partial
// render hands it mostly the last render's order).
func (s *Spec) Sort() {
	if !slices.IsSortedFunc(s.Hosts, compareHosts) {
		slices.SortFunc(s.Hosts, compareHosts)
	}
	if !slices.IsSortedFunc(s.Links, compareLinks) {
		slices.SortFunc(s.Links, compareLinks)
	}
}

// compareHosts orders hosts by name.
func compareHosts(a, b *Host) int { return strings.Compare(a.Name, b.Name) }

// compareLinks orders links as their keys compare (strings.Compare(a.Key(), b.Key())) without
// making the keys: it compares the four parts of the keys in turn, and where one part is a
// prefix of the other, the separator (or the key's end) that follows the shorter one.
func compareLinks(a, b *Link) int {
	as := [4]string{a.A.Host, a.A.Ifname, a.B.Host, a.B.Ifname}
	bs := [4]string{b.A.Host, b.A.Ifname, b.B.Host, b.B.Ifname}
	for k := range as {
		x, y := as[k], bs[k]
		if x == y {
			continue
		}
		n := min(len(x), len(y))
		if c := strings.Compare(x[:n], y[:n]); c != 0 {
			return c
		}
		// One is a proper prefix of the other: what follows it in its key is "|", or nothing.
		if k == len(as)-1 {
			return cmp.Compare(len(x), len(y))
		}
		longer := y
		if len(x) > n {
			longer = x
		}
		if longer[n] == '|' { // a "|" inside a part: only the whole keys can say
			return strings.Compare(a.Key(), b.Key())
		}
		c := cmp.Compare('|', longer[n])
		if len(x) > len(y) {
			c = -c
		}
		return c
	}
	return 0
}

// Key identifies a link by its two ends.
func (l *Link) Key() string { return l.A.Host + "|" + l.A.Ifname + "|" + l.B.Host + "|" + l.B.Ifname }

// AddrsOf returns every address configured on the host's links, bridges and loopback.
func (s *Spec) AddrsOf(host string) []netip.Prefix {
	var out []netip.Prefix
	for _, l := range s.Links {
		for _, e := range []End{l.A, l.B} {
			if e.Host == host {
				out = append(out, e.Addrs...)
			}
		}
	}
	if h := s.Host(host); h != nil {
		for _, b := range h.Bridges {
			out = append(out, b.Addrs...)
		}
		out = append(out, h.Loopback...)
	}
	return out
}
