package lab

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/netspec"
)

// Report is a check as people and programs read it: the flow, the path the model sees hop by
// hop with the components on it by id, where and why it stops, the reply's way back, and what
// the packets did. `spacelab check` prints it; scenarios print it for a failed check.
type Report struct {
	From   string `json:"from"`
	Target string `json:"target"`
	Kind   string `json:"kind"`
	// Resolved is the name resolution, one line ("name → addresses (server)").
	Resolved string `json:"resolved,omitempty"`
	// Flow is the 5-tuple after resolution ("tcp 172.16.0.8:41234 → 10.0.25.212:80").
	Flow string `json:"flow,omitempty"`
	// Reachable is what the packets did; Predicted what the model said; Agree whether they match.
	Reachable bool `json:"reachable"`
	Predicted bool `json:"predicted_reachable"`
	Agree     bool `json:"agree"`
	// Code is the explanation code (docs/checks.md), Class the kind of refusal it is (BLACKHOLE,
	// FILTERED, NO_RETURN_ROUTE…); Reason says it for people, naming the objects at fault,
	// which Components lists by id; StoppedAt is the host where the packets stop.
	Code       string      `json:"code,omitempty"`
	Class      string      `json:"class,omitempty"`
	Components []Component `json:"components,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	StoppedAt  string      `json:"stopped_at,omitempty"`
	// Existing are the rules of the filter that dropped the packets, when none of them allowed
	// it (e.g. the security group's inbound rules: tcp/80 from 10.0.0.0/16).
	Existing []string `json:"existing_rules,omitempty"`
	// Path is the request's way, Reply the answer's, as the model walks them.
	Path  []ReportHop `json:"path"`
	Reply []ReportHop `json:"reply,omitempty"`
	// Packets is what the real packets did.
	Packets PacketReport `json:"packets"`
	// Faults are the faults that dropped or held the packets on purpose (spacelab fault).
	Faults []string `json:"faults,omitempty"`
}

// ReportHop is one step of a path, with the components it involves.
type ReportHop struct {
	Host       string      `json:"host"`
	Step       string      `json:"step"`
	Detail     string      `json:"detail"`
	Components []Component `json:"components,omitempty"`
	// Stop marks the hop where the packets stop.
	Stop bool `json:"stop,omitempty"`
}

// Component is a model object on a path: an instance, a security group, a route table…
type Component struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// PacketReport is what the probe's packets did.
type PacketReport struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error,omitempty"`
	Status  int      `json:"http_status,omitempty"`
	Via     string   `json:"via,omitempty"`
	Addrs   []string `json:"addresses,omitempty"`
	Elapsed string   `json:"elapsed"`
	// Watched is the hop the probe watched for the predicted drop; Witnessed how the drop was
	// seen there (empty: not seen, the probe waited for its timeout).
	Watched   string   `json:"watched,omitempty"`
	Witnessed string   `json:"witnessed,omitempty"`
	Drops     []string `json:"drops,omitempty"`
}

