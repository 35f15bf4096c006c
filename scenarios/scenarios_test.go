package scenarios_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/scenarios"
)

func TestShippedScenariosParse(t *testing.T) {
	for _, name := range scenarios.Shipped() {
		t.Run(name, func(t *testing.T) {
			if _, _, err := scenarios.Load(name); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"two kinds in a step", "steps:\n  - heroku: GET /account\n    http: {from: a, url: b}\n"},
		{"no kind", "steps:\n  - name: nothing\n"},
		{"bad heroku line", "steps:\n  - heroku: /account\n"},
		{"unknown key", "steps:\n  - heroku: GET /account\n    expekt: {}\n"},
		{"aws without action", "steps:\n  - aws: {params: {}}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := scenarios.Parse([]byte(tc.doc)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestLabShippedScenarios runs every shipped scenario (peering is what `spacelab demo` runs).
func TestLabShippedScenarios(t *testing.T) {
	for _, name := range scenarios.Shipped() {
		t.Run(name, func(t *testing.T) { runShipped(t, name) })
	}
}

func runShipped(t *testing.T, name string) {
	s, _, err := scenarios.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	var o lab.Options
	if s.Topology != "" {
		if o.Topology, err = s.LoadTopology(); err != nil {
			t.Fatal(err)
		}
	}
	l := labtest.Start(t, o)
	var out bytes.Buffer
	res, err := (&scenarios.Runner{Lab: l, Out: &out}).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	if res.Failed > 0 {
		t.Fatalf("%d steps failed", res.Failed)
	}
	for _, st := range res.Steps {
		if st.Check != nil && !st.Check.Agree {
			t.Errorf("step %d: model and packets disagree", st.N)
		}
	}
}

// BenchmarkDemo measures the wall time of `spacelab demo`: a fresh emulator, the whole
// walkthrough, and teardown. Its peer is the README's target for the demo, 3 s (target-ratio:
// the time over it).
func BenchmarkDemo(b *testing.B) {
	s, _, err := scenarios.Load("peering")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		l, err := lab.Start(context.Background(), lab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		res, err := (&scenarios.Runner{Lab: l}).Run(context.Background(), s)
		l.Close()
		if err != nil || res.Failed > 0 {
			b.Fatalf("demo failed: %v %d", err, res.Failed)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/3, "target-ratio")
}
