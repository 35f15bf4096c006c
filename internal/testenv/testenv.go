// Package testenv gates tests that need something outside Go: a real client binary (the AWS CLI,
// the heroku CLI, curl, dig, strongSwan) or the privilege to build a sandbox. Outside CI a
// missing requirement skips the test; with CI=true it fails it, so CI can never pass by skipping.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where requirements are mandatory.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test, or fails it under CI, explaining what is missing.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf("skipped: "+format, args...)
}

// Binary returns the first of the candidate paths or names that exists and is executable.
// Candidates with a slash are paths; others are looked up in PATH. If none is found the test
// is skipped, or failed under CI.
func Binary(t testing.TB, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if filepath.IsAbs(c) || filepath.Base(c) != c {
			if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	Missing(t, "none of %v is installed", candidates)
	return ""
}

// HerokuCLI returns the real heroku CLI (npm package heroku@11): $SPACELAB_HEROKU_CLI, else
// `heroku` on PATH, else the copy .ci/run installs under /opt/heroku-cli.
func HerokuCLI(t testing.TB) string {
	t.Helper()
	c := []string{"heroku", "/opt/heroku-cli/node_modules/.bin/heroku"}
	if p := os.Getenv("SPACELAB_HEROKU_CLI"); p != "" {
		c = append([]string{p}, c...)
	}
	return Binary(t, c...)
}

// AWSCLI returns the real AWS CLI v2 (Debian's awscli 2.9 at /usr/bin/aws; a pyenv `aws` on
// PATH may be CLI v1, so the Debian path comes first), or $SPACELAB_AWS_CLI.
func AWSCLI(t testing.TB) string {
	t.Helper()
	c := []string{"/usr/bin/aws", "/usr/local/bin/aws"}
	if p := os.Getenv("SPACELAB_AWS_CLI"); p != "" {
		c = append([]string{p}, c...)
	}
	return Binary(t, c...)
}