// Report builds the report of a check from the spec it ran on.
func (c CheckResult) Report(spec *netspec.Spec) Report {
	v := c.Verdict
	r := Report{From: c.Probe.From, Target: c.Probe.Target, Kind: c.Probe.Kind,
		Reachable: c.Result.OK, Predicted: v.Reachable, Agree: c.Agree, Code: v.Explanation, Class: v.Code, StoppedAt: v.At, Existing: v.Rules,
		Faults: c.Faults}
	if r.Code == "" {
		r.Code = v.Code
	}
	for _, cp := range v.Components {
		r.Components = append(r.Components, Component{cp.Type, cp.ID})
	}
	if !v.Reachable || v.Code != "" {
		r.Reason = v.Reason
	}
	if src := spec.Resolve(c.Probe.From); src != nil {
		r.From = src.Name
	}
	hops := v.Hops
	// A name's resolution is one line, unless resolving is what is checked.
	if c.Probe.Kind != "dns" {
		for i, h := range hops {
			if h.Step == "resolved" {
				r.Resolved = h.Detail
				if c.Result.Server.IsValid() {
					r.Resolved += " (asked " + c.Result.Server.Addr().String() + ")"
				}
				hops = hops[i+1:]
				break
			}
		}
		if r.Resolved == "" && v.Code == "NAME_NOT_RESOLVED" {
			r.Resolved = "not resolved: " + v.Reason
			hops = nil
		}
	}
	r.Flow = flowOf(c, hops)
	// Legs: each "originated" starts one; one that starts where the previous was delivered is
	// its reply.
	reply, lastDelivered := false, ""
	for _, h := range hops {
		if h.Step == "originated" {
			reply = h.Host == lastDelivered && c.Probe.Kind != "dns"
			if reply {
				lastDelivered = ""
			}
		}
		if h.Step == "delivered" {
			lastDelivered = h.Host
		}
		if h.Step == "forward" {
			reply = false
		}
		rh := ReportHop{Host: h.Host, Step: h.Step, Detail: h.Detail, Components: components(spec, h)}
		if reply {
			r.Reply = append(r.Reply, rh)
		} else {
			r.Path = append(r.Path, rh)
		}
	}
	if !v.Reachable {
		last := &r.Path
		if v.Code == "NO_RETURN_ROUTE" || v.Code == "RETURN_FILTERED" {
			last = &r.Reply
		}
		stop := ReportHop{Host: v.At, Step: "stopped", Detail: r.Code, Stop: true}
		if h := spec.Resolve(v.At); h != nil {
			stop.Components = components(spec, explain.Hop{Host: h.Name})
		}
		*last = append(*last, stop)
	}
	p := &r.Packets
	p.OK, p.Error, p.Status, p.Elapsed = c.Result.OK, c.Result.Err, c.Result.Status, c.Result.Elapsed.Round(10*time.Microsecond).String()
	if c.Result.Header != nil {
		p.Via = c.Result.Header.Get("Via")
	}
	for _, a := range c.Result.Addrs {
		p.Addrs = append(p.Addrs, a.String())
	}
	if e := c.Expected; e != nil {
		if e.Rule != "" {
			p.Watched = fmt.Sprintf("the drop counter of %q in %s", e.Rule, e.Host)
		} else {
			p.Watched = fmt.Sprintf("packets to %s arriving at %s", e.Dst, e.Host)
		}
		p.Witnessed = c.Result.Witnessed
	}
	for _, d := range c.Result.Drops {
		p.Drops = append(p.Drops, fmt.Sprintf("%s: %s (%d packets)", d.Host, d.Why, d.Packets))
	}
	return r
}

// flowOf is the 5-tuple: the first packet's addresses after resolution, with the ports the
// probe used when it knows them.
func flowOf(c CheckResult, hops []explain.Hop) string {
	proto, dport := c.Probe.Kind, ""
	switch c.Probe.Kind {
	case "http":
		proto, dport = "tcp", "80"
		target := c.Probe.Target
		if !strings.Contains(target, "://") {
			target = "http://" + target
		}
		if u, err := url.Parse(target); err == nil && u.Port() != "" {
			dport = u.Port()
		}
	case "tcp", "udp":
		_, dport, _ = net.SplitHostPort(c.Probe.Target)
	case "dns":
		proto, dport = "udp", "53"
	}
	var src, dst string
	for _, h := range hops {
		if h.Step == "originated" { // "SRC [(eni-…)] → DST proto/port"
			from, to, ok := strings.Cut(h.Detail, "→")
			if f, g := strings.Fields(from), strings.Fields(to); ok && len(f) > 0 && len(g) > 0 {
				src, dst = f[0], g[0]
			}
			break
		}
	}
	if c.Result.Remote.IsValid() {
		dst = c.Result.Remote.Addr().String()
	}
	if src == "" || dst == "" {
		return ""
	}
	sport := "*"
	if c.Result.Local.IsValid() {
		sport = fmt.Sprint(c.Result.Local.Port())
	}
	if proto == "icmp" {
		return fmt.Sprintf("icmp %s → %s (echo request)", src, dst)
	}
	return fmt.Sprintf("%s %s:%s → %s:%s", proto, src, sport, dst, dport)
}

// idRE finds AWS-style ids in a hop's words.
var idRE = regexp.MustCompile(`\b(i|eni|sg|acl|rtb|pcx|igw|nat|vpc|subnet|vgw|cgw|vpn)-[0-9a-f]{8,17}\b`)

var idTypes = map[string]string{"i": "instance", "eni": "network-interface", "sg": "security-group", "acl": "network-acl",
	"rtb": "route-table", "pcx": "vpc-peering-connection", "igw": "internet-gateway", "nat": "nat-gateway",
	"vpc": "vpc", "subnet": "subnet", "vgw": "vpn-gateway", "cgw": "customer-gateway", "vpn": "vpn-connection"}

