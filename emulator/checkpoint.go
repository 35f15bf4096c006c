package emulator

// A checkpoint is the model at one moment, kept to come back to: a lab takes one right after
// loading its topology, and resetting the lab (POST /_spacelab/reset) restores it, so test
// suites sharing one emulator each start from the topology. Time, the id source and the data
// plane's last report are not part of it: ids made after a reset are new ones, and the clock
// does not go back.

// Checkpoint is a saved copy of the model.
type Checkpoint struct{ s snapshot }

// Checkpoint saves the model as it is now.
func (w *World) Checkpoint() Checkpoint {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return Checkpoint{s: w.snapshot()}
}

// Reset puts the model back to cp, as one change: the generation advances and watchers wake,
// so the data plane converges to it like to any other update. cp stays usable for further
// resets. The zero Checkpoint resets nothing.
func (w *World) Reset(cp Checkpoint) {
	if cp.s == nil {
		return
	}
	fresh := make(snapshot, len(cp.s))
	for i, v := range cp.s {
		fresh[i] = deepCopy(v)
	}
	_ = w.Update(func(tx *Tx) error {
		tx.mustWrite()
		w.restore(fresh)
		tx.idx = txIndex{} // the index described the world before
		return nil
	})
}
