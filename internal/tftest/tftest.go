// Package tftest runs the real Terraform CLI, with the hashicorp/aws provider from the machine's
// offline mirror, against a running spacelab. A test copies a configuration from testdata into
// a workspace, which adds the provider block pointed at the lab's EC2/STS endpoint; then it
// applies, plans again (a second plan must find nothing to change), and destroys.
//
// Terraform and the provider cannot be downloaded here: the binary is looked up at
// /usr/local/bin/terraform or on PATH, the provider in the filesystem mirror /opt/tf-plugins
// (override with $SPACELAB_TF_PLUGINS). Outside CI a missing one skips the test, saying so; with
// CI=true it fails it.
//
// To see where a test's time goes, run it with TF_LOG=debug (or trace) and SPACELAB_TF_LOGS=DIR:
// every terraform command's output, with the provider's requests, retries and waits and their
// timestamps, is then kept in DIR as TEST-NN-COMMAND.log.
//
// Every terraform process (and the provider it starts, which inherits its environment) carries
// the mark SPACELAB_TFTEST_OWNER naming the test process. A test binary killed by its timeout
// cannot stop them; the next New, in any test binary, kills those whose owner is gone.
package tftest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/proc"
	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// ProviderVersion is the hashicorp/aws release the mirror holds.
const ProviderVersion = "5.100.0"

// Workspace is one Terraform working directory.
type Workspace struct {
	t   testing.TB
	bin string
	Dir string
	env []string
	n   int // terraform commands run, numbering their logs
}

// Options say where the workspace's provider sends its requests.
type Options struct {
	// Endpoint is the lab's EC2/STS URL (lab.Lab.AWSURL).
	Endpoint string
	// Env is the environment of the real clients (lab.Lab.Env): credentials and region.
	Env []string
	// Region is the provider's region; empty means the env's AWS_REGION.
	Region string
}

func plugins() string {
	if p := os.Getenv("SPACELAB_TF_PLUGINS"); p != "" {
		return p
	}
	return "/opt/tf-plugins"
}

// New copies the configuration in src (its *.tf files) into a fresh workspace, adds the
// provider and CLI configuration, and runs terraform init.
func New(t testing.TB, src string, o Options) *Workspace {
	t.Helper()
	bin := testenv.Binary(t, "/usr/local/bin/terraform", "terraform")
	mirror := Mirror()
	if _, err := os.Stat(mirror); err != nil {
		testenv.Missing(t, "the Terraform provider hashicorp/aws %s in the filesystem mirror %s (%v); set SPACELAB_TF_PLUGINS to another mirror", ProviderVersion, plugins(), err)
	}
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("tftest: no *.tf files in %s", src)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	region := o.Region
	if region == "" {
		region = lookup(o.Env, "AWS_REGION")
	}
	provider := ProviderConfig(region, o.Endpoint)
	if err := os.WriteFile(filepath.Join(dir, "spacelab_provider.tf"), []byte(provider), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := CLIConfig()
	rc := filepath.Join(dir, ".terraformrc")
	if err := os.WriteFile(rc, []byte(cli), 0o644); err != nil {
		t.Fatal(err)
	}
	sweepOnce.Do(func() { sweep(t) })
	env := append(os.Environ(), o.Env...)
	if me, err := proc.Self(); err == nil {
		env = append(env, ownerKey+"="+me.String())
	}
	env = append(env, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_INPUT=0",
		"TF_DATA_DIR="+filepath.Join(dir, ".terraform"))
	if lookup(env, "GOGC") == "" {
		env = append(env, "GOGC="+gogc)
	}
	w := &Workspace{t: t, bin: bin, Dir: dir, env: env}
	w.Must("init", "-input=false", "-no-color")
	return w
}

// gogc is the Go garbage collector's target for terraform and the provider (which inherits
// terraform's environment), unless the environment sets GOGC: most of their CPU time goes to
// building and decoding the provider's schema, about 9 s per provider start at Go's default of
// 100 and 7 s at 400 (`terraform validate`, one start), for about 20 % more memory (770 MB).
// Collecting less often changes nothing they do.
const gogc = "400"

// ownerKey marks the terraform and provider processes of a test process.
const ownerKey = "SPACELAB_TFTEST_OWNER"

var sweepOnce sync.Once

// sweep kills the terraform and provider processes left by a test process that is gone.
func sweep(t testing.TB) {
	marked, err := proc.Marked(ownerKey)
	if err != nil {
		return
	}
	for pid, owner := range marked {
		id, err := proc.Parse(owner)
		if err != nil || id.Alive() {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			t.Logf("tftest: killed process %d, left by test process %v, which is gone", pid, id)
		}
	}
}

// ProviderConfig is the Terraform file that pins the provider to ProviderVersion and sends
// its EC2 and STS requests to endpoint, in region.
func ProviderConfig(region, endpoint string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = %q }
  }
}

