package fakeaws_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/spacelab-dev/spacelab/internal/benchpeer"
)

// BenchmarkDescribeRouteTables measures a signed, filtered DescribeRouteTables round trip
// through the Go SDK (signing, verification, model read, XML both ways). Its peer is the same
// call to moto_server (pip install 'moto[server]'), started on loopback for the run, on a VPC
// of its own; without moto_server the peer is skipped, saying so, and no ratio is printed.
func BenchmarkDescribeRouteTables(b *testing.B) {
	var peer benchpeer.Peer
	b.Run("moto", func(b *testing.B) {
		c, vpc := startMoto(b)
		in := &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}}
		for b.Loop() {
			out, err := c.DescribeRouteTables(ctx(), in)
			if err != nil || len(out.RouteTables) != 1 {
				b.Fatalf("%v, %v", out, err)
			}
		}
		peer.Record(b, "moto")
	})
	b.Run("spacelab", func(b *testing.B) {
		e := newEnv(b)
		c := e.customer()
		in := &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{customerVPC}}}}
		for b.Loop() {
			out, err := c.DescribeRouteTables(ctx(), in)
			if err != nil || len(out.RouteTables) != 1 {
				b.Fatalf("%v, %v", out, err)
			}
		}
		peer.Compare(b)
	})
}

// startMoto runs moto_server on a free loopback port until the benchmark ends and returns a
// client of it and a new VPC there.
func startMoto(b *testing.B) (*ec2.Client, string) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		b.Skip("no moto_server on PATH (pip install 'moto[server]'): no peer, no ratio")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 600 {
			b.Fatalf("moto_server did not answer on %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	v, err := c.CreateVpc(context.Background(), &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		b.Fatal(err)
	}
	return c, aws.ToString(v.Vpc.VpcId)
}
