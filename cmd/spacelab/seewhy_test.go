package main_test

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// readPcap parses a pcap file back with gopacket.
func readPcap(t *testing.T, file string) []gopacket.Packet {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not a pcap file: %v", file, err)
	}
	var out []gopacket.Packet
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		out = append(out, gopacket.NewPacket(data, r.LinkType(), gopacket.Default))
	}
	return out
}

// syns counts the TCP SYNs (without ACK) from src to dst:port, and the SYN-ACKs back.
func syns(pkts []gopacket.Packet, src, dst string, port uint16) (syn, synack int) {
	for _, p := range pkts {
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip == nil || tcp == nil {
			continue
		}
		if ip.SrcIP.Equal(net.ParseIP(src)) && ip.DstIP.Equal(net.ParseIP(dst)) && uint16(tcp.DstPort) == port && tcp.SYN && !tcp.ACK {
			syn++
		}
		if ip.SrcIP.Equal(net.ParseIP(dst)) && ip.DstIP.Equal(net.ParseIP(src)) && uint16(tcp.SrcPort) == port && tcp.SYN && tcp.ACK {
			synack++
		}
	}
	return syn, synack
}

// checkReport is the part of `spacelab check --format json` the tests read.
type checkReport struct {
	Reachable bool   `json:"reachable"`
	Agree     bool   `json:"agree"`
	Code      string `json:"code"`
	Reason    string `json:"reason"`
	StoppedAt string `json:"stopped_at"`
	Flow      string `json:"flow"`
	Resolved  string `json:"resolved"`
	Path      []struct {
		Host       string `json:"host"`
		Step       string `json:"step"`
		Components []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"components"`
	} `json:"path"`
	Reply   []json.RawMessage `json:"reply"`
	Packets struct {
		OK        bool   `json:"ok"`
		Status    int    `json:"http_status"`
		Witnessed string `json:"witnessed"`
	} `json:"packets"`
}

func (r checkReport) has(typ, id string) bool {
	for _, h := range r.Path {
		for _, c := range h.Components {
			if c.Type == typ && (id == "" || c.ID == id) {
				return true
			}
		}
	}
	return false
}

func TestCheckCaptureMatrixGraph(t *testing.T) {
	u := startUp(t)

	// A capture of the instance's SYNs to the app, armed before the check.
	pcap := filepath.Join(t.TempDir(), "inst.pcap")
	capture := exec.Command(binary, "capture", "ip-172-16-0-8", "-w", pcap, "--filter", "tcp and port 80", "--count", "1")
	capture.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+u.state)
	stderr, err := capture.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var capOut strings.Builder
	for sc.Scan() {
		capOut.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "recording") {
			break
		}
	}
	go func() {
		for sc.Scan() {
			capOut.WriteString(sc.Text() + "\n")
		}
	}()

	// Before any peering: blocked at the customer VPC's router, by its route table, seen there.
	out, code := u.run("check", "ip-172-16-0-8", "test-vpn-compute.herokuapp.com:80")
	if code != 1 {
		t.Fatalf("a blocked check exited %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"BLOCKED", "the packets agree with the model", "flow    tcp 172.16.0.8:", "→ 10.0.25.212:80",
		"BLACKHOLE", "rtb-", "vpc-router vpc-0cb1a66017eed9372", "seen dying where the model said"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "resolved") > 0 || strings.Count(out, "dns ") != 1 {
		t.Errorf("the resolution should be one dns line:\n%s", out)
	}
	if err := capture.Wait(); err != nil {
		t.Fatalf("capture: %v\n%s", err, capOut.String())
	}
	pkts := readPcap(t, pcap)
	if syn, synack := syns(pkts, "172.16.0.8", "10.0.25.212", 80); syn == 0 || synack != 0 {
		t.Fatalf("the capture has %d SYNs and %d SYN-ACKs of the probe (want ≥1 and 0) among %d packets", syn, synack, len(pkts))
	}
	if tcpdump, err := exec.LookPath("tcpdump"); err == nil {
		if b, err := exec.Command(tcpdump, "-nr", pcap).CombinedOutput(); err != nil || !strings.Contains(string(b), "172.16.0.8") {
			t.Errorf("tcpdump -r: %v\n%s", err, b)
		}
	}
	t.Run("tshark reads it", func(t *testing.T) {
		tshark := testenv.Binary(t, "tshark") // Debian tshark (scripts/install-clients.sh)
		cmd := exec.Command(tshark, "-n", "-r", pcap, "-Y", "tcp.flags.syn == 1 && tcp.flags.ack == 0", "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.dstport")
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir()) // tshark keeps a profile directory
		b, err := cmd.Output()
		if err != nil || !regexp.MustCompile(`(?m)^172\.16\.0\.8\t10\.0\.25\.212\t80$`).Match(b) {
			t.Fatalf("tshark -r %s: %v\n%s", pcap, err, b)
		}
	})

	// A reachable one, as JSON: the path names the dyno and the router, the reply comes back.
	out, code = u.run("check", "--format", "json", "test-vpn-compute/web.1", "http://test-vpn-compute.herokuapp.com/")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("check --format json (%d): %v\n%s", code, err, out)
	}
	if !rep.Reachable || !rep.Agree || rep.Packets.Status != 200 || !rep.has("dyno", "test-vpn-compute/web.1") ||
		!rep.has("app-router", "") || len(rep.Reply) == 0 || !strings.HasPrefix(rep.Flow, "tcp 10.0.") {
		t.Fatalf("check --format json: %+v", rep)
	}
	// The JSON of a blocked one names the stop and the witness.
	out, _ = u.run("check", "--format", "json", "ip-172-16-0-8", "test-vpn-compute.herokuapp.com:80")
	rep = checkReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// The path names the instance's ENI, where the packets leave it.
	if rep.Reachable || rep.Code != "NO_ROUTE_IN_TABLE" || rep.StoppedAt != "vpc/vpc-0cb1a66017eed9372" || !rep.has("route-table", "") || rep.Packets.Witnessed == "" ||
		!rep.has("network-interface", "") {
		t.Fatalf("blocked check as JSON: %s", out)
	}
	if out, code := u.run("check", "no-such-host", "10.0.0.1"); code != 3 || !strings.Contains(out, "spacelab hosts") {
		t.Fatalf("check from a missing host (%d): %s", code, out)
	}

	// The matrix against an expectation: one pair differs, and it is named.
	exp := filepath.Join(t.TempDir(), "expect.txt")
	os.WriteFile(exp, []byte("# what we think\nip-172-16-0-8 test-vpn-compute/router.1 80 reachable\ntest-vpn-compute/web.1 test-vpn-compute/web.2 5000 reachable\n"+
		"ip-172-16-0-8 test-vpn-compute.herokuapp.com 80 reachable\n"), 0o644) // a name, resolved by the source as curl would
	out, code = u.run("matrix", "--expect", exp)
	if code != 1 || !strings.Contains(out, "ip-172-16-0-8 → test-vpn-compute/router.1 80: expected reachable, got blocked (NO_ROUTE_IN_TABLE") ||
		!strings.Contains(out, "ip-172-16-0-8 → test-vpn-compute.herokuapp.com 80: expected reachable, got blocked (NO_ROUTE_IN_TABLE") ||
		strings.Contains(out, "web.2 5000: expected") {
		t.Fatalf("matrix --expect (%d):\n%s", code, out)
	}
	out, code = u.run("matrix", "--from", "dyno", "--to", "dyno", "--format", "json")
	var m struct {
		Rows []struct {
			From, To, Port string
			Reachable      bool
			Agree          bool
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || code != 0 || len(m.Rows) != 2 || !m.Rows[0].Reachable || !m.Rows[1].Agree {
		t.Fatalf("matrix dyno to dyno (%d): %v\n%s", code, err, out)
	}

	// The graph: the world and the Heroku-managed peering with its state.
	out, code = u.run("graph", "--format", "json")
	var g struct {
		Nodes []struct{ ID, Type, Parent, State string }
		Edges []struct{ From, To, Type, State string }
	}
	if err := json.Unmarshal([]byte(out), &g); err != nil || code != 0 {
		t.Fatalf("graph --format json (%d): %v\n%s", code, err, out)
	}
	types := map[string]int{}
	for _, n := range g.Nodes {
		types[n.Type]++
	}
	for _, want := range []string{"account", "vpc", "subnet", "instance", "space", "app", "dyno", "router", "data-service", "office"} {
		if types[want] == 0 {
			t.Errorf("graph has no %s node: %v", want, types)
		}
	}
	// The space's router, with its state from the data plane.
	router := false
	for _, n := range g.Nodes {
		router = router || (n.Type == "space-router" && n.ID == "space-router:enablement-jp" && n.Parent == "space:enablement-jp" && n.State == "serving")
	}
	if !router {
		t.Errorf("graph has no serving space router of enablement-jp: %+v", g.Nodes)
	}
	peered := false
	for _, e := range g.Edges {
		peered = peered || (e.Type == "peering" && e.State == "active")
	}
	if !peered {
		t.Errorf("graph shows no active peering: %+v", g.Edges)
	}
	if out, code = u.run("graph"); code != 0 || !strings.HasPrefix(out, "flowchart LR") || !strings.Contains(out, "vpc-0cb1a66017eed9372") ||
		!regexp.MustCompile(`space router \S+ / 10\.0\.\S+ \(\d+ trusted IP ranges\) \[serving\]`).MatchString(out) {
		t.Fatalf("graph (mermaid) (%d):\n%s", code, out)
	}
	t.Run("dot renders it", func(t *testing.T) {
		dot := testenv.Binary(t, "dot") // Debian graphviz
		src, code := u.run("graph", "--format", "dot")
		if code != 0 {
			t.Fatalf("graph --format dot (%d):\n%s", code, src)
		}
		cmd := exec.Command(dot, "-Tsvg")
		cmd.Stdin = strings.NewReader(src)
		svg, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(svg), "<svg") || !strings.Contains(string(svg), "172.16.0.0/16") {
			t.Fatalf("dot -Tsvg: %v\n%s\n%s", err, svg, src)
		}
	})
}

func TestRunReports(t *testing.T) {
	netnstest.Start(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "report.yaml")
	os.WriteFile(scenario, []byte(`name: seewhy-report
steps:
  - name: the instance reaches the app (it cannot, nothing is peered)
    http: {from: ip-172-16-0-8, url: "http://test-vpn-compute.herokuapp.com/"}
  - name: a dyno reaches its app
    http: {from: test-vpn-compute/web.1, url: "http://test-vpn-compute.herokuapp.com/"}
    expect: {status: 200}
`), 0o644)
	junit, js, caps := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json"), filepath.Join(dir, "caps")
	cmd := exec.Command(binary, "run", scenario, "--junit", junit, "--json", js, "--capture", caps)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+filepath.Join(dir, "state"))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("run with a failing step: %v, want exit 1\n%s", err, out)
	}
	// On failure the step prints the whole check: the path and where it stopped.
	if !strings.Contains(string(out), "BLACKHOLE") || !strings.Contains(string(out), "vpc-router vpc-0cb1a66017eed9372") {
		t.Errorf("the failed step does not show its path:\n%s", out)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("junit: %v\n%s", err, b)
	}
	if len(suites.Suites) != 1 || suites.Suites[0].Tests != 2 || suites.Suites[0].Failures != 1 || len(suites.Suites[0].Cases) != 2 {
		t.Fatalf("junit: %s", b)
	}
	f := suites.Suites[0].Cases[0].Failure
	if f == nil || f.Type != "NO_ROUTE_IN_TABLE" || !strings.Contains(f.Message, "no route for this destination") || suites.Suites[0].Cases[1].Failure != nil {
		t.Fatalf("junit testcases: %s", b)
	}
	b, err = os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Scenarios []struct {
			Name  string
			Steps []struct {
				OK      bool         `json:"ok"`
				Check   *checkReport `json:"check"`
				Capture string       `json:"capture"`
			}
		}
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Scenarios) != 1 || len(rep.Scenarios[0].Steps) != 2 {
		t.Fatalf("json report: %v\n%s", err, b)
	}
	st := rep.Scenarios[0].Steps
	if st[0].OK || st[0].Check == nil || st[0].Check.Code != "NO_ROUTE_IN_TABLE" || st[0].Capture == "" || !st[1].OK || st[1].Capture != "" {
		t.Fatalf("json report steps: %s", b)
	}
	// The failed check's pcap has the probe's SYN and no answer.
	if syn, synack := syns(readPcap(t, st[0].Capture), "172.16.0.8", "10.0.25.212", 80); syn == 0 || synack != 0 {
		t.Fatalf("the failed check's pcap has %d SYNs and %d SYN-ACKs", syn, synack)
	}
}