provider "aws" {
  region                  = %q
  skip_metadata_api_check = true
  endpoints {
    ec2 = %q
    sts = %q
  }
}
`, ProviderVersion, region, endpoint, endpoint)
}

// CLIConfig is the Terraform CLI configuration (for TF_CLI_CONFIG_FILE) that installs
// providers from the offline filesystem mirror and never from the registry.
func CLIConfig() string {
	return fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/*/*"]
  }
  direct { exclude = ["registry.terraform.io/*/*"] }
}
`, plugins())
}

// Mirror is the folder of the filesystem mirror's hashicorp/aws ProviderVersion.
func Mirror() string {
	return filepath.Join(plugins(), "registry.terraform.io", "hashicorp", "aws", ProviderVersion)
}

func lookup(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// Result is one finished terraform run.
type Result struct {
	Args           []string
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("terraform %s: exit %d\n%s%s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// Run runs terraform with args in the workspace.
func (w *Workspace) Run(args ...string) Result {
	w.t.Helper()
	cmd := exec.CommandContext(context.Background(), w.bin, args...)
	cmd.Dir = w.Dir
	cmd.Env = w.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := Result{Args: args, Stdout: out.String(), Stderr: errb.String()}
	w.keepLog(args[0], out.Bytes(), errb.Bytes())
	if ee, ok := err.(*exec.ExitError); ok {
		r.Code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("tftest: running terraform: %v", err)
	}
	return r
}

// keepLog writes a command's output to $SPACELAB_TF_LOGS, when set.
func (w *Workspace) keepLog(cmd string, stdout, stderr []byte) {
	w.n++
	dir := os.Getenv("SPACELAB_TF_LOGS")
	if dir == "" {
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(w.t.Name())
	f := filepath.Join(dir, fmt.Sprintf("%s-%02d-%s.log", name, w.n, cmd))
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		err = os.WriteFile(f, append(append(stdout, '\n'), stderr...), 0o644)
	}
	if err != nil {
		w.t.Logf("tftest: keeping the log of terraform %s: %v", cmd, err)
	}
}

// Must runs terraform and fails the test unless it exits 0.
func (w *Workspace) Must(args ...string) Result {
	w.t.Helper()
	r := w.Run(args...)
	if r.Code != 0 {
		w.t.Fatal(r)
	}
	return r
}

// Apply applies the configuration, failing the test when it does not succeed.
func (w *Workspace) Apply(vars ...string) {
	w.t.Helper()
	w.Must(append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, varArgs(vars)...)...)
}

// PlanIsEmpty plans again and fails the test when Terraform finds anything to change: what
// the provider reads back must equal what it wrote.
func (w *Workspace) PlanIsEmpty(vars ...string) {
	w.t.Helper()
	r := w.Run(append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}, varArgs(vars)...)...)
	switch r.Code {
	case 0:
	case 2:
		w.t.Fatalf("a second plan found drift (what was read back differs from what was written):\n%s", r.Stdout)
	default:
		w.t.Fatal(r)
	}
}

// Destroy destroys everything the workspace applied.
func (w *Workspace) Destroy(vars ...string) {
	w.t.Helper()
	w.Must(append([]string{"destroy", "-auto-approve", "-input=false", "-no-color"}, varArgs(vars)...)...)
}

// Outputs reads the root module's outputs as strings (lists and maps as their JSON).
func (w *Workspace) Outputs() map[string]string {
	w.t.Helper()
	r := w.Must("output", "-json", "-no-color")
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &raw); err != nil {
		w.t.Fatalf("tftest: terraform output -json: %v", err)
	}
	out := map[string]string{}
	for k, v := range raw {
		var s string
		if json.Unmarshal(v.Value, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(v.Value)
		}
	}
	return out
}

func varArgs(vars []string) []string {
	var out []string
	for _, v := range vars {
		out = append(out, "-var", v)
	}
	return out
}
