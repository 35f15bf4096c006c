package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netspec"
)

// checkReply is POST /check's answer: the report, or why the check could not run.
type checkReply struct {
	Report *lab.Report `json:"report,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// seeWhyRoutes adds the control endpoints of check, matrix and graph to `spacelab up`.
func seeWhyRoutes(mux *http.ServeMux, l *lab.Lab) {
	mux.HandleFunc("POST /check", func(w http.ResponseWriter, r *http.Request) {
		var p netspec.Probe
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			writeJSON(w, http.StatusBadRequest, checkReply{Error: "bad probe: " + err.Error()})
			return
		}
		c, err := l.Check(r.Context(), p)
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, lab.ErrNoSuchHost) {
				status = http.StatusNotFound
			}
			writeJSON(w, status, checkReply{Error: err.Error()})
			return
		}
		rep := c.Report(l.Reconciler.Spec())
		writeJSON(w, http.StatusOK, checkReply{Report: &rep})
	})
	mux.HandleFunc("POST /matrix", func(w http.ResponseWriter, r *http.Request) {
		var req matrixRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, matrix{Error: "bad request: " + err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, runMatrix(l, r, req))
	})
	clockRoutes(mux, l)
	mux.HandleFunc("GET /graph", func(w http.ResponseWriter, r *http.Request) {
		if err := l.Sync(r.Context()); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, graphOf(l))
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// probeFor turns check's arguments into a probe: TARGET is a URL, a name or address, with
// :PORT for tcp, udp and http.
func probeFor(from, target, proto string) (netspec.Probe, error) {
	host, port, hasPort := target, "", false
	if !strings.Contains(target, "://") {
		if h, p, err := net.SplitHostPort(target); err == nil {
			host, port, hasPort = h, p, true
		}
	}
	if proto == "" {
		switch {
		case strings.Contains(target, "://"):
			proto = "http"
		case hasPort && port == "80":
			proto = "http"
		case hasPort:
			proto = "tcp"
		default:
			proto = "icmp"
		}
	}
	p := netspec.Probe{From: from, Kind: proto}
	switch proto {
	case "http":
		p.Target = target
		if !strings.Contains(target, "://") {
			p.Target = "http://" + target + "/"
		}
	case "tcp", "udp":
		if !hasPort {
			return p, fmt.Errorf("%s needs a port: spacelab check %s %s:PORT --proto %s", proto, from, target, proto)
		}
		p.Target = net.JoinHostPort(host, port)
	case "dns":
		p.Target = host
	case "icmp":
		p.Target = host
	default:
		return p, fmt.Errorf("unknown --proto %q (tcp, udp, icmp, http or dns)", proto)
	}
	return p, nil
}

// runCheck asks the running emulator to check one probe.
func runCheck(st lab.State, p netspec.Probe) (*lab.Report, error) {
	b, _ := json.Marshal(p)
	resp, err := control(st).Post("http://spacelab/check", "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var cr checkReply
	if err := json.Unmarshal(body, &cr); err != nil {
		return nil, fmt.Errorf("check: the emulator answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if cr.Error != "" {
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%s; `spacelab hosts` lists them", cr.Error)
		}
		return nil, errors.New(cr.Error)
	}
	return cr.Report, nil
}

func checkCmd() *cobra.Command {
	var proto, format string
	cmd := &cobra.Command{
		Use:   "check FROM TARGET[:PORT]",
		Short: "Check a path with real packets and show it hop by hop, with where and why it stops",
		Long: `Send real packets from host FROM to TARGET in the running emulator, and show the flow (after
name resolution), the path as the model sees it hop by hop (instances, security groups, network
ACLs, route tables, peerings, gateways, routers, tunnels, dynos), where it stops with an
explanation code (docs/explanation-codes.md), the reply's way back, and whether the packets
agreed with the model.

TARGET is an address or name (ping), NAME:PORT (tcp; http for port 80), or a URL (http).
--proto tcp|udp|icmp|http|dns chooses explicitly. Exit code: 0 reachable, 1 blocked, 2 the
model and the packets disagree (a bug in spacelab), 3 the check could not run.`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeTwoHosts,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return &exitError{code: 3, msg: err.Error()}
			}
			p, err := probeFor(args[0], args[1], proto)
			if err != nil {
				return &exitError{code: 3, msg: err.Error()}
			}
			rep, err := runCheck(st, p)
			if err != nil {
				return &exitError{code: 3, msg: err.Error()}
			}
			switch format {
			case "json":
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				enc.Encode(rep)
			case "text", "":
				rep.Write(os.Stdout)
			default:
				return &exitError{code: 3, msg: fmt.Sprintf("unknown --format %q (text or json)", format)}
			}
			return checkExit(rep)
		},
	}
	cmd.Flags().StringVar(&proto, "proto", "", "tcp, udp, icmp, http or dns (default: from TARGET)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// checkExit is check's exit status: 0 reachable, 1 blocked, 2 the model disagrees.
func checkExit(r *lab.Report) error {
	switch {
	case !r.Agree:
		return &exitError{code: 2}
	case !r.Reachable:
		return &exitError{code: 1}
	}
	return nil
}
