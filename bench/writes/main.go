// Command writes measures how the API write rate holds up as the world grows: EC2 writes
// (CreateTags, which changes nothing in the data plane, AuthorizeSecurityGroupIngress /
// RevokeSecurityGroupIngress, which change one instance's filter, and the creates and deletes
// Terraform makes most: subnets, security groups, internet gateways) and Heroku writes (PUT of a
// space's inbound ruleset, which changes the space router's filter) through the real facades
// with the reconciler running, on a small topology (its peer) and a large one. A run ends with
// the data plane converged (Sync), so the rate includes the reconciliation the writes caused.
// It prints each rate at both sizes and the ratio large/small (target ≥ 0.8). The kinds of
// writes are registered by side: aws.go (EC2) and heroku.go (the Platform API); -kinds picks
// some by name.
//
// Every size runs in a fresh process once the kernel has destroyed the previous one's
// namespaces, and the sizes alternate (small, large, small, large, …) for -pairs pairs; the
// ratio is the median of the pair-by-pair ratios.
//
//	go run ./bench/writes                      # 14 hosts against 1,045 hosts, 3 pairs
//	go run ./bench/writes -small 2x4 -large 1000x20 -n 3000 -pairs 5
//	go run ./bench/writes -kinds 'ec2 CreateTags' -one 1000x20 -v
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

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

// A kind is one kind of write: prepare runs once per size, after the lab is up and before
// anything is timed, and returns the write to repeat (i counts from 0; the writes should leave
// the world as they found it every few). most caps the writes of a slow kind (0: -n).
type kind struct {
	name    string
	most    int
	prepare func(e *env) (write func(i int) error)
}

// kinds are the registered kinds, in the order of registration.
var kinds []kind

func register(k kind) { kinds = append(kinds, k) }

// env is what a kind's prepare gets: the running lab and clients of both APIs.
type env struct {
	ctx context.Context
	lab *lab.Lab
	ec2 *ec2.Client
	hc  *http.Client
}

func main() {
	small := flag.String("small", "2x4", "the peer topology, DYNOSxVPCS (2x4: 14 hosts)")
	large := flag.String("large", "1000x20", "the large topology, DYNOSxVPCS (1000x20: 1,045 hosts)")
	n := flag.Int("n", 3000, "writes of each kind per run")
	pairs := flag.Int("pairs", 3, "small/large pairs, each size in a fresh process")
	one := flag.String("one", "", "measure one size in this process (what the parent runs)")
	flag.BoolVar(&verbose, "v", false, "with -one: say how long the writes and the final convergence took")
	flag.StringVar(&cpuprofile, "cpuprofile", "", "with -one: write a CPU profile of the writes to this file")
	only := flag.String("kinds", "", "comma-separated kinds of writes to measure (default: all)")
	flag.Parse()
	if *only != "" {
		kinds = selectKinds(strings.Split(*only, ","))
	}
	if *one != "" {
		measure(parseSize(*one), *n)
		return
	}
	sizes := []size{parseSize(*small), parseSize(*large)}
	var runs [2][]result
	for p := range *pairs {
		for i, z := range sizes {
			settle.Wait(60 * time.Second)
			out, err := exec.Command(os.Args[0], "-one", z.String(), "-n", fmt.Sprint(*n), "-kinds", kindNames()).Output()
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
				fmt.Printf("  %s %.0f/s", k.name, r.Rates[k.name])
			}
			fmt.Println()
		}
	}
	fmt.Printf("\n%-42s %14s %14s %8s   %s\n", "writes", fmt.Sprintf("%d hosts", runs[0][0].Hosts), fmt.Sprintf("%d hosts", runs[1][0].Hosts), "ratio", "peer")
	for _, k := range kinds {
		var a, b, ratios []float64
		for p := range runs[0] {
			a = append(a, runs[0][p].Rates[k.name])
			b = append(b, runs[1][p].Rates[k.name])
			ratios = append(ratios, runs[1][p].Rates[k.name]/runs[0][p].Rates[k.name])
		}
		fmt.Printf("%-42s %12.0f/s %12.0f/s %7.2f×   the same writes at %d hosts; target ≥ 0.8×\n", k.name, median(a), median(b), median(ratios), runs[0][0].Hosts)
	}
}

// selectKinds returns the registered kinds named, in their order; an unknown name exits.
func selectKinds(names []string) []kind {
	var out []kind
	for _, name := range names {
		i := slices.IndexFunc(kinds, func(k kind) bool { return k.name == strings.TrimSpace(name) })
		if i < 0 {
			fmt.Fprintf(os.Stderr, "no kind of write %q; the kinds: %s\n", name, kindNames())
			os.Exit(2)
		}
		out = append(out, kinds[i])
	}
	return out
}

func kindNames() string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.name)
	}
	return strings.Join(names, ",")
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
	e := &env{ctx: ctx, lab: l, hc: &http.Client{},
		ec2: ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(l.AWSURL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIA1", "s", "")})}
	writes := make([]func(int) error, len(kinds))
	for i, k := range kinds {
		writes[i] = k.prepare(e)
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	for i, k := range kinds {
		m := n
		if k.most > 0 {
			m = min(m, k.most)
		}
		check(l.Sync(ctx))
		start := time.Now()
		for j := range m {
			if err := writes[i](j); err != nil {
				check(fmt.Errorf("%s, write %d: %w", k.name, j, err))
			}
		}
		wrote := time.Since(start)
		check(l.Sync(ctx))
		r.Rates[k.name] = float64(m) / time.Since(start).Seconds()
		if verbose {
			fmt.Fprintf(os.Stderr, "%s: %d writes %s, then converging %s; reconciler %+v\n", k.name, m, wrote.Round(time.Millisecond),
				(time.Since(start) - wrote).Round(time.Millisecond), l.Reconciler.Stats())
		}
	}
	pprof.StopCPUProfile()
	json.NewEncoder(os.Stdout).Encode(r)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
