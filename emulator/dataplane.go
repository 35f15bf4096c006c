package emulator

import "slices"

// Data-plane states of a model object: whether the network enforces what the model says.
const (
	DataplanePending = "pending" // the model changed and the data plane has not caught up yet
	DataplaneApplied = "applied"
	DataplaneFailed  = "failed" // a host behind the object could not be converged; it was closed
)

// DataplaneState is where the data plane stands on a model object.
type DataplaneState struct {
	// State is DataplanePending, DataplaneApplied or DataplaneFailed; empty when no data plane
	// reports to this world (a model without a network).
	State string
	// Reason names the host and why, for DataplaneFailed.
	Reason string
}

// HostFailure is a rendered host the data plane could not make match the model. The data plane
// has closed it (it drops all traffic) rather than keep rules looser than the model's.
type HostFailure struct {
	Host    string   `json:"host"`
	Objects []string `json:"objects,omitempty"` // ids of the model objects the host realises
	Reason  string   `json:"reason"`
}

// convergence is the data plane's last word on the world. It is status, not model: it is not
// part of snapshots and reporting it does not advance the generation.
type convergence struct {
	attached bool
	applied  uint64 // the generation the data plane last converged to (with failures, if any)
	failures []HostFailure
	failed   map[string]string // object id → reason
}

// ReportDataplane records that the data plane has applied generation gen, and which hosts it
// could not converge. It neither advances the generation nor wakes watchers: it says how the
// network stands, not what it should be.
func (w *World) ReportDataplane(gen uint64, failures []HostFailure) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := &w.dp
	c.attached = true
	if gen > c.applied {
		c.applied = gen
	}
	c.failures = slices.Clone(failures)
	c.failed = map[string]string{}
	for _, f := range failures {
		for _, id := range f.Objects {
			if prev, ok := c.failed[id]; ok {
				c.failed[id] = prev + "; host " + f.Host + ": " + f.Reason
			} else {
				c.failed[id] = "host " + f.Host + ": " + f.Reason
			}
		}
	}
}

// DataplaneState says whether the network enforces the objects with these ids: failed when a
// host behind any of them failed, pending while the data plane is behind the model, applied
// otherwise.
func (tx *Tx) DataplaneState(ids ...string) DataplaneState {
	c := &tx.w.dp
	if !c.attached {
		return DataplaneState{}
	}
	var reasons []string
	for _, id := range ids {
		if r, ok := c.failed[id]; ok {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) > 0 {
		slices.Sort(reasons)
		return DataplaneState{State: DataplaneFailed, Reason: joinUnique(reasons)}
	}
	if tx.w.gen > c.applied || tx.writable {
		// A writable transaction is a change the data plane has not seen yet.
		return DataplaneState{State: DataplanePending}
	}
	return DataplaneState{State: DataplaneApplied}
}

// Applied reports whether the network enforces the objects (true when no data plane reports).
func (s DataplaneState) Applied() bool { return s.State == "" || s.State == DataplaneApplied }

// DataplaneFailures returns the hosts the data plane could not converge at its last apply.
func (tx *Tx) DataplaneFailures() []HostFailure { return slices.Clone(tx.w.dp.failures) }

func joinUnique(ss []string) string {
	ss = slices.Compact(ss)
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}
