package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a skip or failure instead of stopping.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestBinary(t *testing.T) {
	dir := t.TempDir()
	heroku := filepath.Join(dir, "heroku")
	if err := os.WriteFile(heroku, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, ci string
		want           string // found path, or a phrase of the skip/fail message
		skip, fail     bool
	}{
		{"found on PATH", dir, "", heroku, false, false},
		{"missing outside CI: skipped with what and how", "/nonexistent", "", "the heroku CLI (npm heroku@11.10.0, installed under /opt/heroku-cli) is not installed", true, false},
		{"missing outside CI names the script", "/nonexistent", "", "`sudo scripts/install-clients.sh` installs it", true, false},
		{"missing under CI fails", "/nonexistent", "true", "required under CI=true: the heroku CLI", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			got := Binary(r, "heroku", filepath.Join("/nonexistent", "heroku"))
			switch {
			case tc.skip:
				if !strings.Contains(r.skipped, tc.want) || r.failed != "" {
					t.Fatalf("skip %q, fail %q; want a skip with %q", r.skipped, r.failed, tc.want)
				}
			case tc.fail:
				if !strings.Contains(r.failed, tc.want) || r.skipped != "" {
					t.Fatalf("skip %q, fail %q; want a failure with %q", r.skipped, r.failed, tc.want)
				}
			default:
				if got != tc.want || r.skipped != "" || r.failed != "" {
					t.Fatalf("got %q (skip %q, fail %q), want %q", got, r.skipped, r.failed, tc.want)
				}
			}
		})
	}
}
