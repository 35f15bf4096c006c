package scenarios_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/scenarios"
	"github.com/spacelab-dev/spacelab/topology"
)

// TestShippedLabsParse: every shipped lab is well formed and only looks.
func TestShippedLabsParse(t *testing.T) {
	for _, name := range scenarios.ShippedLabs() {
		t.Run(name, func(t *testing.T) {
			l, _, err := scenarios.LoadLab(name)
			if err != nil {
				t.Fatal(err)
			}
			for i, task := range l.Tasks {
				for _, lang := range []string{"en", "ja"} {
					if task.Title[lang] == "" || task.Hint[lang] == "" || task.Do[lang] == "" {
						t.Errorf("task %d lacks a %s title, do or hint", i+1, lang)
					}
				}
			}
		})
	}
}

// TestLabChecksOnlyLook: a lab whose check would change the world is refused, naming it.
func TestLabChecksOnlyLook(t *testing.T) {
	for _, tc := range []struct{ name, check, want string }{
		{"heroku POST", "heroku: POST /spaces/x/peerings", "lab checks may only GET"},
		{"aws CreateRoute", "aws: {action: CreateRoute}", "lab checks may only Describe or Get"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.ParseLab([]byte("name: x\ntasks:\n  - title: {en: t}\n    checks:\n      - " + tc.check + "\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// labSolutions are, per shipped lab, the steps a trainee takes for each task (in the
// scenario format, so they may change the world).
var labSolutions = map[string][]string{
	"private-space-rules": {
		`steps:
  - heroku: PUT /spaces/rules-lab/inbound-ruleset
    body: {rules: [{action: allow, source: 203.0.113.0/24}]}`,
		`steps:
  - heroku: PUT /spaces/rules-lab/inbound-ruleset
    body: {rules: [{action: allow, source: 203.0.113.0/24}, {action: allow, source: "${nat0}/32"}, {action: allow, source: "${nat1}/32"},
      {action: allow, source: "${nat2}/32"}, {action: allow, source: "${nat3}/32"}]}`,
		`steps:
  - aws:
      action: CreateVpcPeeringConnection
      params: {VpcId: vpc-0a1a1a1a1a1a1a1a1, PeerVpcId: "${space_vpc}", PeerOwnerId: "884226375513", PeerRegion: us-east-1}
    save: {pcx: vpcPeeringConnection.vpcPeeringConnectionId}
  - heroku: POST /spaces/rules-lab/peerings
    body: {pcx_id: "${pcx}"}
  - aws: {action: DescribeRouteTables, params: {Filter.1.Name: vpc-id, Filter.1.Value.1: vpc-0a1a1a1a1a1a1a1a1}}
    save: {rtb: "routeTableSet[0].routeTableId"}
  - aws: {action: CreateRoute, params: {RouteTableId: "${rtb}", DestinationCidrBlock: 10.0.0.0/16, VpcPeeringConnectionId: "${pcx}"}}`,
		`steps:
  - heroku: PATCH /apps/shop-web/formation/worker
    body: {quantity: 5}`,
	},
}

// TestLabSolutions works through each lab with a solution: before any task the first is next;
// after each task's steps, the next one is; at the end the lab is complete.
func TestLabSolutions(t *testing.T) {
	for _, name := range scenarios.ShippedLabs() {
		sol, ok := labSolutions[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			lb, _, err := scenarios.LoadLab(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(sol) != len(lb.Tasks) {
				t.Fatalf("%d solutions for %d tasks", len(sol), len(lb.Tasks))
			}
			var o lab.Options
			if lb.Topology != "" {
				if o.Topology, err = topology.Load(lb.Topology); err != nil {
					t.Fatal(err)
				}
			}
			l := labtest.Start(t, o)
			r := &scenarios.Runner{Lab: l}
			ctx := context.Background()
			report := func(rep scenarios.LabReport) string {
				var b strings.Builder
				for _, tk := range rep.Tasks {
					fmt.Fprintf(&b, "task %d done=%v %s\n", tk.N, tk.Done, tk.Title)
					for _, c := range tk.Checks {
						fmt.Fprintf(&b, "   ok=%v %s\n      %s\n", c.OK, c.Name, strings.ReplaceAll(c.Detail, "\n", "\n      "))
					}
				}
				return b.String()
			}
			for i, doc := range sol {
				rep := r.CheckLab(ctx, lb, "ja")
				if rep.Next != i+1 {
					t.Fatalf("before task %d, lab check says next is %d:\n%s", i+1, rep.Next, report(rep))
				}
				s, err := scenarios.Parse([]byte(doc))
				if err != nil {
					t.Fatal(err)
				}
				res, err := r.Run(ctx, s)
				if err != nil || res.Failed > 0 {
					t.Fatalf("task %d solution: %v %+v", i+1, err, res)
				}
			}
			if rep := r.CheckLab(ctx, lb, "en"); !rep.Complete {
				t.Fatalf("not complete after every task:\n%s", report(rep))
			}
		})
	}
}
