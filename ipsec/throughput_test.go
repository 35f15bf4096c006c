package ipsec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
)

// TestIperfThroughput measures single-stream TCP throughput office-pc → dyno (iperf3, the
// strongSwan baseline's method) through a Go↔Go tunnel and through a strongSwan↔strongSwan
// tunnel (kernel-libipsec) over the same topology, back to back; strongswan-go and
// go-strongswan carry the stream between the Go space gateway and a strongSwan office, one way
// and the other (the batched seal and open paths against strongSwan); copy is go-go with ESP's
// cryptography replaced by a copy into the ESP frame (a test-only switch, see benchCopyOnly):
// the ceiling of user-space forwarding over TUN and UDP on the machine. It is a benchmark, so it
// runs only with SPACELAB_IPSEC_BENCH=1 (SPACELAB_IPSEC_BENCH_SECS sets the duration,
// SPACELAB_IPSEC_BENCH_MODES the modes in order; repeating them gives pairs). Each mode's peer
// is plain routing on the same topology in the same run; the test logs the ratios at the end:
//
//	SPACELAB_IPSEC_BENCH=1 go test ./ipsec/ -run IperfThroughput -v
//	SPACELAB_IPSEC_BENCH=1 SPACELAB_IPSEC_BENCH_MODES=go-go,plain,go-go,plain,go-go,plain go test ./ipsec/ -run IperfThroughput -v
func TestIperfThroughput(t *testing.T) {
	if os.Getenv("SPACELAB_IPSEC_BENCH") == "" {
		t.Skip("a benchmark: set SPACELAB_IPSEC_BENCH=1")
	}
	iperf := testenv.Binary(t, "iperf3")
	secs := 5
	if s, err := strconv.Atoi(os.Getenv("SPACELAB_IPSEC_BENCH_SECS")); err == nil && s > 0 {
		secs = s
	}
	modes := strings.Split(os.Getenv("SPACELAB_IPSEC_BENCH_MODES"), ",")
	if modes[0] == "" {
		modes = []string{"go-go", "strongswan-strongswan", "plain"}
	}
	got := map[string][]float64{} // Mbit/s received, per mode
	cpu := map[string][]float64{} // CPU seconds of the sandbox process (the gateways) per GB received, per mode
	defer func() {
		// The peer of every mode is plain routing over the same topology, measured in the same
		// run; modes repeated (go-go,plain,go-go,plain) give pairs taken close in time.
		done := map[string]bool{}
		for _, mode := range modes {
			if mode == "plain" || done[mode] || len(got["plain"]) == 0 || len(got[mode]) == 0 {
				continue
			}
			done[mode] = true
			var ratios []string
			for i := range min(len(got[mode]), len(got["plain"])) {
				ratios = append(ratios, strconv.FormatFloat(got[mode][i]/got["plain"][i], 'f', 2, 64))
			}
			t.Logf("RATIO %s / plain routing: %s (pair by pair; target for go-go ≥ 0.4)", mode, strings.Join(ratios, " "))
		}
		for _, mode := range modes {
			if mode == "plain" || !done[mode] {
				continue
			}
			done[mode] = false
			var cs []string
			for _, c := range cpu[mode] {
				cs = append(cs, strconv.FormatFloat(c, 'f', 2, 64))
			}
			t.Logf("CPUGB %s: %s s of gateway CPU per GB (run by run)", mode, strings.Join(cs, " "))
		}
	}()
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			var opts netns.Options
			if mode == "copy" {
				// Read by the sandbox process, this test binary re-executed (benchcopy_test.go).
				opts.Env = []string{"SPACELAB_IPSEC_BENCH_COPY_ONLY=1"}
			}
			sb := netnstest.StartWith(t, opts)
			ctx := context.Background()
			space := spaceTunnelSpec(false)
			spec := interopSpec(space, nil)
			switch mode {
			case "go-go", "copy":
				office := netspec.IPsecTunnel{Name: "office", Local: space.Peer, Peer: space.Local, PSK: testPSK,
					LocalNets: space.RemoteNets, RemoteNets: space.LocalNets, Initiate: true, PeerLabel: "the space gateway",
					Policy: netspec.IPsecPolicy{RetryInterval: time.Second}}
				spec.Host("office-gw").Services = []netspec.Service{{Name: "vpn", Kind: "ipsec",
					IPsec: &netspec.IPsecConfig{Tunnels: []netspec.IPsecTunnel{office}}}}
			case "strongswan-strongswan":
				spec.Host("space-gw").Services = nil
			case "strongswan-go", "go-strongswan":
				// The Go space gateway against a strongSwan office: strongswan-go sends
				// office-pc → dyno (strongSwan seals, Go opens), go-strongswan the other way
				// (iperf3 -R: Go seals, strongSwan opens).
			case "plain":
				spec.Host("space-gw").Services = nil
				spec.Host("internet").Routes = []netspec.Route{route("10.0.0.0/16", "203.0.113.2"), route("172.16.0.0/16", "198.51.100.2")}
			}
			if err := sb.Apply(ctx, spec); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			switch mode {
			case "go-go", "copy":
				waitGoStatus(t, sb, 20*time.Second, func(state, _ string) bool { return state == "UP" })
			case "strongswan-strongswan":
				startCharonOn(t, sb, "space-gw", spaceSideCharon())
				ss := startCharon(t, sb, defaultCharon())
				if _, ok, out := ss.initiate(20); !ok {
					t.Fatalf("initiate: %s", out)
				}
			case "strongswan-go", "go-strongswan":
				ss := startCharon(t, sb, defaultCharon())
				if _, ok, out := ss.initiate(20); !ok {
					t.Fatalf("initiate: %s", out)
				}
			}
			t.Logf("%s: tunnel up after %s", mode, time.Since(start).Round(time.Millisecond))
			drops0 := udpRcvbufErrors(t, sb, "space-gw")
			cpu0 := processCPU(t, sb.Pid())
			srvCtx, stop := context.WithCancel(ctx)
			srvDone := make(chan struct{})
			go func() {
				defer close(srvDone)
				sb.Exec(srvCtx, netns.ExecRequest{Host: "dyno", Argv: []string{iperf, "-s", "-1", "-B", "10.0.1.10"}}, nil, nil, nil)
			}()
			defer func() { stop(); <-srvDone }()
			time.Sleep(300 * time.Millisecond)
			var out bytes.Buffer
			argv := []string{iperf, "-c", "10.0.1.10", "-t", strconv.Itoa(secs), "-J"}
			if mode == "go-strongswan" {
				argv = append(argv, "-R")
			}
			code, err := sb.Exec(ctx, netns.ExecRequest{Host: "office-pc", Argv: argv}, nil, &out, &out)
			if err != nil || code != 0 {
				t.Fatalf("iperf3: %d %v %s", code, err, out.String())
			}
			var res struct {
				End struct {
					SumSent struct {
						BitsPerSecond float64 `json:"bits_per_second"`
						Retransmits   int     `json:"retransmits"`
					} `json:"sum_sent"`
					SumReceived struct {
						BitsPerSecond float64 `json:"bits_per_second"`
						Bytes         float64 `json:"bytes"`
					} `json:"sum_received"`
					CPU struct {
						HostTotal   float64 `json:"host_total"`
						RemoteTotal float64 `json:"remote_total"`
					} `json:"cpu_utilization_percent"`
				} `json:"end"`
			}
			if err := json.Unmarshal(out.Bytes(), &res); err != nil {
				t.Fatalf("iperf3 output: %v %s", err, out.String())
			}
			if res.End.SumReceived.Bytes == 0 {
				t.Fatalf("iperf3 %s: nothing arrived through the path (0 bytes received): %s", mode, out.String())
			}
			used := processCPU(t, sb.Pid()) - cpu0
			drops := udpRcvbufErrors(t, sb, "space-gw") - drops0
			got[mode] = append(got[mode], res.End.SumReceived.BitsPerSecond/1e6)
			perGB := used / (res.End.SumReceived.Bytes / 1e9)
			cpu[mode] = append(cpu[mode], perGB)
			t.Logf("RESULT %s: %.0f Mbit/s received (sent %.0f), TCP retransmits %d, UDP receive-buffer drops on the decrypting gateway %d, "+
				"sandbox process (both gateways) %.2f s CPU for %.2f GB: %.2f s/GB",
				mode, res.End.SumReceived.BitsPerSecond/1e6, res.End.SumSent.BitsPerSecond/1e6, res.End.SumSent.Retransmits, drops,
				used, res.End.SumReceived.Bytes/1e9, perGB)
		})
	}
}

