package fakeaws

import "github.com/spacelab-dev/spacelab/emulator"

// ensureDefaultVPC gives the caller's account its default VPC in the caller's region before
// the first action there runs (see emulator.Tx.EnsureDefaultVPC).
func (s *Server) ensureDefaultVPC(c emulator.Caller) error {
	need := false
	_ = s.World.View(func(tx *emulator.Tx) error { need = tx.NeedsDefaultVPC(c); return nil })
	if !need {
		return nil
	}
	return s.World.Update(func(tx *emulator.Tx) error { return tx.EnsureDefaultVPC(c) })
}
