package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netspec"
)

// matrixRequest is POST /matrix: which sources, targets and ports to check; Pairs, when set,
// are exactly the pairs to check (from an expectation file).
type matrixRequest struct {
	From  string      `json:"from,omitempty"`
	To    string      `json:"to,omitempty"`
	Ports []string    `json:"ports,omitempty"`
	Pairs []MatrixRow `json:"pairs,omitempty"`
}

// MatrixRow is one pair's reachability.
type MatrixRow struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Port      string `json:"port"` // a TCP port, or "icmp"
	Reachable bool   `json:"reachable"`
	Code      string `json:"code,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Agree     bool   `json:"agree"`
	Target    string `json:"target,omitempty"` // the address checked
}

// matrix is the result of POST /matrix.
type matrix struct {
	Rows  []MatrixRow `json:"rows"`
	Error string      `json:"error,omitempty"`
}

// Default selections: where people check from, and what they check.
var (
	defaultFromKinds = []string{"instance", "dyno", "office-host", "internet-host"}
	defaultToKinds   = []string{"instance", "dyno", "app-router", "data", "office-host", "internet-host"}
)

// selectHosts picks hosts by a selector: comma-separated kinds (kind:dyno or dyno), names or
// aliases, or globs on them (*web*); empty means the default kinds.
func selectHosts(spec *netspec.Spec, sel string, defaults []string) []*netspec.Host {
	terms := strings.Split(sel, ",")
	if strings.TrimSpace(sel) == "" {
		terms = defaults
	}
	var out []*netspec.Host
	seen := map[string]bool{}
	for _, h := range spec.Hosts {
		for _, t := range terms {
			t = strings.TrimPrefix(strings.TrimSpace(t), "kind:")
			match := h.Kind == t || h.Name == t
			for _, n := range append([]string{h.Name}, h.Aliases...) {
				if ok, _ := path.Match(t, n); ok || n == t {
					match = true
				}
			}
			if match && !seen[h.Name] {
				seen[h.Name] = true
				out = append(out, h)
			}
		}
	}
	return out
}

// friendly is how the matrix names a host: its first alias (i-…, app/web.1), else its name.
func friendly(h *netspec.Host) string {
	if len(h.Aliases) > 0 {
		return h.Aliases[0]
	}
	return h.Name
}

// listenPorts are the TCP ports a host's services listen on (besides DNS).
func listenPorts(h *netspec.Host) []string {
	var out []string
	seen := map[uint16]bool{}
	for _, s := range h.Services {
		if s.Kind == "dns" || s.Kind == "ipsec" {
			continue
		}
		for _, l := range s.Listen {
			if !seen[l.Port()] {
				seen[l.Port()] = true
				out = append(out, strconv.Itoa(int(l.Port())))
			}
		}
	}
	if len(out) == 0 {
		out = []string{"icmp"}
	}
	return out
}

// targetAddr is the address a pair checks: where the host's service listens, else its first one.
func targetAddr(spec *netspec.Spec, h *netspec.Host, port string) netip.Addr {
	for _, s := range h.Services {
		for _, l := range s.Listen {
			if strconv.Itoa(int(l.Port())) == port && !l.Addr().IsUnspecified() {
				return l.Addr()
			}
		}
	}
	for _, p := range spec.AddrsOf(h.Name) {
		return p.Addr()
	}
	return netip.Addr{}
}

func runMatrix(l *lab.Lab, r *http.Request, req matrixRequest) matrix {
	if err := l.Sync(r.Context()); err != nil {
		return matrix{Error: err.Error()}
	}
	spec := l.Reconciler.Spec()
	var pairs []MatrixRow
	if len(req.Pairs) > 0 {
		pairs = req.Pairs
	} else {
		for _, f := range selectHosts(spec, req.From, defaultFromKinds) {
			for _, t := range selectHosts(spec, req.To, defaultToKinds) {
				if f.Name == t.Name {
					continue
				}
				ports := req.Ports
				if len(ports) == 0 {
					ports = listenPorts(t)
				}
				for _, p := range ports {
					pairs = append(pairs, MatrixRow{From: friendly(f), To: friendly(t), Port: p})
				}
			}
		}
	}
	var m matrix
	for _, p := range pairs {
		row := MatrixRow{From: p.From, To: p.To, Port: p.Port}
		to := spec.Resolve(p.To)
		if spec.Resolve(p.From) == nil {
			row.Code, row.Reason = "NO_HOST", "no host "+p.From
			m.Rows = append(m.Rows, row)
			continue
		}
		// A target that is no host is a name the source resolves (an app's hostname, say),
		// as curl would; an address is taken as it is.
		target := p.To
		if to != nil {
			target = targetAddr(spec, to, p.Port).String()
		}
		row.Target = target
		probe := netspec.Probe{From: p.From, Kind: "tcp", Target: net.JoinHostPort(target, p.Port)}
		if p.Port == "icmp" {
			probe = netspec.Probe{From: p.From, Kind: "icmp", Target: target}
		}
		c, err := l.Check(r.Context(), probe)
		if err != nil {
			row.Code, row.Reason = "ERROR", err.Error()
		} else {
			row.Reachable, row.Agree, row.Code = c.Result.OK, c.Agree, orCode(c.Verdict.Explanation, c.Verdict.Code)
			if !c.Verdict.Reachable {
				row.Reason = c.Verdict.Reason
			}
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

func matrixCmd() *cobra.Command {
	var from, to, ports, expect, format string
	cmd := &cobra.Command{
		Use:   "matrix [--from SEL] [--to SEL] [--ports P,…] [--expect FILE]",
		Short: "Check every pair of hosts with real packets: who reaches whom, and why not",
		Long: `Check reachability between every pair of hosts with real packets (ping-all, with reasons).
