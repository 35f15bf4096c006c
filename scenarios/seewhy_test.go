package scenarios_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/scenarios"
	"github.com/spacelab-dev/spacelab/topology"
)

// TestLabTwoPlantedBugs replays testdata/two-bugs.yaml: the space route pointing at the staging
// peering, and a security group opening 80 while the service listens on 8080. Each blocked
// check must name the object at fault by id, show what exists, and be proved by packets.
func TestLabTwoPlantedBugs(t *testing.T) {
	s, dir, err := scenarios.Load(filepath.Join("testdata", "two-bugs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := topology.Load(filepath.Join(dir, s.Topology))
	if err != nil {
		t.Fatal(err)
	}
	l := labtest.Start(t, lab.Options{Topology: top})
	var out bytes.Buffer
	r := &scenarios.Runner{Lab: l, Out: &out}
	res, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed > 0 {
		t.Fatalf("%d steps failed:\n%s", res.Failed, out.String())
	}
	reports := map[string]*lab.Report{}
	for _, st := range res.Steps {
		if st.Report != nil {
			reports[st.Name] = st.Report
		}
	}
	route := reports["the instance cannot reach the app (its route leads to staging)"]
	sg := reports["a dyno cannot reach the service on 8080 (the security group opens 80)"]
	if route == nil || sg == nil {
		t.Fatalf("no reports for the checks:\n%s", out.String())
	}
	for _, rep := range []*lab.Report{route, sg} {
		if rep.Reachable || !rep.Agree || rep.Packets.Witnessed == "" {
			t.Errorf("%s → %s: reachable %v, agree %v, witnessed %q", rep.From, rep.Target, rep.Reachable, rep.Agree, rep.Packets.Witnessed)
		}
	}
	if route.Code != "WRONG_PEERING_ROUTE" || !hasComponent(route, "route-table", r.Vars["rtb"]) || !hasComponent(route, "vpc-peering-connection", r.Vars["pcx_staging"]) ||
		!hasComponent(route, "vpc", "vpc-05ea9e0000000000a") || !hasComponent(route, "vpc-peering-connection", r.Vars["pcx_space"]) {
		t.Errorf("the route bug: %s %q %+v", route.Code, route.Reason, route.Components)
	}
	if sg.Code != "SG_INGRESS_DENIED" || !hasComponent(sg, "security-group", r.Vars["sg"]) || !hasComponent(sg, "instance", "i-0f3c2b1a998877665") {
		t.Errorf("the security group bug: %s %q %+v", sg.Code, sg.Reason, sg.Components)
	}
	if !strings.Contains(route.Reason, r.Vars["pcx_staging"]) && !pathMentions(route, r.Vars["pcx_staging"]) {
		t.Errorf("the route bug does not name the staging peering %s:\n%+v", r.Vars["pcx_staging"], route)
	}
	if route.StoppedAt != "vpc/vpc-05ea9e0000000000a" {
		t.Errorf("the route bug stops at %s, want the staging VPC", route.StoppedAt)
	}
	if !strings.Contains(sg.Reason, r.Vars["sg"]) || sg.StoppedAt != "instance/i-0f3c2b1a998877665" {
		t.Errorf("the security group bug: %s at %s", sg.Reason, sg.StoppedAt)
	}
	if !strings.Contains(strings.Join(sg.Existing, "\n"), "from port: 80, to port: 80") {
		t.Errorf("the security group's existing rules are not shown: %q", sg.Existing)
	}
	if !strings.Contains(sg.Flow, "→ 172.16.0.8:8080") || !strings.HasPrefix(sg.Flow, "tcp 10.0.") {
		t.Errorf("flow %q", sg.Flow)
	}
}

func pathMentions(r *lab.Report, id string) bool {
	for _, h := range r.Path {
		for _, c := range h.Components {
			if c.ID == id {
				return true
			}
		}
	}
	return false
}

func hasComponent(r *lab.Report, typ, id string) bool {
	for _, c := range r.Components {
		if c.Type == typ && c.ID == id {
			return true
		}
	}
	return false
}
