package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/internal/tftest"
)

// TestTerraformPrefixList applies two customer-managed prefix lists: one is the destination of
// the web subnet's route to the internet gateway, the other the peer of the web group's HTTP
// rule. Packets follow the entries: the internet host inside the clients list gets in and the
// one outside does not; the web instance reaches the internet host inside the routes list.
// Changing the entries with a second apply modifies both lists in place (version 2) and the
// packets follow; destroy leaves the account as it was.
func TestTerraformPrefixList(t *testing.T) {
	t.Parallel()
	curl := testenv.Binary(t, "curl")
	l, env, c := terraformLab(t)
	ctx := context.Background()
	before := accountState(t, ctx, c)
	w := tftest.New(t, "testdata/terraform/prefixlist", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	w.PlanIsEmpty()
	out := w.Outputs()
	if out["clients_version"] != "1" || out["clients_entries"] != "198.18.0.0/15,203.0.113.10/32" {
		t.Errorf("clients list: version %s, entries %s", out["clients_version"], out["clients_entries"])
	}
	serveHTTP(t, l, out["web"], 80)
	web := "http://" + out["web_ip"] + "/"
	toEcho := []string{curl, "-s", "-m", "2", "http://203.0.113.10/"}
	if got := httpCode(t, l, "echo", web); got != "200" {
		t.Errorf("echo (203.0.113.10, in the clients list) → web:80 = %s, want 200", got)
	}
	if got := httpCode(t, l, "office-gw", web); got != "000" {
		t.Errorf("office-gw (203.0.113.20, outside the clients list) → web:80 = %s, want nothing", got)
	}
	if o, code := execIn(t, l, out["web"], toEcho...); code != 0 || strings.TrimSpace(o) != out["web_ip"] {
		t.Errorf("web → echo over the prefix list route (exit %d): %q, want echo to see %s", code, o, out["web_ip"])
	}

	vars := []string{"client_cidr=203.0.113.20/32", "route_cidr=203.0.113.20/32"}
	w.Apply(vars...)
	w.PlanIsEmpty(vars...)
	if after := w.Outputs(); after["clients"] != out["clients"] || after["clients_version"] != "2" {
		t.Errorf("changing the entries made list %s version %s, want %s modified to version 2", after["clients"], after["clients_version"], out["clients"])
	}
	if got := httpCode(t, l, "office-gw", web); got != "200" {
		t.Errorf("office-gw → web:80 = %s after it joined the clients list, want 200", got)
	}
	if got := httpCode(t, l, "echo", web); got != "000" {
		t.Errorf("echo → web:80 = %s after it left the clients list, want nothing", got)
	}
	if o, code := execIn(t, l, out["web"], toEcho...); code == 0 {
		t.Errorf("web reached echo after 203.0.113.10 left the routes list: %q", o)
	}
	w.Destroy(vars...)
	if d := cmp.Diff(before, accountState(t, ctx, c)); d != "" {
		t.Errorf("destroy left the account changed (-before +after):\n%s", d)
	}
}