// processCPU is the user+system CPU time, in seconds, a process (all its threads) has used:
// fields 14 and 15 of /proc/PID/stat, in clock ticks (USER_HZ, 100 on Linux).
func processCPU(t *testing.T, pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("sandbox CPU: %v", err)
	}
	// The command name (field 2) may hold spaces: count fields after its closing parenthesis.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		t.Fatalf("sandbox CPU: short /proc/%d/stat: %q", pid, b)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("sandbox CPU: /proc/%d/stat: %q", pid, b)
	}
	return (utime + stime) / 100
}

// udpRcvbufErrors reads Udp RcvbufErrors of a host (/proc/net/snmp is per network namespace).
func udpRcvbufErrors(t *testing.T, sb *netns.Sandbox, host string) int64 {
	var out bytes.Buffer
	code, err := sb.Exec(context.Background(), netns.ExecRequest{Host: host, Argv: []string{"cat", "/proc/net/snmp"}}, nil, &out, &out)
	if err != nil || code != 0 {
		t.Fatalf("snmp: %v %s", err, out.String())
	}
	var names []string
	for _, line := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		f := strings.Fields(line)[1:]
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return 0
}

// spaceSideCharon is a charon configuration for the space gateway (the baseline).
func spaceSideCharon() charonConf {
	c := defaultCharon()
	c.side = "space"
	return c
}
