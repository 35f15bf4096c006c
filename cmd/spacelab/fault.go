package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/faults"
	"github.com/spacelab-dev/spacelab/lab"
)

// faultReply is the answer of the control socket's /faults routes.
type faultReply struct {
	Faults []lab.Fault `json:"faults,omitempty"`
	Fault  *lab.Fault  `json:"fault,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// faultRoutes serves GET /faults, POST /faults (a lab.FaultSpec) and DELETE /faults[/{id}].
func faultRoutes(mux *http.ServeMux, l *lab.Lab) {
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, faultReply{Faults: l.ListFaults(r.Context())})
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var s lab.FaultSpec
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
			writeJSON(w, http.StatusBadRequest, faultReply{Error: "bad request: " + err.Error()})
			return
		}
		f, err := l.AddFault(r.Context(), s)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, faultReply{Error: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, faultReply{Fault: &f})
	})
	clear := func(w http.ResponseWriter, r *http.Request) {
		err := l.ClearFault(r.Context(), r.PathValue("id"))
		switch {
		case errors.Is(err, lab.ErrNoSuchFault):
			writeJSON(w, http.StatusNotFound, faultReply{Error: err.Error()})
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, faultReply{Error: err.Error()})
		default:
			writeJSON(w, http.StatusOK, faultReply{Faults: l.ListFaults(r.Context())})
		}
	}
	mux.HandleFunc("DELETE /faults", clear)
	mux.HandleFunc("DELETE /faults/{id}", clear)
}

func faultCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fault list | add KIND … | clear [ID|--all]",
		Short: "Make the running emulator fail on purpose: packet loss, a VPN tunnel down, an API error, a dyno stopped",
		Long: `Faults for testing your own resilience, deterministic for the topology's faults.seed:

  spacelab fault add loss --from HOST --to HOST --percent 30   drop 30 of every 100 packets HOST→HOST
  spacelab fault add loss --host HOST --percent 100            drop what HOST sends
  spacelab fault add tunnel-flap --space S --vpn V --for 30s   VPN tunnels DOWN (reason "fault") for 30s
  spacelab fault add api-error --service aws --action CreateRoute --code RequestLimitExceeded --count 2
  spacelab fault add api-error --service heroku --action "GET /spaces/*" --code rate_limit --status 429
  spacelab fault add dyno-stop --app APP --dyno web.1          the dyno crashes until cleared or restarted
  spacelab fault list [--format json]
  spacelab fault clear ID | --all

Which packets a loss drops is drawn from the seed: the same seed, fault and traffic drop the same
packets. A delay holds every matching packet in the kernel's NFQUEUE while a relay in the sandbox
waits before letting it go (no netem needed):
  spacelab fault add delay --from HOST --to HOST --delay 200ms [--percent 10]
The topology's faults: section (links, tunnels, dynos, api) starts the same faults with up.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(faultListCmd(), faultAddCmd(), faultClearCmd())
	return cmd
}

func faultRequest(method, path string, body any) (faultReply, error) {
	st := lab.DefaultState()
	if err := requireRunning(st); err != nil {
		return faultReply{}, err
	}
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, "http://spacelab"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := control(st).Do(req)
	if err != nil {
		return faultReply{}, fmt.Errorf("fault: %w", err)
	}
	defer resp.Body.Close()
	var fr faultReply
	if err := json.NewDecoder(resp.Body).Decode(&fr); err != nil {
		return faultReply{}, fmt.Errorf("fault: %w", err)
	}
	if fr.Error != "" {
		return fr, errors.New(fr.Error)
	}
	return fr, nil
}

func faultListCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the active faults and what they did",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fr, err := faultRequest("GET", "/faults", nil)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(fr.Faults)
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			printFaults(tw, fr.Faults)
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

