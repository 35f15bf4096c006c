package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/topology"
)

// TestFaultCommand: the topology's faults: section starts faults that `spacelab fault list`
// and `status --format json` show, packets obey them (a 100% loss blocks a check), and
// `spacelab fault add` / `clear` change them in the running emulator.
func TestFaultCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "faults.yaml")
	doc := string(topology.DefaultYAML()) + `
faults:
  seed: 5
  links:
    - {from: office-pc, to: echo, loss: 100}
  dynos:
    - {app: test-vpn-compute, dyno: web.2}
  api:
    - {service: aws, action: CreateRoute, code: RequestLimitExceeded, status: 503, count: 1}
`
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	u := startUp(t, "--topology", file)
	out, code := u.run("fault", "list")
	for _, want := range []string{"100% loss from office-pc to echo", "dyno test-vpn-compute/web.2 stopped", "aws CreateRoute fails with RequestLimitExceeded"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("fault list (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	if out, code := u.run("check", "office-pc", "203.0.113.10", "--proto", "icmp"); code != 1 || !strings.Contains(out, "dropped on purpose by fault loss-") {
		t.Fatalf("check through the 100%% loss: exit %d\n%s", code, out)
	}
	out, _ = u.run("status", "--format", "json")
	var st struct {
		Faults []struct {
			ID, Kind string
			Dropped  uint64 `json:"dropped_packets"`
		}
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var loss string
	for _, f := range st.Faults {
		if f.Kind == "loss" {
			loss = f.ID
			if f.Dropped == 0 {
				t.Errorf("loss fault dropped nothing: %+v", f)
			}
		}
	}
	if len(st.Faults) != 3 || loss == "" {
		t.Fatalf("status faults: %+v", st.Faults)
	}
	if out, code := u.run("fault", "clear", loss); code != 0 {
		t.Fatalf("clear: %s", out)
	}
	if out, code := u.run("check", "office-pc", "203.0.113.10", "--proto", "icmp"); code != 0 {
		t.Fatalf("check after clear: exit %d\n%s", code, out)
	}
	if out, code := u.run("fault", "add", "loss", "--host", "office-pc", "--percent", "100"); code != 0 || !strings.Contains(out, "100% loss on office-pc") {
		t.Fatalf("add: exit %d %s", code, out)
	}
	if out, code := u.run("check", "office-pc", "203.0.113.10", "--proto", "icmp"); code != 1 {
		t.Fatalf("check through the host loss: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"fault", "add", "delay", "--from", "office-pc", "--to", "echo", "--delay", "soon"},
		{"fault", "add", "loss", "--from", "office-pc", "--to", "nowhere", "--percent", "5"},
		{"fault", "add", "loss", "--host", "office-pc", "--percent", "0"},
		{"fault", "add", "meteor"},
		{"fault", "clear", "loss-99"},
	} {
		if out, code := u.run(bad...); code == 0 {
			t.Errorf("%v: exit 0\n%s", bad, out)
		} else {
			t.Logf("%v: %s", bad, strings.TrimSpace(out))
		}
	}
	if out, code := u.run("fault", "clear", "--all"); code != 0 {
		t.Fatalf("clear --all: %s", out)
	}
	if out, _ := u.run("fault", "list"); strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("after clear --all:\n%s", out)
	}
	if out, code := u.run("check", "office-pc", "203.0.113.10", "--proto", "icmp"); code != 0 {
		t.Fatalf("check after clear --all: exit %d\n%s", code, out)
	}
}
