package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/internal/tftest"
)

// TestTerraformVPCExtras applies aws_main_route_table_association, a same-account peering
// accepted by aws_vpc_peering_connection_accepter with aws_vpc_peering_connection_options,
// aws_vpc_dhcp_options (+ _association) and the data sources that read them back (aws_vpcs,
// aws_subnets, aws_route_table, aws_instance, aws_internet_gateway,
// aws_vpc_peering_connection, aws_vpc_dhcp_options, …). A second plan is empty. Packets
// follow: A's subnet, with no explicit association, leaves by the new main table's route to
// the internet gateway and reaches B over the peering; A's instance resolves with the DHCP
// options' search domain. Without the main association A's subnet has no way out; destroy
// leaves the account as it was.
func TestTerraformVPCExtras(t *testing.T) {
	t.Parallel()
	curl := testenv.Binary(t, "curl")
	l, env, c := terraformLab(t)
	ctx := context.Background()
	before := accountState(t, ctx, c)
	w := tftest.New(t, "testdata/terraform/vpcextras", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	w.PlanIsEmpty()
	out := w.Outputs()
	for _, c := range []struct{ what, got, want string }{
		{"data aws_vpcs", out["vpcs"], out["vpc_ids"]},
		{"data aws_route_table (association.main)", out["main_found"], out["main"]},
		{"data aws_internet_gateway", out["igw_found"], out["igw"]},
		{"data aws_subnets", out["subnets_a"], out["subnet_a"]},
		{"data aws_vpc dhcp_options_id", out["vpc_a_dhcp"], out["dhcp"]},
		{"data aws_vpc_dhcp_options domain_name", out["dhcp_domain"], "corp.example"},
		{"data aws_vpc_peering_connection status", out["pcx_status"], "active"},
		{"data aws_vpc_peering_connection accepter DNS option", out["pcx_dns"], "true"},
		{"data aws_subnet cidr_block", out["subnet_b_cidr"], "10.51.1.0/24"},
		{"data aws_security_group name", out["sg_b_name"], "b-web"},
		{"data aws_caller_identity", out["account"], "435886841536"},
		{"data aws_availability_zones", out["zones"], "6"},
	} {
		if c.got != c.want || c.got == "" {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if out["a_public_ip"] == "" {
		t.Fatalf("data aws_instance: instance A has no public IP: %v", out)
	}
	resolv, _ := execIn(t, l, out["a"], "cat", "/etc/resolv.conf")
	if !strings.Contains(resolv, "search corp.example") || !strings.Contains(resolv, "nameserver 10.50.0.2") {
		t.Errorf("instance A's resolv.conf does not follow its VPC's DHCP options (corp.example, AmazonProvidedDNS):\n%s", resolv)
	}
	toEcho := []string{curl, "-s", "-m", "2", "http://203.0.113.10/"}
	if o, code := execIn(t, l, out["a"], toEcho...); code != 0 || strings.TrimSpace(o) != out["a_public_ip"] {
		t.Errorf("A → echo through the new main table's IGW route (exit %d): %q, want echo to see %s", code, o, out["a_public_ip"])
	}
	serveHTTP(t, l, out["b"], 80)
	if got := httpCode(t, l, out["a"], "http://"+out["b_ip"]+"/"); got != "200" {
		t.Errorf("A → B:80 over the accepted peering = %s, want 200", got)
	}

	// Back to the original main table (no routes but the local one): the same subnet has no
	// way out and no way to B.
	w.Must("destroy", "-auto-approve", "-input=false", "-no-color", "-target=aws_main_route_table_association.a")
	if o, code := execIn(t, l, out["a"], toEcho...); code == 0 {
		t.Errorf("A reached echo after its VPC's main table went back to the original: %q", o)
	}
	if got := httpCode(t, l, out["a"], "http://"+out["b_ip"]+"/"); got != "000" {
		t.Errorf("A → B:80 = %s without the main table's peering route, want nothing", got)
	}
	w.Destroy()
	if d := cmp.Diff(before, accountState(t, ctx, c)); d != "" {
		t.Errorf("destroy left the account changed (-before +after):\n%s", d)
	}
}
