package lab

import "github.com/spacelab-dev/spacelab/emulator"

// Diverged returns the hosts the data plane could not make match the model at its last apply;
// it closed them (they drop all traffic). Empty when the network enforces the model. Probes,
// checks and `spacelab exec` refuse to run while it is not empty.
func (l *Lab) Diverged() []emulator.HostFailure { return l.Reconciler.Diverged() }
