package main_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// TestUserProgramBehindTheRouter: a topology whose web process type is
// `python3 -m http.server $PORT`; after the seed's peering, curl from the peered instance gets
// that server's answer through the spaces router (with Via); the program saw PORT, DYNO and a
// config var; heroku ps:restart starts it again, and spacelab logs shows it all.
func TestUserProgramBehindTheRouter(t *testing.T) {
	aws := testenv.AWSCLI(t)
	heroku := testenv.HerokuCLI(t)
	testenv.Binary(t, "python3")
	testenv.Binary(t, "curl")
	u := startUp(t, "--topology", "testdata/user-program.yaml")
	pcx := u.aws(aws, "ec2", "create-vpc-peering-connection", "--vpc-id", "vpc-0cb1a66017eed9372", "--peer-vpc-id", "vpc-b39527d4",
		"--peer-owner-id", "884226375513", "--peer-region", "ap-northeast-1")["VpcPeeringConnection"].(map[string]any)["VpcPeeringConnectionId"].(string)
	u.heroku(heroku, "spaces:peerings:accept", pcx, "--space", "enablement-jp")
	rtb := u.aws(aws, "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values=vpc-0cb1a66017eed9372")["RouteTables"].([]any)[0].(map[string]any)["RouteTableId"].(string)
	u.aws(aws, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "10.0.0.0/16", "--vpc-peering-connection-id", pcx)

	if ps := u.heroku(heroku, "ps", "--app", "test-vpn-compute"); !strings.Contains(ps, "python3 -m http.server") {
		t.Errorf("heroku ps does not show the command:\n%s", ps)
	}
	curl := []string{"exec", "ip-172-16-0-8", "--", "curl", "-s", "-m", "5", "-i", "http://test-vpn-compute.herokuapp.com/"}
	out, code := u.run(curl...)
	if code != 0 || !strings.Contains(out, "HTTP/1.1 200") || !strings.Contains(out, "Directory listing for /") ||
		!regexp.MustCompile(`(?m)^Server: SimpleHTTP/`).MatchString(out) || !regexp.MustCompile(`(?m)^Via: 1\.1 spaces-router \([0-9a-f]{12}\)`).MatchString(out) {
		t.Fatalf("curl through the router to python's http.server (%d):\n%s", code, out)
	}
	logs, code := u.run("logs", "test-vpn-compute")
	for _, want := range []string{"app[web.1]: greeting=konnichiwa dyno=web.1 port=5000", "app[web.2]: greeting=konnichiwa dyno=web.2 port=5000",
		"heroku[web.1]: Starting process with command", `"GET / HTTP/1.1" 200`} {
		if code != 0 || !strings.Contains(logs, want) {
			t.Errorf("spacelab logs lacks %q:\n%s", want, logs)
		}
	}
	// The real CLI's heroku logs (a log session, then its logplex URL as server-sent events)
	// shows the same lines and the router's line for the request.
	hlogs := u.heroku(heroku, "logs", "--app", "test-vpn-compute")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\S+ app\[web\.1\]: greeting=konnichiwa dyno=web\.1 port=5000$`),
		regexp.MustCompile(`(?m)^\S+ heroku\[router\]: at=info method=GET path="/" host=test-vpn-compute\.herokuapp\.com request_id=\S+ fwd="172\.16\.0\.8" dyno=web\.[12] connect=0ms service=\d+ms status=200 bytes=\d+ protocol=http$`),
	} {
		if !want.MatchString(hlogs) {
			t.Errorf("heroku logs lacks %v:\n%s", want, hlogs)
		}
	}
	if out := u.heroku(heroku, "logs", "--app", "test-vpn-compute", "--source", "heroku", "--dyno", "router"); strings.Contains(out, "app[") || !strings.Contains(out, "heroku[router]") {
		t.Errorf("heroku logs --source heroku --dyno router:\n%s", out)
	}
	tailHerokuLogs(t, u, heroku, "test-vpn-compute", func() {
		if out, code := u.run("exec", "ip-172-16-0-8", "--", "curl", "-s", "-m", "5", "http://test-vpn-compute.herokuapp.com/tail-probe"); code != 0 {
			t.Errorf("curl for the tail (%d): %s", code, out)
		}
	}, `heroku[router]: at=info method=GET path="/tail-probe"`)
	u.heroku(heroku, "ps:restart", "--app", "test-vpn-compute")
	// The new processes serve once they say so (python is unbuffered: PYTHONUNBUFFERED=1).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		logs, _ = u.run("logs", "test-vpn-compute")
		if strings.Count(logs, "app[web.1]: Serving HTTP on") == 2 && strings.Count(logs, "app[web.2]: Serving HTTP on") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted processes never said they serve:\n%s", logs)
		}
	}
	if out, code := u.run(curl...); code != 0 || !strings.Contains(out, "Directory listing for /") {
		t.Fatalf("curl after ps:restart (%d):\n%s", code, out)
	}
	logs, _ = u.run("logs", "test-vpn-compute")
	if n := strings.Count(logs, "heroku[web.1]: Starting process with command"); n != 2 {
		t.Errorf("web.1 started %d times, want 2 (ps:restart):\n%s", n, logs)
	}
	if !strings.Contains(logs, "heroku[web.1]: Process exited") {
		t.Errorf("no exit of the first web.1 process in the logs:\n%s", logs)
	}
}

// TestInstanceUserDataRunsAtBoot: aws ec2 run-instances --user-data with a plain script runs
// it when the instance boots (cloud-init's script case): here it starts a web server that the
// instance's neighbour then reaches, serving its scratch directory; the machine's files are read-only to it.
func TestInstanceUserDataRunsAtBoot(t *testing.T) {
	aws := testenv.AWSCLI(t)
	testenv.Binary(t, "python3")
	testenv.Binary(t, "curl")
	u := startUp(t)
	script := filepath.Join(t.TempDir(), "boot.sh")
	if err := os.WriteFile(script, []byte(`#!/bin/sh
# The machine's files are read-only for the program; it writes to its scratch /tmp.
if touch /usr/spacelab-write-probe 2>/dev/null; then root=rw; rm -f /usr/spacelab-write-probe; else root=ro; fi
cd /tmp && echo "root=$root scratch=ok" > status.txt
exec python3 -m http.server 8080
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sg := u.aws(aws, "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values=vpc-0cb1a66017eed9372", "Name=group-name,Values=default")["SecurityGroups"].([]any)[0].(map[string]any)["GroupId"].(string)
	u.aws(aws, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "8080", "--cidr", "172.16.0.0/16")
	inst := u.aws(aws, "ec2", "run-instances", "--image-id", "ami-0abcdef1234567890", "--subnet-id", "subnet-0a8e2d3c5b7f91e04",
		"--private-ip-address", "172.16.0.20", "--user-data", "file://"+script)["Instances"].([]any)[0].(map[string]any)["InstanceId"].(string)
	var out string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var code int
		if out, code = u.run("exec", "ip-172-16-0-8", "--", "curl", "-s", "-m", "2", "-i", "http://172.16.0.20:8080/"); code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the user-data server on %s never answered: %s", inst, out)
		}
	}
	if !strings.Contains(out, "Server: SimpleHTTP/") || !strings.Contains(out, "status.txt") {
		t.Errorf("answer from 172.16.0.20:8080:\n%s", out)
	}
	if out, _ := u.run("exec", "ip-172-16-0-8", "--", "curl", "-s", "-m", "2", "http://172.16.0.20:8080/status.txt"); strings.TrimSpace(out) != "root=ro scratch=ok" {
		t.Errorf("the user-data program's view of the files: %q", out)
	}
	if _, err := os.Stat("/usr/spacelab-write-probe"); err == nil {
		os.Remove("/usr/spacelab-write-probe")
		t.Error("the user-data program wrote to the machine's /usr")
	}
}

// tailHerokuLogs runs heroku logs --tail, then act, and reads the stream until a line
// containing want arrives (the test's own deadline bounds it), then stops the CLI.
func tailHerokuLogs(t *testing.T, u *up, bin, app string, act func(), want string) {
	t.Helper()
	cmd := exec.Command(bin, "logs", "--tail", "--app", app)
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}, u.env...)
	cmd.Dir = home
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	// The stream's first lines are the recent ones: once the start of web.1 is seen, the
	// session is open and a new request's line can only come from the tail.
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), "heroku[web.1]: Starting process") {
			break
		}
	}
	act()
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), want) {
			return
		}
	}
	t.Fatalf("heroku logs --tail ended without %q:\n%s", want, strings.Join(seen, "\n"))
}
