package scenarios_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/scenarios"
)

// Every error from a scenario file names the file and a line; an undefined ${name} is an error
// naming it; a topology path leaving the scenario's directory is refused without reading it.
func TestLoadErrorsNameTheFileAndLine(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string
	}{
		{"empty", "", "bad.yaml: the file is empty"},
		{"syntax", "steps:\n  - heroku: [\n", "bad.yaml:2: "},
		{"unknown key", "steps:\n  - heroku: GET /account\n    expekt: {}\n", "bad.yaml:3: unknown key expekt (misspelt"},
		{"no kind", "name: x\nsteps:\n  - heroku: GET /account\n  - name: nothing\n", "bad.yaml:4: steps[1] (nothing): needs exactly one of"},
		{"undefined variable", "steps:\n  - heroku: GET /account\n    save: {me: email}\n  - name: use it\n    aws: {action: DescribeVpcs, params: {VpcId.1: \"${vpc}\", X: \"${me}\"}}\n",
			"bad.yaml:4: steps[1] (use it): ${vpc} is not defined: no earlier step saves it"},
		{"variable saved later", "steps:\n  - heroku: GET /spaces/${space}\n  - heroku: GET /account\n    save: {space: id}\n", "bad.yaml:2: steps[0]: ${space} is not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(f, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := scenarios.Load(f)
			if err == nil {
				t.Fatal("accepted")
			}
			if msg := strings.ReplaceAll(err.Error(), filepath.Dir(f)+"/", ""); !strings.Contains(msg, tc.want) {
				t.Fatalf("lacks %q:\n%s", tc.want, msg)
			}
		})
	}
}

func TestScenarioTopology(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("root:x:0:0:SECRET-CONTENT\n"), 0o644)
	rel, _ := filepath.Rel(dir, secret)
	os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("name: mine\n"), 0o644)
	tests := []struct {
		name, topo, want string
	}{
		{"escaping path", rel, "leaves the scenario's directory"},
		{"absolute path", secret, "leaves the scenario's directory"},
		{"unknown name", "nosuch", "nosuch is neither a file beside the scenario nor a built-in topology (default, lab)"},
		{"built-in", "lab", ""},
		{"beside", "mine.yaml", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, "s.yaml")
			os.WriteFile(f, []byte("topology: "+tc.topo+"\nsteps: []\n"), 0o644)
			s, _, err := scenarios.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			top, err := s.LoadTopology()
			if tc.want == "" {
				if err != nil || top == nil {
					t.Fatalf("got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), f) {
				t.Fatalf("got %v, want %q naming %s", err, tc.want, f)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "root:x") {
				t.Fatalf("the error shows the foreign file: %v", err)
			}
		})
	}
}

// A scenario built in Go (not parsed) meets the same check when it runs: the step fails naming
// the variable, and nothing is sent with a literal ${name} in it.
func TestRunUndefinedVariable(t *testing.T) {
	var out strings.Builder
	s := &scenarios.Scenario{Steps: []scenarios.Step{{Name: "uses nope", Heroku: "GET /spaces/${nope}"}}}
	res, err := (&scenarios.Runner{Out: &out}).Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || !strings.Contains(out.String(), "${nope} is not defined") {
		t.Fatalf("failed %d:\n%s", res.Failed, out.String())
	}
}
