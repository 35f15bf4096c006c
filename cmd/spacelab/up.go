package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/internal/apiserver"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/topology"
)

// Default API addresses of `spacelab up`. The heroku CLI accepts only 127.0.0.1 or localhost.
const (
	defaultHerokuAddr = "127.0.0.1:5400"
	defaultAWSAddr    = "127.0.0.1:5401"
)

func upCmd() *cobra.Command {
	var topoFile, envFile, herokuAddr, awsAddr, token string
	var debug, listenAny bool
	var container containerFlags
	var detach bool // up --detach
	var seed uint64 // up --seed
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run the emulator in the foreground and print the environment for the heroku and aws clients",
		Long: `Run the emulator in the foreground: the fake Heroku Platform API and fake AWS EC2/STS API on
127.0.0.1, and the data plane behind them. When ready it prints "export" lines (also written to
the env file) that point the real heroku CLI (fully offline) and the AWS CLI / SDKs at it.
Debian's AWS CLI 2.9 ignores AWS_ENDPOINT_URL: run it as aws --endpoint-url "$AWS_ENDPOINT_URL" ….
Stop it with Ctrl-C or "spacelab down".

With --detach it returns once the data plane is ready and leaves the emulator running in the
background (its log in the state directory); "spacelab env" prints the export lines again.
Port 0 (--heroku-listen 127.0.0.1:0) picks a free port; the export lines say which. Each state
directory (SPACELAB_STATE_DIR) holds one running emulator, so several run side by side with
distinct state directories and ports. --seed N makes the generated resource ids (pcx-…, rtb-…,
rules, UUIDs) the same on every run that makes the same API calls.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkListen([]listenAddr{{"heroku-listen", herokuAddr}, {"aws-listen", awsAddr}}, listenAny, os.Stderr); err != nil {
				return err
			}
			return runUp(upOptions{topoFile: topoFile, envFile: envFile, herokuAddr: herokuAddr, awsAddr: awsAddr, token: token,
				debug: debug, detach: detach, seed: seed, container: container})
		},
	}
	f := cmd.Flags()
	f.StringVar(&topoFile, "topology", "", "`NAME|FILE`: a built-in topology by name (\"spacelab topologies\" lists them) or a topology file (default: the built-in \"default\", the Private Space Peering world)")
	cmd.RegisterFlagCompletionFunc("topology", completeTopologies)
	f.StringVar(&envFile, "env-file", "", "also write the export lines to this file")
	f.StringVar(&herokuAddr, "heroku-listen", defaultHerokuAddr, "address of the fake Heroku API (127.0.0.1 or localhost only)")
	f.StringVar(&awsAddr, "aws-listen", defaultAWSAddr, "address of the fake AWS API (loopback only)")
	f.BoolVar(&listenAny, "listen-any", false, "allow API listen addresses outside loopback (reachable from other machines)")
	f.StringVar(&token, "token", "", "Heroku API token to accept (default: generated)")
	f.BoolVar(&debug, "debug", false, "log everything")
	container.register(cmd)
	f.BoolVar(&detach, "detach", false, "return when ready and leave the emulator running in the background")
	f.Uint64Var(&seed, "seed", 0, "seed for generated resource ids: the same N gives the same ids on every run (0: random)")
	return cmd
}

// upOptions are the settings of `spacelab up`; `spacelab lab start` runs the emulator the same
// way, adding its own control endpoints and printing its tasks when ready.
type upOptions struct {
	topoFile, envFile, herokuAddr, awsAddr, token string
	debug, detach                                 bool
	seed                                          uint64
	container                                     containerFlags
	// control, if set, adds endpoints to the control socket.
	control func(mux *http.ServeMux, l *lab.Lab)
	// ready, if set, runs once the emulator is up and its environment printed.
	ready func(l *lab.Lab, st lab.State)
	// restart, if set, stops the emulator when it is closed or receives; runUp then
	// returns errRestart.
	restart <-chan struct{}
}

// errRestart is runUp's answer when it stopped for a restart.
var errRestart = errors.New("restart requested")

// runUp runs the emulator in the foreground until interrupted or `spacelab down`.
func runUp(o upOptions) error {
	top, err := topology.Load(o.topoFile)
	if err != nil {
		return err
	}
	if err := o.container.isolate(); err != nil {
		return err
	}
	takeReadyPipe()
	st := lab.DefaultState()
	if o.detach && readyPipe == nil {
		return detachUp(st)
	}
	release, err := st.Lock()
	if err != nil {
		return err
	}
	defer release()
	st.RecordPID("up", os.Getpid())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	l, err := lab.Start(ctx, lab.Options{Topology: top, HerokuAddr: o.herokuAddr, AWSAddr: o.awsAddr,
		HerokuToken: o.token, Dir: st.Dir, Logger: logger(o.debug), Debug: o.debug, Seed: o.seed, Version: version})
	if err != nil {
		return explainStartError(err, o.herokuAddr, o.awsAddr)
	}
	defer l.Close()
	st.RecordPID("sandbox", l.Sandbox.Pid())
	clientDir := st.ClientDir()
	if o.container.clientDir != "" {
		clientDir = o.container.clientDir
	}
	env, err := l.Env(clientDir)
	if err != nil {
		return err
	}
	env = o.container.env(env, l.HerokuURL, l.AWSURL)
	exports := lab.ShellExports(append([]string{"SPACELAB_STATE_DIR=" + st.Dir}, env...))
	files := []string{st.EnvFile()}
	if o.envFile != "" {
		files = append(files, o.envFile)
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte(exports), 0o600); err != nil {
			return err
		}
	}
	if err := st.RecordOwnedFiles(files...); err != nil {
		return err
	}
	ctl, err := serveControl(st.ControlSocket(), l, o.control)
	if err != nil {
		return err
	}
	defer ctl.Close()
	fmt.Print(exports)
	fmt.Fprintf(os.Stderr, "# spacelab is up (ready in %s): Heroku API %s, AWS API %s\n", l.ReadyIn.Round(time.Millisecond), l.HerokuURL, l.AWSURL)
	for _, h := range upHints(l, files[len(files)-1], readyPipe != nil) {
		fmt.Fprintln(os.Stderr, "# "+h)
	}
	if o.ready != nil {
		o.ready(l, st)
	}
	if err := signalReady(exports); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-o.restart:
		fmt.Fprintln(os.Stderr, "# spacelab: restarting")
		return errRestart
	case <-l.Sandbox.Done():
		return errors.New("the sandbox process died (spacelab up --debug shows its log; spacelab doctor checks what this machine allows)")
	}
	fmt.Fprintln(os.Stderr, "# spacelab: stopping")
	return nil
}

// serveControl answers the CLI's own requests on a Unix socket: POST /sync (wait until the data
// plane matches the APIs), GET /status, and what check, capture, logs and extra add.
func serveControl(path string, l *lab.Lab, extra func(*http.ServeMux, *lab.Lab)) (*http.Server, error) {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sync", func(w http.ResponseWriter, r *http.Request) {
		if err := l.Sync(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(status(l))
	})
	seeWhyRoutes(mux, l)
	logsControl(mux, l)
	faultRoutes(mux, l)
	if extra != nil {
		extra(mux, l)
	}
	srv := apiserver.New(mux, apiserver.Limits{ReadHeader: 10 * time.Second, Idle: 120 * time.Second}, nil)
	go srv.Serve(ln)
	return srv, nil
}

// Status is what `spacelab status` shows.
type Status struct {
	HerokuURL  string          `json:"heroku_url"`
	AWSURL     string          `json:"aws_url"`
	Generation uint64          `json:"generation"`
	Hosts      int             `json:"hosts"`
	Peerings   []PeeringStatus `json:"peerings"`
	Routes     []RouteStatus   `json:"routes"`
	VPNs       []VPNStatus     `json:"vpn_connections"`
	// FailedHosts are hosts the data plane could not make match the model (it closed them).
	FailedHosts []emulator.HostFailure `json:"failed_hosts,omitempty"`
	// Faults are the active faults (topology and spacelab fault) and what they have done.
	Faults []lab.Fault `json:"faults,omitempty"`
}

// VPNStatus is one tunnel of a Private Space VPN connection.
type VPNStatus struct {
	Space   string `json:"space"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Tunnel  string `json:"tunnel"`
	Peer    string `json:"customer_gateway"`
	State   string `json:"state"`
	Message string `json:"message"`
}

