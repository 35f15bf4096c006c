package topology_test

import (
	"strings"
	"testing"

	"github.com/spacelab-dev/spacelab/emulator"
	"github.com/spacelab-dev/spacelab/topology"
)

func TestDefaultApplies(t *testing.T) {
	top := topology.Default()
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 1}))
	if err := top.Apply(w, func(string) string { return "tok" }); err != nil {
		t.Fatal(err)
	}
	w.View(func(tx *emulator.Tx) error {
		sp := tx.Space("enablement-jp")
		if sp == nil || sp.VPCID != "vpc-b39527d4" || sp.Region.AWSRegion != "ap-northeast-1" {
			t.Fatalf("space: %+v", sp)
		}
		app := tx.App("test-vpn-compute")
		if app == nil || !app.InternalRouting || len(app.Dynos) != 2 || app.RouterAddrs[0].String() != "10.0.25.212" {
			t.Fatalf("app: %+v", app)
		}
		if i := tx.Instance("i-0f3c2b1a998877665"); i == nil || i.HostName() != "ip-172-16-0-8" {
			t.Fatalf("instance: %+v", i)
		}
		if tx.UserByToken("tok") == nil {
			t.Fatal("no user for the token")
		}
		return nil
	})
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown key", "heroku: {spacez: []}", "unknown key spacez"},
		{"bad account id", "aws: {accounts: [{id: '12', access_key_id: a, secret_access_key: b}]}", `id "12" is not a 12-digit AWS account id`},
		{"missing credentials", "aws: {accounts: [{id: '123456789012'}]}", "access_key_id and secret_access_key are required"},
		{"bad vpc cidr", "aws: {accounts: [{id: '123456789012', access_key_id: a, secret_access_key: b, vpcs: [{id: v, region: us-east-1, cidr: nope}]}]}", `cidr "nope"`},
		{"router ips without internal routing", "heroku: {spaces: [{name: s, apps: [{name: a, router_ips: [10.0.0.9]}]}]}", "router_ips needs internal_routing: true"},
		{"five outbound ips", "heroku: {spaces: [{name: s, outbound_ips: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4, 1.1.1.5]}]}", "exactly 4 outbound IPs"},
		{"bad service", "aws: {accounts: [{id: '123456789012', access_key_id: a, secret_access_key: b, vpcs: [{id: v, region: us-east-1, cidr: 10.0.0.0/16, subnets: [{id: s, cidr: 10.0.0.0/24, instances: [{id: i, services: [{port: 1}]}]}]}]}]}", "a service is http: PORT"},
		{"bad internet host", "internet: {hosts: [{name: x, address: nope}]}", `address "nope" is not an IPv4 address`},
		{"bad dns", "internet: {dns: fe80::1}", "is not an IPv4 address"},
		{"bad vpn policy", "heroku: {spaces: [{name: s, vpn_policy: {ike: [aes999-md7]}}]}", "vpn_policy.ike"},
		{"bad office ipsec", "offices: [{name: o, gateway: {name: g, address: nope}, lan: 192.168.0.0/24}]", `gateway address "nope"`},
		{"negative quota", "aws: {quotas: {routes_per_route_table: -1}}", "aws.quotas.routes_per_route_table: -1 is negative"},
		{"unknown quota", "aws: {quotas: {routes: 5}}", "unknown key routes"},
		{"unknown region", "aws: {accounts: [{id: '123456789012', access_key_id: a, secret_access_key: b, vpcs: [{id: v, region: us-east-9, cidr: 10.0.0.0/16}]}]}", `"us-east-9" is not an AWS region`},
		{"opt-in region not enabled", "aws: {accounts: [{id: '123456789012', access_key_id: a, secret_access_key: b, vpcs: [{id: v, region: af-south-1, cidr: 10.0.0.0/16}]}]}", "af-south-1 is an opt-in region; list it in the account's opt_in_regions"},
		{"unknown opt-in region", "aws: {accounts: [{id: '123456789012', access_key_id: a, secret_access_key: b, opt_in_regions: [mars-1]}]}", `"mars-1" is not an AWS region`},
		{"negative limit", "heroku: {limits: {trusted_ip_ranges: -2}}", "heroku.limits.trusted_ip_ranges: -2 is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := topology.Parse([]byte(tc.doc))
			if err == nil {
				_, err = raw.Resolve()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestApplyIsAllOrNothing(t *testing.T) {
	doc := `
aws:
  accounts:
    - id: "123456789012"
      access_key_id: AKIA1
      secret_access_key: s
      vpcs:
        - {id: vpc-0aaaaaaaaaaaaaaa1, region: us-east-1, cidr: 10.9.0.0/16}
        - {id: vpc-0aaaaaaaaaaaaaaa2, region: us-east-1, cidr: 10.8.0.0/8}
`
	raw, err := topology.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	top, err := raw.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	w := emulator.NewWorld(emulator.Options{})
	if err := top.Apply(w, nil); err == nil {
		t.Fatal("a /8 VPC was accepted")
	}
	w.View(func(tx *emulator.Tx) error {
		if len(tx.VPCs()) != 0 {
			t.Fatalf("half-applied: %d VPCs", len(tx.VPCs()))
		}
		return nil
	})
}

func TestBuiltinsApply(t *testing.T) {
	for _, name := range topology.Builtin() {
		t.Run(name, func(t *testing.T) {
			top, err := topology.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 1}))
			if err := top.Apply(w, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestQuotasReachTheWorld: raised quotas and limits in a topology become the world's options.
func TestQuotasReachTheWorld(t *testing.T) {
	raw, err := topology.Parse([]byte("aws: {quotas: {rules_per_security_group: 120, instances_per_run_instances: 500}}\nheroku: {limits: {trusted_ip_ranges: 1000}}"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := raw.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	o := top.WorldOptions(emulator.Options{})
	q := o.AWSQuotas.WithDefaults()
	if q.RulesPerSecurityGroup != 120 || q.InstancesPerRun != 500 || q.RoutesPerRouteTable != emulator.DefaultRoutesPerRouteTable || o.HerokuLimits.TrustedIPRanges != 1000 {
		t.Fatalf("%+v %+v", q, o.HerokuLimits)
	}
}

// An account's opt_in_regions are enabled in the world; its other opt-in regions are not.
func TestOptInRegionsReachTheWorld(t *testing.T) {
	raw, err := topology.Parse([]byte("aws: {accounts: [{id: '123456789012', access_key_id: a, secret_access_key: b, opt_in_regions: [af-south-1], vpcs: [{id: vpc-1, region: af-south-1, cidr: 10.0.0.0/16, subnets: [{id: subnet-1, cidr: 10.0.0.0/24, az: af-south-1c}]}]}]}"))
	if err != nil {
		t.Fatal(err)
	}
	top, err := raw.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	w := emulator.NewWorld(top.WorldOptions(emulator.Options{Seed: 1}))
	if err := top.Apply(w, nil); err != nil {
		t.Fatal(err)
	}
	w.View(func(tx *emulator.Tx) error {
		for region, want := range map[string]string{"af-south-1": "opted-in", "me-south-1": "not-opted-in", "us-east-1": "opt-in-not-required"} {
			if got := tx.OptInStatus("123456789012", region); got != want {
				t.Errorf("%s: %s, want %s", region, got, want)
			}
		}
		return nil
	})
}
