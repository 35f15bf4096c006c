package fakeaws_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/fakeaws"
	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// awsCLI runs the real AWS CLI v2 against the test server with a clean environment.
//
// The first command of each action (say `ec2 describe-vpcs`) in the test binary runs as its
// own `aws` process, as a user runs it. Later ones run in one Python process per test
// (testdata/awscli/inprocess.py), through the same entry point the `aws` script calls, with
// their own environment, output and exit code: starting the CLI costs about 0.8 s of CPU of the
// 1.1 s a command costs, and these tests run a few hundred commands.
type awsCLI struct {
	t    *testing.T
	bin  string
	url  string
	home string

	mu   sync.Mutex
	py   *exec.Cmd     // the in-process runner, started at its first command
	req  *os.File      // its requests
	ansF *os.File      // its answers
	ans  *bufio.Reader // reads ansF
}

// cliActions holds the actions that have run as an `aws` process in this test binary.
var cliActions sync.Map

func newCLI(t *testing.T, e *env) *awsCLI {
	// The Debian package's CLI v2; a bare "aws" on PATH may be a CLI v1 shim.
	c := &awsCLI{t: t, bin: testenv.AWSCLI(t), url: e.url, home: t.TempDir()}
	t.Cleanup(c.close)
	return c
}

// run executes aws with an identity and region; it returns stdout, stderr and the exit code.
func (c *awsCLI) run(key, secret, region string, args ...string) (string, string, int) {
	c.t.Helper()
	argv := append([]string{"--endpoint-url", c.url, "--output", "json"}, args...)
	env := []string{
		"HOME=" + c.home, "PATH=/usr/bin:/bin", "AWS_ACCESS_KEY_ID=" + key, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=" + region, "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true",
	}
	if _, seen := cliActions.LoadOrStore(cliAction(args), true); seen {
		if py := cliPython(c.bin); py != "" {
			return c.inProcess(py, argv, env)
		}
	}
	cmd := exec.Command(c.bin, argv...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		c.t.Fatalf("aws %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// cliAction is the service and command of an aws command line: "ec2 describe-vpcs".
func cliAction(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") || len(words) == 2 {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// cliPython is the Python interpreter of the aws script bin (its #! line), or "" when bin is
// not a Python script (the AWS installer's bundle): then every command is a process.
func cliPython(bin string) string {
	f, err := os.Open(bin)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	py, ok := strings.CutPrefix(strings.TrimSpace(line), "#!")
	if !ok || strings.ContainsAny(py, " \t") || !strings.Contains(filepath.Base(py), "python") {
		return ""
	}
	return py
}

// inProcess runs one command in the test's in-process runner, starting it first if need be.
func (c *awsCLI) inProcess(py string, argv, env []string) (string, string, int) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.py == nil {
		reqR, reqW, err := os.Pipe()
		if err != nil {
			c.t.Fatal(err)
		}
		ansR, ansW, err := os.Pipe()
		if err != nil {
			c.t.Fatal(err)
		}
		cmd := exec.Command(py, "testdata/awscli/inprocess.py")
		cmd.Env = env
		cmd.ExtraFiles = []*os.File{reqR, ansW} // fds 3 and 4
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Start()
		reqR.Close()
		ansW.Close()
		if err != nil {
			reqW.Close()
			ansR.Close()
			c.t.Fatalf("aws in-process runner: %v", err)
		}
		c.py, c.req, c.ansF, c.ans = cmd, reqW, ansR, bufio.NewReader(ansR)
	}
	b, err := json.Marshal(struct {
		Args []string `json:"args"`
		Env  []string `json:"env"`
	}{argv, env})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.req.Write(append(b, '\n')); err != nil {
		c.t.Fatalf("aws %v: in-process runner: %v (%s)", argv, err, c.py.Stderr)
	}
	line, err := c.ans.ReadBytes('\n')
	if err != nil {
		c.t.Fatalf("aws %v: in-process runner: %v (%s)", argv, err, c.py.Stderr)
	}
	var ans struct {
		Stdout, Stderr string
		Code           int
	}
	if err := json.Unmarshal(line, &ans); err != nil {
		c.t.Fatalf("aws %v: in-process runner: %v: %s", argv, err, line)
	}
	return ans.Stdout, ans.Stderr, ans.Code
}

// close ends the in-process runner, if one was started.
func (c *awsCLI) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.py == nil {
		return
	}
	c.req.Close() // the runner ends at the end of its requests
	if err := c.py.Wait(); err != nil {
		c.t.Errorf("aws in-process runner: %v\n%s", err, c.py.Stderr)
	}
	c.ansF.Close()
	c.py = nil
}

// ok runs a command that must succeed and decodes its JSON output into v.
func (c *awsCLI) ok(v any, key, secret, region string, args ...string) {
	c.t.Helper()
	out, stderr, code := c.run(key, secret, region, args...)
	if code != 0 {
		c.t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func (c *awsCLI) customer(v any, args ...string) {
	c.t.Helper()
	c.ok(v, customerKey, customerSecret, customerRegion, args...)
}

type cliRoute struct {
	DestinationCidrBlock   string
	GatewayId              string
	VpcPeeringConnectionId string
	State                  string
	Origin                 string
}

type cliRouteTables struct {
	RouteTables []struct {
		RouteTableId string
		Routes       []cliRoute
		Associations []struct{ Main bool }
	}
}

type cliPeering struct {
	VpcPeeringConnectionId string
	Status                 struct{ Code, Message string }
	ExpirationTime         string
	AccepterVpcInfo        struct{ OwnerId, VpcId, Region, CidrBlock string }
	RequesterVpcInfo       struct{ OwnerId, VpcId, Region, CidrBlock string }
}

// TestAWSCLI drives the walkthrough with the real AWS CLI v2 and checks its exit codes and
// JSON output.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)

	var ident struct{ Account, Arn, UserId string }
	cli.customer(&ident, "sts", "get-caller-identity")
	if ident.Account != customerAccount || ident.Arn != "arn:aws:iam::435886841536:user/admin" || !strings.HasPrefix(ident.UserId, "AIDA") {
		t.Errorf("get-caller-identity = %+v", ident)
	}

	var vpcs struct {
		Vpcs []struct {
			VpcId, CidrBlock, State, OwnerId string
			Tags                             []struct{ Key, Value string }
		}
	}
	cli.customer(&vpcs, "ec2", "describe-vpcs")
	if len(vpcs.Vpcs) != 1 || vpcs.Vpcs[0].VpcId != customerVPC || vpcs.Vpcs[0].State != "available" || vpcs.Vpcs[0].OwnerId != customerAccount {
		t.Fatalf("describe-vpcs = %+v", vpcs)
	}

	var created struct{ VpcPeeringConnection cliPeering }
	cli.customer(&created, "ec2", "create-vpc-peering-connection", "--vpc-id", customerVPC, "--peer-vpc-id", spaceVPC,
		"--peer-owner-id", herokuAccount, "--peer-region", herokuRegion)
	pcx := created.VpcPeeringConnection.VpcPeeringConnectionId
	if got := created.VpcPeeringConnection.Status; got.Code != "initiating-request" || got.Message != "Initiating Request to "+herokuAccount {
		t.Errorf("create status = %+v", got)
	}

	var described struct{ VpcPeeringConnections []cliPeering }
	cli.customer(&described, "ec2", "describe-vpc-peering-connections", "--filters",
		"Name=status-code,Values=pending-acceptance,active", "Name=requester-vpc-info.vpc-id,Values="+customerVPC)
	if len(described.VpcPeeringConnections) != 1 {
		t.Fatalf("describe-vpc-peering-connections: %d results", len(described.VpcPeeringConnections))
	}
	p := described.VpcPeeringConnections[0]
	if p.VpcPeeringConnectionId != pcx || p.Status.Code != "pending-acceptance" || p.ExpirationTime == "" || p.AccepterVpcInfo.VpcId != spaceVPC {
		t.Errorf("described = %+v", p)
	}

	// The requester cannot accept: exit 254 and the CLI's error line.
	_, stderr, code := cli.run(customerKey, customerSecret, customerRegion, "ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
	want := fmt.Sprintf("An error occurred (OperationNotPermitted) when calling the AcceptVpcPeeringConnection operation: User (%s) cannot accept peering %s", customerAccount, pcx)
	if code != 254 || strings.TrimSpace(stderr) != want {
		t.Errorf("accept as requester: exit %d, stderr %q; want 254, %q", code, stderr, want)
	}

	var accepted struct{ VpcPeeringConnection cliPeering }
	cli.ok(&accepted, herokuKey, herokuSecret, herokuRegion, "ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
	if got := accepted.VpcPeeringConnection.Status.Code; got != "provisioning" {
		t.Errorf("accept status = %s, want provisioning", got)
	}

	var rts cliRouteTables
	cli.customer(&rts, "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values="+customerVPC)
	if len(rts.RouteTables) != 1 || len(rts.RouteTables[0].Associations) != 1 || !rts.RouteTables[0].Associations[0].Main {
		t.Fatalf("describe-route-tables = %+v", rts)
	}
	rtb := rts.RouteTables[0].RouteTableId

	var ret struct{ Return bool }
	cli.customer(&ret, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "10.0.0.0/16", "--vpc-peering-connection-id", pcx)
	if !ret.Return {
		t.Errorf("create-route Return = false")
	}
	cli.customer(&rts, "ec2", "describe-route-tables", "--filters", "Name=route.vpc-peering-connection-id,Values="+pcx)
	wantRoutes := []cliRoute{
		{DestinationCidrBlock: "172.16.0.0/16", GatewayId: "local", State: "active", Origin: "CreateRouteTable"},
		{DestinationCidrBlock: "10.0.0.0/16", VpcPeeringConnectionId: pcx, State: "active", Origin: "CreateRoute"},
	}
	if len(rts.RouteTables) != 1 {
		t.Fatalf("route tables with the pcx route: %d", len(rts.RouteTables))
	}
	if diff := cmp.Diff(wantRoutes, rts.RouteTables[0].Routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}

	_, stderr, code = cli.run(customerKey, customerSecret, customerRegion, "ec2", "create-route", "--route-table-id", rtb,
		"--destination-cidr-block", "10.0.0.0/16", "--vpc-peering-connection-id", pcx)
	want = "An error occurred (RouteAlreadyExists) when calling the CreateRoute operation: The route identified by 10.0.0.0/16 already exists."
	if code != 254 || strings.TrimSpace(stderr) != want {
		t.Errorf("duplicate create-route: exit %d, stderr %q; want 254, %q", code, stderr, want)
	}

	var sg string
	_ = e.world.View(func(tx *emulator.Tx) error { sg = tx.VPC(customerVPC).DefaultSecurityGroupID; return nil })
	var auth struct {
		Return             bool
		SecurityGroupRules []struct {
			SecurityGroupRuleId, GroupId, IpProtocol, CidrIpv4 string
			FromPort, ToPort                                   int
			IsEgress                                           bool
		}
	}
	cli.customer(&auth, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "80", "--cidr", "10.0.0.0/16")
	if !auth.Return || len(auth.SecurityGroupRules) != 1 {
		t.Fatalf("authorize = %+v", auth)
	}
	if r := auth.SecurityGroupRules[0]; r.GroupId != sg || r.IpProtocol != "tcp" || r.FromPort != 80 || r.ToPort != 80 || r.CidrIpv4 != "10.0.0.0/16" || r.IsEgress {
		t.Errorf("rule = %+v", r)
	}
	var groups struct {
		SecurityGroups []struct {
			GroupId       string
			IpPermissions []struct {
				IpProtocol string
				FromPort   int
				IpRanges   []struct{ CidrIp string }
			}
		}
	}
	cli.customer(&groups, "ec2", "describe-security-groups", "--group-ids", sg, "--filters", "Name=vpc-id,Values="+customerVPC)
	if len(groups.SecurityGroups) != 1 || len(groups.SecurityGroups[0].IpPermissions) != 2 ||
		groups.SecurityGroups[0].IpPermissions[1].FromPort != 80 || groups.SecurityGroups[0].IpPermissions[1].IpRanges[0].CidrIp != "10.0.0.0/16" {
		t.Errorf("describe-security-groups = %+v", groups)
	}

	var instances struct {
		Reservations []struct {
			Instances []struct {
				InstanceId, PrivateIpAddress string
				State                        struct{ Name string }
			}
		}
	}
	cli.customer(&instances, "ec2", "describe-instances", "--filters", "Name=vpc-id,Values="+customerVPC)
	if len(instances.Reservations) != 1 || instances.Reservations[0].Instances[0].PrivateIpAddress != "172.16.0.8" || instances.Reservations[0].Instances[0].State.Name != "running" {
		t.Errorf("describe-instances = %+v", instances)
	}
}

// TestAWSCLIErrors checks the CLI's view of refusals: exit 254 and its error line.
func TestAWSCLIErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cli := newCLI(t, e)
	tests := []struct {
		name   string
		secret string
		args   []string
		want   string
	}{
		{"not found", customerSecret, []string{"ec2", "describe-vpcs", "--vpc-ids", "vpc-0000000000000dead"},
			"An error occurred (InvalidVpcID.NotFound) when calling the DescribeVpcs operation: The vpc ID 'vpc-0000000000000dead' does not exist"},
		{"dry run", customerSecret, []string{"ec2", "describe-vpcs", "--dry-run"},
			"An error occurred (DryRunOperation) when calling the DescribeVpcs operation: Request would have succeeded, but DryRun flag is set."},
		{"bad secret", "wrong", []string{"ec2", "describe-vpcs"},
			"An error occurred (AuthFailure) when calling the DescribeVpcs operation: AWS was not able to validate the provided access credentials"},
		{"sts bad secret", "wrong", []string{"sts", "get-caller-identity"},
			"An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"unknown filter", customerSecret, []string{"ec2", "describe-route-tables", "--filters", "Name=colour,Values=red"},
			"An error occurred (InvalidParameterValue) when calling the DescribeRouteTables operation: The filter 'colour' is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := cli.run(customerKey, tt.secret, customerRegion, tt.args...)
			if code != 254 || strings.TrimSpace(stderr) != tt.want {
				t.Errorf("exit %d, stderr %q; want 254, %q", code, stderr, tt.want)
			}
		})
	}
}

// TestAWSCLIPagination: the CLI follows nextToken on its own and merges the pages.
func TestAWSCLIPagination(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	e := newEnv(t, func(s *fakeaws.Server) {
		s.Inject = func(action string, _ emulator.Caller) *emulator.AWSError {
			if action == "DescribeSubnets" {
				calls.Add(1)
			}
			return nil
		}
	})
	if err := e.world.Update(func(tx *emulator.Tx) error {
		for i := 1; i <= 11; i++ {
			if _, err := tx.CreateSubnet(emulator.Caller{Account: customerAccount, Region: customerRegion}, customerVPC,
				mustPrefix(fmt.Sprintf("172.16.%d.0/24", i)), emulator.SubnetOptions{}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cli := newCLI(t, e)
	var out struct{ Subnets []struct{ SubnetId string } }
	cli.customer(&out, "ec2", "describe-subnets", "--page-size", "5")
	if len(out.Subnets) != 12 || calls.Load() != 3 {
		t.Errorf("describe-subnets --page-size 5: %d subnets in %d calls, want 12 in 3", len(out.Subnets), calls.Load())
	}
}