// PeeringStatus is one peering connection.
type PeeringStatus struct {
	ID        string `json:"id"`
	Requester string `json:"requester"`
	Accepter  string `json:"accepter"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

// RouteStatus is one non-local route.
type RouteStatus struct {
	Table  string `json:"route_table"`
	VPC    string `json:"vpc"`
	Dst    string `json:"destination"`
	Target string `json:"target"`
	State  string `json:"state"`
}

func status(l *lab.Lab) Status {
	s := Status{HerokuURL: l.HerokuURL, AWSURL: l.AWSURL, Faults: l.ListFaults(context.Background())}
	if spec := l.Reconciler.Spec(); spec != nil {
		s.Hosts = len(spec.Hosts)
	}
	s.FailedHosts = l.Reconciler.Diverged()
	l.World.View(func(tx *emulator.Tx) error {
		s.Generation = tx.Generation()
		for _, p := range tx.Peerings() {
			s.Peerings = append(s.Peerings, PeeringStatus{ID: p.ID,
				Requester: p.Requester.VPCID + " (" + p.Requester.Account + ", " + p.Requester.Region + ")",
				Accepter:  p.Accepter.VPCID + " (" + p.Accepter.Account + ", " + p.Accepter.Region + ")",
				Status:    p.Status(tx.Now()), Message: p.StatusMessage(tx.Now())})
		}
		for _, sp := range tx.Spaces() {
			for _, v := range tx.VPNConnections(sp.ID) {
				for _, t := range v.Tunnels {
					s.VPNs = append(s.VPNs, VPNStatus{Space: sp.Name, Name: v.Name, Status: v.Status(tx.Now()), Tunnel: t.IP.String(),
						Peer: v.PublicIP.String(), State: t.Status, Message: t.StatusMessage})
				}
			}
		}
		for _, v := range tx.VpnConnections() { // AWS Site-to-Site VPN: VPC/vpn-…
			if g := tx.VpnGateway(v.VpnGatewayID); g != nil && v.State != emulator.VPNConnDeleted {
				for _, t := range v.Tunnels {
					s.VPNs = append(s.VPNs, VPNStatus{Space: g.VPCID, Name: v.ID, Status: v.State, Tunnel: t.IP.String(),
						Peer: t.CustomerIP.String(), State: t.Status, Message: t.StatusMessage})
				}
			}
		}
		for _, rt := range tx.RouteTables() {
			for _, r := range append(append([]*emulator.Route(nil), rt.Routes...), tx.PropagatedRoutes(rt)...) {
				s.Routes = append(s.Routes, RouteStatus{Table: rt.ID, VPC: rt.VPCID, Dst: r.Dst.String(), Target: r.Target, State: tx.RouteState(rt, r)})
			}
		}
		return nil
	})
	sort.Slice(s.Routes, func(i, j int) bool { return s.Routes[i].Table+s.Routes[i].Dst < s.Routes[j].Table+s.Routes[j].Dst })
	return s
}
