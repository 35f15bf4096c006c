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

// DeltaDataplane is a Dataplane that can also apply a change by host (netns.Sandbox): d is
// made against the spec the last Apply or ApplyDelta on it installed. ErrStale-like refusals
// and any other error make the reconciler apply the whole spec next.
type DeltaDataplane interface {
	Dataplane
	ApplyDelta(ctx context.Context, d *netspec.Delta) error
}

// DefaultFullEvery is how often Run reconciles in full when FullEvery is zero.
const DefaultFullEvery = time.Minute

// Reconciler keeps a Dataplane converged to the world. Cost follows the change:
//   - an Update that changes nothing the data plane sees (World.NetworkGeneration did not move:
//     tags, descriptions) renders and applies nothing;
//   - otherwise the model is rendered and compared with the last spec applied, host by host; a
//     DeltaDataplane gets only the hosts and links that differ (netspec.Delta), and applies
//     only those;
//   - level-triggered correctness stays: the first Sync, any Sync after a failure, Resync and
//     Run every FullEvery apply the whole spec, which the data plane diffs against everything
//     it has.
type Reconciler struct {
	World     *emulator.World
	Dataplane Dataplane
	Logger    *slog.Logger
	// FullEvery is how often Run reconciles in full; zero means DefaultFullEvery, negative never.
	FullEvery time.Duration

	once       sync.Once
	mu         sync.Mutex // one reconcile at a time
	book       *addrBook
	applied    uint64 // generation last applied successfully
	appliedNet uint64 // network generation of that apply
	last       *netspec.Spec
	state      *renderState // what rendering last gave, for the next partial render
	lastErr    error
	stats      Stats
}

// Stats count what the reconciler did, for tests and benchmarks.
type Stats struct {
	Skipped int // syncs after model-only changes: nothing rendered
	Renders int
	Partial int // renders that took the hosts the change does not affect from the last one
	Reused  int // hosts those renders took from the last render
	Full    int // whole specs applied
	Deltas  int // deltas applied (empty deltas are not sent)
	Hosts   int // hosts sent in deltas
}

// Stats returns the counts so far.
func (r *Reconciler) Stats() Stats {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
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
	return r.sync(ctx, false)
}

// Resync renders the whole model and applies the whole spec, whatever changed: the data plane
// compares every host with what it has (level-triggered), so anything that drifted converges.
func (r *Reconciler) Resync(ctx context.Context) error {
	return r.sync(ctx, true)
}

func (r *Reconciler) sync(ctx context.Context, full bool) error {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	gen := r.World.Generation()
	ok := r.last != nil && r.lastErr == nil
	if !full && ok && r.applied >= gen {
		return nil
	}
	if !full && ok && r.World.NetworkGeneration() <= r.appliedNet {
		// Only the model changed (tags, descriptions): the network stands as it is.
		r.stats.Skipped++
		r.World.ReportDataplane(gen, nil)
		r.applied = gen
		return nil
	}
	var spec *netspec.Spec
	var owners map[string][]string
	var netGen uint64
	var state *renderState
	partly := false
	r.World.View(func(tx *emulator.Tx) error {
		gen, netGen = tx.Generation(), tx.NetworkGeneration()
		var p *partial
		if !full && ok && r.state != nil {
			// Only the hosts the changes since the last apply affect (partial.go).
			if what, known := tx.NetworkChanges(r.appliedNet); known {
				if dirty := affected(tx, what); dirty != nil {
					p = &partial{dirty: dirty, last: r.state}
				}
			}
		}
		var before *addrBook
		if p != nil && checkingPartial() {
			before = r.book.clone()
		}
		spec, owners, state = renderUnsorted(tx, r.book, p)
		if before != nil {
			spec.Sort()
			mustEqualFull(tx, before, r.book, spec, owners)
		}
		partly = p != nil
		return nil
	})
	spec.Sort() // outside the world's lock (sorting again a sorted spec is cheap)
	r.state = state
	r.stats.Renders++
	if partly {
		r.stats.Partial++
		r.stats.Reused += state.reused
	}
	start := time.Now()
	var err error
	dd, canDelta := r.Dataplane.(DeltaDataplane)
	if !full && ok && canDelta {
		d := netspec.Diff(r.last, spec)
		if !d.Empty() {
			r.stats.Deltas++
			r.stats.Hosts += len(d.Hosts)
			err = dd.ApplyDelta(ctx, d)
			if err != nil && !errors.As(err, new(*netspec.ApplyError)) && ctx.Err() == nil {
				r.Logger.Debug("delta refused, applying the whole spec", "generation", gen, "err", err)
				r.stats.Full++
				err = r.Dataplane.Apply(ctx, spec)
			}
		}
	} else {
		r.stats.Full++
		err = r.Dataplane.Apply(ctx, spec)
	}
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
	r.applied, r.appliedNet = gen, netGen
	r.Logger.Debug("converged", "generation", gen, "hosts", len(spec.Hosts), "links", len(spec.Links), "took", time.Since(start))
	return nil
}

// Run reconciles after every change until ctx ends, and in full every FullEvery. A failed
// apply is retried with back-off.
func (r *Reconciler) Run(ctx context.Context) error {
	r.init()
	every := r.FullEvery
	if every == 0 {
		every = DefaultFullEvery
	}
	var fullC <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		fullC = t.C
	}
	backoff := 100 * time.Millisecond
	for {
		r.mu.Lock()
		seen := r.applied
		failed := r.lastErr != nil
		r.mu.Unlock()
		wait := r.World.Changed(seen)
		full := false
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
			case <-fullC:
				full = true
			}
		}
		if err := r.sync(ctx, full); err != nil && errors.Is(err, context.Canceled) {
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
		spec, _, _ = render(tx, r.book, nil)
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