// components names the model objects of one hop: the host itself, then every id its detail
// mentions.
func components(spec *netspec.Spec, h explain.Hop) []Component {
	var out []Component
	seen := map[string]bool{}
	add := func(typ, id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, Component{typ, id})
		}
	}
	if hs := spec.Host(h.Host); hs != nil {
		id := hs.Name
		if len(hs.Aliases) > 0 {
			id = hs.Aliases[0]
		}
		add(hs.Kind, id)
	}
	for _, m := range idRE.FindAllStringSubmatch(h.Detail, -1) {
		add(idTypes[m[1]], m[0])
	}
	for _, w := range []string{"IPsec tunnel ", "tunnel "} {
		if i := strings.Index(h.Detail, w); i >= 0 {
			if f := strings.Fields(h.Detail[i+len(w):]); len(f) > 0 {
				add("ipsec-tunnel", strings.Trim(f[0], ",;:()"))
			}
			break
		}
	}
	return out
}

// Write prints the report for people.
func (r Report) Write(w io.Writer) {
	verdict := "REACHABLE"
	if !r.Reachable {
		verdict = "BLOCKED"
	}
	agree := "the packets agree with the model"
	if !r.Agree {
		agree = fmt.Sprintf("MODEL DISAGREES: it predicted %s", map[bool]string{true: "reachable", false: "blocked"}[r.Predicted])
	}
	if len(r.Faults) > 0 {
		agree = "dropped on purpose by fault " + strings.Join(r.Faults, ", ") + ": spacelab fault list"
	}
	fmt.Fprintf(w, "%s  %s → %s  (%s)\n", verdict, r.From, r.Target, agree)
	if r.Resolved != "" {
		fmt.Fprintf(w, "  dns     %s\n", r.Resolved)
	}
	if r.Flow != "" {
		fmt.Fprintf(w, "  flow    %s\n", r.Flow)
	}
	if r.Code != "" {
		fmt.Fprintf(w, "  code    %s", r.Code)
		if r.Class != "" && r.Class != r.Code {
			fmt.Fprintf(w, " (%s)", r.Class)
		}
		fmt.Fprintln(w)
	}
	if len(r.Components) > 0 {
		var ids []string
		for _, c := range r.Components {
			ids = append(ids, c.Type+" "+c.ID)
		}
		fmt.Fprintf(w, "  at      %s\n", strings.Join(ids, ", "))
	}
	if r.Reason != "" {
		at := ""
		if r.StoppedAt != "" && !r.Predicted && !strings.HasPrefix(r.Reason, r.StoppedAt+": ") {
			at = " at " + r.StoppedAt
		}
		fmt.Fprintf(w, "  why     %s%s\n", r.Reason, at)
	}
	if len(r.Existing) > 0 {
		fmt.Fprintf(w, "  rules   none of these allows it:\n")
		for _, e := range r.Existing {
			fmt.Fprintf(w, "            %s\n", e)
		}
	}
	writeHops(w, "path", r.Path)
	writeHops(w, "reply", r.Reply)
	p := r.Packets
	fmt.Fprintf(w, "  packets ")
	switch {
	case p.OK && p.Status != 0:
		fmt.Fprintf(w, "answered: HTTP %d", p.Status)
		if p.Via != "" {
			fmt.Fprintf(w, ", Via: %s", p.Via)
		}
	case p.OK && len(p.Addrs) > 0 && r.Kind == "dns":
		fmt.Fprintf(w, "answered: %s", strings.Join(p.Addrs, ", "))
	case p.OK:
		fmt.Fprintf(w, "answered")
	default:
		fmt.Fprintf(w, "no answer: %s", p.Error)
	}
	fmt.Fprintf(w, " (in %s)\n", p.Elapsed)
	if p.Watched != "" {
		if p.Witnessed != "" {
			fmt.Fprintf(w, "          seen dying where the model said: %s\n", p.Witnessed)
		} else {
			fmt.Fprintf(w, "          NOT seen dying where the model said (watched %s): they vanished elsewhere, so the check waited for its timeout\n", p.Watched)
		}
	}
	for _, d := range p.Drops {
		fmt.Fprintf(w, "          dropped by %s\n", d)
	}
}

func writeHops(w io.Writer, title string, hops []ReportHop) {
	if len(hops) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s\n", title)
	for i, h := range hops {
		who := h.Host
		var ids []string
		for j, c := range h.Components {
			if j == 0 {
				who = c.Type + " " + c.ID
			} else if !strings.Contains(h.Detail, c.ID) {
				ids = append(ids, c.Type+" "+c.ID)
			}
		}
		mark := "  "
		if h.Stop {
			mark = "✗ "
		}
		detail := h.Detail
		if len(ids) > 0 {
			detail += " [" + strings.Join(ids, ", ") + "]"
		}
		fmt.Fprintf(w, "   %s%2d. %-44s %-10s %s\n", mark, i+1, who, h.Step, detail)
	}
}
