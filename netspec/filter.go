package netspec

import (
	"fmt"
	"net/netip"
	"strings"
)

// Hook is where a chain sees packets.
type Hook string

const (
	Input   Hook = "input"   // packets for the host itself
	Output  Hook = "output"  // packets the host sends
	Forward Hook = "forward" // packets the host routes
)

// Verdict is what a rule does with a matching packet.
type Verdict string

const (
	Accept Verdict = "accept"
	Drop   Verdict = "drop"
)

// Filter is a host's packet filter: chains evaluated in the kernel (nftables), and the source
// translations it does for packets it routes out.
type Filter struct {
	Chains []Chain
	SNAT   []SNATRule `json:",omitempty"`
	DNAT   []DNATRule `json:",omitempty"`
}

// DNATRule rewrites the destination of packets for Dst arriving on Iif to To; connection
// tracking rewrites the replies' source back (an internet gateway's one-to-one NAT).
type DNATRule struct {
	Iif string
	Dst netip.Addr
	To  netip.Addr
	Why string
}

// DNATFor returns the translation for a packet to dst arriving on iif, if any.
func (f *Filter) DNATFor(iif string, dst netip.Addr) (DNATRule, bool) {
	if f == nil {
		return DNATRule{}, false
	}
	for _, r := range f.DNAT {
		if (r.Iif == "" || r.Iif == iif) && r.Dst == dst {
			return r, true
		}
	}
	return DNATRule{}, false
}

// SNATRule rewrites the source address of packets from Src leaving by Oif to To; connection
// tracking reverses it for the replies (a NAT gateway).
type SNATRule struct {
	Oif string
	Src netip.Prefix
	To  netip.Addr
	Why string
}

// SNATFor returns the translation for a packet from src leaving by oif, if any.
func (f *Filter) SNATFor(oif string, src netip.Addr) (SNATRule, bool) {
	if f == nil {
		return SNATRule{}, false
	}
	for _, r := range f.SNAT {
		if (r.Oif == "" || r.Oif == oif) && r.Src.Contains(src) {
			return r, true
		}
	}
	return SNATRule{}, false
}

// Chain is a base chain on a hook with a default policy, or (Hook empty) a regular chain that
// only a rule's Jump reaches: its Policy is ignored, and a packet no rule of it decides goes
// back to the rule after the jump.
type Chain struct {
	Name   string
	Hook   Hook
	Policy Verdict
	Rules  []FilterRule
	// PolicyWhy explains the default policy when it drops (e.g. "sg-1 has no inbound rule").
	PolicyWhy string
	// PolicyCode is the explanation code of a drop by the policy (e.g. SG_INGRESS_DENIED).
	PolicyCode string `json:",omitempty"`
}

// FilterRule matches packets and gives a verdict. Zero fields match anything. Every rule has
// a counter so a probe can tell which rule dropped its packet.
type FilterRule struct {
	// Established matches packets of connections the host already accepted (conntrack
	// established/related) — what makes a filter stateful.
	Established bool         `json:",omitempty"`
	Iif         string       `json:",omitempty"`
	Oif         string       `json:",omitempty"`
	Src         netip.Prefix `json:",omitempty"`
	Dst         netip.Prefix `json:",omitempty"`
	// SrcIn and DstIn match an address in any of the prefixes: one set per rule in the kernel,
	// so a rule's cost grows with its prefixes, not rules × prefixes. Renderers use them for
	// accept rules only (a set is filled in batches; a partly filled accept set is stricter).
	// Empty means no condition: a rule for an empty set must not be rendered at all.
	SrcIn []netip.Prefix `json:",omitempty"`
	DstIn []netip.Prefix `json:",omitempty"`
	// Proto is an IP protocol number; 0 matches all.
	Proto uint8 `json:",omitempty"`
	// Ports is an inclusive destination port range for TCP/UDP; zero means all.
	PortFrom, PortTo uint16 `json:",omitempty"`
	// ICMPType matches an ICMP type when HasICMPType is set.
	ICMPType    uint8 `json:",omitempty"`
	HasICMPType bool  `json:",omitempty"`
	// JumpIif and JumpOif dispatch by the packet's input (output) interface to a regular chain
	// of the filter: interface → chain name, one verdict map in the kernel, so one rule serves
	// every interface (e.g. every subnet sharing a network ACL). An interface not in the map,
	// or a chain no rule of which decides, goes on to the next rule. A jump rule's own Verdict
	// is not used.
	JumpIif map[string]string `json:",omitempty"`
	JumpOif map[string]string `json:",omitempty"`
	Verdict Verdict
	// Why names the model object behind the rule (e.g. "sg-0ab… inbound tcp/80 from 10.0.0.0/16").
	Why string `json:",omitempty"`
	// Code is the explanation code of a drop by this rule (e.g. NACL_DENIED).
	Code string `json:",omitempty"`
}

// Protocol numbers.
const (
	ICMP = 1
	TCP  = 6
	UDP  = 17
)

