// Package labtest starts a whole emulator for a Go test:
//
//	l := labtest.Start(t)
//
// It skips the test where the machine cannot make a sandbox (no user namespaces and not root),
// fails it instead under CI=true, logs to t.Log, and closes the lab when the test ends.
package labtest

import (
	"context"
	"errors"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// Start starts a lab on the built-in topology, or with the given options.
func Start(t testing.TB, opts ...lab.Options) *lab.Lab {
	t.Helper()
	var o lab.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logger == nil {
		o.Logger = netnstest.TestLogger(t)
	}
	l, err := lab.Start(context.Background(), o)
	if errors.Is(err, netns.ErrNoUserNamespaces) || errors.Is(err, netns.ErrNotSupported) {
		testenv.Missing(t, "a network sandbox: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
