package lab_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/lab/labtest"
	"github.com/spacelab-dev/spacelab/netspec"
)

func TestLabCheckExplainsAndAgrees(t *testing.T) {
	l := labtest.Start(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		probe  netspec.Probe
		ok     bool
		reason string
	}{
		{"dig from the instance", netspec.Probe{From: "ip-172-16-0-8", Kind: "dns", Target: "test-vpn-compute.herokuapp.com"}, true, ""},
		{"curl before peering", netspec.Probe{From: "ip-172-16-0-8", Kind: "http", Target: "http://test-vpn-compute.herokuapp.com/"}, false, "no route for this destination"},
		{"dyno to its router", netspec.Probe{From: "test-vpn-compute/web.1", Kind: "http", Target: "http://10.0.25.212/"}, true, ""},
		{"dyno to dyno", netspec.Probe{From: "test-vpn-compute/web.1", Kind: "tcp", Target: "2.web.test-vpn-compute.app.localspace:5000"}, true, ""},
		{"ping the VPC router", netspec.Probe{From: "ip-172-16-0-8", Kind: "icmp", Target: "172.16.0.1"}, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := l.Check(ctx, tc.probe)
			if err != nil {
				t.Fatal(err)
			}
			if c.Result.OK != tc.ok || !c.Agree {
				t.Fatalf("%s\n%s", c.Summary(), c.Verdict.Path())
			}
			if !tc.ok && c.Verdict.Reason == "" {
				t.Fatal("a block without a reason")
			}
		})
	}
	for _, base := range []string{l.HerokuURL, l.AWSURL} {
		resp, err := http.Get(base + lab.HealthPath)
		if err != nil {
			t.Fatal(err)
		}
		var h lab.Health
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !h.Ready || h.Hosts == 0 {
			t.Fatalf("%s%s: %d %+v %v", base, lab.HealthPath, resp.StatusCode, h, err)
		}
	}
	if _, err := l.Check(ctx, netspec.Probe{From: "nowhere", Kind: "icmp", Target: "1.2.3.4"}); err == nil {
		t.Fatal("a probe from a missing host succeeded")
	}
}

// BenchmarkLabReady measures time-to-ready: topology loaded, sandbox started and converged,
// APIs listening (what `spacelab up` waits for before printing its environment).
func BenchmarkLabReady(b *testing.B) {
	for b.Loop() {
		l, err := lab.Start(context.Background(), lab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(l.ReadyIn.Microseconds())/1000, "ready-ms")
		b.ReportMetric(float64(l.Phases["sandbox"].Microseconds())/1000, "sandbox-ms")
		b.ReportMetric(float64(l.Phases["converge"].Microseconds())/1000, "converge-ms")
		b.StopTimer()
		l.Close()
		b.StartTimer()
	}
}
