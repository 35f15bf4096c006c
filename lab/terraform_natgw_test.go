package lab_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/google/go-cmp/cmp"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/internal/tftest"
)

// publicAddressState is the account's Elastic IPs and NAT gateways that are not deleted, for
// comparing before an apply with after its destroy (EC2 keeps deleted NAT gateways in view).
func publicAddressState(t *testing.T, ctx context.Context, c *ec2.Client) string {
	t.Helper()
	as, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{})
	if err != nil {
		t.Fatal(err)
	}
	var live []types.NatGateway
	for _, n := range ns.NatGateways {
		if n.State != types.NatGatewayStateDeleted {
			live = append(live, n)
		}
	}
	b, err := json.MarshalIndent([]any{as.Addresses, live}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTerraformNatGateway applies a VPC with a public subnet (internet gateway, NAT gateway
// with an Elastic IP) and a private one routed to the NAT gateway, plus an instance with an
// Elastic IP association; a second plan is empty; real packets from the private instance reach
// the internet's echo host, which sees the NAT gateway's Elastic IP, and the public instance is
// seen at its own; destroy leaves the account as it was, and the private instance's way out gone.
func TestTerraformNatGateway(t *testing.T) {
	t.Parallel() // its own lab; most of a run is the provider waiting
	curl := testenv.Binary(t, "curl")
	l, env, c := terraformLab(t)
	ctx := context.Background()
	before := accountState(t, ctx, c) + publicAddressState(t, ctx, c)

	w := tftest.New(t, "testdata/terraform/natgw", tftest.Options{Endpoint: l.AWSURL, Env: env})
	w.Apply()
	out := w.Outputs()
	if out["nat_ip"] == "" || out["nat_ip"] != out["nat_eip"] {
		t.Fatalf("the NAT gateway's public IP %q is not its Elastic IP %q", out["nat_ip"], out["nat_eip"])
	}
	if out["nat_found"] != out["nat"] || out["nat_found_ip"] != out["nat_eip"] {
		t.Errorf("data \"aws_nat_gateway\" found %s (%s), want %s (%s)", out["nat_found"], out["nat_found_ip"], out["nat"], out["nat_eip"])
	}
	w.PlanIsEmpty()

	echo := []string{curl, "-s", "-m", "3", "http://203.0.113.10/"}
	o, code := execIn(t, l, out["private_instance"], echo...)
	if code != 0 || strings.TrimSpace(o) != out["nat_eip"] {
		t.Errorf("private instance → echo (exit %d): echo saw %q, want the NAT gateway's Elastic IP %s", code, strings.TrimSpace(o), out["nat_eip"])
	}
	o, code = execIn(t, l, out["public_instance"], echo...)
	if code != 0 || strings.TrimSpace(o) != out["web_ip"] {
		t.Errorf("public instance → echo (exit %d): echo saw %q, want its Elastic IP %s", code, strings.TrimSpace(o), out["web_ip"])
	}

	// Destroy in two steps: without the private subnet's route to the NAT gateway, the same
	// instance cannot reach the internet.
	w.Must("destroy", "-auto-approve", "-input=false", "-no-color", "-target=aws_route.private_default")
	if o, code := execIn(t, l, out["private_instance"], echo...); code == 0 {
		t.Errorf("private instance reached echo without its route to the NAT gateway: %q", o)
	}
	w.Destroy()
	if d := cmp.Diff(before, accountState(t, ctx, c)+publicAddressState(t, ctx, c)); d != "" {
		t.Errorf("destroy left the account changed (-before +after):\n%s", d)
	}
}
