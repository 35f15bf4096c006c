package ipsec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

func testSAPair(t testing.TB, h Hash, keyLen int) (out, in *espSA) {
	t.Helper()
	enc := bytes.Repeat([]byte{7}, keyLen)
	auth := bytes.Repeat([]byte{9}, h.size())
	out, err := newESPSA(0x1234, enc, auth, h)
	if err != nil {
		t.Fatal(err)
	}
	in, err = newESPSA(0x1234, enc, auth, h)
	if err != nil {
		t.Fatal(err)
	}
	return out, in
}

func innerPacket(n int) []byte {
	p := make([]byte, n)
	p[0] = 0x45
	for i := 20; i < n; i++ {
		p[i] = byte(i)
	}
	return p
}

func TestESPRoundTripAndTampering(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h      Hash
		keyLen int
		icv    int
	}{
		{"aes128-sha1 (HMAC-SHA-1-96)", SHA1, 16, 12},
		{"aes256-sha256 (HMAC-SHA-256-128)", SHA256, 32, 16},
		{"aes192-sha384 (HMAC-SHA-384-192)", SHA384, 24, 24},
		{"aes128-sha512 (HMAC-SHA-512-256)", SHA512, 16, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, in := testSAPair(t, tc.h, tc.keyLen)
			for _, size := range []int{20, 21, 30, 31, 32, 1400, 1499} {
				p := innerPacket(size)
				buf := make([]byte, out.sealedLen(size))
				seq, _ := out.nextSeq()
				n := out.seal(buf, p, seq)
				if n != len(buf) || (n-8-16-tc.icv)%16 != 0 {
					t.Fatalf("size %d: sealed %d bytes", size, n)
				}
				if bytes.Contains(buf, p[20:]) && size > 24 {
					t.Fatalf("payload visible in ciphertext")
				}
				forged := append([]byte(nil), buf...)
				forged[30] ^= 1
				if _, err := in.open(forged); !errors.Is(err, errESPAuth) {
					t.Fatalf("forged packet: %v", err)
				}
				got, err := in.open(append([]byte(nil), buf...))
				if err != nil || !bytes.Equal(got, p) {
					t.Fatalf("size %d: open: %v", size, err)
				}
				if _, err := in.open(append([]byte(nil), buf...)); !errors.Is(err, errESPReplay) {
					t.Fatalf("replay: %v", err)
				}
			}
		})
	}
}

func TestReplayWindow(t *testing.T) {
	var w replayWindow
	accept := func(seq uint32) bool { return w.check(seq) && w.update(seq) }
	for _, tc := range []struct {
		seq  uint32
		want bool
	}{
		{0, false}, {1, true}, {1, false}, {3, true}, {2, true}, {2, false},
		{5000, true}, {4999, true}, {5000 - replaySize + 1, true}, {5000 - replaySize, false},
		{100000, true}, {99999, true}, {5000, false}, {100001, true},
	} {
		if got := accept(tc.seq); got != tc.want {
			t.Errorf("seq %d: accepted=%v, want %v", tc.seq, got, tc.want)
		}
	}
}

func BenchmarkESPEncap(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    Hash
	}{{"aes128-sha1", SHA1}, {"aes128-sha256", SHA256}} {
		var peer benchpeer.Peer // the two-pass path
		for _, path := range []string{"crypto", "fast"} {
			b.Run(tc.name+"/"+path, func(b *testing.B) {
				out, _ := testSAPair(b, tc.h, 16)
				if path == "crypto" {
					out.fast = nil // crypto/cipher-free two passes: our CBC, then crypto/hmac
				}
				buf := make([]byte, 2048)
				p := innerPacket(1400)
				b.SetBytes(1400)
				b.ReportAllocs()
				for b.Loop() {
					seq, _ := out.nextSeq()
					out.seal(buf, p, seq)
				}
				comparePath(b, &peer, path)
			})
		}
	}
}

func BenchmarkESPDecap(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    Hash
	}{{"aes128-sha1", SHA1}, {"aes128-sha256", SHA256}} {
		var peer benchpeer.Peer // the two-pass path
		for _, path := range []string{"crypto", "fast"} {
			b.Run(tc.name+"/"+path, func(b *testing.B) {
				out, in := testSAPair(b, tc.h, 16)
				if path == "crypto" {
					in.fast = nil // two passes: crypto/hmac, then our CBC
				}
				p := innerPacket(1400)
				const n = 1 << 12
				pkts := make([][]byte, n)
				for i := range pkts {
					pkts[i] = make([]byte, out.sealedLen(len(p)))
				}
				work := make([]byte, 2048)
				b.SetBytes(1400)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if i%n == 0 {
						b.StopTimer()
						for j := range pkts {
							seq, _ := out.nextSeq()
							out.seal(pkts[j], p, seq)
						}
						b.StartTimer()
					}
					m := copy(work, pkts[i%n])
					if _, err := in.open(work[:m]); err != nil {
						b.Fatal(err)
					}
					i++
				}
				comparePath(b, &peer, path)
			})
		}
	}
}

// comparePath ends an ESP benchmark of path: the two-pass "crypto" path is the peer of "fast".
func comparePath(b *testing.B, peer *benchpeer.Peer, path string) {
	if path == "crypto" {
		peer.Record(b, "two-pass")
	} else {
		peer.Compare(b)
	}
}
