package emulator

import (
	"log/slog"
	"math/rand/v2"
)

// DryRun runs fn against a private deep copy of the world, with a writable transaction, and
// throws the copy away afterwards: fn can call any operation to learn whether it would
// succeed, and nothing it does reaches the real world, its generation or its watchers. This is
// what EC2's DryRun parameter needs (validate fully, change nothing).
func (w *World) DryRun(fn func(tx *Tx) error) error {
	w.mu.RLock()
	c := w.clone()
	w.mu.RUnlock()
	return fn(&Tx{w: c, writable: true, now: c.now()})
}

// clone deep-copies the model (every map and slice field, as Update's snapshot does). Ids
// the copy generates come from its own random source, so a dry run does not disturb the
// sequence a seeded world produces.
func (w *World) clone() *World {
	c := &World{
		gen:  w.gen,
		now:  w.now,
		rng:  rand.New(rand.NewPCG(w.gen, 0xd7e5)),
		log:  slog.New(slog.DiscardHandler),
		opts: w.opts,
	}
	c.restore(w.snapshot())
	return c
}
