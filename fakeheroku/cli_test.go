package fakeheroku

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// herokuCLIBinary is the real client: on PATH or where scripts/install-clients.sh puts it.
func herokuCLIBinary(t testing.TB) string {
	t.Helper()
	return testenv.HerokuCLI(t)
}

// cliResult is one finished CLI run.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// cli runs the real heroku CLI against the env's server, offline and without side effects
// (shared/reference/heroku-api.md §1.5): a temporary HOME with the terms-of-service and
// version caches pre-created, telemetry, update checks and autoupdate off, git's global
// config in the temp dir, stdin from /dev/null, cwd outside any repository.
func (e *env) cli(token string, args ...string) cliResult {
	e.t.Helper()
	bin := herokuCLIBinary(e.t)
	tmp := e.t.TempDir()
	home := filepath.Join(tmp, "home")
	cache := filepath.Join(home, ".cache", "heroku")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		e.t.Fatal(err)
	}
	for name, content := range map[string]string{"terms-of-service": "", "version": `{"current":"0.0.0"}`} {
		if err := os.WriteFile(filepath.Join(cache, name), []byte(content), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	work := filepath.Join(tmp, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = work
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"HEROKU_HOST=" + e.URL,
		"HEROKU_API_KEY=" + token,
		"HEROKU_PARTICLEBOARD_URL=" + e.URL,
		"DISABLE_TELEMETRY=true", "IS_HEROKU_TEST_ENV=true", "HEROKU_SKIP_ANALYTICS=1",
		"HEROKU_SKIP_NEW_VERSION_CHECK=true", "HEROKU_DISABLE_AUTOUPDATE=true",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"),
		"NO_COLOR=1", "LANG=C.UTF-8", "TZ=UTC",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdin = nil // /dev/null
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		e.t.Fatalf("heroku %s: %v", strings.Join(args, " "), err)
	}
	e.t.Logf("$ heroku %s  (exit %d)\n%s%s", strings.Join(args, " "), res.Code, res.Stdout, res.Stderr)
	return res
}

// unwrap joins the CLI's wrapped stderr lines (" ›   Error: … \n ›   (status: …)") into one
// line of words, so messages can be matched whatever the terminal width.
func unwrap(s string) string {
	s = strings.ReplaceAll(s, "›", " ")
	return strings.Join(strings.Fields(s), " ")
}

// fields splits a table row on runs of two or more spaces.
func fields(line string) []string {
	var out []string
	for _, f := range regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1) {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// row finds the table row that starts with first.
func row(t testing.TB, out, first string) []string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if f := fields(l); len(f) > 0 && f[0] == first {
			return f
		}
	}
	t.Fatalf("no row %q in:\n%s", first, out)
	return nil
}

