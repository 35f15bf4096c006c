package main_test

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// TestLabPeeringInJapanese drives the peering lab as a trainee does: lab start --lang ja, the
// seed's steps with the real aws and heroku CLIs, lab check between them naming the next task
// in Japanese, and at the end "complete" with the curl and dig checks passed by packets. A
// lab reset starts it over.
func TestLabPeeringInJapanese(t *testing.T) {
	aws := testenv.AWSCLI(t)
	heroku := testenv.HerokuCLI(t)
	u := startCommand(t, []string{"lab", "start", "peering", "--lang", "ja"})
	check := func(wantNext string) string {
		t.Helper()
		out, code := u.run("lab", "check")
		if code != 0 {
			t.Fatalf("lab check (%d):\n%s", code, out)
		}
		if wantNext != "" && !strings.Contains(out, "次のタスク: "+wantNext) {
			t.Fatalf("lab check does not name %q as next:\n%s", wantNext, out)
		}
		return out
	}
	out := check("1. Heroku側でVPCの構成を確認して、AWS側でピアリングをリクエストする")
	if !strings.Contains(out, "ヒント:") || !strings.Contains(out, "0 / 5 個のタスクが完了しています。") {
		t.Errorf("first check has no hint or progress:\n%s", out)
	}

	// A request to the wrong region fails at once; it does not complete the task.
	u.aws(aws, "ec2", "create-vpc-peering-connection", "--vpc-id", "vpc-0cb1a66017eed9372", "--peer-vpc-id", "vpc-b39527d4",
		"--peer-owner-id", "884226375513", "--peer-region", "us-east-1")
	check("1. ")

	pcx := u.aws(aws, "ec2", "create-vpc-peering-connection", "--vpc-id", "vpc-0cb1a66017eed9372", "--peer-vpc-id", "vpc-b39527d4",
		"--peer-owner-id", "884226375513", "--peer-region", "ap-northeast-1")["VpcPeeringConnection"].(map[string]any)["VpcPeeringConnectionId"].(string)
	out = check("2. Heroku側で受け入れる")
	if !strings.Contains(out, "heroku spaces:peerings:accept "+pcx+" --space enablement-jp") {
		t.Errorf("task 2 does not show the trainee's pcx id:\n%s", out)
	}

	u.heroku(heroku, "spaces:peerings:accept", pcx, "--space", "enablement-jp")
	out = check("3. AWS側でルーティングテーブルにルートを追加する")
	// The blocked curl is explained by the hop that dropped it.
	if !strings.Contains(out, "no route for this destination in rtb-") {
		t.Errorf("task 3 has no explanation of the blocked packets:\n%s", out)
	}

	rtb := u.aws(aws, "ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values=vpc-0cb1a66017eed9372")["RouteTables"].([]any)[0].(map[string]any)["RouteTableId"].(string)
	u.aws(aws, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "10.0.0.0/16", "--vpc-peering-connection-id", pcx)
	check("4. Heroku→AWS の通信のために Security Group の Inbound Rules を開ける")

	sg := u.aws(aws, "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values=vpc-0cb1a66017eed9372", "Name=group-name,Values=default")["SecurityGroups"].([]any)[0].(map[string]any)["GroupId"].(string)
	u.aws(aws, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "80", "--cidr", "10.0.0.0/16")
	out = check("")
	for _, re := range []string{`ラボ完了`, `5 / 5 個のタスクが完了しています。`,
		`\[ok  \] curl test-vpn-compute\.herokuapp\.com from ip-172-16-0-8.*\n\s+reachable \(HTTP 200\)\n\s+Via: 1\.1 spaces-router \([0-9a-f]{12}\)`,
		`\[ok  \] dig test-vpn-compute\.herokuapp\.com.*\n\s+reachable \[10\.0\.25\.212 10\.0\.15\.133\]`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("final check lacks %s:\n%s", re, out)
		}
	}
	// The same lab in English, asked for explicitly.
	if out, _ := u.run("lab", "check", "--lang", "en"); !strings.Contains(out, "Lab complete") {
		t.Errorf("lab check --lang en:\n%s", out)
	}

	// Deleting the peering undoes the lab: the packets say so.
	u.aws(aws, "ec2", "delete-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
	check("1. ")

	if out, code := u.run("lab", "reset"); code != 0 {
		t.Fatalf("lab reset (%d): %s", code, out)
	}
	out = check("1. ")
	if !strings.Contains(out, "0 / 5") {
		t.Errorf("after reset:\n%s", out)
	}
	if _, code := u.client(heroku, "spaces:peering:info", "enablement-jp"); code != 0 {
		t.Errorf("the environment printed at start no longer works after lab reset")
	}
}

