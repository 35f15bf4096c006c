package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/internal/tftest"
)

// TestTerraformSecondaryCIDRAndENIAddress applies lab/testdata/terraform/cidreip: a VPC with a
// secondary IPv4 block (aws_vpc_ipv4_cidr_block_association), a subnet in each block, a
// peered VPC routing to the secondary block, and an Elastic IP on the second interface
// (device 1) of the instance in the primary block. A second plan is empty; packets go from the
// primary block to the secondary, from the peer to the secondary, and from the internet to the
// Elastic IP (which is also the address the internet sees the interface's traffic come from);
// disassociated, the Elastic IP reaches nothing. Destroy leaves the account as it was.
func TestTerraformSecondaryCIDRAndENIAddress(t *testing.T) {
	t.Parallel()
	curl := testenv.Binary(t, "curl")
	l, env, c := terraformLab(t)
	ctx := context.Background()
	before := accountState(t, ctx, c) + interfaceState(t, ctx, c) + publicAddressState(t, ctx, c)

	w := tftest.New(t, "testdata/terraform/cidreip", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	w.PlanIsEmpty()
	out := w.Outputs()
	if out["eip_instance"] != out["primary"] {
		t.Errorf("aws_eip.instance = %q, want the instance the interface is attached to (%s)", out["eip_instance"], out["primary"])
	}
	serveHTTP(t, l, out["secondary"], 80)
	serveHTTP(t, l, out["primary"], 80)
	for _, tc := range []struct{ from, url, why string }{
		{out["primary"], "http://" + out["secondary_ip"] + "/", "primary block → secondary block: local routes"},
		{out["peer"], "http://" + out["secondary_ip"] + "/", "peer → secondary block over the peering"},
		{"echo", "http://" + out["eip"] + "/", "internet → the Elastic IP of the second interface"},
	} {
		if got := httpCode(t, l, tc.from, tc.url); got != "200" {
			t.Errorf("%s → %s = %s, want 200 (%s)", tc.from, tc.url, got, tc.why)
		}
	}
	o, code := execIn(t, l, out["primary"], curl, "-s", "-m", "3", "--interface", out["eni_ip"], "http://203.0.113.10/")
	if code != 0 || strings.TrimSpace(o) != out["eip"] {
		t.Errorf("primary from its second interface → echo (exit %d): echo saw %q, want the Elastic IP %s", code, strings.TrimSpace(o), out["eip"])
	}

	if _, err := c.DisassociateAddress(ctx, &ec2.DisassociateAddressInput{AssociationId: aws.String(out["eip_assoc"])}); err != nil {
		t.Fatal(err)
	}
	if got := httpCode(t, l, "echo", "http://"+out["eip"]+"/"); got != "000" {
		t.Errorf("internet → the disassociated Elastic IP = %s, want nothing", got)
	}
	w.Destroy()
	if d := cmp.Diff(before, accountState(t, ctx, c)+interfaceState(t, ctx, c)+publicAddressState(t, ctx, c)); d != "" {
		t.Errorf("destroy left the account changed (-before +after):\n%s", d)
	}
}
