package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// The CLI is tested as users run it: a built binary, `spacelab up` in the background, the real
// clients pointed at it by the env file it writes.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spacelab-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "spacelab")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// up is a running `spacelab up` with its own state directory and the environment it printed.
type up struct {
	t     *testing.T
	cmd   *exec.Cmd
	state string
	env   []string
	out   *bytes.Buffer
}

func startUp(t *testing.T, args ...string) *up {
	t.Helper()
	return startCommand(t, []string{"up"}, args...)
}

// startCommand starts a command that runs the emulator like `spacelab up` (up, lab start).
func startCommand(t *testing.T, command []string, args ...string) *up {
	t.Helper()
	netnstest.Start(t) // skip (or fail under CI) where no sandbox can be made
	state, err := os.MkdirTemp("", "sl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	u := &up{t: t, state: state, out: &bytes.Buffer{}}
	cmd := exec.Command(binary, append(append(command, "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0"), args...)...)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+state)
	cmd.Stderr = u.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	u.cmd = cmd
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			u.run("down")
			cmd.Wait()
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		u.env = append(u.env, k+"="+strings.Trim(v, "'"))
		if k == "AWS_CONFIG_FILE" { // the last line
			break
		}
	}
	if len(u.env) == 0 {
		cmd.Wait()
		t.Fatalf("spacelab up printed no environment:\n%s", u.out)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return u
}

func (u *up) getenv(k string) string {
	for _, kv := range u.env {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

// run runs the spacelab binary against this up's state directory.
func (u *up) run(args ...string) (string, int) {
	u.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+u.state)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("spacelab %v: %v", args, err)
	}
	return string(out), code
}

// client runs a real client with the environment `up` printed (and a private HOME).
func (u *up) client(bin string, args ...string) (string, int) {
	u.t.Helper()
	cmd := exec.Command(bin, args...)
	home := u.t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}, u.env...)
	cmd.Dir = home
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("%s: %v", bin, err)
	}
	return out.String(), code
}

// aws runs the AWS CLI at the lab's endpoint and decodes its JSON output; a failure fails the test.
func (u *up) aws(bin string, args ...string) map[string]any {
	u.t.Helper()
	out, code := u.client(bin, append([]string{"--endpoint-url", u.getenv("AWS_ENDPOINT_URL"), "--output", "json"}, args...)...)
	if code != 0 {
		u.t.Fatalf("aws %v (%d):\n%s", args, code, out)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil && strings.TrimSpace(out) != "" {
		u.t.Fatalf("aws %v: %v\n%s", args, err, out)
	}
	return v
}

// heroku runs the heroku CLI; a failure fails the test.
func (u *up) heroku(bin string, args ...string) string {
	u.t.Helper()
	out, code := u.client(bin, args...)
	if code != 0 {
		u.t.Fatalf("heroku %v (%d):\n%s", args, code, out)
	}
	return out
}

func TestLabUpHostsExecDown(t *testing.T) {
	u := startUp(t)
	out, code := u.run("hosts")
	if code != 0 || !strings.Contains(out, "ip-172-16-0-8") || !strings.Contains(out, "test-vpn-compute/web.1") {
		t.Fatalf("hosts (%d):\n%s", code, out)
	}
	out, code = u.run("exec", "ip-172-16-0-8", "--", "hostname")
	if code != 0 || strings.TrimSpace(out) != "ip-172-16-0-8.ec2.internal" {
		t.Fatalf("exec hostname (%d): %q", code, out)
	}
	out, code = u.run("exec", "test-vpn-compute/web.1", "--", "sh", "-c", "echo $PORT $DYNO; exit 7")
	if code != 7 || strings.TrimSpace(out) != "5000 web.1" {
		t.Fatalf("exec in a dyno (%d): %q", code, out)
	}
	if out, code = u.run("exec", "no-such-host", "--", "true"); code == 0 || !strings.Contains(out, "spacelab hosts") {
		t.Fatalf("exec on a missing host (%d): %q", code, out)
	}
	if out, code = u.run("status"); code != 0 || !strings.Contains(out, "PEERING") {
		t.Fatalf("status (%d): %q", code, out)
	}
	if out, code = u.run("up", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0"); code == 0 || !strings.Contains(out, "already running") {
		t.Fatalf("a second up (%d): %q", code, out)
	}
	if _, code = u.run("down"); code != 0 {
		t.Fatal("down failed")
	}
	if err := u.cmd.Wait(); err != nil {
		t.Fatalf("up exited with %v:\n%s", err, u.out)
	}
	if _, err := os.Stat(u.state); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(u.state)
		t.Fatalf("state directory left behind: %v", entries)
	}
}

