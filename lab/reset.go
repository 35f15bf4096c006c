package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// ResetPath is where both API ports take POST to reset the lab: the model goes back to what
// the topology made (everything the APIs created, changed or deleted since start is undone) and
// the answer, a Health document, comes once the data plane has converged to it: 200 when
// ready, 503 with the reason when not. Suites that share one emulator reset between tests.
const ResetPath = "/_spacelab/reset"

// Reset puts the model back to the topology as loaded at Start and waits until the data plane
// has converged to it. Ids made afterwards are new ones; the clock, the API faults' record and
// the sandbox's hosts that the topology has are kept.
func (l *Lab) Reset(ctx context.Context) (Health, error) {
	if l.closing.Load() {
		return l.Health(), fmt.Errorf("lab: reset: the lab is shutting down")
	}
	l.World.Reset(l.initial)
	l.log.Info("reset to the topology", "generation", l.World.Generation())
	if err := l.Sync(ctx); err != nil {
		return l.Health(), fmt.Errorf("lab: reset: %w", err)
	}
	return l.Health(), nil
}

// serveReset answers POST ResetPath.
func (l *Lab) serveReset(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h, err := l.Reset(r.Context())
	if err != nil && h.Reason == "" {
		h.Reason = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil || !h.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(h)
}
