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
	if !c.Agree {
		fmt.Fprintf(&b, " [MODEL DISAGREES: predicted %s]", c.Verdict)
	}
	return b.String()
}

// Timeouts a check gives packets: short when the model predicts a drop (a dropped packet
// gives no answer, so the probe can only wait), generous otherwise, and generous again before
// a disagreement is declared.
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
	if run.Timeout == 0 {
		run.Timeout = openTimeout
		if !v.Reachable {
			run.Timeout = blockedTimeout
		}
	}
	run.Witness = run.Witness || !v.Reachable
	r, err := l.Sandbox.Probe(ctx, run)
	if err != nil {
		return CheckResult{}, err
	}
	if r.OK != v.Reachable && !r.OK && run.Timeout < confirmTimeout {
		// Give the packets every chance before calling the model wrong.
		run.Timeout = confirmTimeout
		if r2, err := l.Sandbox.Probe(ctx, run); err == nil {
			r = r2
		}
	}
	return CheckResult{Probe: p, Result: r, Verdict: v, Agree: r.OK == v.Reachable}, nil
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
