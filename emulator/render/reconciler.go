package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/netspec"
)

// Dataplane is what the reconciler drives: something that makes a network match a spec.
// netns.Sandbox is the real one; netnstest.Recorder records specs for tests.
type Dataplane interface {
	Apply(ctx context.Context, spec *netspec.Spec) error
}

// Reconciler keeps a Dataplane converged to the world: level-triggered, it renders the whole
// model after each change and applies it; applying is idempotent.
type Reconciler struct {
	World     *emulator.World
	Dataplane Dataplane
	Logger    *slog.Logger

	once    sync.Once
	mu      sync.Mutex // one reconcile at a time
	book    *addrBook
	applied uint64 // generation last applied successfully
	last    *netspec.Spec
	lastErr error
}

func (r *Reconciler) init() {
	r.once.Do(func() {
		r.book = newAddrBook()
		if r.Logger == nil {
			r.Logger = slog.New(slog.DiscardHandler)
		}
		r.Logger = r.Logger.With("component", "reconciler")
	})
}

// Sync brings the data plane up to the world's current generation and returns when it is
// there (or failed). Probes call it so they see what the APIs just configured.
func (r *Reconciler) Sync(ctx context.Context) error {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	gen := r.World.Generation()
	if r.last != nil && r.applied >= gen && r.lastErr == nil {
		return nil
	}
	var spec *netspec.Spec
	var owners map[string][]string
	r.World.View(func(tx *emulator.Tx) error {
		gen = tx.Generation()
		spec, owners = render(tx, r.book)
		return nil
	})
	start := time.Now()
	err := r.Dataplane.Apply(ctx, spec)
	r.last, r.lastErr = spec, err
	var ae *netspec.ApplyError
	if errors.As(err, &ae) {
		// The other hosts match the spec and the failed ones are closed: the data plane stands at gen.
		var failures []emulator.HostFailure
		for _, h := range ae.Hosts {
			failures = append(failures, emulator.HostFailure{Host: h.Host, Objects: owners[h.Host], Reason: h.Err})
		}
		r.World.ReportDataplane(gen, failures)
		r.Logger.Error("hosts diverged from the model (closed)", "generation", gen, "err", err)
		return &DivergedError{Failures: failures}
	}
	if err != nil {
		r.Logger.Error("apply failed", "generation", gen, "err", err)
		return err
	}
	r.World.ReportDataplane(gen, nil)
	r.applied = gen
	r.Logger.Debug("converged", "generation", gen, "hosts", len(spec.Hosts), "links", len(spec.Links), "took", time.Since(start))
	return nil
}

// Run reconciles after every change until ctx ends. A failed apply is retried with back-off.
func (r *Reconciler) Run(ctx context.Context) error {
	r.init()
	backoff := 100 * time.Millisecond
	for {
		r.mu.Lock()
		seen := r.applied
		failed := r.lastErr != nil
		r.mu.Unlock()
		wait := r.World.Changed(seen)
		if failed {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
		} else {
			backoff = 100 * time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-wait:
			}
		}
		if err := r.Sync(ctx); err != nil && errors.Is(err, context.Canceled) {
			return err
		}
	}
}

// Applied returns the generation the data plane last converged to, and the error of the last
// apply (nil when it succeeded). Converged means no error and a generation at the world's.
func (r *Reconciler) Applied() (uint64, error) {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied, r.lastErr
}

// Spec returns the last spec the reconciler applied (or tried to).
func (r *Reconciler) Spec() *netspec.Spec {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// Render returns the spec the world renders to now, without applying it.
func (r *Reconciler) Render() *netspec.Spec {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	var spec *netspec.Spec
	r.World.View(func(tx *emulator.Tx) error {
		spec, _ = render(tx, r.book)
		return nil
	})
	return spec
}

// Diverged returns the hosts the data plane could not make match the model at the last apply
// (it closed them). Empty when the network enforces the model.
func (r *Reconciler) Diverged() []emulator.HostFailure {
	var out []emulator.HostFailure
	r.World.View(func(tx *emulator.Tx) error {
		out = tx.DataplaneFailures()
		return nil
	})
	return out
}

// maxNamed is how many failed hosts an error message names; the rest are counted.
const maxNamed = 5

// DivergedError is a Sync whose data plane could not converge some hosts: the network does not
// do what the model says there (those hosts drop everything), so no check may trust it.
type DivergedError struct {
	Failures []emulator.HostFailure
}

func (e *DivergedError) Error() string {
	var b strings.Builder
	b.WriteString("the data plane has diverged from the model: ")
	for i, f := range e.Failures {
		if i == maxNamed {
			fmt.Fprintf(&b, "; and %d more hosts (spacelab status lists them)", len(e.Failures)-maxNamed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "host %s could not be converged (closed): %s", f.Host, f.Reason)
	}
	return b.String()
}
