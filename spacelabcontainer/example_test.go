package spacelabcontainer_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/spacelabcontainer"
)

// Run the image (built with scripts/build-image.sh; TESTCONTAINERS_RYUK_DISABLED=true), then
// drive it as the real services: heroku-go, aws-sdk-go-v2, commands and checks in its hosts.
func ExampleRun() {
	ctx := context.Background()
	c, err := spacelabcontainer.Run(ctx, "spacelab:dev")
	defer c.Terminate(ctx) // also when Run failed after creating the container
	if err != nil {
		log.Fatal(err)
	}
	info, err := c.HerokuClient().PeeringInfoInfo(ctx, "enablement-jp")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := c.AWSConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	vpcs, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("space VPC", info.VpcID, "customer VPCs", len(vpcs.Vpcs))

	// Before the peering the instance cannot reach the internal app: the check says why.
	res, err := c.Check(ctx, netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("reachable:", res.OK, res.Err)

	code, out, err := c.Exec(ctx, "ip-172-16-0-8", "dig", "+short", "test-vpn-compute.herokuapp.com")
	fmt.Println(code, out, err)
}
