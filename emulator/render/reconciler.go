package render

import (
	"context"
	"errors"
	"log/slog"
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
	r.World.View(func(tx *emulator.Tx) error {
		gen = tx.Generation()
		spec = render(tx, r.book)
		return nil
	})
	start := time.Now()
	err := r.Dataplane.Apply(ctx, spec)
	r.last, r.lastErr = spec, err
	if err != nil {
		r.Logger.Error("apply failed", "generation", gen, "err", err)
		return err
	}
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
		spec = render(tx, r.book)
		return nil
	})
	return spec
}
