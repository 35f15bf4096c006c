package main_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/internal/testenv"
)

// TestClockExpiresPendingPeering: `spacelab clock advance 7d` moves the emulator's time, and a
// peering request nobody accepted is expired in both the AWS CLI and heroku spaces:peerings.
func TestClockExpiresPendingPeering(t *testing.T) {
	aws := testenv.AWSCLI(t)
	heroku := testenv.HerokuCLI(t)
	u := startUp(t)
	pcx := u.aws(aws, "ec2", "create-vpc-peering-connection", "--vpc-id", "vpc-0cb1a66017eed9372", "--peer-vpc-id", "vpc-b39527d4",
		"--peer-owner-id", "884226375513", "--peer-region", "ap-northeast-1")["VpcPeeringConnection"].(map[string]any)["VpcPeeringConnectionId"].(string)
	state := func() string {
		t.Helper()
		v := u.aws(aws, "ec2", "describe-vpc-peering-connections", "--vpc-peering-connection-ids", pcx)
		return v["VpcPeeringConnections"].([]any)[0].(map[string]any)["Status"].(map[string]any)["Code"].(string)
	}
	if s := state(); s != "pending-acceptance" {
		t.Fatalf("a new request is %s", s)
	}
	if out, code := u.run("clock", "advance", "6d23h"); code != 0 || !strings.Contains(out, "advanced by 167h0m0s") {
		t.Fatalf("clock advance (%d): %s", code, out)
	}
	if s := state(); s != "pending-acceptance" {
		t.Fatalf("after 6d23h the request is %s", s)
	}
	if out, code := u.run("clock", "advance", "1h"); code != 0 {
		t.Fatalf("clock advance (%d): %s", code, out)
	}
	if s := state(); s != "expired" {
		t.Fatalf("after 7 days the request is %s, want expired", s)
	}
	table := u.heroku(heroku, "spaces:peerings", "enablement-jp")
	if !regexp.MustCompile(pcx + `\s+\S+\s+172\.16\.0\.0/16\s+expired`).MatchString(table) {
		t.Fatalf("heroku spaces:peerings does not show %s expired:\n%s", pcx, table)
	}
	if out, code := u.run("clock", "advance", "-1h"); code == 0 {
		t.Fatalf("the clock went back: %s", out)
	}
	// The graph shows the state too.
	if out, _ := u.run("graph", "--format", "json"); !strings.Contains(out, `"state": "expired"`) {
		t.Fatalf("graph lacks the expired peering:\n%s", out)
	}
}
