package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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
	var running []types.Instance // terminated instances stay visible for a while, as in EC2
	for _, r := range insts.Reservations {
		for _, i := range r.Instances {
			if i.State == nil || i.State.Name != types.InstanceStateNameTerminated {
				running = append(running, i)
			}
		}
	}
	parts = append(parts, vpcs.Vpcs, subnets.Subnets, rtbs.RouteTables, sgs.SecurityGroups, live,
		running, nacls.NetworkAcls, igws.InternetGateways)
	b, err := json.MarshalIndent(parts, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// terraformLab starts a lab for a Terraform test: the lab, the real clients' environment and an
// EC2 client with the customer's credentials.
func terraformLab(t *testing.T) (*lab.Lab, []string, *ec2.Client) {
	t.Helper()
	l := labtest.Start(t)
	env, err := l.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := l.AWSConfig(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return l, env, ec2.NewFromConfig(cfg)
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
	t.Parallel() // each has its own lab; most of a run is the provider waiting
	heroku := testenv.HerokuCLI(t)
	curl := testenv.Binary(t, "curl")
	dig := testenv.Binary(t, "dig")
	l, env, c := terraformLab(t)
	ctx := context.Background()
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

// serveHTTP runs python3's HTTP server on port in a host of the lab until the test ends, and
// waits until it answers there.
func serveHTTP(t *testing.T, l *lab.Lab, host string, port int) {
	t.Helper()
	py := testenv.Binary(t, "/usr/bin/python3", "python3")
	curl := testenv.Binary(t, "curl")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var out bytes.Buffer
		l.Sandbox.Exec(ctx, netns.ExecRequest{Host: host, Argv: []string{py, "-m", "http.server", "--bind", "0.0.0.0", strconv.Itoa(port)}, Dir: t.TempDir()}, nil, &out, &out)
	}()
	t.Cleanup(func() { cancel(); <-done })
	for i := 0; ; i++ {
		if _, code := execIn(t, l, host, curl, "-s", "-o", "/dev/null", "-m", "1", "http://127.0.0.1:"+strconv.Itoa(port)+"/"); code == 0 {
			return
		}
		if i == 200 {
			t.Fatalf("python3 -m http.server %d never answered in %s", port, host)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// httpCode is curl's HTTP status for url from host ("000" when nothing answered).
func httpCode(t *testing.T, l *lab.Lab, host, url string) string {
	t.Helper()
	curl := testenv.Binary(t, "curl")
	out, _ := execIn(t, l, host, curl, "-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}", url)
	return strings.TrimSpace(out)
}

// TestTerraformVPC builds a customer VPC from scratch in Terraform (DNS attributes, subnets by AZ
// name and id, IGW, route table, security group with inline rules, NACL, an instance from a
// data "aws_ami"), plans again with no changes, checks with packets that the internet reaches
// the instance's public address on port 80 and not on 8080, and destroys it all.
func TestTerraformVPC(t *testing.T) {
	t.Parallel() // each has its own lab; most of a run is the provider waiting
	l, env, c := terraformLab(t)
	ctx := context.Background()
	before := accountState(t, ctx, c)
	w := tftest.New(t, "testdata/terraform/vpc", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	w.PlanIsEmpty()
	out := w.Outputs()
	if out["public_ip"] == "" {
		t.Fatalf("the instance in a subnet with map_public_ip_on_launch has no public IP: %v", out)
	}
	serveHTTP(t, l, out["instance"], 80)
	if got := httpCode(t, l, "echo", "http://"+out["public_ip"]+"/"); got != "200" {
		t.Errorf("internet → public IP:80 = %s, want 200 (SG allows 80 from 0.0.0.0/0, route 0.0.0.0/0 → IGW)", got)
	}
	serveHTTP(t, l, out["instance"], 8080)
	if got := httpCode(t, l, "echo", "http://"+out["public_ip"]+":8080/"); got != "000" {
		t.Errorf("internet → public IP:8080 = %s, want nothing (the security group opens 80 only)", got)
	}
	w.Destroy()
	if d := cmp.Diff(before, accountState(t, ctx, c)); d != "" {
		t.Errorf("destroy left the account changed (-before +after):\n%s", d)
	}
}

// TestTerraformDefaultVPC adopts the account's default VPC and its default subnet, route
// table, security group and network ACL; an instance in the default subnet is public on
// launch and, with the adopted group opened for HTTP, reachable from the internet.
func TestTerraformDefaultVPC(t *testing.T) {
	t.Parallel() // each has its own lab; most of a run is the provider waiting
	l, env, c := terraformLab(t)
	ctx := context.Background()
	w := tftest.New(t, "testdata/terraform/defaults", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	w.PlanIsEmpty()
	out := w.Outputs()
	if out["public_ip"] == "" {
		t.Fatalf("an instance in a default subnet has no public IP: %v", out)
	}
	if n := strings.Count(out["subnets"], "subnet-"); n != 6 { // us-east-1 has six zones
		t.Errorf("data aws_subnets of the default VPC found %d subnets (%s), want one per zone", n, out["subnets"])
	}
	serveHTTP(t, l, out["instance"], 80)
	if got := httpCode(t, l, "echo", "http://"+out["public_ip"]+"/"); got != "200" {
		t.Errorf("internet → default-subnet instance:80 = %s, want 200", got)
	}
	w.Destroy()
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	defaults := 0
	for _, v := range vpcs.Vpcs {
		if aws.ToBool(v.IsDefault) {
			defaults++
		}
	}
	// Terraform only forgets adopted default resources on destroy; the default VPC stays.
	if defaults != 1 {
		t.Errorf("after destroy the account has %d default VPCs, want 1", defaults)
	}
}

// TestTerraformSecurityGroupRules: rules as objects (sgr- ids with tags, a rule referencing
// another group) let the app instance reach the database on its port and nothing else; moving
// the rule to another port with a second apply modifies it in place (same sgr- id), and the
// packets follow.
func TestTerraformSecurityGroupRules(t *testing.T) {
	t.Parallel()
	l, env, _ := terraformLab(t)
	w := tftest.New(t, "testdata/terraform/sgrules", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	w.PlanIsEmpty()
	out := w.Outputs()
	serveHTTP(t, l, out["db"], 5432)
	serveHTTP(t, l, out["db"], 5433)
	if got := httpCode(t, l, out["app"], "http://"+out["db_ip"]+":5432/"); got != "200" {
		t.Errorf("app → db:5432 = %s, want 200 (the db group lets the app group in on 5432)", got)
	}
	if got := httpCode(t, l, out["app"], "http://"+out["db_ip"]+":5433/"); got != "000" {
		t.Errorf("app → db:5433 = %s, want nothing before the rule moves", got)
	}
	w.Apply("db_port=5433")
	w.PlanIsEmpty("db_port=5433")
	if after := w.Outputs()["rule"]; after != out["rule"] {
		t.Errorf("moving the rule's port replaced it (%s → %s); ModifySecurityGroupRules keeps its id", out["rule"], after)
	}
	if got := httpCode(t, l, out["app"], "http://"+out["db_ip"]+":5433/"); got != "200" {
		t.Errorf("app → db:5433 = %s after the change, want 200", got)
	}
	if got := httpCode(t, l, out["app"], "http://"+out["db_ip"]+":5432/"); got != "000" {
		t.Errorf("app → db:5432 = %s after the change, want nothing", got)
	}
	w.Destroy("db_port=5433")
}
