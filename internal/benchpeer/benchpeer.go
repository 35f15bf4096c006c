// Package benchpeer gives a Go benchmark its peer: another implementation of the same work, or
// a floor, measured as a sub-benchmark of the same run just before it, and the ratio of the two
// printed as one of the benchmark's own figures.
//
//	var peer benchpeer.Peer
//	b.Run("crypto", func(b *testing.B) { for b.Loop() { … }; peer.Record(b, "crypto") })
//	b.Run("fast", func(b *testing.B) { for b.Loop() { … }; peer.Compare(b) })
//
// prints, on the line of fast, a figure "ratio-to-crypto": fast's time per operation over
// crypto's (below 1: faster than its peer).
package benchpeer

import "testing"

// Peer is the time per operation of a peer sub-benchmark's final run. The zero value has none.
type Peer struct {
	name    string
	nsPerOp float64
}

// Record ends the peer's sub-benchmark: it keeps its name and its time per operation (the
// final run's: the testing package runs a benchmark function again with growing b.N).
func (p *Peer) Record(b *testing.B, name string) {
	p.name, p.nsPerOp = name, nsPerOp(b)
}

// Compare ends the sub-benchmark measured against the peer: it reports this time per
// operation over the peer's as "ratio-to-<peer>". Without a recorded peer (filtered out by
// -bench, or skipped) it says so in the log instead.
func (p *Peer) Compare(b *testing.B) {
	if p.nsPerOp == 0 {
		b.Logf("no ratio: the peer did not run in this process (name it in -bench too)")
		return
	}
	if ns := nsPerOp(b); ns > 0 {
		b.ReportMetric(ns/p.nsPerOp, "ratio-to-"+p.name)
	}
}

func nsPerOp(b *testing.B) float64 {
	if b.N == 0 {
		return 0
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}
