package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netspec"
)

// Start a lab on the built-in topology (the seed's Private Space and customer VPC), check a
// path with real packets and read the verdict: before any peering, the EC2 instance cannot
// reach the Private Space app, and the model says why. A seed makes the generated ids (here the
// route table's) the same on every run.
func Example() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	c, err := l.Check(ctx, netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("passed:", c.Passed())
	fmt.Println("packets agree with the model:", c.Agree)
	fmt.Println("code:", c.Verdict.Code)
	fmt.Println("stopped at:", c.Verdict.At)
	fmt.Println("why:", c.Verdict.Reason)
	// Output:
	// passed: false
	// packets agree with the model: true
	// code: BLACKHOLE
	// stopped at: vpc/vpc-0cb1a66017eed9372
	// why: no route for this destination in rtb-5b3e707a91748aed7 (main route table of vpc-0cb1a66017eed9372), which has: 172.16.0.0/16 → local (active)
}

// AWSConfig gives aws-sdk-go-v2 the credentials, region and endpoint of a topology account;
// every service client made from it talks to the lab's EC2/STS.
func ExampleLab_AWSConfig() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	cfg, err := l.AWSConfig(ctx, "") // the topology's first account
	if err != nil {
		log.Fatal(err)
	}
	out, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{
		Filters: []types.Filter{{Name: aws.String("cidr"), Values: []string{"172.16.0.0/16"}}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Region, aws.ToString(out.Vpcs[0].VpcId), aws.ToString(out.Vpcs[0].CidrBlock))
	// Output:
	// us-east-1 vpc-0cb1a66017eed9372 172.16.0.0/16
}

// HerokuClient is a heroku-go v5 client for the lab's Platform API, authenticated as the
// topology's first user.
func ExampleLab_HerokuClient() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	info, err := l.HerokuClient().PeeringInfoInfo(ctx, "enablement-jp")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.AwsRegion, info.VpcID, info.VpcCIDR)
	fmt.Println(strings.Join(info.SpaceCIDRBlocks, ", "))
	// Output:
	// ap-northeast-1 vpc-b39527d4 10.0.0.0/16
	// 10.0.144.0/20, 10.0.128.0/20, 10.0.0.0/20, 10.0.16.0/20
}

// Exec runs a real program inside a host of the data plane, here a dyno of the seed's app.
func ExampleLab_Exec() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	var out bytes.Buffer
	code, err := l.Exec(ctx, "test-vpn-compute/web.1", []string{"sh", "-c", "echo $PORT; ip -4 -o addr show scope global | wc -l"}, nil, &out, &out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(out.String())
	fmt.Println("exit code", code)
	// Output:
	// 5000
	// 1
	// exit code 0
}

// Check explains a blocked path hop by hop: a dyno's packets to the customer's instance, with
// no peering, leave the space by its NAT and die on the internet.
func ExampleLab_Check() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	c, err := l.Check(ctx, netspec.Probe{From: "test-vpn-compute/web.1", Kind: "http", Target: "http://172.16.0.8/"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("passed:", c.Passed(), "agree:", c.Agree)
	fmt.Println(c.Verdict.Reason)
	fmt.Print(c.Verdict.Path())
	// Output:
	// passed: false agree: true
	// private addresses (172.16.0.0/12) are not routed on the internet
	//  1. dyno/test-vpn-compute/web.1              originated 10.0.8.63 → 172.16.0.8 tcp/80
	//  2. dyno/test-vpn-compute/web.1              route      0.0.0.0/0 via 10.0.0.1 (default route to the VPC router)
	//  3. vpc/vpc-b39527d4                         route      0.0.0.0/0 via 169.254.0.17 (the space's NAT: outbound traffic leaves by its stable outbound IPs)
	//  4. vpc/vpc-b39527d4                         filter     allowed: acl-25ddcba5852211b47 (shared by 4 subnets) outbound rule 100: allow all traffic to 0.0.0.0/0
	//  5. vpc/vpc-b39527d4                         snat       10.0.8.63 → 52.68.17.101 (test-vpn-compute/web.1 leaves enablement-jp by outbound IP 52.68.17.101)
	//  6. internet                                 route      blackhole 172.16.0.0/12 (private addresses (172.16.0.0/12) are not routed on the internet)
}

// Both API ports answer GET /_spacelab/health: 200 once the data plane has converged.
func ExampleLab_Health() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	resp, err := http.Get(l.AWSURL + lab.HealthPath)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var h lab.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, h.Ready, h.Topology, h.Hosts)
	// Output:
	// 200 true private-space-peering 14
}

// Reset undoes everything the APIs did since Start and returns once the data plane has
// followed; POST /_spacelab/reset on either API port does the same for other processes.
func ExampleLab_Reset() {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	cfg, err := l.AWSConfig(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	c := ec2.NewFromConfig(cfg)
	count := func() int {
		out, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{{Name: aws.String("cidr"), Values: []string{"10.42.0.0/16"}}}})
		if err != nil {
			log.Fatal(err)
		}
		return len(out.Vpcs)
	}
	if _, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("VPCs in 10.42.0.0/16 before the reset:", count())

	resp, err := http.Post(l.AWSURL+lab.ResetPath, "application/json", nil)
	if err != nil {
		log.Fatal(err)
	}
	var h lab.Health
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	fmt.Println("reset:", resp.StatusCode, "ready:", h.Ready)
	fmt.Println("VPCs in 10.42.0.0/16 after the reset:", count())
	// Output:
	// VPCs in 10.42.0.0/16 before the reset: 1
	// reset: 200 ready: true
	// VPCs in 10.42.0.0/16 after the reset: 0
}
