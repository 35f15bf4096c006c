package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/emulator/render"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/topology"
)

// herokuDo calls the lab's fake Platform API and decodes the JSON answer into out.
func herokuDo(t *testing.T, l *lab.Lab, method, path string, body, out any) {
	t.Helper()
	var rd bytes.Buffer
	if body != nil {
		json.NewEncoder(&rd).Encode(body)
	}
	req, _ := http.NewRequest(method, l.HerokuURL+path, &rd)
	req.Header.Set("Authorization", "Bearer "+l.HerokuToken)
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b.String())
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

type ruleset struct {
	Rules   []map[string]string `json:"rules"`
	Applied bool                `json:"applied"`
}

// TestTrustedRangesNeverLooserThanTheModel is the 601-range café case: a space trusts
// 0.0.0.0/0, then its ranges are replaced with 601 that leave the café out. Whatever the data
// plane makes of that, the café must be refused by packets, and the API must not call a ruleset
// applied that the network does not enforce: either it is applied (and the office, one of the
// ranges, is served), or `applied` is false, the lab reports the space's router as diverged and
// refuses checks, naming the host and why.
func TestTrustedRangesNeverLooserThanTheModel(t *testing.T) {
	top, err := topology.Load("lab")
	if err != nil {
		t.Fatal(err)
	}
	l := labtest.Start(t, lab.Options{Topology: top})
	ctx := context.Background()
	cafe := netspec.Probe{From: "cafe-client", Kind: "http", Target: "http://shop-web.herokuapp.com/", Timeout: 2 * time.Second}
	office := netspec.Probe{From: "office-client", Kind: "http", Target: "http://shop-web.herokuapp.com/", Timeout: 2 * time.Second}
	const path = "/spaces/rules-lab/inbound-ruleset"

	herokuDo(t, l, "PUT", path, map[string]any{"rules": []map[string]string{{"action": "allow", "source": "0.0.0.0/0"}}}, nil)
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var rs ruleset
	herokuDo(t, l, "GET", path, nil, &rs)
	if !rs.Applied {
		t.Fatal("0.0.0.0/0 converged but the API says not applied")
	}
	if r, err := l.Sandbox.Probe(ctx, cafe); err != nil || !r.OK {
		t.Fatalf("the café is not served under 0.0.0.0/0: %v %+v", err, r)
	}

	// 601 ranges: the office's /32 and 600 others, none containing the café (198.51.100.77).
	rules := []map[string]string{{"action": "allow", "source": "203.0.113.50/32"}}
	for i := range 600 {
		rules = append(rules, map[string]string{"action": "allow", "source": fmt.Sprintf("100.64.%d.%d/32", i/250, i%250)})
	}
	herokuDo(t, l, "PUT", path, map[string]any{"rules": rules}, &rs)
	if rs.Applied {
		t.Fatal("the PUT's answer says applied before the data plane has seen the change")
	}
	syncErr := l.Sync(ctx)
	herokuDo(t, l, "GET", path, nil, &rs)
	if len(rs.Rules) != 601 {
		t.Fatalf("%d rules stored", len(rs.Rules))
	}
	if r, err := l.Sandbox.Probe(ctx, cafe); err == nil && r.OK {
		t.Fatalf("the café is still served after its address was left out (applied=%v, sync: %v)", rs.Applied, syncErr)
	}
	var diverged *render.DivergedError
	switch {
	case syncErr == nil:
		if !rs.Applied || len(l.Diverged()) != 0 || len(l.Health().FailedHosts) != 0 {
			t.Fatalf("converged, yet applied=%v and diverged hosts %v", rs.Applied, l.Diverged())
		}
		if r, err := l.Sandbox.Probe(ctx, office); err != nil || !r.OK {
			t.Fatalf("applied, but the office (a trusted /32) is not served: %v %+v", err, r)
		}
		c, err := l.Check(ctx, cafe)
		if err != nil || c.Result.OK || !c.Agree || !strings.Contains(c.Verdict.Reason, "no trusted IP range of rules-lab") {
			t.Fatalf("check of the café: %v %s", err, c.Summary())
		}
	case errors.As(syncErr, &diverged):
		if rs.Applied {
			t.Fatal("the data plane could not apply the ruleset, yet the API says applied")
		}
		failed := l.Diverged()
		if len(failed) == 0 || !strings.Contains(fmt.Sprint(failed), "space-router/rules-lab") {
			t.Fatalf("diverged hosts: %v", failed)
		}
		if h := l.Health(); h.Ready || len(h.FailedHosts) == 0 {
			t.Fatalf("health of a diverged lab: %+v", h)
		}
		if _, err := l.Check(ctx, office); err == nil || !strings.Contains(err.Error(), "space-router/rules-lab") {
			t.Fatalf("a check ran on a diverged world: %v", err)
		}
		t.Logf("not applied, as reported: %v", syncErr)
	default:
		t.Fatal(syncErr)
	}
}
