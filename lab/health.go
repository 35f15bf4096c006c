package lab

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/spacelab-dev/spacelab/emulator"
)

// HealthPath is where both API ports answer readiness: 200 when the data plane has converged
// to everything the APIs did so far, 503 otherwise. Both carry a Health document.
const HealthPath = "/_spacelab/health"

// Health is the readiness document of a lab.
type Health struct {
	// Ready is true when the data plane matches the model's current generation.
	Ready bool `json:"ready"`
	// Version is spacelab's version (Options.Version, else the module's from the build info).
	Version string `json:"version"`
	// Topology is the name of the loaded topology.
	Topology string `json:"topology"`
	// Hosts is the number of hosts in the data plane as last applied.
	Hosts int `json:"hosts"`
	// Generation is the model's current generation; Applied is the one the data plane shows.
	Generation uint64 `json:"generation"`
	Applied    uint64 `json:"applied"`
	// Reason says why the lab is not ready; empty when it is.
	Reason string `json:"reason,omitempty"`
	// FailedHosts are the hosts the data plane could not converge (closed), with why.
	FailedHosts []emulator.HostFailure `json:"failed_hosts,omitempty"`
}

// Health reports whether the data plane has converged, without waiting for it.
func (l *Lab) Health() Health {
	h := Health{Version: l.version, Topology: l.Topology.Name}
	applied, err := l.Reconciler.Applied()
	h.Generation = l.World.Generation()
	h.Applied = applied
	if spec := l.Reconciler.Spec(); spec != nil {
		h.Hosts = len(spec.Hosts)
	}
	h.FailedHosts = l.Diverged()
	switch {
	case l.closing.Load():
		h.Reason = "the lab is shutting down"
	case err != nil:
		h.Reason = fmt.Sprintf("the last data-plane apply failed: %v", err)
	case applied < h.Generation:
		h.Reason = fmt.Sprintf("the data plane is converging (generation %d applied, %d wanted)", applied, h.Generation)
	default:
		h.Ready = true
	}
	return h
}

// withHealth answers GET HealthPath and POST ResetPath on an API port and passes everything
// else to next.
func (l *Lab) withHealth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ResetPath {
			l.serveReset(w, r)
			return
		}
		if r.URL.Path != HealthPath {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := l.Health()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if !h.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(h)
	})
}

// moduleVersion is this module's version from the build info: the main module's when spacelab
// itself is built, the dependency's when a test imports it; "dev" for a local build.
func moduleVersion() string {
	const path = "github.com/spacelab-dev/spacelab"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	v := ""
	if bi.Main.Path == path {
		v = bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			v = d.Version
		}
	}
	if v == "" || v == "(devel)" {
		return "dev"
	}
	return v
}