// String renders a rule in an nft-like notation, for dumps and messages.
func (r FilterRule) String() string {
	var b strings.Builder
	if r.Established {
		b.WriteString("ct state established,related ")
	}
	if r.Iif != "" {
		fmt.Fprintf(&b, "iif %s ", r.Iif)
	}
	if r.Oif != "" {
		fmt.Fprintf(&b, "oif %s ", r.Oif)
	}
	if r.Src.IsValid() {
		fmt.Fprintf(&b, "saddr %s ", r.Src)
	}
	if r.Dst.IsValid() {
		fmt.Fprintf(&b, "daddr %s ", r.Dst)
	}
	if len(r.SrcIn) > 0 {
		fmt.Fprintf(&b, "saddr %s ", setText(r.SrcIn))
	}
	if len(r.DstIn) > 0 {
		fmt.Fprintf(&b, "daddr %s ", setText(r.DstIn))
	}
	switch r.Proto {
	case 0:
	case TCP:
		b.WriteString("tcp ")
	case UDP:
		b.WriteString("udp ")
	case ICMP:
		b.WriteString("icmp ")
	default:
		fmt.Fprintf(&b, "proto %d ", r.Proto)
	}
	if r.PortFrom != 0 || r.PortTo != 0 {
		if r.PortFrom == r.PortTo {
			fmt.Fprintf(&b, "dport %d ", r.PortFrom)
		} else {
			fmt.Fprintf(&b, "dport %d-%d ", r.PortFrom, r.PortTo)
		}
	}
	if r.HasICMPType {
		fmt.Fprintf(&b, "type %d ", r.ICMPType)
	}
	switch {
	case r.JumpIif != nil:
		fmt.Fprintf(&b, "iif vmap { %d interfaces : jump }", len(r.JumpIif))
	case r.JumpOif != nil:
		fmt.Fprintf(&b, "oif vmap { %d interfaces : jump }", len(r.JumpOif))
	default:
		b.WriteString(string(r.Verdict))
	}
	return b.String()
}

func setText(ps []netip.Prefix) string {
	if len(ps) <= 3 {
		var s []string
		for _, p := range ps {
			s = append(s, p.String())
		}
		return "{ " + strings.Join(s, ", ") + " }"
	}
	return fmt.Sprintf("{ %s, %s, … %d prefixes }", ps[0], ps[1], len(ps))
}

// InAny reports whether a is in any of ps.
func InAny(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Packet is the header data a filter looks at.
type Packet struct {
	Src, Dst    netip.Addr
	Proto       uint8
	DstPort     uint16
	ICMPType    uint8
	Iif, Oif    string
	Established bool
}

// Matches reports whether the rule matches the packet.
func (r FilterRule) Matches(p Packet) bool {
	switch {
	case r.Established && !p.Established:
		return false
	case r.Iif != "" && r.Iif != p.Iif:
		return false
	case r.Oif != "" && r.Oif != p.Oif:
		return false
	case r.Src.IsValid() && !r.Src.Contains(p.Src):
		return false
	case r.Dst.IsValid() && !r.Dst.Contains(p.Dst):
		return false
	case len(r.SrcIn) > 0 && !InAny(r.SrcIn, p.Src):
		return false
	case len(r.DstIn) > 0 && !InAny(r.DstIn, p.Dst):
		return false
	case r.Proto != 0 && r.Proto != p.Proto:
		return false
	case (r.PortFrom != 0 || r.PortTo != 0) && (p.DstPort < r.PortFrom || p.DstPort > r.PortTo):
		return false
	case r.HasICMPType && r.ICMPType != p.ICMPType:
		return false
	}
	return true
}

// Evaluate runs a packet through every chain on hook, as the kernel does: a drop anywhere drops,
// an accept ends only its own chain. It returns the verdict and why: the Why of the rule or
// policy that decided.
func (f *Filter) Evaluate(hook Hook, p Packet) (Verdict, string) {
	d := f.Decide(hook, p)
	return d.Verdict, d.Why
}

// Decision is what a filter did with a packet, and which rule or policy decided.
type Decision struct {
	Verdict Verdict
	Why     string
	Code    string
	// Chain is the chain that decided (nil when no chain is on the hook); ByPolicy is set when
	// its default policy decided rather than a rule.
	Chain    *Chain
	ByPolicy bool
	// Allowed are the Whys of the accepting rules that decided, one per chain on the hook.
	Allowed []string
}

// Decide is Evaluate with the deciding chain and rule.
func (f *Filter) Decide(hook Hook, p Packet) Decision {
	d := Decision{Verdict: Accept, Why: "no filter"}
	if f == nil {
		return d
	}
	for i := range f.Chains {
		c := &f.Chains[i]
		if c.Hook != hook {
			continue
		}
		v, w, code, byPolicy := c.Policy, c.PolicyWhy, c.PolicyCode, true
		if r, in := f.firstMatch(c, p, 0); r != nil {
			v, w, code, byPolicy, c = r.Verdict, r.Why, r.Code, false, in
		}
		if v == Drop {
			return Decision{Verdict: Drop, Why: w, Code: code, Chain: c, ByPolicy: byPolicy}
		}
		d.Why, d.Chain, d.ByPolicy = w, c, byPolicy
		if w != "" {
			d.Allowed = append(d.Allowed, w)
		}
	}
	return d
}

// maxJumpDepth bounds jumps, as the kernel does (it refuses loops; spacelab's filters jump once).
const maxJumpDepth = 16

// firstMatch is the rule of c that decides p, following jumps, and the chain it is in; nil when
// no rule decides.
func (f *Filter) firstMatch(c *Chain, p Packet, depth int) (*FilterRule, *Chain) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.JumpIif == nil && r.JumpOif == nil {
			if r.Matches(p) {
				return r, c
			}
			continue
		}
		if depth >= maxJumpDepth || !r.Matches(p) {
			continue
		}
		name, ok := r.JumpIif[p.Iif]
		if r.JumpIif == nil {
			name, ok = r.JumpOif[p.Oif]
		}
		if target := f.Chain(name); ok && target != nil && target.Hook == "" {
			if d, in := f.firstMatch(target, p, depth+1); d != nil {
				return d, in
			}
		}
	}
	return nil, nil
}

// Chain returns the filter's chain called name, or nil.
func (f *Filter) Chain(name string) *Chain {
	for i := range f.Chains {
		if f.Chains[i].Name == name {
			return &f.Chains[i]
		}
	}
	return nil
}
