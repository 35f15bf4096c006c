// Package lab assembles a running emulator: the model (emulator.World) loaded from a topology,
// the data plane (a netns sandbox kept converged by a render.Reconciler), and the two fake
// APIs listening on 127.0.0.1. It is what `spacelab up` runs and what Go tests start:
//
//	l := labtest.Start(t)                 // or lab.Start(ctx, lab.Options{})
//	cfg, _ := l.AWSConfig(ctx, "")        // aws-sdk-go-v2 pointed at the fake EC2/STS
//	heroku := l.HerokuClient()            // heroku-go v5 at l.HerokuURL with l.HerokuToken
//	res, _ := l.Check(ctx, netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"})
//
// Check runs a probe with real packets and explains the outcome from the model; the two must
// agree, and the result says so. Both API ports also answer GET /_spacelab/health (HealthPath):
// 200 when the data plane has converged to everything the APIs did, 503 with the reason when not;
// POST /_spacelab/reset (ResetPath, Lab.Reset) puts model and data plane back to the topology.
package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/fakeaws"
	"github.com/spacelab-dev/spacelab/fakeheroku"
	"github.com/spacelab-dev/spacelab/faults"
	"github.com/spacelab-dev/spacelab/internal/apiserver"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// Options configure Start.
type Options struct {
	// Topology to load; nil means the built-in default.
	Topology *topology.Topology
	// HerokuAddr and AWSAddr are the API listen addresses; empty means 127.0.0.1 on a free port.
	// The heroku CLI only accepts 127.0.0.1 or localhost.
	HerokuAddr string
	AWSAddr    string
	// HerokuToken is the API token of the topology's first Heroku user when the topology sets
	// none; empty generates one.
	HerokuToken string
	// Dir holds the sandbox's sockets; empty means a temporary directory.
	Dir string
	// Logger receives everything's events; nil discards them.
	Logger *slog.Logger
	// Debug turns on the sandbox's debug logs.
	Debug bool
	// Seed makes generated ids deterministic when non-zero.
	Seed uint64
	// Now is the model's clock; nil means time.Now.
	Now func() time.Time
	// Version is what the health endpoint reports; empty means the module's version.
	Version string
}

// Lab is a running emulator.
type Lab struct {
	World      *emulator.World
	Reconciler *render.Reconciler
	Sandbox    *netns.Sandbox
	Topology   *topology.Topology
	// Faults are the topology's API faults (see package faults), with what they have done.
	Faults *faults.API
	// Clock is the model's time; AdvanceClock moves it.
	Clock *Clock

	// HerokuURL is the fake Platform API (http://127.0.0.1:PORT), AWSURL the fake EC2/STS endpoint.
	HerokuURL string
	AWSURL    string
	// HerokuToken authenticates as the first Heroku user.
	HerokuToken string
	// ReadyIn is how long Start took until the data plane first converged and the APIs listened,
	// and Phases splits it: building the model, starting the sandbox, the first convergence.
	ReadyIn time.Duration
	Phases  map[string]time.Duration

	log     *slog.Logger
	servers []*http.Server
	cancel  context.CancelFunc
	runDone chan struct{}
	once    sync.Once
	version string
	closing atomic.Bool
	initial emulator.Checkpoint // the model as the topology made it (Reset)

	faultSet faultSet // data-plane and dyno faults (faults.go)
}