// TestLabList lists the shipped labs in both languages.
func TestLabList(t *testing.T) {
	for lang, want := range map[string]string{"en": "Private Space Peering with an AWS VPC", "ja": "Private Space Peering の設定"} {
		cmd := []string{"lab", "list", "--lang", lang}
		out, err := runBinary(cmd...)
		if err != nil || !strings.Contains(out, "peering") || !strings.Contains(out, want) {
			t.Errorf("lab list --lang %s: %v\n%s", lang, err, out)
		}
	}
	if out, err := runBinary("lab", "start", "nope"); err == nil || !strings.Contains(out, "shipped labs: ") {
		t.Errorf("lab start nope: %v\n%s", err, out)
	}
}

func runBinary(args ...string) (string, error) {
	out, err := exec.Command(binary, args...).CombinedOutput()
	return string(out), err
}

// TestLabVPNWithStrongswan drives the vpn lab with the real heroku CLI and a real strongSwan
// office (scripts/office-strongswan.sh): lab check advances as the connection is created,
// becomes active and its tunnels come up, and ends complete with office-pc's curl passing.
func TestLabVPNWithStrongswan(t *testing.T) {
	heroku := testenv.HerokuCLI(t)
	testenv.Binary(t, "/usr/lib/ipsec/charon")
	testenv.Binary(t, "/usr/sbin/swanctl")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root: strongSwan's kernel-libipsec needs /dev/net/tun")
	}
	u := startCommand(t, []string{"lab", "start", "vpn"})
	check := func() string {
		t.Helper()
		out, code := u.run("lab", "check")
		if code != 0 {
			t.Fatalf("lab check (%d):\n%s", code, out)
		}
		return out
	}
	if out := check(); !strings.Contains(out, "Next: 1. Create the VPN connection in Heroku") {
		t.Fatalf("first check:\n%s", out)
	}
	u.heroku(heroku, "spaces:vpn:connect", "office", "--ip", "203.0.113.20", "--cidrs", "192.168.0.0/16", "--space", "enablement-jp")
	if out := check(); !strings.Contains(out, "[x] 1. ") {
		t.Fatalf("after vpn:connect:\n%s", out)
	}
	u.heroku(heroku, "spaces:vpn:wait", "office", "--space", "enablement-jp", "--interval", "1")
	if out := check(); !strings.Contains(out, "Next: 3. Configure strongSwan in office-gw") {
		t.Fatalf("after vpn:wait:\n%s", out)
	}
	ssDir := t.TempDir()
	script := exec.Command("bash", "../../scripts/office-strongswan.sh", "office", "enablement-jp")
	script.Env = append(append(os.Environ(), u.env...), "SPACELAB="+binary, "HEROKU="+heroku, "SPACELAB_STATE_DIR="+u.state,
		"STRONGSWAN_DIR="+ssDir, "HOME="+t.TempDir())
	if out, err := script.CombinedOutput(); err != nil {
		t.Fatalf("office-strongswan.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		stop := exec.Command("bash", "../../scripts/office-strongswan.sh", "--stop")
		stop.Env = append(os.Environ(), "STRONGSWAN_DIR="+ssDir)
		stop.Run()
	})
	var table string
	for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if table = u.heroku(heroku, "spaces:vpn:connections", "--space", "enablement-jp"); strings.Contains(table, "UP/UP") {
			break
		}
	}
	out := check()
	if !strings.Contains(out, "Lab complete") || !regexp.MustCompile(`\[ok  \] curl test-vpn-compute\.herokuapp\.com from office-pc.*\n\s+reachable \(HTTP 200\)`).MatchString(out) {
		t.Fatalf("not complete with the tunnels %s:\n%s", table, out)
	}
}
