package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netns"
)

// control talks to the running `spacelab up` over its Unix socket.
func control(st lab.State) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", st.ControlSocket())
	}}, Timeout: 60 * time.Second}
}

func requireRunning(st lab.State) error {
	if st.Running() == 0 {
		return notRunning(st)
	}
	return nil
}

func execCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exec HOST -- CMD [ARG...]",
		Short: "Run a program inside a host of the running emulator",
		Long: `Run a real program (curl, dig, ping, a shell…) inside a host, with this terminal's stdin,
stdout and stderr. HOST is an instance id or host name (ip-172-16-0-8), a dyno as APP/DYNO
(test-vpn-compute/web.1), or any name "spacelab hosts" lists. The exit code is the program's.`,
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: completeHosts,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			if cmd.ArgsLenAtDash() != 1 {
				return errors.New("usage: spacelab exec HOST -- CMD [ARG...]: put -- between the host and the command")
			}
			host, argv := args[0], args[1:]
			// Wait until the data plane shows what the APIs did so far.
			resp, err := control(st).Post("http://spacelab/sync", "", nil)
			if err != nil {
				return fmt.Errorf("waiting for the data plane of the spacelab up in %s: %w", st.Dir, err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				// A diverged world: the host may not do what the model says; say which and why.
				return fmt.Errorf("not running %s in %s: %s", argv[0], host, strings.TrimSpace(string(msg)))
			}
			wd, _ := os.Getwd()
			code, err := netns.Exec(context.Background(), st.SandboxSocket(),
				netns.ExecRequest{Host: host, Argv: argv, Dir: wd, Env: passEnv()},
				os.Stdin, os.Stdout, os.Stderr, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGWINCH)
			if err != nil {
				if errors.Is(err, netns.ErrNoHost) {
					return fmt.Errorf("no host %q; `spacelab hosts` lists them", host)
				}
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	return cmd
}

// passEnv forwards the terminal settings a program inside needs to draw itself.
func passEnv() []string {
	var out []string
	for _, k := range []string{"TERM", "COLORTERM", "LANG", "LC_ALL", "COLUMNS", "LINES"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func hostsCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "List the hosts of the running emulator",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			hs, err := netns.ListHosts(st.SandboxSocket())
			if err != nil {
				return err
			}
			if format == "json" {
				return printJSON(hostsJSON(hs))
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tADDRESSES\tALSO KNOWN AS")
			for _, h := range hs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Name, h.Kind, strings.Join(h.Addrs, ","), strings.Join(h.Aliases, ", "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

func statusCmd() *cobra.Command {
	var asJSON bool
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running emulator's peerings, VPN tunnels and routes, with their states and why",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st := lab.DefaultState()
			if err := requireRunning(st); err != nil {
				return err
			}
			resp, err := control(st).Get("http://spacelab/status")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var s Status
			if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
				return err
			}
			if asJSON || format == "json" {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			}
			fmt.Printf("Heroku API %s   AWS API %s   hosts %d   generation %d\n\n", s.HerokuURL, s.AWSURL, s.Hosts, s.Generation)
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			if len(s.FailedHosts) > 0 {
				fmt.Fprintln(tw, "FAILED HOST (closed: drops all traffic)\tOBJECTS\tWHY")
				for _, f := range s.FailedHosts {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Host, strings.Join(f.Objects, ","), f.Reason)
				}
				fmt.Fprintln(tw)
			}
			fmt.Fprintln(tw, "PEERING\tREQUESTER\tACCEPTER\tSTATUS\tMESSAGE")
			for _, p := range s.Peerings {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.Requester, p.Accepter, p.Status, p.Message)
			}
			if len(s.VPNs) > 0 {
				fmt.Fprintln(tw, "\nVPN\tSTATUS\tTUNNEL → CUSTOMER GATEWAY\tSTATE\tMESSAGE")
				for _, v := range s.VPNs {
					fmt.Fprintf(tw, "%s/%s\t%s\t%s → %s\t%s\t%s\n", v.Space, v.Name, v.Status, v.Tunnel, v.Peer, v.State, v.Message)
				}
			}
			if len(s.Faults) > 0 {
				fmt.Fprintln(tw)
				printFaults(tw, s.Faults)
			}
			fmt.Fprintln(tw, "\nROUTE TABLE\tVPC\tDESTINATION\tTARGET\tSTATE")
			for _, r := range s.Routes {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Table, r.VPC, r.Dst, r.Target, r.State)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (same as --format json)")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}

func downCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop a running `spacelab up` and remove everything it made (also after a kill -9)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			did, err := lab.DefaultState().Down(10 * time.Second)
			for _, d := range did {
				fmt.Fprintln(os.Stderr, "spacelab down:", d)
			}
			if len(did) == 0 {
				fmt.Fprintf(os.Stderr, "spacelab down: nothing was running in %s%s\n", lab.DefaultState().Dir, stateDirSource())
			}
			return err
		},
	}
}
