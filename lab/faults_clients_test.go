package lab_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/faults"
	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
)

// faultClient runs a real client with env; it returns stdout+stderr and whether it succeeded.
func faultClient(t *testing.T, env []string, bin string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = env, t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatal(err)
	}
	return out.String(), err == nil
}

func envValue(env []string, k string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

// TestFaultAPIErrorInRealClients: an API fault for N calls is what the real AWS CLI and heroku
// CLI print for exactly N calls, then they work again; a stopped dyno is crashed in heroku ps.
func TestFaultAPIErrorInRealClients(t *testing.T) {
	t.Parallel() // its own lab; a dozen real-client runs, the longest test outside Terraform
	aws := testenv.AWSCLI(t)
	heroku := testenv.HerokuCLI(t)
	l := labtest.Start(t)
	ctx := context.Background()
	env, err := l.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []faults.APIRule{
		{Service: "aws", Action: "DescribeVpcs", Code: "UnauthorizedOperation", Status: 403, Count: 2, Message: "You are not authorized to perform this operation."},
		{Service: "heroku", Action: "GET /spaces", Code: "forbidden", Status: 403, Count: 2, Message: "You do not have access to the spaces."},
	} {
		if _, err := l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindAPIError, API: &r}); err != nil {
			t.Fatal(err)
		}
	}
	awsArgs := []string{"--endpoint-url", envValue(env, "AWS_ENDPOINT_URL"), "ec2", "describe-vpcs"}
	for i := range 3 {
		out, ok := faultClient(t, env, aws, awsArgs...)
		if fail := i < 2; ok == fail || fail && !strings.Contains(out, "UnauthorizedOperation") {
			t.Fatalf("aws call %d: ok=%v\n%s", i+1, ok, out)
		}
		out, ok = faultClient(t, env, heroku, "spaces")
		if fail := i < 2; ok == fail || fail && !strings.Contains(out, "You do not have access to the spaces.") || !fail && !strings.Contains(out, "enablement-jp") {
			t.Fatalf("heroku call %d: ok=%v\n%s", i+1, ok, out)
		}
	}
	for _, f := range l.ListFaults(ctx) {
		if f.APIStatus == nil || f.APIStatus.Failed != 2 || f.APIStatus.Remaining != 0 {
			t.Errorf("fault %s: %+v", f.ID, f.APIStatus)
		}
	}
	if _, err := l.AddFault(ctx, lab.FaultSpec{Kind: faults.KindDynoStop, Dyno: &faults.DynoRule{App: "test-vpn-compute", Dyno: "web.1"}}); err != nil {
		t.Fatal(err)
	}
	out, ok := faultClient(t, env, heroku, "ps", "--app", "test-vpn-compute")
	if !ok || !strings.Contains(out, "web.1: crashed") {
		t.Fatalf("heroku ps after the stop:\n%s", out)
	}
	if out, ok := faultClient(t, env, heroku, "ps:restart", "web.1", "--app", "test-vpn-compute"); !ok {
		t.Fatalf("ps:restart: %s", out)
	}
	out, _ = faultClient(t, env, heroku, "ps", "--app", "test-vpn-compute")
	if strings.Contains(out, "crashed") || !strings.Contains(out, "web.1: up") {
		t.Fatalf("heroku ps after the restart:\n%s", out)
	}
}
