// Package explain answers "would this get through, and if not, where does it stop and why" by walking
// a packet through the rendered network the way the kernel will: filters on the way out, policy
// rules and longest-prefix routes at every hop, filters on the way in, a listening service at the
// end, and for TCP the reply's own way back. Each step names the model object behind it (route
// table, peering, security group), so a refusal reads like "route 10.0.0.0/16 → pcx-… in rtb-…
// is blackhole: pcx-… is deleted".
//
// It reasons about the same netspec.Spec the data plane applies, so its verdict can be checked
// against what real packets did (see lab.Check).
package explain

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/spacelab-dev/spacelab/netspec"
)

// Flow is what to explain: from a host (name or alias), to an address or host name, on a
// protocol and port.
type Flow struct {
	From  string
	To    string // address, or a name to resolve through the source's resolver
	Proto uint8  // netspec.TCP, UDP, ICMP
	Port  uint16
	// HTTPHost is the Host header, for flows to an HTTP router (defaults to To).
	HTTPHost string
}

// Verdict is the answer of Connect and Resolve.
type Verdict struct {
	// Reachable means the client gets an answer (for HTTP, any response, even a router's 404).
	Reachable bool
	// Code classifies a refusal: NO_ROUTE, BLACKHOLE, FILTERED, NO_LISTENER, NO_RETURN_ROUTE,
	// RETURN_FILTERED, NAME_NOT_RESOLVED, NO_HOST, LOOP; or qualifies an answer from an HTTP
	// router: NO_SUCH_APP (404), NO_WEB_DYNOS (503, Heroku's H14: no web dyno is up),
	// APP_ERROR (503, the app's dynos cannot be reached).
	Code string
	// Reason is one sentence for people.
	Reason string
	// At is the host where the packet stopped.
	At string
	// Hops is the path, one line per step.
	Hops []Hop
	// Explanation is the specific explanation code of a refusal, from the fixed set documented
	// in docs/checks.md: what kind of object stopped the packets (SG_INGRESS_DENIED,
	// NACL_DENIED, NO_ROUTE_IN_TABLE, WRONG_PEERING_ROUTE, PEERING_NOT_ACTIVE, TUNNEL_DOWN…).
	Explanation string
	// Components are the objects the refusal names, by id: the route table, the peering, the
	// security group, the network ACL…
	Components []Component
	// Rules are what the filter that dropped the packets does allow, when none of its rules
	// did (the security group's inbound rules, the space's trusted IP ranges).
	Rules []string
	// Drop is where the packets die, for a probe to watch: a filter rule, or a host whose
	// routing discards them (with the packet as it arrives there). Nil when no hop can be
	// watched (the sender learns it at once, or a tunnel is down).
	Drop *netspec.DropPoint
}

// Component is a model object on a path or at fault.
type Component struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Hop is one step of a path.
type Hop struct {
	Host   string
	Step   string // originated, filter-out, route, filter, filter-in, forward, delivered, resolved
	Detail string
}

func (v Verdict) String() string {
	if v.Reachable {
		return "reachable"
	}
	return v.Code + ": " + v.Reason
}

// Path renders the hops for a person.
func (v Verdict) Path() string {
	var b strings.Builder
	for i, h := range v.Hops {
		fmt.Fprintf(&b, "%2d. %-40s %-10s %s\n", i+1, h.Host, h.Step, h.Detail)
	}
	return b.String()
}

// Options refine an explanation with what only the running data plane knows.
type Options struct {
	// Tunnel reports whether an IPsec tunnel (by host and tunnel name) is up, and why not;
	// known is false when the data plane has no word on it. Nil (or unknown) treats a tunnel
	// whose two ends are both configured as up, and one whose far end runs outside spacelab
	// (a strongSwan started by hand) as down.
	Tunnel func(host, tunnel string) (up bool, msg string, known bool)
}

// Connect traces flow through spec.
func Connect(spec *netspec.Spec, f Flow) Verdict { return ConnectWith(spec, f, Options{}) }

// ConnectWith is Connect with options.
func ConnectWith(spec *netspec.Spec, f Flow, o Options) Verdict {
	ix := indexSpec(spec)
	w := &walk{ix: ix, opts: o}
	src := spec.Resolve(f.From)
	if src == nil {
		return Verdict{Code: "NO_HOST", Explanation: "NO_HOST", Reason: fmt.Sprintf("no host %q", f.From)}
	}
	dst, err := netip.ParseAddr(f.To)
	if err != nil {
		addrs, v := w.resolve(src, f.To)
		if v != nil {
			v.Hops = w.hops
			return finish(*v)
		}
		dst = addrs[0]
		if f.HTTPHost == "" {
			f.HTTPHost = f.To
		}
	}
	v := w.connect(src.Name, dst, f.Proto, f.Port, f.HTTPHost, 0)
	v.Hops = w.hops
	return finish(v)
}

// idRE finds model ids in a sentence.
var idRE = regexp.MustCompile(`\b(i|eni|sg|acl|rtb|pcx|igw|nat|vpc|subnet|vgw|cgw|vpn)-[0-9a-f]{8,17}\b`)

var idTypes = map[string]string{"i": "instance", "eni": "network-interface", "sg": "security-group", "acl": "network-acl",
	"rtb": "route-table", "pcx": "vpc-peering-connection", "igw": "internet-gateway", "nat": "nat-gateway",
	"vpc": "vpc", "subnet": "subnet", "vgw": "vpn-gateway", "cgw": "customer-gateway", "vpn": "vpn-connection"}

// Components lists the model ids a sentence names, in order, once each.
func Components(s string) []Component {
	var out []Component
	seen := map[string]bool{}
	for _, m := range idRE.FindAllStringSubmatch(s, -1) {
		if !seen[m[0]] {
			seen[m[0]] = true
			out = append(out, Component{idTypes[m[1]], m[0]})
		}
	}
	for _, w := range []string{"IPsec tunnel ", "VPN connection "} {
		if i := strings.Index(s, w); i >= 0 {
			if f := strings.Fields(s[i+len(w):]); len(f) > 0 {
				typ := "ipsec-tunnel"
				if w == "VPN connection " {
					typ = "vpn-connection"
				}
				out = append(out, Component{typ, strings.Trim(f[0], ",;:()")})
			}
		}
	}
	return out
}

// finish fills in what every refusal carries: its explanation code and the objects it names.
func finish(v Verdict) Verdict {
	if v.Reachable && v.Code == "" {
		return v
	}
	if v.Explanation == "" {
		v.Explanation = v.Code
	}
	v.Components = Components(v.Reason)
	return v
}

// Resolve explains resolving a name from a host, through its resolver (or server when
// valid), following forwarders.
func Resolve(spec *netspec.Spec, from, name string, server netip.Addr) Verdict {
	return ResolveWith(spec, from, name, server, Options{})
}

// ResolveWith is Resolve with options.
func ResolveWith(spec *netspec.Spec, from, name string, server netip.Addr, o Options) Verdict {
	ix := indexSpec(spec)
	w := &walk{ix: ix, opts: o}
	src := spec.Resolve(from)
	if src == nil {
		return Verdict{Code: "NO_HOST", Reason: fmt.Sprintf("no host %q", from)}
	}
	h := *src
	if server.IsValid() {
		h.Resolvers = []netip.Addr{server}
	}
	addrs, v := w.resolve(&h, name)
	if v != nil {
		v.Hops = w.hops
		return finish(*v)
	}
	return Verdict{Reachable: true, At: src.Name, Reason: fmt.Sprintf("%s → %v", name, addrs), Hops: w.hops}
}