SEL is a comma-separated list of host kinds (instance, dyno, app-router, data, office-host,
internet-host, vpc-router…), names, aliases or globs (test-vpn-compute/*); by default from
instances, dynos, office and internet hosts to those and app routers and data services.
--ports lists TCP ports or "icmp"; by default each target is checked on the ports it listens on.

--expect FILE checks only the pairs the file lists and prints where the result differs, with
exit code 1 on any difference. The file is the JSON this command prints, or lines of
"FROM TO PORT reachable|blocked" (# comments allowed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			req := matrixRequest{From: from, To: to}
			if ports != "" {
				req.Ports = strings.Split(ports, ",")
			}
			var want []MatrixRow
			if expect != "" {
				var err error
				if want, err = readExpect(expect); err != nil {
					return err
				}
				req.Pairs = want
			}
			b, _ := json.Marshal(req)
			resp, err := control(st).Post("http://spacelab/matrix", "application/json", bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("matrix: %w", err)
			}
			defer resp.Body.Close()
			var m matrix
			if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
				return fmt.Errorf("matrix: %w", err)
			}
			if m.Error != "" {
				return fmt.Errorf("matrix: %s", m.Error)
			}
			if format == "json" {
				if err := printJSON(m); err != nil {
					return err
				}
			} else {
				writeMatrix(os.Stdout, m.Rows)
			}
			if expect == "" {
				return nil
			}
			diffs := 0
			for i, w := range want {
				got := m.Rows[i]
				if got.Reachable != w.Reachable {
					if diffs == 0 {
						fmt.Fprintln(os.Stderr, "\ndifferences from", expect+":")
					}
					diffs++
					fmt.Fprintf(os.Stderr, "  %s → %s %s: expected %s, got %s", w.From, w.To, w.Port, reach(w.Reachable), reach(got.Reachable))
					if got.Code != "" {
						fmt.Fprintf(os.Stderr, " (%s: %s)", got.Code, got.Reason)
					}
					fmt.Fprintln(os.Stderr)
				}
			}
			if diffs > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d pair(s) differ from %s", diffs, expect)}
			}
			fmt.Fprintf(os.Stderr, "\nall %d pairs as %s expects\n", len(want), expect)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "sources (kinds, names, aliases or globs, comma-separated)")
	f.StringVar(&to, "to", "", "targets (likewise)")
	f.StringVar(&ports, "ports", "", `TCP ports or "icmp", comma-separated (default: what each target listens on)`)
	f.StringVar(&expect, "expect", "", "expected matrix (JSON or FROM TO PORT reachable|blocked lines); exit 1 on any difference")
	f.StringVar(&format, "format", "text", "text or json")
	return cmd
}

func reach(ok bool) string {
	if ok {
		return "reachable"
	}
	return "blocked"
}

func writeMatrix(w io.Writer, rows []MatrixRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FROM\tTO\tPORT\tRESULT\tCODE\tWHY")
	for _, r := range rows {
		res := reach(r.Reachable)
		if !r.Agree && r.Code != "NO_HOST" && r.Code != "ERROR" {
			res += " (MODEL DISAGREES)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.From, r.To, r.Port, res, r.Code, r.Reason)
	}
	tw.Flush()
}

// readExpect reads an expected matrix: this command's JSON, or "FROM TO PORT reachable|blocked" lines.
func readExpect(file string) ([]MatrixRow, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m matrix
		if err := json.Unmarshal(t, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return m.Rows, nil
	}
	var out []MatrixRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 || (f[3] != "reachable" && f[3] != "blocked") {
			return nil, fmt.Errorf("%s:%d: want FROM TO PORT reachable|blocked, got %q", file, n, sc.Text())
		}
		out = append(out, MatrixRow{From: f[0], To: f[1], Port: f[2], Reachable: f[3] == "reachable"})
	}
	return out, sc.Err()
}

func orCode(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