// TestCLIPeeringWalkthrough replays the seed walkthrough (shared/seeds/000_*) with the real
// heroku CLI: peering info, the pending request, accepting it, accepting again, destroying.
func TestCLIPeeringWalkthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pcx := e.requestPeering()
	data := e.dataPeering()

	r := e.cli(testToken, "spaces:peering:info", seedSpace)
	wantInfo := []string{
		"=== enablement-jp Peering Info",
		"",
		"AWS Account ID:    884226375513",
		"AWS Region:        ap-northeast-1",
		"AWS VPC ID:        vpc-b39527d4",
		"AWS VPC CIDR:      10.0.0.0/16",
		"Space CIDRs:       10.0.144.0/20, 10.0.128.0/20, 10.0.0.0/20, 10.0.16.0/20",
		"Unavailable CIDRs: 10.1.0.0/16",
	}
	if d := cmp.Diff(wantInfo, strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")); r.Code != 0 || d != "" {
		t.Errorf("spaces:peering:info exit %d (-want +got):\n%s", r.Code, d)
	}

	r = e.cli(testToken, "spaces:peerings", seedSpace)
	if d := cmp.Diff([]string{pcx, "unknown", customerCIDR, "pending-acceptance", customerVPC, customerRegio, "2019-02-11T05:46:14Z"},
		row(t, r.Stdout, pcx)); r.Code != 0 || d != "" {
		t.Errorf("pending row, exit %d (-want +got):\n%s", r.Code, d)
	}
	if d := cmp.Diff([]string{data, "heroku-managed", "10.1.0.0/16", "active"}, row(t, r.Stdout, data)[:4]); d != "" {
		t.Errorf("heroku-managed row (-want +got):\n%s", d)
	}

	r = e.cli(testToken, "spaces:peerings:accept", pcx, "--space", seedSpace)
	if want := "Accepting and configuring peering connection " + pcx + "\n"; r.Code != 0 || r.Stdout != want {
		t.Errorf("accept: exit %d, stdout %q, want %q", r.Code, r.Stdout, want)
	}

	r = e.cli(testToken, "spaces:peerings", seedSpace)
	if d := cmp.Diff([]string{pcx, "customer-managed", customerCIDR, "active", customerVPC, customerRegio, customerAcct},
		row(t, r.Stdout, pcx)); r.Code != 0 || d != "" {
		t.Errorf("accepted row, exit %d (-want +got):\n%s", r.Code, d)
	}
	if got := row(t, r.Stdout, data)[1]; got != "heroku-managed" {
		t.Errorf("data peering type %q after accept", got)
	}

	r = e.cli(testToken, "spaces:peerings:accept", pcx, "--space", seedSpace)
	if msg := unwrap(r.Stderr); r.Code != 2 || !strings.Contains(msg, "Peering connection "+pcx+" is not pending acceptance") ||
		!strings.Contains(msg, "Error ID: invalid_params") {
		t.Errorf("second accept: exit %d, stderr %q", r.Code, r.Stderr)
	}

	r = e.cli(testToken, "spaces:peerings:destroy", pcx, "--space", seedSpace, "--confirm", pcx)
	if r.Code != 0 || !strings.Contains(r.Stderr, "Tearing down peering connection "+pcx+"... done") {
		t.Errorf("destroy: exit %d, stderr %q", r.Code, r.Stderr)
	}
	_ = e.world.View(func(tx *emulator.Tx) error {
		if st := tx.Peering(pcx).Status(tx.Now()); st != emulator.PcxDeleted {
			t.Errorf("AWS side after destroy: %s, want deleted", st)
		}
		return nil
	})
}

// TestCLISpaceAndApp checks auth:whoami (GET /account, also sent to HEROKU_PARTICLEBOARD_URL,
// which is this server), spaces:info (region description, outbound IPs) and apps:info
// (internal routing) against the seed world.
func TestCLISpaceAndApp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.cli(testToken, "auth:whoami"); r.Code != 0 || r.Stdout != "user@example.com\n" {
		t.Errorf("auth:whoami: exit %d, stdout %q", r.Code, r.Stdout)
	}
	r := e.cli(testToken, "spaces:info", seedSpace)
	for _, want := range []string{"Team:         enablement", "Region:       Tokyo, Japan", "CIDR:         10.0.0.0/16",
		"Data CIDR:    10.1.0.0/16", "State:        allocated",
		"Outbound IPs: 52.68.17.101, 52.68.17.102, 52.68.17.103, 52.68.17.104"} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want+"\n") {
			t.Errorf("spaces:info: exit %d, no line %q in:\n%s", r.Code, want, r.Stdout)
		}
	}
	r = e.cli(testToken, "apps:info", seedApp)
	for _, want := range []string{"=== test-vpn-compute", "Space:            enablement-jp", "Internal Routing: true",
		"Web URL:          https://test-vpn-compute.herokuapp.com/", "Region:           tokyo", "Dynos:            web: 2"} {
		if r.Code != 0 || !strings.Contains(r.Stdout, want+"\n") {
			t.Errorf("apps:info: exit %d, no line %q in:\n%s", r.Code, want, r.Stdout)
		}
	}
}

// TestCLIBadToken: a wrong HEROKU_API_KEY ends the CLI with its invalid-token message.
func TestCLIBadToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.cli("wrong-token", "spaces")
	if want := "The token provided to HEROKU_API_KEY is invalid."; r.Code != 1 || !strings.Contains(unwrap(r.Stderr), want) {
		t.Errorf("exit %d, stderr %q, want exit 1 and %q", r.Code, r.Stderr, want)
	}
}

// TestCLIFollowsNextRange: with one item per page the CLI must follow Next-Range to the end
// (and stop, since the last page has none).
func TestCLIFollowsNextRange(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *Server) { s.PageSize = 1 })
	pcx := e.requestPeering()
	r := e.cli(testToken, "spaces:peerings", seedSpace)
	if r.Code != 0 {
		t.Fatalf("exit %d", r.Code)
	}
	row(t, r.Stdout, pcx)
	row(t, r.Stdout, e.dataPeering())
}
