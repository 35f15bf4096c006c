package netns_test

import (
	"context"
	"testing"

	"github.com/spacelab-dev/spacelab/netns"
)

// BenchmarkSandboxStart measures starting and stopping an empty sandbox.
func BenchmarkSandboxStart(b *testing.B) {
	for b.Loop() {
		s, err := netns.Start(context.Background(), netns.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