// printFaults writes the FAULT table of `fault list` and `status`.
func printFaults(tw *tabwriter.Writer, fs []lab.Fault) {
	fmt.Fprintln(tw, "FAULT\tKIND\tWHAT\tDONE")
	for _, f := range fs {
		done := ""
		switch {
		case f.APIStatus != nil:
			remaining := fmt.Sprint(f.APIStatus.Remaining, " left")
			if f.APIStatus.Remaining < 0 {
				remaining = "every call"
			}
			done = fmt.Sprintf("failed %d of %d calls, %s", f.APIStatus.Failed, f.APIStatus.Matched, remaining)
		case f.Kind == faults.KindDelay:
			done = fmt.Sprintf("%d packets held (or dropped)", f.Dropped)
		case f.Kind == faults.KindLoss || f.Kind == faults.KindTunnelFlap:
			done = fmt.Sprintf("%d packets dropped", f.Dropped)
			if f.Until != nil {
				done += ", until " + f.Until.UTC().Format("15:04:05")
			}
		case f.Kind == faults.KindDynoStop:
			done = "crashed (ps:restart or fault clear brings it back)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.ID, f.Kind, f.What, done)
	}
}

func faultAddCmd() *cobra.Command {
	var link faults.LinkRule
	var tun faults.TunnelRule
	var dyno faults.DynoRule
	var api faults.APIRule
	cmd := &cobra.Command{
		Use:   "add KIND",
		Short: "Add a fault: loss, delay, tunnel-flap, api-error or dyno-stop",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s := lab.FaultSpec{Kind: args[0]}
			switch args[0] {
			case faults.KindLoss, faults.KindDelay:
				s.Link = &link
			case faults.KindTunnelFlap:
				s.Tunnel = &tun
			case faults.KindDynoStop:
				s.Dyno = &dyno
			case faults.KindAPIError:
				s.API = &api
			default:
				return fmt.Errorf("fault: unknown kind %q (loss, delay, tunnel-flap, api-error, dyno-stop)", args[0])
			}
			fr, err := faultRequest("POST", "/faults", s)
			if err != nil {
				return err
			}
			fmt.Printf("%s\t%s\n", fr.Fault.ID, fr.Fault.What)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&link.From, "from", "", "loss: the sending host")
	f.StringVar(&link.To, "to", "", "loss: the receiving host")
	f.StringVar(&link.Host, "host", "", "loss: every packet the host sends")
	f.IntVar(&link.Loss, "percent", 0, "loss: share of packets dropped (1-100)")
	f.StringVar(&link.Delay, "delay", "", "delay: how long each packet waits (100ms, 1s)")
	f.StringVar(&tun.Space, "space", "", "tunnel-flap: the space")
	f.StringVar(&tun.VPN, "vpn", "", "tunnel-flap: the VPN connection's name")
	f.StringVar(&tun.For, "for", "", "tunnel-flap: how long (30s, 2m); empty: until cleared")
	f.StringVar(&dyno.App, "app", "", "dyno-stop: the app")
	f.StringVar(&dyno.Dyno, "dyno", "", "dyno-stop: the dyno (web.1)")
	f.StringVar(&api.Service, "service", "", "api-error: aws or heroku")
	f.StringVar(&api.Action, "action", "", `api-error: the EC2/STS action, or "METHOD /path" (* for a segment)`)
	f.StringVar(&api.Code, "code", "", "api-error: the AWS error code or Heroku error id")
	f.StringVar(&api.Message, "message", "", "api-error: the message")
	f.IntVar(&api.Status, "status", 0, "api-error: the HTTP status (default 400 aws, 503 heroku)")
	f.IntVar(&api.Count, "count", 0, "api-error: how many calls fail (0: every one)")
	return cmd
}

func faultClearCmd() *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "clear ID | --all",
		Short: "End a fault (or all of them)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) {
				return errors.New("fault clear: give a fault id or --all")
			}
			path := "/faults"
			if !all {
				path += "/" + strings.TrimSpace(args[0])
			}
			_, err := faultRequest("DELETE", path, nil)
			return err
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "end every fault")
	return cmd
}
