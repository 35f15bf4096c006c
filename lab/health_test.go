package lab

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// switchDataplane applies successfully unless fail is set.
type switchDataplane struct{ fail error }

func (d *switchDataplane) Apply(context.Context, *netspec.Spec) error { return d.fail }

// TestHealthFollowsConvergence: the endpoint answers 503 until the data plane has applied the
// model's current generation, 200 then, 503 again after a change not yet applied or a failed
// apply — with the same document and a reason. Other paths reach the API handler.
func TestHealthFollowsConvergence(t *testing.T) {
	top := topology.Default()
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{PublicDNS: top.PublicDNS}))
	if err := top.Apply(w, func(string) string { return "t" }); err != nil {
		t.Fatal(err)
	}
	dp := &switchDataplane{}
	l := &Lab{World: w, Topology: top, Reconciler: &render.Reconciler{World: w, Dataplane: dp}, version: "v9.9.9"}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(l.withHealth(api))
	defer srv.Close()
	get := func(t *testing.T, path string) (int, Health) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var h Health
		if resp.StatusCode != http.StatusTeapot {
			if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return resp.StatusCode, h
	}
	ctx := context.Background()
	steps := []struct {
		name   string
		do     func() error
		code   int
		reason string
	}{
		{"before the first apply", func() error { return nil }, 503, "converging"},
		{"converged", func() error { return l.Reconciler.Sync(ctx) }, 200, ""},
		{"a change not yet applied", func() error { return w.Update(func(*emulator.Tx) error { return nil }) }, 503, "converging"},
		{"a failed apply", func() error {
			dp.fail = errors.New("boom")
			if err := l.Reconciler.Sync(ctx); err == nil {
				t.Fatal("apply did not fail")
			}
			return nil
		}, 503, "boom"},
		{"recovered", func() error { dp.fail = nil; return l.Reconciler.Sync(ctx) }, 200, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
			code, h := get(t, HealthPath)
			if code != s.code || h.Ready != (s.code == 200) || !strings.Contains(h.Reason, s.reason) || (s.reason == "") != (h.Reason == "") {
				t.Fatalf("got %d %+v, want %d with reason %q", code, h, s.code, s.reason)
			}
			if h.Version != "v9.9.9" || h.Topology != "private-space-peering" || h.Generation != w.Generation() {
				t.Fatalf("document %+v", h)
			}
			if s.code == 200 && (h.Hosts == 0 || h.Applied != h.Generation) {
				t.Fatalf("converged document %+v", h)
			}
		})
	}
	if code, _ := get(t, "/spaces"); code != http.StatusTeapot {
		t.Fatalf("/spaces answered %d, not by the API", code)
	}
}
