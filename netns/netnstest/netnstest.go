// Package netnstest has test helpers for the data plane: Recorder, an in-memory Dataplane that
// records the specs it is given (no privilege needed), and Start, which starts a real sandbox for
// a test or skips the test when the machine cannot (and fails it under CI=true).
package netnstest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netspec"
)

// Recorder is a Dataplane double: Apply stores a copy of each spec.
type Recorder struct {
	mu    sync.Mutex
	specs []*netspec.Spec
	// Err, when set, is returned by Apply.
	Err error
}

// Apply records spec.
func (r *Recorder) Apply(ctx context.Context, spec *netspec.Spec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.specs = append(r.specs, spec)
	return r.Err
}

// Last returns the last applied spec, or nil.
func (r *Recorder) Last() *netspec.Spec {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.specs) == 0 {
		return nil
	}
	return r.specs[len(r.specs)-1]
}

// Count is the number of Apply calls.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.specs)
}

// Start starts a sandbox for the test and closes it at the end. Without user namespaces or
// root it skips the test, or fails it under CI=true.
func Start(t testing.TB) *netns.Sandbox {
	t.Helper()
	return StartWith(t, netns.Options{})
}

// StartWith is Start with options (their Logger, when nil, is the test's).
func StartWith(t testing.TB, o netns.Options) *netns.Sandbox {
	t.Helper()
	if o.Logger == nil {
		o.Logger = TestLogger(t)
	}
	s, err := netns.Start(context.Background(), o)
	if errors.Is(err, netns.ErrNoUserNamespaces) || errors.Is(err, netns.ErrNotSupported) {
		testenv.Missing(t, "a network sandbox: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestLogger returns a logger writing to the test's output: one line per record, in order with
// the test's other output, without the "file:line:" prefix t.Log would add (which named slog's
// own handler for every record) and without the blank line a record's newline made there.
func TestLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
