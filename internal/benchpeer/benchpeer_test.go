package benchpeer_test

import (
	"crypto/sha256"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

// BenchmarkPeerExample is the shape of a benchmark with its peer: the peer runs first, the
// measured one reports the ratio of the two.
func BenchmarkPeerExample(b *testing.B) {
	var peer benchpeer.Peer
	msg := make([]byte, 4096)
	b.Run("two-halves", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(msg[:2048])
			sha256.Sum256(msg[2048:])
		}
		peer.Record(b, "two-halves")
	})
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(msg)
		}
		peer.Compare(b)
	})
}

func TestCompareWithoutPeer(t *testing.T) {
	var peer benchpeer.Peer
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
		}
		peer.Compare(b)
	})
	if _, ok := r.Extra["ratio-to-"]; ok {
		t.Fatalf("a ratio without a peer: %v", r.Extra)
	}
}

func TestCompareReportsTheRatio(t *testing.T) {
	var peer benchpeer.Peer
	msg := make([]byte, 1<<14)
	testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(msg[:1<<10])
		}
		peer.Record(b, "short")
	})
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(msg)
		}
		peer.Compare(b)
	})
	if got, ok := r.Extra["ratio-to-short"]; !ok || got <= 0 {
		t.Fatalf("ratio-to-short = %v (reported %v), want a positive ratio; extra %v", got, ok, r.Extra)
	}
}
