package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// detached is a `spacelab up --detach` that returned: its state directory and export lines.
type detached struct {
	u       *up
	exports string
	stderr  string
}

// upDetach runs `spacelab up --detach` on free ports in a fresh state directory and returns once
// it has; the test's cleanup runs `spacelab down`.
func upDetach(t *testing.T, args ...string) *detached {
	t.Helper()
	netnstest.Start(t) // skip (or fail under CI) where no sandbox can be made
	d, err := startDetached(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// startDetached is upDetach without failing the test, for use from several goroutines.
func startDetached(t *testing.T, args ...string) (*detached, error) {
	state, err := os.MkdirTemp("", "sl-")
	if err != nil {
		return nil, err
	}
	u := &up{t: t, state: state}
	t.Cleanup(func() {
		u.run("down")
		os.RemoveAll(state)
	})
	cmd := exec.Command(binary, append([]string{"up", "--detach", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+state)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("up --detach (state %s): %v\n%s", state, err, stderr.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			u.env = append(u.env, k+"="+strings.Trim(v, "'"))
		}
	}
	return &detached{u: u, exports: string(out), stderr: stderr.String()}, nil
}

// health GETs the health endpoint of an API URL.
func health(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(base + "/_spacelab/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("%s health: %v", base, err)
	}
	return resp.StatusCode, doc
}

// TestUpDetachEnvDown: up --detach returns when ready (health 200 on both ports at once),
// exports SPACELAB_STATE_DIR, `spacelab env` prints the same lines, and after down every
// command that needs a running emulator says which directory it looked in and what to do.
func TestUpDetachEnvDown(t *testing.T) {
	d := upDetach(t)
	u := d.u
	if got := u.getenv("SPACELAB_STATE_DIR"); got != u.state {
		t.Fatalf("SPACELAB_STATE_DIR=%q, want %q\n%s", got, u.state, d.exports)
	}
	if !strings.Contains(d.stderr, "heroku spaces:peering:info enablement-jp") {
		t.Errorf("up --detach does not say what to try first, as the foreground up does:\n%s", d.stderr)
	}
	if strings.Contains(d.stderr, "Ctrl-C") || !strings.Contains(d.stderr, "spacelab down to stop") {
		t.Errorf("up --detach returned, so Ctrl-C no longer stops it; its hints should say spacelab down:\n%s", d.stderr)
	}
	for _, k := range []string{"HEROKU_HOST", "AWS_ENDPOINT_URL"} {
		code, doc := health(t, u.getenv(k))
		if code != http.StatusOK || doc["ready"] != true || doc["topology"] != "private-space-peering" || doc["hosts"].(float64) == 0 {
			t.Fatalf("%s health right after up --detach: %d %v", k, code, doc)
		}
		for _, f := range []string{"version", "generation"} {
			if _, ok := doc[f]; !ok {
				t.Fatalf("%s health has no %s: %v", k, f, doc)
			}
		}
	}
	if out, code := u.run("env"); code != 0 || out != d.exports {
		t.Fatalf("env (%d):\n%s\nwant:\n%s", code, out, d.exports)
	}
	if out, code := u.run("exec", "ip-172-16-0-8", "--", "hostname"); code != 0 || strings.TrimSpace(out) != "ip-172-16-0-8.ec2.internal" {
		t.Fatalf("exec (%d): %q", code, out)
	}
	if out, code := u.run("up", "--detach", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0"); code == 0 || !strings.Contains(out, "already running") || !strings.Contains(out, u.state) {
		t.Fatalf("a second up --detach (%d): %q", code, out)
	}
	if out, code := u.run("down"); code != 0 || !strings.Contains(out, "stopped") {
		t.Fatalf("down (%d): %s", code, out)
	}
	if _, err := os.Stat(u.state); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(u.state)
		t.Fatalf("state directory left behind: %v", entries)
	}
	for _, args := range [][]string{{"env"}, {"hosts"}, {"status"}, {"exec", "ip-172-16-0-8", "--", "true"}} {
		out, code := u.run(args...)
		if code == 0 || !strings.Contains(out, "not running in "+u.state) || !strings.Contains(out, "spacelab up --detach") || !strings.Contains(out, "SPACELAB_STATE_DIR") {
			t.Errorf("%v when not running (%d): %q", args, code, out)
		}
	}
	if out, _ := u.run("down"); !strings.Contains(out, "nothing was running in "+u.state) {
		t.Errorf("down when not running: %q", out)
	}
}

// TestUpDetachFailureSaysWhy: a detached up that cannot start returns non-zero with its log.
func TestUpDetachFailureSaysWhy(t *testing.T) {
	netnstest.Start(t)
	state := t.TempDir()
	cmd := exec.Command(binary, "up", "--detach", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0", "--topology", "/nonexistent.yaml")
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+state)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "nonexistent.yaml") {
		t.Fatalf("up --detach with a missing topology: %v\n%s", err, out)
	}
}

// TestUpSeedSameIDs: two runs with the same --seed show the same generated ids (route tables,
// the space's data peering), another seed different ones.
func TestUpSeedSameIDs(t *testing.T) {
	ids := func(seed int) string {
		d := upDetach(t, "--seed", strconv.Itoa(seed))
		out, code := d.u.run("status", "--json")
		if code != 0 {
			t.Fatalf("status (%d): %s", code, out)
		}
		var s struct {
			Peerings []struct{ ID string }
			Routes   []struct {
				Table string `json:"route_table"`
			}
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, p := range s.Peerings {
			b.WriteString(p.ID + " ")
		}
		for _, r := range s.Routes {
			b.WriteString(r.Table + " ")
		}
		d.u.run("down")
		return b.String()
	}
	a, b, c := ids(42), ids(42), ids(43)
	if a == "" || a != b {
		t.Fatalf("seed 42 gave %q, then %q", a, b)
	}
	if a == c {
		t.Fatalf("seeds 42 and 43 gave the same ids %q", a)
	}
}

// TestEightUpsSideBySide: 8 `spacelab up --detach` at once, each with its own state directory
// and free ports: all ready, no port shared, each answers exec and health, each down leaves
// nothing.
func TestEightUpsSideBySide(t *testing.T) {
	const n = 8
	netnstest.Start(t)
	labs := make([]*detached, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range labs {
		wg.Go(func() { labs[i], errs[i] = startDetached(t) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("up %d: %v", i, err)
		}
	}
	ports := map[string]int{}
	for i, d := range labs {
		for _, k := range []string{"HEROKU_HOST", "AWS_ENDPOINT_URL"} {
			url := d.u.getenv(k)
			if j, dup := ports[url]; dup {
				t.Errorf("up %d and up %d both listen on %s", i, j, url)
			}
			ports[url] = i
			if code, doc := health(t, url); code != http.StatusOK {
				t.Errorf("up %d %s health: %d %v", i, k, code, doc)
			}
		}
		if out, code := d.u.run("exec", "ip-172-16-0-8", "--", "hostname"); code != 0 || strings.TrimSpace(out) != "ip-172-16-0-8.ec2.internal" {
			t.Errorf("up %d exec (%d): %q", i, code, out)
		}
	}
	for i, d := range labs {
		if out, code := d.u.run("down"); code != 0 {
			t.Errorf("up %d down (%d): %s", i, code, out)
		}
		if _, err := os.Stat(d.u.state); !os.IsNotExist(err) {
			t.Errorf("up %d left its state directory %s", i, d.u.state)
		}
	}
}
