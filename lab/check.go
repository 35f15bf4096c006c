package lab

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/explain"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netspec"
)

// CheckResult is a probe's outcome with the model's explanation of it.
type CheckResult struct {
	Probe   netspec.Probe
	Result  netspec.ProbeResult
	Verdict explain.Verdict
	// Agree is true when the packets did what the model predicted. A disagreement is a bug
	// in spacelab, and the result says so.
	Agree bool
	// Expected is the hop the probe watched for the drop the model predicted (nil when it
	// predicted none, or none can be watched); Result.Witnessed says whether it was seen.
	Expected *netspec.DropPoint
	// Faults are the faults (spacelab fault) whose packets counters grew while a failed probe
	// ran: the packets died on purpose.
	Faults []string
}

// Passed reports whether the packets got through.
func (c CheckResult) Passed() bool { return c.Result.OK }

// Summary is one line for people: what happened and, when blocked, why.
func (c CheckResult) Summary() string {
	var b strings.Builder
	if c.Result.OK {
		fmt.Fprintf(&b, "reachable")
		if c.Result.Status != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", c.Result.Status)
		}
		if len(c.Result.Addrs) > 0 && c.Probe.Kind == "dns" {
			fmt.Fprintf(&b, " %v", c.Result.Addrs)
		}
	} else {
		fmt.Fprintf(&b, "blocked (%s)", c.Result.Err)
		if !c.Verdict.Reachable {
			fmt.Fprintf(&b, " — %s", c.Verdict.Reason)
		}
	}
	if len(c.Faults) > 0 {
		fmt.Fprintf(&b, " — by fault %s, on purpose", strings.Join(c.Faults, ", "))
	}
	if !c.Agree {
		fmt.Fprintf(&b, " [MODEL DISAGREES: predicted %s]", c.Verdict)
	}
	return b.String()
}

// Timeouts a check gives packets: generous when the model predicts an answer, and when it
// predicts a drop at a hop the probe can watch (the probe ends as soon as it sees the packets
// die there, so the timeout is only spent when they vanish somewhere else); short when the
// model predicts a drop no hop witnesses (a dropped packet gives no answer, so the probe can
// only wait); generous again before a disagreement is declared.
const (
	blockedTimeout = 400 * time.Millisecond
	openTimeout    = 3 * time.Second
	confirmTimeout = 3 * time.Second
)

// Check converges the data plane, explains the probe's flow from the model, and runs it with
// real packets. Both verdicts are in the result.
func (l *Lab) Check(ctx context.Context, p netspec.Probe) (CheckResult, error) {
	if err := l.Sync(ctx); err != nil {
		return CheckResult{}, err
	}
	spec := l.Reconciler.Spec()
	if spec.Resolve(p.From) == nil {
		return CheckResult{}, fmt.Errorf("%w: %q", ErrNoSuchHost, p.From)
	}
	v := ExplainProbeWith(spec, p, l.explainOptions(ctx, spec))
	run := p
	if !v.Reachable && run.Expect == nil {
		run.Expect = dropPoint(spec, v)
	}
	if run.Timeout == 0 {
		run.Timeout = openTimeout
		if !v.Reachable && run.Expect == nil {
			run.Timeout = blockedTimeout
		}
	}
	run.Witness = run.Witness || !v.Reachable
	before := l.faultCounts(ctx)
	r, err := l.Sandbox.Probe(ctx, run)
	if err != nil {
		return CheckResult{}, err
	}
	if faulted := l.faultsSince(ctx, before); len(faulted) > 0 && !r.OK {
		// Dropped (or held) on purpose: the model does not know faults, and is not wrong.
		return CheckResult{Probe: p, Result: r, Verdict: v, Agree: true, Expected: run.Expect, Faults: faulted}, nil
	}
	if r.OK != v.Reachable && !r.OK && run.Timeout < confirmTimeout {
		// Give the packets every chance before calling the model wrong.
		run.Timeout = confirmTimeout
		if r2, err := l.Sandbox.Probe(ctx, run); err == nil {
			r = r2
		}
	}
	return CheckResult{Probe: p, Result: r, Verdict: v, Agree: r.OK == v.Reachable, Expected: run.Expect}, nil
}

// explainOptions gives the explanation the live state of IPsec tunnels, when there are any.
func (l *Lab) explainOptions(ctx context.Context, spec *netspec.Spec) explain.Options {
	has := false
	for _, h := range spec.Hosts {
		for _, s := range h.Services {
			has = has || s.Kind == "ipsec"
		}
	}
	if !has {
		return explain.Options{}
	}
	hosts, err := l.ipsecTunnels(ctx)
	if err != nil {
		return explain.Options{}
	}
	tunnels := map[string]tunnelState{}
	for host, ts := range hosts {
		for _, t := range ts {
			tunnels[host+"|"+t.Name] = t
		}
	}
	return explain.Options{Tunnel: func(host, name string) (bool, string, bool) {
		t, ok := tunnels[host+"|"+name]
		return t.State == emulator.TunnelUp, t.Message, ok
	}}
}

// ExplainProbe turns a probe into the flow it makes and explains it.
func ExplainProbe(spec *netspec.Spec, p netspec.Probe) explain.Verdict {
	return ExplainProbeWith(spec, p, explain.Options{})
}

// ExplainProbeWith is ExplainProbe with options.
func ExplainProbeWith(spec *netspec.Spec, p netspec.Probe, o explain.Options) explain.Verdict {
	switch p.Kind {
	case "dns":
		return explain.ResolveWith(spec, p.From, p.Target, p.Server, o)
	case "http":
		target := p.Target
		if !strings.Contains(target, "://") {
			target = "http://" + target
		}
		u, err := url.Parse(target)
		if err != nil {
			return explain.Verdict{Code: "BAD_PROBE", Reason: err.Error()}
		}
		port := 80
		if u.Port() != "" {
			port, _ = strconv.Atoi(u.Port())
		}
		return explain.ConnectWith(spec, explain.Flow{From: p.From, To: u.Hostname(), Proto: netspec.TCP, Port: uint16(port), HTTPHost: u.Hostname()}, o)
	case "tcp":
		host, port, err := net.SplitHostPort(p.Target)
		if err != nil {
			return explain.Verdict{Code: "BAD_PROBE", Reason: err.Error()}
		}
		n, _ := strconv.Atoi(port)
		return explain.ConnectWith(spec, explain.Flow{From: p.From, To: host, Proto: netspec.TCP, Port: uint16(n)}, o)
	case "udp":
		host, port, err := net.SplitHostPort(p.Target)
		if err != nil {
			return explain.Verdict{Code: "BAD_PROBE", Reason: err.Error()}
		}
		n, _ := strconv.Atoi(port)
		return explain.ConnectWith(spec, explain.Flow{From: p.From, To: host, Proto: netspec.UDP, Port: uint16(n)}, o)
	case "icmp":
		return explain.ConnectWith(spec, explain.Flow{From: p.From, To: p.Target, Proto: netspec.ICMP}, o)
	}
	return explain.Verdict{Code: "BAD_PROBE", Reason: "unknown probe kind " + p.Kind}
}

// Exec syncs, then runs a program in a host with the given streams.
func (l *Lab) Exec(ctx context.Context, host string, argv []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if err := l.Sync(ctx); err != nil {
		return 0, err
	}
	return l.Sandbox.Exec(ctx, netns.ExecRequest{Host: host, Argv: argv}, stdin, stdout, stderr)
}

var _ = netip.Addr{}
