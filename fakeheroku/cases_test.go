package fakeheroku

import (
	"testing"
)

// apiCase is one request and the answer it must get. A refused request (wantID set) must
// leave the model exactly as it was.
type apiCase struct {
	name         string
	method, path string
	body         string
	wantStatus   int
	wantID       string // error id; empty for success
}

// run checks tc against e; headers are name/value pairs for env.do.
func (tc apiCase) run(t *testing.T, e *env, headers ...string) response {
	t.Helper()
	before, gen := e.snapshot(), e.world.Generation()
	r := e.do(tc.method, tc.path, tc.body, headers...)
	if r.Status != tc.wantStatus {
		t.Fatalf("status %d, want %d: %s", r.Status, tc.wantStatus, r.Body)
	}
	if tc.wantID != "" {
		var eb errorBody
		r.JSON(t, &eb)
		if eb.ID != tc.wantID || eb.Message == "" {
			t.Errorf("error %+v, want id %s and a message", eb, tc.wantID)
		}
		if e.snapshot() != before || e.world.Generation() != gen {
			t.Error("a refused request changed the model")
		}
	}
	return r
}
