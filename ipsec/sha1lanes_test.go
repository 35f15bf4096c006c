//go:build amd64 && !purego

package ipsec

import (
	"testing"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

// BenchmarkSHA1Lanes compares the SHA-1 compression of sixteen 1,408-byte messages (22 blocks
// each, an ESP packet of a 1,400-byte segment) with the SHA extensions one message after the
// other (shani) and with the sixteen AVX-512 lanes (x16).
func BenchmarkSHA1Lanes(b *testing.B) {
	const blocks = 22
	buf := make([]byte, macLanes*blocks*64)
	var offs [macLanes]int32
	for i := range offs {
		offs[i] = int32(i * blocks * 64)
	}
	var peer benchpeer.Peer // the SHA extensions, one message after the other
	b.Run("shani", func(b *testing.B) {
		if !haveStitch {
			b.Skip("no SHA extensions")
		}
		b.SetBytes(int64(len(buf)))
		var st [8]uint32
		for b.Loop() {
			for i := range macLanes {
				st = [8]uint32(sha1IV)
				sha1Blocks(&st[0], &buf[int(offs[i])], blocks)
			}
		}
		peer.Record(b, "shani")
	})
	b.Run("x16", func(b *testing.B) {
		if !haveSHA1x16 {
			b.Skip("no AVX-512")
		}
		b.SetBytes(int64(len(buf)))
		var st [5 * macLanes]uint32
		for b.Loop() {
			sha1x16Blocks(&st[0], &buf[0], &offs[0], blocks)
		}
		peer.Compare(b)
	})
}