// processes lists pids whose command line contains s.
func processes(s string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})), s) {
			out = append(out, pid)
		}
	}
	return out
}

// running reports whether a process exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}

func hostLinks(t *testing.T) string {
	b, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n")[2:] {
		if n, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// addedLinks lists the links of after that before lacked, except Docker's: a container that
// another test (spacelabcontainer) or program starts meanwhile adds a veth named veth + 7 hex
// digits, or one enslaved to a Docker bridge. spacelab creates no link in the caller's namespace.
func addedLinks(before, after string) []string {
	had := map[string]bool{}
	for _, n := range strings.Split(before, ",") {
		had[n] = true
	}
	var added []string
	for _, n := range strings.Split(after, ",") {
		if had[n] || dockerVeth.MatchString(n) {
			continue
		}
		if m, err := os.Readlink("/sys/class/net/" + n + "/master"); err == nil &&
			(strings.HasSuffix(m, "/docker0") || strings.Contains(m, "/br-")) {
			continue
		}
		added = append(added, n)
	}
	return added
}

var dockerVeth = regexp.MustCompile(`^veth[0-9a-f]{7}$`)

func TestLabKill9LeavesNothing(t *testing.T) {
	links := hostLinks(t)
	u := startUp(t)
	marker := fmt.Sprintf("sleep %d", 100000+time.Now().UnixNano()%100000)
	bg := exec.Command(binary, "exec", "ip-172-16-0-8", "--", "sh", "-c", marker)
	bg.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+u.state)
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(processes(marker)) < 2 && time.Now().Before(deadline) { // the sh and its client
		time.Sleep(20 * time.Millisecond)
	}
	pidFile, _ := os.ReadFile(filepath.Join(u.state, "sandbox.pid"))
	sandboxPid, _ := strconv.Atoi(strings.Fields(string(pidFile))[0])
	if err := u.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	u.cmd.Wait()
	bg.Wait()
	start := time.Now()
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (running(sandboxPid) || len(processes(marker)) > 0) {
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("everything gone %v after the kill", time.Since(start))
	if running(sandboxPid) {
		t.Errorf("the sandbox (pid %d) outlived a kill -9 of up", sandboxPid)
	}
	if p := processes(marker); len(p) > 0 {
		t.Errorf("a process started in a host outlived it: %v", p)
	}
	if added := addedLinks(links, hostLinks(t)); len(added) > 0 {
		t.Errorf("host links appeared: %v (before: %s)", added, links)
	}
	if entries, _ := os.ReadDir("/run/netns"); len(entries) > 0 {
		t.Errorf("named network namespaces exist: %v", entries)
	}
	out, code := u.run("down")
	if code != 0 {
		t.Fatalf("down after kill -9 (%d): %s", code, out)
	}
	if _, err := os.Stat(u.state); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(u.state)
		t.Fatalf("state directory left behind: %v", entries)
	}
}

