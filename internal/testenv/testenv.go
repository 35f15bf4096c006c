// Package testenv gates tests that need something outside Go: a real client binary (the AWS CLI,
// the heroku CLI, curl, dig, strongSwan) or the privilege to build a sandbox. Outside CI a
// missing requirement skips the test, saying what is missing and how to get it; with CI=true it
// fails it, so CI can never pass by skipping. scripts/install-clients.sh installs every client.
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
	} else {
		t.Skipf("skipped: "+format, args...)
	}
}

// InstallScript installs every client the tests use (as root, on Debian).
const InstallScript = "scripts/install-clients.sh"

// HerokuDir and HerokuVersion are where and which heroku CLI InstallScript installs.
const (
	HerokuDir     = "/opt/heroku-cli"
	HerokuVersion = "11.10.0"
)

// packages names what provides each tool, for the message of a skipped test.
var packages = map[string]string{
	"aws":     "Debian's AWS CLI v2 (apt-get install awscli)",
	"python3": "Debian's python3 with boto3 (apt-get install python3-boto3)",
	"heroku":  "the heroku CLI (npm heroku@" + HerokuVersion + ", installed under " + HerokuDir + ")",
	"curl":    "curl (apt-get install curl)",
	"dig":     "dig (apt-get install dnsutils)",
	"tcpdump": "tcpdump (apt-get install tcpdump)",
	"tshark":  "tshark (apt-get install tshark; or bash scripts/install-clients.sh)",
	"charon":  "strongSwan (apt-get install strongswan-charon libcharon-extra-plugins)",
	"swanctl": "strongSwan's swanctl (apt-get install strongswan-swanctl)",
	"iperf3":  "iperf3 (apt-get install iperf3)",
	"nft":     "nftables (apt-get install nftables)",
}

// Binary returns the first of the candidate paths or names that exists and is executable.
// Candidates with a slash are paths; others are looked up in PATH. If none is found the test
// is skipped, or failed under CI, with what provides it and how to install it.
func Binary(t testing.TB, candidates ...string) string {
	t.Helper()
	if p := find(candidates...); p != "" {
		return p
	}
	name := filepath.Base(candidates[len(candidates)-1])
	what := packages[name]
	if what == "" {
		what = name
	}
	Missing(t, "%s is not installed (looked for %v on PATH=%s); `sudo %s` installs it and the other clients",
		what, candidates, os.Getenv("PATH"), InstallScript)
	return ""
}

func find(candidates ...string) string {
	for _, c := range candidates {
		if c == "" {
			continue
		}
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
	return ""
}

// HerokuCLI returns the real heroku CLI (npm package heroku@11): `heroku` on PATH, else the
// copy InstallScript puts under HerokuDir. $SPACELAB_HEROKU_CLI, when set, names another copy
// and comes first.
func HerokuCLI(t testing.TB) string {
	t.Helper()
	return Binary(t, os.Getenv("SPACELAB_HEROKU_CLI"), "heroku", filepath.Join(HerokuDir, "node_modules", ".bin", "heroku"))
}

// AWSCLI returns the real AWS CLI v2: Debian's awscli 2.9 at /usr/bin/aws (a pyenv `aws` on
// PATH may be CLI v1, so the Debian path comes first), or $SPACELAB_AWS_CLI when set.
func AWSCLI(t testing.TB) string {
	t.Helper()
	return Binary(t, os.Getenv("SPACELAB_AWS_CLI"), "/usr/bin/aws", "/usr/local/bin/aws")
}
