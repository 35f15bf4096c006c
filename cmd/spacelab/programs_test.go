package main_test

import (
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
