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
