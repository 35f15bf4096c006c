package lab_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// parallelLabs is how many labs TestParallelLabs and BenchmarkParallelLabsReady run at once.
const parallelLabs = 8

var appProbe = netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}

// TestParallelLabs runs 8 labs in one process at the same time. None shares a port, a
// directory, a sandbox process or a token with another, and each is its own world: the labs
// that make the seed's peering reach the app, the others stay blocked — so no lab's API calls
// or data plane leak into another's. CI runs it under -race.
func TestParallelLabs(t *testing.T) {
	var mu sync.Mutex
	owner := map[string]int{}
	claim := func(t *testing.T, i int, what, v string) {
		mu.Lock()
		defer mu.Unlock()
		if j, dup := owner[what+" "+v]; dup {
			t.Errorf("lab %d has the %s %s of lab %d", i, what, v, j)
		}
		owner[what+" "+v] = i
	}
	for i := range parallelLabs {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			l := labtest.Start(t)
			claim(t, i, "Heroku API", l.HerokuURL)
			claim(t, i, "AWS API", l.AWSURL)
			claim(t, i, "sandbox directory", l.Sandbox.Dir())
			claim(t, i, "sandbox pid", strconv.Itoa(l.Sandbox.Pid()))
			claim(t, i, "token", l.HerokuToken)
			peered := i%2 == 0
			if peered {
				peerSeedSpace(t, ctx, l)
			}
			c, err := l.Check(ctx, appProbe)
			if err != nil {
				t.Fatal(err)
			}
			if c.Passed() != peered || !c.Agree {
				t.Fatalf("peered=%v: %s\n%s", peered, c.Summary(), c.Verdict.Path())
			}
		})
	}
}

// peerSeedSpace makes the seed's peering through the two Go clients: peering info from Heroku,
// the request from the customer's VPC, the acceptance in Heroku, the route in AWS.
func peerSeedSpace(t testing.TB, ctx context.Context, l *lab.Lab) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := l.AWSConfig(ctx, "")
	must(err)
	api, heroku := ec2.NewFromConfig(cfg), l.HerokuClient()
	info, err := heroku.PeeringInfoInfo(ctx, "enablement-jp")
	must(err)
	vpcs, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: []types.Filter{
		{Name: aws.String("cidr"), Values: []string{"172.16.0.0/16"}}}})
	must(err)
	vpc := vpcs.Vpcs[0].VpcId
	pcx, err := api.CreateVpcPeeringConnection(ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: vpc,
		PeerVpcId: &info.VpcID, PeerOwnerId: &info.AwsAccountID, PeerRegion: &info.AwsRegion})
	must(err)
	id := pcx.VpcPeeringConnection.VpcPeeringConnectionId
	_, err = heroku.PeeringAccept(ctx, "enablement-jp", *id)
	must(err)
	rtbs, err := api.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{*vpc}}, {Name: aws.String("association.main"), Values: []string{"true"}}}})
	must(err)
	_, err = api.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rtbs.RouteTables[0].RouteTableId,
		DestinationCidrBlock: &info.VpcCIDR, VpcPeeringConnectionId: id})
	must(err)
}

// BenchmarkParallelLabsReady compares the time until 8 labs started at once are all ready with
// the time one lab takes alone (same process, same topology). The x-of-one metric is the ratio.
//
//	go test ./lab -run - -bench ParallelLabsReady -benchtime 3x
func BenchmarkParallelLabsReady(b *testing.B) {
	ctx := context.Background()
	var one, eight time.Duration
	for b.Loop() {
		t0 := time.Now()
		l, err := lab.Start(ctx, lab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		one += time.Since(t0)
		b.StopTimer()
		l.Close()
		b.StartTimer()

		labs := make([]*lab.Lab, parallelLabs)
		errs := make([]error, parallelLabs)
		var wg sync.WaitGroup
		t0 = time.Now()
		for i := range labs {
			wg.Go(func() { labs[i], errs[i] = lab.Start(ctx, lab.Options{}) })
		}
		wg.Wait()
		eight += time.Since(t0)
		b.StopTimer()
		for _, l := range labs {
			if l != nil {
				l.Close()
			}
		}
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(one.Microseconds())/1000/n, "one-ms")
	b.ReportMetric(float64(eight.Microseconds())/1000/n, fmt.Sprintf("%d-ms", parallelLabs))
	b.ReportMetric(float64(eight)/float64(one), fmt.Sprintf("%d-vs-1-ratio", parallelLabs))
}
