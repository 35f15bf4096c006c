package main_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// spacelab runs the binary without a running emulator, in the given state directory (a fresh
// one when empty), and returns its combined output and exit code.
func spacelab(t *testing.T, state string, args ...string) (string, int) {
	t.Helper()
	if state == "" {
		state = t.TempDir()
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+state)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("spacelab %v: %v", args, err)
	}
	return string(out), 0
}

// `spacelab version` says what `go version -m` says the build recorded, and nothing more.
func TestVersionCLI(t *testing.T) {
	out, code := spacelab(t, "", "version")
	if code != 0 {
		t.Fatalf("version (%d): %s", code, out)
	}
	m, err := exec.Command("go", "version", "-m", binary).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, m)
	}
	goVersion := strings.Fields(strings.SplitN(string(m), "\n", 2)[0])[1]
	if !strings.Contains(out, "go      "+goVersion+" ") {
		t.Errorf("version lacks the Go version %s:\n%s", goVersion, out)
	}
	if rev := regexp.MustCompile(`vcs\.revision=([0-9a-f]+)`).FindStringSubmatch(string(m)); rev != nil {
		if !strings.Contains(out, "commit  "+rev[1]) {
			t.Errorf("the build recorded commit %s; version says:\n%s", rev[1], out)
		}
	} else if !strings.Contains(out, "commit  unknown (no VCS info") {
		t.Errorf("the build recorded no commit; version says:\n%s", out)
	}
}
