package ipsec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
	"github.com/spacelab-dev/spacelab/netspec"
	"github.com/spacelab-dev/spacelab/services"
)

// The interop topology: the space gateway runs spacelab's ipsec service, the office gateway
// runs a real strongSwan (charon with kernel-libipsec), each with a LAN host behind it, and
// an internet router between them that knows nothing of the LANs.
//
//	dyno 10.0.1.10 ─ space-gw [10.0.0.1 | 203.0.113.2] ─ internet ─ [198.51.100.2 | 172.16.0.1] office-gw ─ office-pc 172.16.0.10
const (
	charonPath  = "/usr/lib/ipsec/charon"
	swanctlPath = "/usr/sbin/swanctl"
	testPSK     = "heroku-private-space-test-psk-0123456789"
)

var pfx = netip.MustParsePrefix

func route(dst, via string) netspec.Route {
	return netspec.Route{Dst: pfx(dst), Via: netip.MustParseAddr(via)}
}

// interopSpec builds the topology with the given tunnel on the space gateway.
func interopSpec(tun netspec.IPsecTunnel, internetFilter *netspec.Filter) *netspec.Spec {
	return &netspec.Spec{
		Hosts: []*netspec.Host{
			{Name: "internet", Kind: "internet", Forwarding: true, Filter: internetFilter},
			{Name: "space-gw", Kind: "router", Forwarding: true, Routes: []netspec.Route{route("0.0.0.0/0", "203.0.113.1")},
				Services: []netspec.Service{{Name: "vpn", Kind: "ipsec", IPsec: &netspec.IPsecConfig{Tunnels: []netspec.IPsecTunnel{tun}}}}},
			{Name: "dyno", Kind: "dyno", Routes: []netspec.Route{route("0.0.0.0/0", "10.0.0.1")},
				Services: []netspec.Service{{Name: "web", Kind: "web", Listen: []netip.AddrPort{netip.MustParseAddrPort("10.0.1.10:80")},
					Web: &netspec.WebConfig{App: "dyno-app", Dyno: "web.1"}}}},
			{Name: "office-gw", Kind: "router", Forwarding: true, Routes: []netspec.Route{route("0.0.0.0/0", "198.51.100.1")}},
			{Name: "office-pc", Kind: "instance", Routes: []netspec.Route{route("0.0.0.0/0", "172.16.0.1")}},
		},
		Links: []*netspec.Link{
			{A: netspec.End{Host: "internet", Ifname: "to-space", Addrs: []netip.Prefix{pfx("203.0.113.1/24")}},
				B: netspec.End{Host: "space-gw", Ifname: "wan0", Addrs: []netip.Prefix{pfx("203.0.113.2/24")}}},
			{A: netspec.End{Host: "internet", Ifname: "to-office", Addrs: []netip.Prefix{pfx("198.51.100.1/24")}},
				B: netspec.End{Host: "office-gw", Ifname: "wan0", Addrs: []netip.Prefix{pfx("198.51.100.2/24")}}},
			{A: netspec.End{Host: "space-gw", Ifname: "lan0", Addrs: []netip.Prefix{pfx("10.0.0.1/16")}},
				B: netspec.End{Host: "dyno", Ifname: "eth0", Addrs: []netip.Prefix{pfx("10.0.1.10/16")}}},
			{A: netspec.End{Host: "office-gw", Ifname: "lan0", Addrs: []netip.Prefix{pfx("172.16.0.1/16")}},
				B: netspec.End{Host: "office-pc", Ifname: "eth0", Addrs: []netip.Prefix{pfx("172.16.0.10/16")}}},
		},
	}
}

// spaceTunnelSpec is the space side of the tunnel as a spec; fast retransmissions keep the
// failure cases short.
func spaceTunnelSpec(initiate bool) netspec.IPsecTunnel {
	return netspec.IPsecTunnel{
		Name: "tunnel-1", Local: netip.MustParseAddr("203.0.113.2"), Peer: netip.MustParseAddr("198.51.100.2"), PSK: testPSK,
		LocalNets: []netip.Prefix{pfx("10.0.0.0/16")}, RemoteNets: []netip.Prefix{pfx("172.16.0.0/16")}, Initiate: initiate,
		Policy: netspec.IPsecPolicy{RetransmitTimeout: 500 * time.Millisecond, RetransmitTries: 3, RetryInterval: time.Second},
	}
}

