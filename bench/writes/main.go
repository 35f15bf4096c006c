// Command writes measures how the API write rate holds up as the world grows: EC2 writes
// (CreateTags, which changes nothing in the data plane, and AuthorizeSecurityGroupIngress /
// RevokeSecurityGroupIngress, which change one instance's filter) and Heroku writes (PUT of a
// space's inbound ruleset, which changes the space router's filter) through the real facades
// with the reconciler running, on a small topology (its peer) and a large one. A run ends with
// the data plane converged (Sync), so the rate includes the reconciliation the writes caused.
// It prints each rate at both sizes and the ratio large/small (target ≥ 0.8).
//
// Every size runs in a fresh process once the kernel has destroyed the previous one's
// namespaces, and the sizes alternate (small, large, small, large, …) for -pairs pairs; the
// ratio is the median of the pair-by-pair ratios.
//
//	go run ./bench/writes                      # 14 hosts against 1,045 hosts, 3 pairs
//	go run ./bench/writes -small 2x4 -large 1000x20 -n 400 -pairs 5
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/spacelab-dev/spacelab/bench/fleet"
	"github.com/spacelab-dev/spacelab/bench/settle"
	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/topology"
)

func topo(dynos, vpcs int) *topology.Topology {
	t, err := fleet.Topology(dynos, vpcs)
	if err != nil {
		panic(err)
	}
	return t
}

type size struct{ dynos, vpcs int }

func (z size) String() string { return fmt.Sprintf("%dx%d", z.dynos, z.vpcs) }

func parseSize(v string) size {
	var z size
	if _, err := fmt.Sscanf(v, "%dx%d", &z.dynos, &z.vpcs); err != nil {
		fmt.Fprintf(os.Stderr, "size %q: want DYNOSxVPCS\n", v)
		os.Exit(2)
	}
	return z
}

// result is one process's measurement, printed as JSON for the parent.
type result struct {
	Hosts int                `json:"hosts"`
	Rates map[string]float64 `json:"rates"` // writes per second by kind
}

var kinds = []string{"ec2 CreateTags", "ec2 Authorize/RevokeSecurityGroupIngress", "heroku PUT inbound-ruleset"}

func main() {
	small := flag.String("small", "2x4", "the peer topology, DYNOSxVPCS (2x4: 14 hosts)")
	large := flag.String("large", "1000x20", "the large topology, DYNOSxVPCS (1000x20: 1,045 hosts)")
	n := flag.Int("n", 300, "writes of each kind per run")
	pairs := flag.Int("pairs", 3, "small/large pairs, each size in a fresh process")
	one := flag.String("one", "", "measure one size in this process (what the parent runs)")
	flag.BoolVar(&verbose, "v", false, "with -one: say how long the writes and the final convergence took")
	flag.StringVar(&cpuprofile, "cpuprofile", "", "with -one: write a CPU profile of the writes to this file")
	flag.Parse()
	if *one != "" {
		measure(parseSize(*one), *n)
		return
	}
	sizes := []size{parseSize(*small), parseSize(*large)}
	var runs [2][]result
	for p := range *pairs {
		for i, z := range sizes {
			settle.Wait(60 * time.Second)
			out, err := exec.Command(os.Args[0], "-one", z.String(), "-n", fmt.Sprint(*n)).Output()
			if err != nil {
				fmt.Fprintf(os.Stderr, "size %s: %v\n", z, err)
				os.Exit(1)
			}
			var r result
			if err := json.Unmarshal(out, &r); err != nil {
				fmt.Fprintf(os.Stderr, "size %s: %v: %s\n", z, err, out)
				os.Exit(1)
			}
			runs[i] = append(runs[i], r)
			fmt.Printf("pair %d %-8s %5d hosts:", p+1, z, r.Hosts)
			for _, k := range kinds {
				fmt.Printf("  %s %.0f/s", k, r.Rates[k])
			}
			fmt.Println()
		}
	}
	fmt.Printf("\n%-42s %14s %14s %8s   %s\n", "writes", fmt.Sprintf("%d hosts", runs[0][0].Hosts), fmt.Sprintf("%d hosts", runs[1][0].Hosts), "ratio", "peer")
	for _, k := range kinds {
		var a, b, ratios []float64
		for p := range runs[0] {
			a = append(a, runs[0][p].Rates[k])
			b = append(b, runs[1][p].Rates[k])
			ratios = append(ratios, runs[1][p].Rates[k]/runs[0][p].Rates[k])
		}
		fmt.Printf("%-42s %12.0f/s %12.0f/s %7.2f×   the same writes at %d hosts; target ≥ 0.8×\n", k, median(a), median(b), median(ratios), runs[0][0].Hosts)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

var (
	cpuprofile string
	verbose    bool
)

func measure(z size, n int) {
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{Topology: topo(z.dynos, z.vpcs), Seed: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer l.Close()
	r := result{Hosts: len(l.Reconciler.Spec().Hosts), Rates: map[string]float64{}}
	c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(l.AWSURL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIA1", "s", "")})
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	check(err)
	vpc := aws.ToString(vpcs.Vpcs[0].VpcId)
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	check(err)
	sg := aws.ToString(sgs.SecurityGroups[0].GroupId)
	perm := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080),
		IpRanges: []types.IpRange{{CidrIp: aws.String("192.0.2.0/24")}}}}

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	timed := func(kind string, write func(i int) error) {
		check(l.Sync(ctx))
		start := time.Now()
		for i := range n {
			check(write(i))
		}
		wrote := time.Since(start)
		check(l.Sync(ctx))
		r.Rates[kind] = float64(n) / time.Since(start).Seconds()
		if verbose {
			fmt.Fprintf(os.Stderr, "%s: writes %s, then converging %s; reconciler %+v\n", kind, wrote.Round(time.Millisecond),
				(time.Since(start) - wrote).Round(time.Millisecond), l.Reconciler.Stats())
		}
	}
	timed(kinds[0], func(i int) error {
		_, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vpc}, Tags: []types.Tag{{Key: aws.String("n"), Value: aws.String(fmt.Sprint(i))}}})
		return err
	})
	timed(kinds[1], func(i int) error {
		if i%2 == 0 {
			_, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: perm})
			return err
		}
		_, err := c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sg), IpPermissions: perm})
		return err
	})
	hc := &http.Client{}
	timed(kinds[2], func(i int) error {
		body := fmt.Sprintf(`{"rules":[{"action":"allow","source":"0.0.0.0/0"},{"action":"deny","source":"198.51.100.%d/32"}]}`, i%250)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, l.HerokuURL+"/spaces/big/inbound-ruleset", bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+l.HerokuToken)
		req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("PUT inbound-ruleset: %s", resp.Status)
		}
		return nil
	})
	pprof.StopCPUProfile()
	json.NewEncoder(os.Stdout).Encode(r)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
