package spacelabcontainer_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	heroku "github.com/heroku/heroku-go/v5"
	"github.com/testcontainers/testcontainers-go"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/spacelabcontainer"
)

// image returns the spacelab image to test ($SPACELAB_IMAGE, default spacelab:dev), or skips
// the test (fails it under CI=true) when Docker or the image is missing.
func image(t *testing.T) string {
	t.Helper()
	// Nothing can be pulled here: no Ryuk. Set before testcontainers reads its configuration.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	img := os.Getenv("SPACELAB_IMAGE")
	if img == "" {
		img = "spacelab:dev"
	}
	ctx := context.Background()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		testenv.Missing(t, "a Docker daemon (apt-get install docker.io; dockerd; or DOCKER_HOST): %v", err)
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, img); err != nil {
		testenv.Missing(t, "the image %s (build it: scripts/build-image.sh): %v", img, err)
	}
	return img
}

// TestPeeringThroughContainer drives the seed's Private Space Peering (shared/seeds/000_*)
// through a spacelab container: heroku-go for the Heroku side, aws-sdk-go-v2 for the AWS side,
// and curl and dig inside the EC2 instance for the checks, which go from blocked to a 200 from
// the spaces router.
func TestPeeringThroughContainer(t *testing.T) {
	img := image(t)
	ctx := context.Background()
	c, err := spacelabcontainer.Run(ctx, img)
	t.Cleanup(func() {
		if err := c.Terminate(context.Background()); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.HerokuURL(), "http://127.0.0.1:") || c.HerokuToken() == "" {
		t.Fatalf("HerokuURL %q, token %q", c.HerokuURL(), c.HerokuToken())
	}
	svc := c.HerokuClient()
	cfg, err := c.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ec := ec2.NewFromConfig(cfg)
	app := netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}

	// 1. The space's VPC, as heroku spaces:peering:info shows it; the customer's VPC.
	info, err := svc.PeeringInfoInfo(ctx, "enablement-jp")
	if err != nil {
		t.Fatal(err)
	}
	vpcs, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: str("cidr"), Values: []string{"172.16.0.0/16"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("DescribeVpcs: %v %+v", err, vpcs)
	}
	vpc := *vpcs.Vpcs[0].VpcId
	if r, err := c.Check(ctx, app); err != nil || r.OK {
		t.Fatalf("before the peering the app answered: %v %+v", err, r)
	}

	// 2. The peering request from AWS, 3. accepted in Heroku.
	pcx, err := ec.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: &vpc,
		PeerVpcId: &info.VpcID, PeerOwnerId: &info.AwsAccountID, PeerRegion: &info.AwsRegion})
	if err != nil {
		t.Fatal(err)
	}
	id := *pcx.VpcPeeringConnection.VpcPeeringConnectionId
	list, err := svc.PeeringList(ctx, "enablement-jp", nil)
	if err != nil || !slices.ContainsFunc(list, func(p heroku.Peering) bool { return p.PcxID == id && p.Status == "pending-acceptance" }) {
		t.Fatalf("PeeringList: %v %+v", err, list)
	}
	if p, err := svc.PeeringAccept(ctx, "enablement-jp", id); err != nil || p.Status != "active" {
		t.Fatalf("PeeringAccept: %v %+v", err, p)
	}

	// 4. The route to the space through the peering in the customer's main route table.
	rtbs, err := ec.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: str("vpc-id"), Values: []string{vpc}}, {Name: str("association.main"), Values: []string{"true"}}}})
	if err != nil || len(rtbs.RouteTables) != 1 {
		t.Fatalf("DescribeRouteTables: %v %+v", err, rtbs)
	}
	if _, err := ec.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rtbs.RouteTables[0].RouteTableId,
		DestinationCidrBlock: str("10.0.0.0/16"), VpcPeeringConnectionId: &id}); err != nil {
		t.Fatal(err)
	}

	// The checks of the seed: curl gets a 200 through the spaces router, dig the router's
	// internal addresses; commands run in the instance with their own exit codes.
	r, err := c.Check(ctx, app)
	if err != nil || !r.OK || r.Status != 200 || !regexp.MustCompile(`^1\.1 spaces-router \([0-9a-f]{12}\)$`).MatchString(r.Header.Get("Via")) {
		t.Fatalf("curl after the peering: %v %+v", err, r)
	}
	r, err = c.Check(ctx, netspec.Probe{From: "ip-172-16-0-8", Kind: "dns", Target: "test-vpn-compute.herokuapp.com"})
	var addrs []string
	for _, a := range r.Addrs {
		addrs = append(addrs, a.String())
	}
	slices.Sort(addrs)
	if err != nil || !r.OK || strings.Join(addrs, " ") != "10.0.15.133 10.0.25.212" {
		t.Fatalf("dig: %v %+v", err, r)
	}
	for _, tc := range []struct {
		name, host string
		cmd        []string
		code       int
		out        string
	}{
		{"curl", "ip-172-16-0-8", []string{"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://test-vpn-compute.herokuapp.com/"}, 0, "200"},
		{"its own name", "ip-172-16-0-8", []string{"dig", "+short", "ip-172-16-0-8.ec2.internal"}, 0, "172.16.0.8"},
		{"no such host", "no-such-host", []string{"curl", "--version"}, 1, "no-such-host"},
		{"no such command", "ip-172-16-0-8", []string{"hostname"}, 127, "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, err := c.Exec(ctx, tc.host, tc.cmd...)
			if err != nil || code != tc.code || !strings.Contains(out, tc.out) {
				t.Errorf("Exec(%s, %v) = %d %q %v, want %d and %q", tc.host, tc.cmd, code, out, err, tc.code, tc.out)
			}
		})
	}
}

func str(s string) *string { return aws.String(s) }