// charonConf is the office side's strongSwan configuration.
type charonConf struct {
	version  int
	ike, esp string
	psk      string
	dpd      string
	side     string // office (default) or space: which gateway's addresses and networks
	// rekey and reauth are the CHILD_SA rekey_time and IKE_SA rekey_time (IKEv1:
	// reauthentication); empty means strongSwan's defaults (1h, 4h).
	rekey, reauth string
	aggressive    bool
}

func defaultCharon() charonConf {
	return charonConf{version: 1, ike: "aes128-sha1-modp2048", esp: "aes128-sha1-modp2048", psk: testPSK, dpd: "10s"}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// overTime keeps an IKE SA alive a little after its reauthentication time.
func overTime(reauth string) string {
	if reauth == "" {
		return "10m"
	}
	return "5s"
}

// lifeTime is a CHILD_SA's hard lifetime: twice its rekey time.
func lifeTime(rekey string) string {
	d, err := time.ParseDuration(orDefault(rekey, "1h"))
	if err != nil {
		return "2h"
	}
	return fmt.Sprintf("%ds", int(2*d.Seconds()))
}

// strongswan is a charon running in the office gateway.
type strongswan struct {
	t    testing.TB
	sb   *netns.Sandbox
	host string
	dir  string
	out  *syncBuffer
	stop context.CancelFunc
	done chan struct{}
}

// syncBuffer is a bytes.Buffer that goroutines can write to at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startCharon writes the configuration, starts charon in office-gw with a private /run (it
// hard-codes /var/run/charon.pid), waits for its vici socket and loads the connection.
func startCharon(t testing.TB, sb *netns.Sandbox, c charonConf) *strongswan {
	t.Helper()
	return startCharonOn(t, sb, "office-gw", c)
}

// startCharonOn starts charon in host with c.
func startCharonOn(t testing.TB, sb *netns.Sandbox, host string, c charonConf) *strongswan {
	t.Helper()
	local, remote, lts, rts := "198.51.100.2", "203.0.113.2", "172.16.0.0/16", "10.0.0.0/16"
	if c.side == "space" {
		local, remote, lts, rts = remote, local, rts, lts
	}
	testenv.Binary(t, charonPath)
	testenv.Binary(t, swanctlPath)
	dir, err := os.MkdirTemp("", "ss-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	conf := fmt.Sprintf(`charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 hmac kdf gmp curve25519 pem pkcs1 x509 pubkey revocation constraints kernel-libipsec kernel-netlink socket-default vici updown
  port = 500
  port_nat_t = 4500
  install_routes = yes
  retransmit_timeout = 1
  retransmit_tries = 2
  plugins {
    vici {
      socket = unix://%[1]s/charon.vici
    }
  }
  filelog {
    main {
      path = %[1]s/charon.log
      time_format = %%H:%%M:%%S
      time_add_ms = yes
      append = no
      flush_line = yes
      default = 1
      ike = 2
      cfg = 2
      knl = 1
    }
  }
}
`, dir)
	swan := fmt.Sprintf(`connections {
  s2s {
    version = %[1]d
    aggressive = %[15]s
    local_addrs = %[7]s
    remote_addrs = %[8]s
    proposals = %[2]s
    encap = no
    mobike = no
    dpd_delay = %[3]s
    dpd_timeout = 30s
    keyingtries = 1
    rekey_time = %[11]s
    over_time = %[13]s
    rand_time = 0
    local {
      auth = psk
      id = %[7]s
    }
    remote {
      auth = psk
      id = %[8]s
    }
    children {
      lan {
        mode = tunnel
        local_ts = %[9]s
        remote_ts = %[10]s
        esp_proposals = %[4]s
        dpd_action = restart
        rekey_time = %[12]s
        life_time = %[14]s
        rand_time = 0
        start_action = none
        close_action = none
      }
    }
  }
}
secrets {
  ike-s2s {
    id-a = %[7]s
    id-b = %[8]s
    secret = "%[5]s"
  }
}
`, c.version, c.ike, c.dpd, c.esp, c.psk, "", local, remote, lts, rts, orDefault(c.reauth, "4h"), orDefault(c.rekey, "1h"), overTime(c.reauth), lifeTime(c.rekey), yesNo(c.aggressive))
	for name, body := range map[string]string{"strongswan.conf": conf, "swanctl.conf": swan} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &strongswan{t: t, sb: sb, host: host, dir: dir, out: &syncBuffer{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		sb.Exec(ctx, netns.ExecRequest{Host: host,
			Argv: []string{"sh", "-c", "mount -t tmpfs run /run && exec " + charonPath},
			Env:  []string{"STRONGSWAN_CONF=" + filepath.Join(dir, "strongswan.conf")}}, nil, s.out, s.out)
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
		if t.Failed() {
			t.Logf("charon log:\n%s", s.log())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "charon.vici")); err == nil {
			break
		}
		select {
		case <-s.done:
			t.Fatalf("charon exited: %s", s.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("charon did not come up: %s", s.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, code := s.swanctl("--load-all", "--noprompt", "--file", filepath.Join(dir, "swanctl.conf")); code != 0 {
		t.Fatalf("swanctl --load-all: %d %s", code, out)
	}
	return s
}

func (s *strongswan) swanctl(args ...string) (string, int) {
	s.t.Helper()
	out, code, err := s.swanctlCtx(context.Background(), args...)
	if err != nil {
		s.t.Fatalf("swanctl: %v", err)
	}
	return out, code
}

func (s *strongswan) swanctlCtx(ctx context.Context, args ...string) (string, int, error) {
	var out bytes.Buffer
	argv := append([]string{swanctlPath}, args...)
	argv = append(argv, "--uri", "unix://"+filepath.Join(s.dir, "charon.vici"))
	code, err := s.sb.Exec(ctx, netns.ExecRequest{Host: s.host, Argv: argv}, nil, &out, &out)
	return out.String(), code, err
}

// initiateInBackground starts swanctl --initiate without waiting for it (the failure cases,
// where strongSwan would wait for its own retransmissions).
func (s *strongswan) initiateInBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.swanctlCtx(ctx, "--initiate", "--child", "lan", "--timeout", "10")
	}()
	s.t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (s *strongswan) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "charon.log"))
	return string(b)
}

// initiate runs swanctl --initiate and returns how long it took and whether it succeeded.
func (s *strongswan) initiate(timeout int) (time.Duration, bool, string) {
	start := time.Now()
	out, code := s.swanctl("--initiate", "--child", "lan", "--timeout", strconv.Itoa(timeout))
	return time.Since(start), code == 0, out
}

func (s *strongswan) installed() bool {
	out, _ := s.swanctl("--list-sas", "--raw")
	return strings.Contains(out, "state=INSTALLED")
}

// goStatus reads the space gateway's tunnel status through the sandbox.
func goStatus(t *testing.T, sb *netns.Sandbox) services.IPsecStatus {
	t.Helper()
	all, err := sb.ServiceStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var st services.IPsecStatus
	if b := all["space-gw"]["vpn"]; b != nil {
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func waitGoStatus(t *testing.T, sb *netns.Sandbox, timeout time.Duration, ok func(state, msg string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := goStatus(t, sb)
		if len(st.Tunnels) == 1 && ok(st.Tunnels[0].State, st.Tunnels[0].Message) {
			return st.Tunnels[0].Message
		}
		if time.Now().After(deadline) {
			t.Fatalf("space gateway status: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// internetCounter counts what the internet router forwards: UDP 500, UDP 4500, ICMP
// destination-unreachable (a gateway's answer to an IKE packet that came before its peer's
// daemon listened: the Go gateway starts with the topology, charon after it) and all.
type internetCounter struct {
	t  *testing.T
	sb *netns.Sandbox
}

func countInternet(t *testing.T, sb *netns.Sandbox) *internetCounter {
	t.Helper()
	nft := testenv.Binary(t, "nft")
	rules := "table ip ipsectest {\n chain count_forward {\n  type filter hook forward priority -10; policy accept;\n  udp dport 500 counter\n  udp dport 4500 counter\n  icmp type destination-unreachable counter\n  counter\n }\n}\n"
	var out bytes.Buffer
	code, err := sb.Exec(context.Background(), netns.ExecRequest{Host: "internet", Argv: []string{nft, "-f", "-"}}, strings.NewReader(rules), &out, &out)
	if err != nil || code != 0 {
		t.Fatalf("nft: %d %v %s", code, err, out.String())
	}
	return &internetCounter{t: t, sb: sb}
}

var counterRE = regexp.MustCompile(`counter packets (\d+) bytes`)

func (c *internetCounter) read() (ike, natt, unreachable, all uint64) {
	var out bytes.Buffer
	code, err := c.sb.Exec(context.Background(), netns.ExecRequest{Host: "internet", Argv: []string{"nft", "list", "table", "ip", "ipsectest"}}, nil, &out, &out)
	if err != nil || code != 0 {
		c.t.Fatalf("nft list: %d %v %s", code, err, out.String())
	}
	m := counterRE.FindAllStringSubmatch(out.String(), -1)
	if len(m) != 4 {
		c.t.Fatalf("nft counters: %s", out.String())
	}
	v := func(i int) uint64 { n, _ := strconv.ParseUint(m[i][1], 10, 64); return n }
	return v(0), v(1), v(2), v(3)
}

// checkTraffic proves LAN-to-LAN traffic crosses the tunnel both ways.
func checkTraffic(t *testing.T, sb *netns.Sandbox) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []netspec.Probe{
		{From: "office-pc", Kind: "http", Target: "http://10.0.1.10/", Timeout: 5 * time.Second},
		{From: "office-pc", Kind: "icmp", Target: "10.0.1.10", Timeout: 5 * time.Second},
		{From: "dyno", Kind: "icmp", Target: "172.16.0.10", Timeout: 5 * time.Second},
	} {
		r, err := sb.Probe(ctx, p)
		if err != nil || !r.OK {
			t.Errorf("%s %s → %s: %v %+v", p.Kind, p.From, p.Target, err, r)
		} else if p.Kind == "http" && r.Status != 200 {
			t.Errorf("http status %d", r.Status)
		}
	}
}

func TestStrongswanInterop(t *testing.T) {
	for _, tc := range []struct {
		name          string
		goInitiates   bool
		ike, esp      string
		policyIKE     []string
		policyESP     []string
		expectGoSuite string
	}{
		{name: "strongswan initiates", ike: "aes128-sha1-modp2048", esp: "aes128-sha1-modp2048", expectGoSuite: "aes128-sha1-modp2048"},
		{name: "spacelab initiates", goInitiates: true, ike: "aes128-sha1-modp2048,aes128-sha256-modp1024", esp: "aes128-sha256-modp2048,aes128-sha1-modp2048", expectGoSuite: "aes128-sha1-modp2048"},
		{name: "strongswan initiates sha256 modp1024 no pfs", ike: "aes128-sha256-modp1024", esp: "aes128-sha256", expectGoSuite: "aes128-sha256-modp1024"},
		{name: "spacelab initiates sha256 no pfs", goInitiates: true, ike: "aes128-sha256-modp2048", esp: "aes128-sha256", policyESP: []string{"aes128-sha256"}, expectGoSuite: "aes128-sha256-modp2048"},
		// Other gateways' suites, configured through the policy.
		{name: "strongswan initiates aes256 ecp256", ike: "aes256-sha256-ecp256", esp: "aes256-sha256-ecp256",
			policyIKE: []string{"aes256-sha256-ecp256"}, policyESP: []string{"aes256-sha256-ecp256"}, expectGoSuite: "aes256-sha256-ecp256"},
		{name: "spacelab initiates aes192 sha384 modp1536", goInitiates: true, ike: "aes192-sha384-modp1536", esp: "aes192-sha512-modp1536",
			policyIKE: []string{"aes192-sha384-modp1536"}, policyESP: []string{"aes192-sha512-modp1536"}, expectGoSuite: "aes192-sha384-modp1536"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := netnstest.Start(t)
			tun := spaceTunnelSpec(tc.goInitiates)
			tun.Policy.IKE, tun.Policy.ESP = tc.policyIKE, tc.policyESP
			if err := sb.Apply(context.Background(), interopSpec(tun, nil)); err != nil {
				t.Fatal(err)
			}
			counter := countInternet(t, sb)
			cc := defaultCharon()
			cc.ike, cc.esp = tc.ike, tc.esp
			ss := startCharon(t, sb, cc)
			if tc.goInitiates {
				start := time.Now()
				waitGoStatus(t, sb, 20*time.Second, func(state, _ string) bool { return state == "UP" })
				t.Logf("spacelab → strongSwan: UP %s after charon loaded its config", time.Since(start).Round(time.Millisecond))
				deadline := time.Now().Add(5 * time.Second)
				for !ss.installed() {
					if time.Now().After(deadline) {
						t.Fatalf("strongSwan has no installed CHILD_SA")
					}
					time.Sleep(50 * time.Millisecond)
				}
			} else {
				took, ok, out := ss.initiate(20)
				if !ok {
					t.Fatalf("swanctl --initiate failed after %s: %s", took, out)
				}
				t.Logf("strongSwan → spacelab: swanctl --initiate took %s", took.Round(time.Millisecond))
				waitGoStatus(t, sb, 5*time.Second, func(state, _ string) bool { return state == "UP" })
			}
			msg := waitGoStatus(t, sb, time.Second, func(state, _ string) bool { return state == "UP" })
			if !strings.Contains(msg, tc.expectGoSuite) {
				t.Errorf("status %q does not name %s", msg, tc.expectGoSuite)
			}
			checkTraffic(t, sb)
			ike, natt, unreachable, all := counter.read()
			t.Logf("internet forwarded %d packets: %d UDP/500, %d UDP/4500, %d ICMP unreachable", all, ike, natt, unreachable)
			// An ICMP port unreachable answers an IKE packet the Go gateway sent before charon
			// listened (it carries no inner traffic); anything else is a leak.
			if all == 0 || ike+natt+unreachable != all || natt == 0 || (unreachable > 0 && !tc.goInitiates) {
				t.Errorf("the internet router must see only IKE and ESP-in-UDP: udp500=%d udp4500=%d icmp-unreachable=%d all=%d", ike, natt, unreachable, all)
			}
			st := goStatus(t, sb).Tunnels[0]
			if st.Counters.ESPIn == 0 || st.Counters.ESPOut == 0 || st.Counters.ESPAuthFailed != 0 {
				t.Errorf("counters: %+v", st.Counters)
			}
		})
	}
}

func TestStrongswanFailuresAreNamed(t *testing.T) {
	block := &netspec.Filter{Chains: []netspec.Chain{{Name: "forward", Hook: netspec.Forward, Policy: netspec.Drop, PolicyWhy: "test: internet path blocked"}}}
	for _, tc := range []struct {
		name         string
		goInitiates  bool
		bothInitiate bool // charon initiates too
		charon       func(*charonConf)
		tunnel       func(*netspec.IPsecTunnel)
		blocked      bool
		goStatus     string // substring of the space gateway's DOWN message
		charonLog    string // substring of charon's log, when charon initiates
	}{
		{
			name:      "strongswan offers IKEv2",
			charon:    func(c *charonConf) { c.version = 2 },
			goStatus:  "the customer gateway offered IKEv2; this gateway speaks IKEv1 only",
			charonLog: "received NO_PROPOSAL_CHOSEN",
		},
		{
			// The default space gateway initiates as well: strongSwan refuses its IKEv1 main
			// mode, and the reason shown stays the version mismatch.
			name:         "both initiate, strongswan offers IKEv2",
			goInitiates:  true,
			bothInitiate: true,
			charon:       func(c *charonConf) { c.version = 2 },
			goStatus:     "the customer gateway offered IKEv2; this gateway speaks IKEv1 only (it refused this gateway's IKEv1 main mode with NO_PROPOSAL_CHOSEN)",
		},
		{
			name:      "phase 1 proposal mismatch",
			charon:    func(c *charonConf) { c.ike = "aes256-sha256-modp2048" },
			goStatus:  "no acceptable phase 1 proposal: the customer gateway offered aes256-sha256-modp2048, this gateway accepts aes128-{sha1,sha256}-{modp2048,modp1024}",
			charonLog: "received NO_PROPOSAL_CHOSEN",
		},
		{
			name:      "phase 2 proposal mismatch",
			charon:    func(c *charonConf) { c.esp = "aes256-sha1" },
			goStatus:  "phase 1 up, phase 2 refused: the customer gateway offered esp aes256-sha1, this gateway accepts esp aes128-{sha1,sha256}-{modp2048,modp1024,nopfs}",
			charonLog: "received NO_PROPOSAL_CHOSEN",
		},
		{
			name:      "strongswan uses aggressive mode",
			charon:    func(c *charonConf) { c.aggressive = true },
			goStatus:  "the customer gateway uses aggressive mode; this gateway accepts main mode only",
			charonLog: "received NO_PROPOSAL_CHOSEN",
		},
		{
			name:     "pre-shared key mismatch",
			charon:   func(c *charonConf) { c.psk = "a-different-secret" },
			goStatus: "pre-shared key mismatch (could not decrypt main mode message 5 from the customer gateway)",
		},
		{
			name:        "spacelab initiates, strongswan refuses phase 1",
			goInitiates: true,
			charon:      func(c *charonConf) { c.ike = "aes256-sha256-modp2048" },
			goStatus:    "phase 1 refused by the customer gateway (NO_PROPOSAL_CHOSEN): this gateway offered aes128-{sha1,sha256}-{modp2048,modp1024}",
		},
		{
			name:        "spacelab initiates, strongswan refuses phase 2",
			goInitiates: true,
			charon:      func(c *charonConf) { c.esp = "aes256-sha1-modp2048" },
			goStatus:    "phase 1 up, phase 2 refused by the customer gateway (NO_PROPOSAL_CHOSEN)",
		},
		{
			name:        "spacelab initiates with another pre-shared key",
			goInitiates: true,
			charon:      func(c *charonConf) { c.psk = "a-different-secret" },
			goStatus:    "pre-shared key mismatch",
		},
		{
			name:        "UDP 500/4500 blocked",
			goInitiates: true,
			blocked:     true,
			goStatus:    "no answer from the customer gateway on UDP 500/4500 (main mode message 1 sent 4 times",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := netnstest.Start(t)
			tun := spaceTunnelSpec(tc.goInitiates)
			if tc.tunnel != nil {
				tc.tunnel(&tun)
			}
			var filter *netspec.Filter
			if tc.blocked {
				filter = block
			}
			if err := sb.Apply(context.Background(), interopSpec(tun, filter)); err != nil {
				t.Fatal(err)
			}
			cc := defaultCharon()
			if tc.charon != nil {
				tc.charon(&cc)
			}
			ss := startCharon(t, sb, cc)
			start := time.Now()
			if !tc.goInitiates || tc.bothInitiate {
				ss.initiateInBackground()
			}
			msg := waitGoStatus(t, sb, 20*time.Second, func(state, msg string) bool {
				return state == "DOWN" && strings.Contains(msg, tc.goStatus)
			})
			t.Logf("after %s: %s", time.Since(start).Round(time.Millisecond), msg)
			if tc.charonLog != "" {
				deadline := time.Now().Add(5 * time.Second)
				for !strings.Contains(ss.log(), tc.charonLog) {
					if time.Now().After(deadline) {
						t.Fatalf("charon did not log %q:\n%s", tc.charonLog, ss.log())
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
}

func TestStrongswanDeadPeerDetection(t *testing.T) {
	sb := netnstest.Start(t)
	tun := spaceTunnelSpec(false)
	tun.Policy.DPDDelay, tun.Policy.DPDTimeout = time.Second, 3*time.Second
	spec := interopSpec(tun, nil)
	if err := sb.Apply(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	cc := defaultCharon()
	cc.dpd = "1s"
	ss := startCharon(t, sb, cc)
	if _, ok, out := ss.initiate(20); !ok {
		t.Fatalf("initiate: %s", out)
	}
	waitGoStatus(t, sb, 5*time.Second, func(state, _ string) bool { return state == "UP" })
	// Idle, DPD keeps the tunnel up: both sides answer each other's R-U-THERE.
	time.Sleep(4 * time.Second)
	waitGoStatus(t, sb, time.Second, func(state, _ string) bool { return state == "UP" })
	if !strings.Contains(ss.log(), "DPD") && !strings.Contains(ss.log(), "R_U_THERE") {
		t.Logf("note: charon logged no DPD exchange")
	}
	spec.Host("internet").Filter = &netspec.Filter{Chains: []netspec.Chain{{Name: "forward", Hook: netspec.Forward, Policy: netspec.Drop}}}
	if err := sb.Apply(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	waitGoStatus(t, sb, 10*time.Second, func(state, msg string) bool {
		return state == "DOWN" && msg == "dead peer detected (no DPD answer for 3s)"
	})
	t.Logf("dead peer declared %s after the path was cut", time.Since(start).Round(time.Millisecond))
}

// TestStrongswanRekey runs a tunnel through several IPsec SA rekeys and ISAKMP SA
// re-authentications, driven by strongSwan's timers and then by spacelab's, with traffic
// checked throughout.
func TestStrongswanRekey(t *testing.T) {
	for _, tc := range []struct {
		name          string
		goInitiates   bool
		espLife       time.Duration
		ikeLife       time.Duration
		rekey, reauth string
	}{
		{name: "strongswan rekeys", espLife: 7 * time.Second, ikeLife: 20 * time.Second, rekey: "4s", reauth: "9s"},
		{name: "spacelab rekeys", goInitiates: true, espLife: 4 * time.Second, ikeLife: 9 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := netnstest.Start(t)
			tun := spaceTunnelSpec(tc.goInitiates)
			tun.Policy.ESPLifetime, tun.Policy.IKELifetime = tc.espLife, tc.ikeLife
			if err := sb.Apply(context.Background(), interopSpec(tun, nil)); err != nil {
				t.Fatal(err)
			}
			cc := defaultCharon()
			cc.rekey, cc.reauth = tc.rekey, tc.reauth
			ss := startCharon(t, sb, cc)
			if !tc.goInitiates {
				if _, ok, out := ss.initiate(20); !ok {
					t.Fatalf("initiate: %s", out)
				}
			}
			waitGoStatus(t, sb, 10*time.Second, func(state, _ string) bool { return state == "UP" })
			spis := map[string]bool{}
			deadline := time.Now().Add(22 * time.Second)
			failures := 0
			for time.Now().Before(deadline) {
				r, err := sb.Probe(context.Background(), netspec.Probe{From: "office-pc", Kind: "icmp", Target: "10.0.1.10", Timeout: 2 * time.Second})
				if err != nil || !r.OK {
					failures++
					t.Logf("probe failed at %s: %v %+v", time.Now().Format("15:04:05.000"), err, r)
				}
				st := goStatus(t, sb)
				if len(st.Tunnels) == 1 {
					for _, e := range st.Tunnels[0].ESP {
						spis[e] = true
					}
				}
				time.Sleep(500 * time.Millisecond)
			}
			log := ss.log()
			t.Logf("IPsec SA generations seen by spacelab: %d; CHILD_SAs strongSwan established: %d, Main Modes it initiated: %d, ISAKMP SAs it established: %d",
				len(spis), strings.Count(log, "established with SPIs"), strings.Count(log, "initiating Main Mode"), strings.Count(log, "] established between"))
			t.Logf("spacelab counters: %+v", goStatus(t, sb).Tunnels[0].Counters)
			if len(spis) < 4 {
				t.Errorf("expected several IPsec SA generations in 22 s with 4 s rekeys: %v", spis)
			}
			if failures > 1 {
				t.Errorf("%d probes failed across rekeys", failures)
			}
			if strings.Count(log, "] established between") < 2 {
				t.Errorf("no re-authentication happened")
			}
			waitGoStatus(t, sb, time.Second, func(state, _ string) bool { return state == "UP" })
			if !ss.installed() {
				t.Errorf("strongSwan lost its CHILD_SA")
			}
		})
	}
}