// TestRealClients is the walkthrough done by hand: the real AWS CLI v2 and heroku CLI against
// `spacelab up`, and real curl and dig inside the instance through `spacelab exec`.
func TestRealClients(t *testing.T) {
	aws := testenv.AWSCLI(t)
	heroku := testenv.HerokuCLI(t)
	testenv.Binary(t, "curl")
	testenv.Binary(t, "dig")
	u := startUp(t)
	awsRun := func(args ...string) map[string]any { t.Helper(); return u.aws(aws, args...) }
	herokuRun := func(args ...string) string { t.Helper(); return u.heroku(heroku, args...) }
	info := herokuRun("spaces:peering:info", "enablement-jp")
	for _, want := range []string{"AWS Account ID:    884226375513", "AWS Region:        ap-northeast-1", "AWS VPC ID:        vpc-b39527d4", "AWS VPC CIDR:      10.0.0.0/16", "Unavailable CIDRs: 10.1.0.0/16"} {
		if !strings.Contains(info, want) {
			t.Errorf("peering:info lacks %q:\n%s", want, info)
		}
	}
	pcx := awsRun("ec2", "create-vpc-peering-connection", "--vpc-id", "vpc-0cb1a66017eed9372", "--peer-vpc-id", "vpc-b39527d4",
		"--peer-owner-id", "884226375513", "--peer-region", "ap-northeast-1")["VpcPeeringConnection"].(map[string]any)["VpcPeeringConnectionId"].(string)
	table := herokuRun("spaces:peerings", "enablement-jp")
	if !regexp.MustCompile(pcx + `\s+unknown\s+172\.16\.0\.0/16\s+pending-acceptance\s+vpc-0cb1a66017eed9372\s+us-east-1\s+20\d\d-`).MatchString(table) {
		t.Errorf("pending row missing:\n%s", table)
	}
	if !regexp.MustCompile(`heroku-managed\s+10\.1\.0\.0/16\s+active`).MatchString(table) {
		t.Errorf("heroku-managed row missing:\n%s", table)
	}
	if out := herokuRun("spaces:peerings:accept", pcx, "--space", "enablement-jp"); !strings.Contains(out, "Accepting and configuring peering connection "+pcx) {
		t.Errorf("accept printed %q", out)
	}
	table = herokuRun("spaces:peerings", "enablement-jp")
	if !regexp.MustCompile(pcx + `\s+customer-managed\s+172\.16\.0\.0/16\s+active\s+vpc-0cb1a66017eed9372\s+us-east-1\s+435886841536`).MatchString(table) {
		t.Errorf("active row missing:\n%s", table)
	}
	rtbs := awsRun("ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values=vpc-0cb1a66017eed9372")["RouteTables"].([]any)
	rtb := rtbs[0].(map[string]any)["RouteTableId"].(string)
	curl := []string{"exec", "ip-172-16-0-8", "--", "curl", "-s", "-m", "2", "-D", "-", "-o", "/dev/null", "test-vpn-compute.herokuapp.com"}
	if out, code := u.run(curl...); code == 0 {
		t.Errorf("curl worked before the AWS route:\n%s", out)
	}
	awsRun("ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "10.0.0.0/16", "--vpc-peering-connection-id", pcx)
	out, code := u.run(curl...)
	if code != 0 || !strings.Contains(out, "HTTP/1.1 200 OK") || !regexp.MustCompile(`(?m)^Via: 1\.1 spaces-router \([0-9a-f]{12}\)`).MatchString(out) {
		t.Errorf("curl after the route (%d):\n%s", code, out)
	}
	out, code = u.run("exec", "ip-172-16-0-8", "--", "dig", "test-vpn-compute.herokuapp.com")
	for _, re := range []string{`test-vpn-compute\.herokuapp\.com\.\s+60\s+IN\s+A\s+10\.0\.25\.212`, `test-vpn-compute\.herokuapp\.com\.\s+60\s+IN\s+A\s+10\.0\.15\.133`, `SERVER: 172\.16\.0\.2#53`} {
		if code != 0 || !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("dig (%d) lacks %s:\n%s", code, re, out)
		}
	}
	awsRun("ec2", "delete-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
	if out, code := u.run(curl...); code == 0 {
		t.Errorf("curl worked after deleting the peering:\n%s", out)
	}
	_ = context.Background
}

// TestRealClientsRules drives the Private Space and VPC rules with the real CLIs against
// `spacelab up --topology lab` and checks each with packets through `spacelab exec`.
func TestRealClientsRules(t *testing.T) {
	aws := testenv.AWSCLI(t)
	heroku := testenv.HerokuCLI(t)
	testenv.Binary(t, "curl")
	testenv.Binary(t, "dig")
	u := startUp(t, "--topology", "lab")
	awsRun := func(args ...string) map[string]any { t.Helper(); return u.aws(aws, args...) }
	herokuRun := func(args ...string) string { t.Helper(); return u.heroku(heroku, args...) }
	curl := func(host, url string) (string, int) {
		return u.run("exec", host, "--", "curl", "-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", url)
	}
	// Trusted IPs, with the heroku CLI.
	if out, code := curl("cafe-client", "http://shop-web.herokuapp.com/"); code != 0 || out != "200" {
		t.Fatalf("before any trusted-ips change: %d %q", code, out)
	}
	herokuRun("spaces:trusted-ips:add", "203.0.113.0/24", "--space", "rules-lab")
	herokuRun("spaces:trusted-ips:remove", "0.0.0.0/0", "--space", "rules-lab")
	if out := herokuRun("spaces:trusted-ips", "rules-lab"); !strings.Contains(out, "203.0.113.0/24") || strings.Contains(out, "0.0.0.0/0") {
		t.Fatalf("trusted-ips:\n%s", out)
	}
	if out, code := curl("cafe-client", "http://shop-web.herokuapp.com/"); code == 0 {
		t.Fatalf("an untrusted client was served: %q", out)
	}
	if out, code := curl("office-client", "http://shop-web.herokuapp.com/"); code != 0 || out != "200" {
		t.Fatalf("a trusted client was refused: %d %q", code, out)
	}
	// A new app in the space, scaled with the CLI, is served through the router.
	herokuRun("apps:create", "fresh-app", "--space", "rules-lab", "--no-remote")
	herokuRun("ps:scale", "web=2", "--app", "fresh-app")
	if out, code := curl("office-client", "http://fresh-app.herokuapp.com/"); code != 0 || out != "200" {
		t.Fatalf("the new app: %d %q", code, out)
	}
	// Stable outbound IPs: what spaces:info lists is what the internet sees.
	info := herokuRun("spaces:info", "rules-lab")
	out, code := u.run("exec", "fresh-app/web.2", "--", "curl", "-s", "-m", "2", "http://echo.example.com/")
	if code != 0 || !strings.Contains(info, strings.TrimSpace(out)) || strings.TrimSpace(out) == "" {
		t.Fatalf("left from %q; spaces:info:\n%s", out, info)
	}
	// Service discovery from inside the space.
	out, code = u.run("exec", "shop-web/web.1", "--", "dig", "+short", "worker.shop-web.app.localspace")
	if n := len(strings.Fields(out)); code != 0 || n != 3 {
		t.Fatalf("dig worker.shop-web.app.localspace (%d): %q", code, out)
	}
	// AWS: an instance with a public IP behind an internet gateway, all with the AWS CLI.
	igw := awsRun("ec2", "create-internet-gateway")["InternetGateway"].(map[string]any)["InternetGatewayId"].(string)
	awsRun("ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", "vpc-0a1a1a1a1a1a1a1a1")
	rtb := awsRun("ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values=vpc-0a1a1a1a1a1a1a1a1")["RouteTables"].([]any)[0].(map[string]any)["RouteTableId"].(string)
	awsRun("ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw)
	run := awsRun("ec2", "run-instances", "--image-id", "ami-0abcdef1234567890", "--count", "1", "--instance-type", "t3.micro",
		"--subnet-id", "subnet-0a1a1a1a1a1a1a1a1", "--associate-public-ip-address")
	inst := run["Instances"].([]any)[0].(map[string]any)
	pub, _ := inst["PublicIpAddress"].(string)
	id := inst["InstanceId"].(string)
	if pub == "" {
		t.Fatalf("no public IP: %v", inst)
	}
	out, code = u.run("exec", id, "--", "curl", "-s", "-m", "2", "http://echo.example.com/")
	if code != 0 || strings.TrimSpace(out) != pub {
		t.Fatalf("the instance left from %q (%d), want %s", out, code, pub)
	}
	// A network ACL deny beats a security group allow: VPC B reaches a1 in VPC A over a peering.
	pcx := awsRun("ec2", "create-vpc-peering-connection", "--vpc-id", "vpc-0b2b2b2b2b2b2b2b2", "--peer-vpc-id", "vpc-0a1a1a1a1a1a1a1a1")["VpcPeeringConnection"].(map[string]any)["VpcPeeringConnectionId"].(string)
	awsRun("ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
	rtbB := awsRun("ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values=vpc-0b2b2b2b2b2b2b2b2")["RouteTables"].([]any)[0].(map[string]any)["RouteTableId"].(string)
	awsRun("ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "172.20.0.0/16", "--vpc-peering-connection-id", pcx)
	awsRun("ec2", "create-route", "--route-table-id", rtbB, "--destination-cidr-block", "172.16.0.0/16", "--vpc-peering-connection-id", pcx)
	if _, code := curl("b1", "http://172.16.0.8/"); code == 0 {
		t.Fatal("the default security group let VPC B in")
	}
	awsRun("ec2", "authorize-security-group-ingress", "--group-id",
		awsRun("ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values=vpc-0a1a1a1a1a1a1a1a1", "Name=group-name,Values=default")["SecurityGroups"].([]any)[0].(map[string]any)["GroupId"].(string),
		"--protocol", "tcp", "--port", "80", "--cidr", "172.20.0.0/16")
	if out, code := curl("b1", "http://172.16.0.8/"); code != 0 || out != "200" {
		t.Fatalf("the SG allows HTTP from VPC B, yet: %d %q", code, out)
	}
	acl := awsRun("ec2", "create-network-acl", "--vpc-id", "vpc-0a1a1a1a1a1a1a1a1")["NetworkAcl"].(map[string]any)["NetworkAclId"].(string)
	for _, e := range [][]string{
		{"--ingress", "--rule-number", "50", "--protocol", "tcp", "--port-range", "From=80,To=80", "--cidr-block", "172.20.0.0/16", "--rule-action", "deny"},
		{"--ingress", "--rule-number", "100", "--protocol", "-1", "--cidr-block", "0.0.0.0/0", "--rule-action", "allow"},
		{"--egress", "--rule-number", "100", "--protocol", "-1", "--cidr-block", "0.0.0.0/0", "--rule-action", "allow"},
	} {
		awsRun(append([]string{"ec2", "create-network-acl-entry", "--network-acl-id", acl}, e...)...)
	}
	acls := awsRun("ec2", "describe-network-acls", "--filters", "Name=association.subnet-id,Values=subnet-0a1a1a1a1a1a1a1a1")["NetworkAcls"].([]any)
	var assoc string
	for _, a := range acls[0].(map[string]any)["Associations"].([]any) {
		if m := a.(map[string]any); m["SubnetId"] == "subnet-0a1a1a1a1a1a1a1a1" {
			assoc = m["NetworkAclAssociationId"].(string)
		}
	}
	awsRun("ec2", "replace-network-acl-association", "--association-id", assoc, "--network-acl-id", acl)
	if out, code := curl("b1", "http://172.16.0.8/"); code == 0 {
		t.Fatalf("the NACL deny did not win over the SG allow: %q", out)
	}
	if out, code := u.run("exec", "a1", "--", "curl", "-s", "-m", "2", "http://echo.example.com/"); code == 0 {
		t.Fatalf("a1 has no public IP but reached the internet: %q", out)
	}
}

// TestRealStrongswanVPN is the VPN walkthrough done by hand: the real heroku CLI creates the
// connection, a real strongSwan in office-gw (scripts/office-strongswan.sh, configured from
// spaces:vpn:config) brings both tunnels up, spaces:vpn:connections shows UP/UP, office-pc reaches
// the internal app and never Postgres, and the internet sees only UDP 500/4500 between the two
// gateways.
func TestRealStrongswanVPN(t *testing.T) {
	heroku := testenv.HerokuCLI(t)
	testenv.Binary(t, "/usr/lib/ipsec/charon")
	testenv.Binary(t, "/usr/sbin/swanctl")
	tcpdump := testenv.Binary(t, "tcpdump")
	testenv.Binary(t, "curl")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root: strongSwan's kernel-libipsec needs /dev/net/tun")
	}
	u := startUp(t)
	herokuRun := func(args ...string) string { t.Helper(); return u.heroku(heroku, args...) }
	herokuRun("spaces:vpn:connect", "office", "--ip", "203.0.113.20", "--cidrs", "192.168.0.0/16", "--space", "enablement-jp")
	herokuRun("spaces:vpn:wait", "office", "--space", "enablement-jp", "--interval", "1")
	var cfg struct {
		Tunnels []struct {
			IP string `json:"ip"`
		} `json:"tunnels"`
	}
	if err := json.Unmarshal([]byte(herokuRun("spaces:vpn:config", "office", "--space", "enablement-jp", "--json")), &cfg); err != nil || len(cfg.Tunnels) != 2 {
		t.Fatalf("vpn:config: %v %+v", err, cfg)
	}
	// As sudo runs it: no HEROKU_* or state-directory variables, spacelab not on PATH (only
	// beside the scripts directory, where go build -o spacelab puts it); and a charon that
	// crashes at start. The script finds the env file, gets as far as starting charon, and says
	// it crashed instead of claiming strongSwan runs.
	if _, err := os.Stat(fmt.Sprintf("/tmp/spacelab-%d/env", os.Getuid())); err != nil {
		fake := 40000 + os.Getpid()%20000 // a SUDO_UID no one has: its state directory is this lab's
		link := fmt.Sprintf("/tmp/spacelab-%d", fake)
		os.Remove(link)
		if err := os.Symlink(u.state, link); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(link)
		tree := t.TempDir()
		os.Mkdir(filepath.Join(tree, "scripts"), 0o755)
		src, err := os.ReadFile("../../scripts/office-strongswan.sh")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(tree, "scripts", "office-strongswan.sh"), src, 0o755)
		os.Symlink(binary, filepath.Join(tree, "spacelab"))
		crash := filepath.Join(tree, "charon")
		os.WriteFile(crash, []byte("#!/bin/sh\necho 'charon: plugin loading crashed' >&2\nkill -SEGV $$\n"), 0o755)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "HEROKU") && !strings.HasPrefix(kv, "SPACELAB") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") && !strings.HasPrefix(kv, "PATH=") {
				env = append(env, kv)
			}
		}
		sudo := exec.Command("bash", filepath.Join(tree, "scripts", "office-strongswan.sh"), "office", "enablement-jp")
		sudo.Env = append(env, "PATH=/usr/bin:/bin", fmt.Sprintf("SUDO_UID=%d", fake), "HEROKU="+heroku, "CHARON="+crash,
			"STRONGSWAN_DIR="+filepath.Join(tree, "ss"), "HOME="+tree)
		out, err := sudo.CombinedOutput()
		if err == nil || strings.Contains(string(out), "strongSwan runs") || !strings.Contains(string(out), "charon did not start in office-gw") ||
			!strings.Contains(string(out), "plugin loading crashed") {
			t.Fatalf("office-strongswan.sh as under sudo, with a crashing charon (%v):\n%s", err, out)
		}
	}
	ssDir := t.TempDir()
	script := exec.Command("bash", "../../scripts/office-strongswan.sh", "office", "enablement-jp")
	script.Env = append(append(os.Environ(), u.env...), "SPACELAB="+binary, "HEROKU="+heroku, "SPACELAB_STATE_DIR="+u.state,
		"STRONGSWAN_DIR="+ssDir, "HOME="+t.TempDir())
	if out, err := script.CombinedOutput(); err != nil {
		t.Fatalf("office-strongswan.sh: %v\n%s", err, out)
	}
	// The capture starts once strongSwan listens (before, the Heroku gateway's own attempts draw
	// ICMP port unreachable from office-gw, which is not the tunnel's traffic).
	pcap := filepath.Join(t.TempDir(), "internet.pcap")
	capture := exec.Command(binary, "exec", "internet", "--", tcpdump, "-n", "-i", "any", "-U", "--immediate-mode", "-w", "-",
		fmt.Sprintf("host 203.0.113.20 and (host %s or host %s)", cfg.Tunnels[0].IP, cfg.Tunnels[1].IP))
	capture.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+u.state)
	var capOut bytes.Buffer
	pcapFile, err := os.Create(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer pcapFile.Close()
	capture.Stdout, capture.Stderr = pcapFile, &capOut
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	t.Cleanup(func() {
		stop := exec.Command("bash", "../../scripts/office-strongswan.sh", "--stop")
		stop.Env = append(os.Environ(), "STRONGSWAN_DIR="+ssDir)
		// --stop returns once charon has exited, and says so.
		if out, err := stop.CombinedOutput(); err != nil || !strings.Contains(string(out), "stopped strongSwan") {
			t.Errorf("office-strongswan.sh --stop (%v):\n%s", err, out)
		}
	})
	var table string
	for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		table = herokuRun("spaces:vpn:connections", "--space", "enablement-jp")
		if strings.Contains(table, "UP/UP") {
			break
		}
	}
	if !strings.Contains(table, "UP/UP") {
		log, _ := os.ReadFile(filepath.Join(ssDir, "charon.log"))
		t.Fatalf("tunnels not up:\n%s\n%s\ncharon:\n%s", table, herokuRun("spaces:vpn:info", "office", "--space", "enablement-jp"), log)
	}
	out, code := u.run("exec", "office-pc", "--", "curl", "-s", "-m", "3", "-D", "-", "-o", "/dev/null", "test-vpn-compute.herokuapp.com")
	if code != 0 || !strings.Contains(out, "200 OK") || !strings.Contains(out, "Via: 1.1 spaces-router") {
		t.Fatalf("office-pc → app (%d):\n%s", code, out)
	}
	if out, code := u.run("exec", "office-pc", "--", "curl", "-s", "-m", "2", "telnet://10.1.0.10:5432"); code == 0 {
		t.Fatalf("office-pc reached Postgres: %q", out)
	}
	// Like a peered VPC, the office reaches the app's internal routers, not a dyno's own address.
	topo := herokuRun("spaces:topology", "enablement-jp", "--json")
	dynoIP := regexp.MustCompile(`"private_ip":\s*"(10\.0\.[0-9.]+)"`).FindStringSubmatch(topo)
	if dynoIP == nil {
		t.Fatalf("no dyno address in spaces:topology:\n%s", topo)
	}
	if out, code := u.run("exec", "office-pc", "--", "curl", "-s", "-m", "2", "http://"+dynoIP[1]+":5000/"); code == 0 {
		t.Fatalf("office-pc reached the dyno %s directly: %q", dynoIP[1], out)
	}
	time.Sleep(300 * time.Millisecond)
	capture.Process.Signal(syscall.SIGINT)
	capture.Wait()
	read, err := exec.Command(tcpdump, "-n", "-r", pcap).CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump -r: %v\n%s", err, read)
	}
	lines := 0
	for _, l := range strings.Split(strings.TrimSpace(string(read)), "\n") {
		if !strings.Contains(l, " IP ") {
			continue
		}
		lines++
		if !regexp.MustCompile(`\.(500|4500) > [0-9.]+\.(500|4500): `).MatchString(l) {
			t.Errorf("not IKE/ESP-in-UDP on the internet: %s", l)
		}
		if strings.Contains(l, "tcp") || strings.Contains(l, "HTTP") {
			t.Errorf("cleartext on the internet: %s", l)
		}
	}
	if lines < 10 {
		t.Fatalf("captured only %d packets between the gateways:\n%s\ntcpdump: %s", lines, read, capOut.String())
	}
	t.Logf("%d packets between office-gw and the Heroku gateways, all UDP 500/4500", lines)
}
