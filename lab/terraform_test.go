package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/internal/tftest"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netns"
)

// accountState is what an account holds, as the EC2 API describes it, for comparing an
// account before a Terraform apply with the account after its destroy. Deleted peerings and
// terminated instances are left out: EC2 keeps showing them for a while.
func accountState(t *testing.T, ctx context.Context, c *ec2.Client) string {
	t.Helper()
	var parts []any
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	rtbs, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	pcxs, err := c.DescribeVpcPeeringConnections(ctx, &ec2.DescribeVpcPeeringConnectionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var live []types.VpcPeeringConnection
	for _, p := range pcxs.VpcPeeringConnections {
		if p.Status != nil && p.Status.Code != types.VpcPeeringConnectionStateReasonCodeDeleted {
			live = append(live, p)
		}
	}
	insts, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("instance-state-name"),
		Values: []string{"pending", "running", "shutting-down", "stopping", "stopped"}}}})
	if err != nil {
		t.Fatal(err)
	}
	nacls, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{})
	if err != nil {
		t.Fatal(err)
	}
	igws, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{})
	if err != nil {
		t.Fatal(err)
	}
	parts = append(parts, vpcs.Vpcs, subnets.Subnets, rtbs.RouteTables, sgs.SecurityGroups, live,
		insts.Reservations, nacls.NetworkAcls, igws.InternetGateways)
	b, err := json.MarshalIndent(parts, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// clientRun runs a real client with the lab's environment.
func clientRun(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", bin, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// execIn runs a command in a host of the lab and returns its output and exit code.
func execIn(t *testing.T, l *lab.Lab, host string, argv ...string) (string, int) {
	t.Helper()
	ctx := context.Background()
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	code, err := l.Sandbox.Exec(ctx, netns.ExecRequest{Host: host, Argv: argv}, nil, &out, &out)
	if err != nil {
		t.Fatalf("exec %s %v: %v", host, argv, err)
	}
	return out.String(), code
}

// TestTerraformSeedPeering is the seed's Private Space Peering procedure written in Terraform:
// apply the customer side, accept the peering with the real heroku CLI, then curl and dig from
// the instance (real packets); a second plan finds nothing to change, and destroy leaves the
// customer's account as it was.
func TestTerraformSeedPeering(t *testing.T) {
	heroku := testenv.HerokuCLI(t)
	curl := testenv.Binary(t, "curl")
	dig := testenv.Binary(t, "dig")
	l := labtest.Start(t)
	ctx := context.Background()
	env, err := l.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.AWSConfig(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c := ec2.NewFromConfig(cfg)
	before := accountState(t, ctx, c)

	w := tftest.New(t, "testdata/terraform/seed", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	out := w.Outputs()
	if out["account"] != "435886841536" || out["vpc"] != "vpc-0cb1a66017eed9372" {
		t.Errorf("data sources read account %q, vpc %q", out["account"], out["vpc"])
	}
	pcx := out["pcx"]
	w.PlanIsEmpty()

	curlArgs := []string{curl, "-s", "-m", "2", "-D", "-", "-o", "/dev/null", "test-vpn-compute.herokuapp.com"}
	if o, code := execIn(t, l, "ip-172-16-0-8", curlArgs...); code == 0 {
		t.Fatalf("curl got through before the space accepted the peering:\n%s", o)
	}
	full := append(env, "PATH=/usr/bin:/bin:/usr/local/bin")
	if o := clientRun(t, full, heroku, "spaces:peerings:accept", pcx, "--space", "enablement-jp"); !strings.Contains(o, "Accepting and configuring peering connection "+pcx) {
		t.Errorf("accept printed %q", o)
	}
	o, code := execIn(t, l, "ip-172-16-0-8", curlArgs...)
	if code != 0 || !strings.Contains(o, "HTTP/1.1 200 OK") || !regexp.MustCompile(`(?m)^Via: 1\.1 spaces-router \([0-9a-f]{12}\)`).MatchString(o) {
		t.Errorf("curl after accepting (exit %d):\n%s", code, o)
	}
	o, code = execIn(t, l, "ip-172-16-0-8", dig, "test-vpn-compute.herokuapp.com")
	for _, re := range []string{`IN\s+A\s+10\.0\.25\.212`, `IN\s+A\s+10\.0\.15\.133`, `SERVER: 172\.16\.0\.2#53`} {
		if code != 0 || !regexp.MustCompile(re).MatchString(o) {
			t.Errorf("dig (exit %d) lacks %s:\n%s", code, re, o)
		}
	}
	// Accepting changed the peering's status; Terraform reads it back as computed state only.
	w.PlanIsEmpty()

	w.Destroy()
	if o, code := execIn(t, l, "ip-172-16-0-8", curlArgs...); code == 0 {
		t.Errorf("curl got through after destroy:\n%s", o)
	}
	if d := cmp.Diff(before, accountState(t, ctx, c)); d != "" {
		t.Errorf("destroy left the account changed (-before +after):\n%s", d)
	}
	_ = aws.String
}