// Start builds the world, starts the sandbox and converges it, then opens the APIs.
func Start(ctx context.Context, o Options) (*Lab, error) {
	start := time.Now()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	top := o.Topology
	if top == nil {
		top = topology.Default()
	}
	clock := NewClock(o.Now)
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: o.Seed, Now: clock.Now, Logger: log, PublicDNS: top.PublicDNS}))
	token := o.HerokuToken
	if token == "" {
		token = randomToken()
	}
	first := true
	if err := top.Apply(w, func(string) string {
		if first {
			first = false
			return token
		}
		return randomToken()
	}); err != nil {
		return nil, err
	}
	initial := w.Checkpoint()
	if len(top.Users) > 0 && top.Users[0].Token != "" {
		token = top.Users[0].Token
	}
	modelDone := time.Now()
	sb, err := netns.Start(ctx, netns.Options{Dir: o.Dir, Logger: log, Debug: o.Debug})
	if err != nil {
		return nil, err
	}
	sandboxDone := time.Now()
	l := &Lab{World: w, Sandbox: sb, Topology: top, Clock: clock, HerokuToken: token, log: log.With("component", "lab"), runDone: make(chan struct{}), version: o.Version, initial: initial}
	if l.version == "" {
		l.version = moduleVersion()
	}
	if l.Faults, err = faults.NewAPI(top.FaultSeed, l.topologyAPIFaults()...); err != nil {
		sb.Close()
		return nil, fmt.Errorf("lab: %w", err)
	}
	l.Reconciler = &render.Reconciler{World: w, Dataplane: sb, Logger: log}
	if err := l.Reconciler.Sync(ctx); err != nil {
		sb.Close()
		return nil, fmt.Errorf("lab: first convergence: %w", err)
	}
	if err := l.startFaults(ctx); err != nil {
		sb.Close()
		return nil, err
	}
	l.Phases = map[string]time.Duration{"model": modelDone.Sub(start), "sandbox": sandboxDone.Sub(modelDone), "converge": time.Since(sandboxDone)}
	herokuL, err := listen(o.HerokuAddr)
	if err != nil {
		sb.Close()
		return nil, err
	}
	awsL, err := listen(o.AWSAddr)
	if err != nil {
		herokuL.Close()
		sb.Close()
		return nil, err
	}
	l.HerokuURL = "http://" + herokuL.Addr().String()
	l.AWSURL = "http://" + awsL.Addr().String()
	for _, s := range []struct {
		l net.Listener
		h http.Handler
	}{
		{herokuL, l.withHealth(&fakeheroku.Server{World: w, Logger: log, Fault: l.Faults.Heroku, Logs: l})},
		{awsL, l.withHealth(&fakeaws.Server{World: w, Logger: log, Inject: l.Faults.AWS})},
	} {
		srv := apiserver.New(s.h, apiserver.APILimits, log)
		l.servers = append(l.servers, srv)
		go srv.Serve(s.l)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() {
		defer close(l.runDone)
		go l.watchTunnels(runCtx)
		go l.watchDynoBoot(runCtx)
		l.Reconciler.Run(runCtx)
	}()
	l.ReadyIn = time.Since(start)
	l.log.Info("ready", "heroku", l.HerokuURL, "aws", l.AWSURL, "took", l.ReadyIn,
		"model", l.Phases["model"], "sandbox", l.Phases["sandbox"], "converge", l.Phases["converge"])
	return l, nil
}

func listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	return l, nil
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "spacelab-" + hex.EncodeToString(b)
}

// Close stops the APIs, the reconciler and the sandbox; nothing of the lab remains.
func (l *Lab) Close() error {
	l.once.Do(func() {
		l.closing.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, s := range l.servers {
			s.Shutdown(ctx)
		}
		l.cancel()
		<-l.runDone
		l.Sandbox.Close()
	})
	return nil
}

// Sync waits until the data plane matches everything the APIs have done so far.
func (l *Lab) Sync(ctx context.Context) error { return l.Reconciler.Sync(ctx) }

// Probe syncs, then runs a probe with real packets.
func (l *Lab) Probe(ctx context.Context, p netspec.Probe) (netspec.ProbeResult, error) {
	if err := l.Sync(ctx); err != nil {
		return netspec.ProbeResult{}, err
	}
	return l.Sandbox.Probe(ctx, p)
}

// ErrNoSuchHost is returned for probes and commands naming a host the lab does not have.
var ErrNoSuchHost = errors.New("lab: no such host")
