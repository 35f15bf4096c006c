package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spacelab-dev/spacelab/internal/testenv"
	"github.com/spacelab-dev/spacelab/netns/netnstest"
)

// spacelab runs the binary without a running emulator, in the given state directory (a fresh
// one when empty), and returns its combined output and exit code.
func spacelab(t *testing.T, state string, args ...string) (string, int) {
	t.Helper()
	if state == "" {
		state = t.TempDir()
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+state)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("spacelab %v: %v", args, err)
	}
	return string(out), 0
}

// `spacelab version` says what `go version -m` says the build recorded, and nothing more.
func TestVersionCLI(t *testing.T) {
	out, code := spacelab(t, "", "version")
	if code != 0 {
		t.Fatalf("version (%d): %s", code, out)
	}
	m, err := exec.Command("go", "version", "-m", binary).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, m)
	}
	goVersion := strings.Fields(strings.SplitN(string(m), "\n", 2)[0])[1]
	if !strings.Contains(out, "go      "+goVersion+" ") {
		t.Errorf("version lacks the Go version %s:\n%s", goVersion, out)
	}
	if rev := regexp.MustCompile(`vcs\.revision=([0-9a-f]+)`).FindStringSubmatch(string(m)); rev != nil {
		if !strings.Contains(out, "commit  "+rev[1]) {
			t.Errorf("the build recorded commit %s; version says:\n%s", rev[1], out)
		}
	} else if !strings.Contains(out, "commit  unknown (no VCS info") {
		t.Errorf("the build recorded no commit; version says:\n%s", out)
	}
}

// asUser runs cmd as uid/gid (the test must be root).
func asUser(cmd *exec.Cmd, uid int) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
}

// upLines is a `spacelab up` whose stderr lines (the hints) are read too.
type upLines struct {
	*up
	hints []string
}

// startUpAs starts `spacelab up ARGS` as uid (-1: as the test's own user) and reads both the
// environment it prints and the hint lines it writes to stderr before serving.
func startUpAs(t *testing.T, uid int, args ...string) *upLines {
	t.Helper()
	netnstest.Start(t)
	state, err := os.MkdirTemp("", "sl-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	cmd := exec.Command(binary, append([]string{"up", "--heroku-listen", "127.0.0.1:0", "--aws-listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+state, "HOME="+state)
	if uid >= 0 {
		os.Chown(state, uid, uid)
		asUser(cmd, uid)
		cmd.Dir = state // the checkout may not be readable by that user
	}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	u := &upLines{up: &up{t: t, cmd: cmd, state: state, out: &bytes.Buffer{}}}
	t.Cleanup(func() {
		down := exec.Command(binary, "down")
		down.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+state)
		if uid >= 0 {
			asUser(down, uid)
		}
		down.Run()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		kv, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		u.env = append(u.env, k+"="+strings.Trim(v, "'"))
		if k == "AWS_CONFIG_FILE" {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	esc := bufio.NewScanner(stderr)
	for esc.Scan() {
		line := esc.Text()
		u.out.WriteString(line + "\n")
		if strings.HasPrefix(line, "# ") {
			u.hints = append(u.hints, line)
		}
		if strings.Contains(line, "spacelab down to stop") {
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if len(u.env) == 0 || len(u.hints) == 0 {
		cmd.Wait()
		t.Fatalf("spacelab up printed no environment or no hints:\n%s", u.out)
	}
	return u
}

// runAs runs the binary against this up's state directory as uid (-1: the test's user).
func (u *upLines) runAs(uid int, args ...string) (string, int) {
	u.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "SPACELAB_STATE_DIR="+u.state, "HOME="+u.state)
	if uid >= 0 {
		asUser(cmd, uid)
		cmd.Dir = u.state
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("spacelab %v: %v", args, err)
	}
	return string(out), 0
}

// herokuAPI calls the fake Heroku API the way the CLI does and returns the status and body.
func (u *upLines) herokuAPI(method, path, body string) (int, string) {
	u.t.Helper()
	req, _ := http.NewRequest(method, u.getenv("HEROKU_HOST")+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+u.getenv("HEROKU_API_KEY"))
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// `spacelab up --topology lab` suggests commands that work on lab: its own space and a host it
// has, not the default topology's.
func TestUpHintsFollowTheTopology(t *testing.T) {
	for _, tc := range []struct{ topology, space, host string }{
		{"", "enablement-jp", "ip-172-16-0-8"},
		{"lab", "rules-lab", ""},
	} {
		t.Run("topology="+tc.topology, func(t *testing.T) {
			var args []string
			if tc.topology != "" {
				args = []string{"--topology", tc.topology}
			}
			u := startUpAs(t, -1, args...)
			hints := strings.Join(u.hints, "\n")
			m := regexp.MustCompile(`heroku spaces:peering:info (\S+);`).FindStringSubmatch(hints)
			if m == nil || m[1] != tc.space {
				t.Fatalf("hint names space %v, want %s:\n%s", m, tc.space, hints)
			}
			if tc.topology == "lab" && strings.Contains(hints, "enablement-jp") {
				t.Errorf("lab's hints name the default topology's space:\n%s", hints)
			}
			// The suggested commands work: the space's peering info, and exec in the named host.
			if code, body := u.herokuAPI("GET", "/spaces/"+m[1]+"/peering-info", ""); code != 200 {
				t.Errorf("GET peering-info of the hinted space: %d %s", code, body)
			}
			h := regexp.MustCompile(`spacelab exec (\S+) -- ([^|]+) \|`).FindStringSubmatch(hints)
			if h == nil {
				t.Fatalf("no exec hint:\n%s", hints)
			}
			if tc.host != "" && h[1] != tc.host {
				t.Errorf("exec hint names %s, want %s", h[1], tc.host)
			}
			// The hinted command, exactly, works on a fresh emulator.
			if out, code := u.runAs(-1, append([]string{"exec", h[1], "--"}, strings.Fields(h[2])...)...); code != 0 || strings.TrimSpace(out) == "" {
				t.Errorf("the hinted command %q in %s: (%d) %s", h[2], h[1], code, out)
			}
		})
	}
}

// Completion: host names of the running emulator, shipped scenarios, built-in topologies.
func TestCompletion(t *testing.T) {
	u := startUpAs(t, -1)
	out, code := u.runAs(-1, "__complete", "exec", "")
	if code != 0 || !strings.Contains(out, "ip-172-16-0-8\t") || !strings.Contains(out, "test-vpn-compute/web.1\t") || !strings.Contains(out, "office-gw") {
		t.Errorf("exec <TAB> (%d):\n%s", code, out)
	}
	if out, _ := u.runAs(-1, "__complete", "exec", "ip-172"); strings.Contains(out, "office-gw") || !strings.Contains(out, "ip-172-16-0-8") {
		t.Errorf("exec ip-172<TAB>:\n%s", out)
	}
	if out, _ := spacelab(t, "", "__complete", "exec", ""); strings.Contains(out, "ip-172-16-0-8") || !strings.HasPrefix(strings.TrimSpace(out), ":") {
		t.Errorf("exec <TAB> with nothing running should offer nothing:\n%s", out)
	}
	if out, _ := spacelab(t, "", "__complete", "run", ""); !strings.Contains(out, "peering\n") || !strings.Contains(out, "private-space-rules\n") {
		t.Errorf("run <TAB>:\n%s", out)
	}
	if out, _ := spacelab(t, "", "__complete", "up", "--topology", ""); !strings.Contains(out, "default\n") || !strings.Contains(out, "lab\n") {
		t.Errorf("up --topology <TAB>:\n%s", out)
	}
	if out, code := spacelab(t, "", "completion", "bash"); code != 0 || !strings.Contains(out, "__start_spacelab") {
		t.Errorf("completion bash (%d): %.200s", code, out)
	}
	// check completes both hosts, capture its host, logs the apps.
	if out, _ := u.runAs(-1, "__complete", "check", "ip-172-16-0-8", "office-"); !strings.Contains(out, "office-pc\t") {
		t.Errorf("check HOST <TAB>:\n%s", out)
	}
	if out, _ := u.runAs(-1, "__complete", "capture", "ip-172"); !strings.Contains(out, "ip-172-16-0-8\t") {
		t.Errorf("capture <TAB>:\n%s", out)
	}
	if out, _ := u.runAs(-1, "__complete", "logs", ""); !strings.HasPrefix(out, "test-vpn-compute\n") {
		t.Errorf("logs <TAB>:\n%s", out)
	}
	// On a fresh emulator the app has logged nothing: logs says why instead of printing nothing.
	if out, code := u.runAs(-1, "logs", "test-vpn-compute"); code != 0 || !strings.Contains(out, "nothing from test-vpn-compute yet") {
		t.Errorf("logs of a quiet app (%d):\n%s", code, out)
	}
	// Run as ./spacelab (the README builds it in the checkout), the script completes that word
	// too: bash completes by the command word typed.
	dir := t.TempDir()
	if err := os.Symlink(binary, filepath.Join(dir, "spacelab")); err != nil {
		t.Fatal(err)
	}
	rel := exec.Command("./spacelab", "completion", "bash")
	rel.Dir = dir
	if out, err := rel.Output(); err != nil || !strings.Contains(string(out), "complete -o default -F __start_spacelab ./spacelab\n") {
		t.Errorf("./spacelab completion bash (%v) does not complete ./spacelab:\n%.300s", err, out)
	}
}

// A wrong number of arguments says the command's usage and where its help is.
func TestArgErrorsSayUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"exec"}, "usage: spacelab exec HOST -- CMD"},
		{[]string{"logs"}, "usage: spacelab logs APP"},
		{[]string{"check", "a"}, "usage: spacelab check FROM TARGET"},
		{[]string{"hosts", "extra"}, "usage: spacelab hosts"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, code := spacelab(t, "", tc.args...)
			if code == 0 || !strings.Contains(out, tc.want) || !strings.Contains(out, "--help") {
				t.Errorf("(%d) lacks %q:\n%s", code, tc.want, out)
			}
		})
	}
}

// The lists of built-in topologies and shipped scenarios, and --topology's help saying both
// forms.
func TestCatalog(t *testing.T) {
	out, code := spacelab(t, "", "topologies")
	if code != 0 || !regexp.MustCompile(`(?m)^default\s+enablement-jp\s+test-vpn-compute\s+172\.16\.0\.0/16\s+ip-172-16-0-8`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^lab\s+rules-lab\s`).MatchString(out) {
		t.Errorf("topologies (%d):\n%s", code, out)
	}
	out, code = spacelab(t, "", "scenarios")
	if code != 0 || !regexp.MustCompile(`(?m)^peering\s+default\s+\d+\s+The Private Space Peering walkthrough`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^private-space-rules\s+lab\s`).MatchString(out) {
		t.Errorf("scenarios (%d):\n%s", code, out)
	}
	out, _ = spacelab(t, "", "up", "--help")
	if !strings.Contains(out, `--topology NAME|FILE `) || !strings.Contains(out, `a built-in topology by name ("spacelab topologies" lists them) or a topology file`) {
		t.Errorf("up --help:\n%s", out)
	}
	// A name that is neither says so, and what exists.
	if out, code := spacelab(t, "", "up", "--topology", "labb"); code == 0 || !strings.Contains(out, "labb: no such file, and no built-in topology of that name (built-in: default, lab") {
		t.Errorf("up --topology labb (%d): %s", code, out)
	}
	if out, code := spacelab(t, "", "run", "peerin"); code == 0 || !strings.Contains(out, "peerin: no such file, and no shipped scenario of that name (shipped: peering, private-space-rules") {
		t.Errorf("run peerin (%d): %s", code, out)
	}
}

// nobody is the unprivileged account the tests switch to.
const nobody = 65534

// As an unprivileged user: `spacelab doctor` says whether the VPN will work, and it is right.
// The space's IPsec gateway then either brings its tunnels to the point of talking to the
// office, or `spacelab status` shows every tunnel DOWN because /dev/net/tun cannot be opened —
// never an empty reason; and office-strongswan.sh refuses to claim strongSwan runs.
func TestUnprivilegedDoctorPredictsTheVPN(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root, to run spacelab as an unprivileged user (uid %d)", nobody)
	}
	tcpdump := testenv.Binary(t, "tcpdump")
	// The binary must be reachable by that user.
	os.Chmod(filepath.Dir(binary), 0o755)
	doctor := exec.Command(binary, "doctor", "--format", "json")
	doctor.Env = append(os.Environ(), "HOME=/tmp")
	doctor.Dir = "/"
	asUser(doctor, nobody)
	out, err := doctor.Output()
	if err != nil {
		t.Fatalf("doctor as uid %d: %v\n%s", nobody, err, out)
	}
	var rep struct {
		UID    int `json:"uid"`
		Checks []struct {
			ID     string `json:"id"`
			OK     bool   `json:"ok"`
			Detail string `json:"detail"`
			Fix    string `json:"fix"`
		} `json:"checks"`
		Features []struct {
			Name    string   `json:"feature"`
			Works   bool     `json:"works"`
			Missing []string `json:"missing"`
		} `json:"features"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("doctor --format json: %v\n%s", err, out)
	}
	ok := map[string]bool{}
	for _, c := range rep.Checks {
		ok[c.ID] = c.OK
		if !c.OK && c.Fix == "" {
			t.Errorf("check %s fails without saying how to fix it: %s", c.ID, c.Detail)
		}
	}
	if rep.UID != nobody || !ok["userns"] {
		t.Fatalf("doctor as uid %d: %s", nobody, out)
	}
	vpnWorks := false
	for _, f := range rep.Features {
		if strings.HasPrefix(f.Name, "site-to-site VPN") {
			vpnWorks = f.Works
		}
	}
	if vpnWorks != ok["tun"] {
		t.Fatalf("doctor: VPN works=%v but /dev/net/tun ok=%v", vpnWorks, ok["tun"])
	}
	t.Logf("doctor as uid %d predicts: VPN works=%v", nobody, vpnWorks)

	u := startUpAs(t, nobody)
	if code, body := u.herokuAPI("POST", "/spaces/enablement-jp/vpn-connections",
		`{"name":"office","public_ip":"203.0.113.20","routable_cidrs":["192.168.0.0/16"]}`); code != 201 {
		t.Fatalf("create the VPN: %d %s", code, body)
	}
	// Wait for the gateway to report its tunnels (both DOWN: nothing answers in office-gw).
	var status string
	for {
		out, code := u.runAs(nobody, "status")
		if code != 0 {
			t.Fatalf("status (%d): %s", code, out)
		}
		status = out
		rows := regexp.MustCompile(`(?m)^enablement-jp/office\s+\S+\s+\S+ → 203\.0\.113\.20\s+DOWN\s+(\S.*)$`).FindAllStringSubmatch(out, -1)
		if len(rows) == 2 {
			for _, r := range rows {
				if tunFailed := strings.Contains(r[1], "/dev/net/tun"); tunFailed == vpnWorks {
					t.Fatalf("doctor said VPN works=%v, but the tunnel says %q:\n%s", vpnWorks, r[1], out)
				}
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("status as uid %d:\n%s", nobody, status)
	// tcpdump (reading an empty capture: it switches user right after opening it) works in
	// this user's sandbox exactly when doctor said so.
	pcapDir, _ := os.MkdirTemp("", "sl-pcap-")
	defer os.RemoveAll(pcapDir)
	os.Chmod(pcapDir, 0o755)
	empty := filepath.Join(pcapDir, "empty.pcap")
	os.WriteFile(empty, []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}, 0o644)
	tout, tcode := u.runAs(nobody, "exec", "internet", "--", tcpdump, "-n", "-r", empty)
	if (tcode == 0) != ok["ids"] {
		t.Errorf("doctor said ids ok=%v, but tcpdump in the sandbox exited %d:\n%s", ok["ids"], tcode, tout)
	}
	// spacelab capture, which doctor offers instead of tcpdump, records as this user.
	captureWorks := false
	for _, f := range rep.Features {
		if strings.HasPrefix(f.Name, "packet captures with spacelab capture") {
			captureWorks = f.Works
		}
	}
	os.Chown(pcapDir, nobody, nobody)
	cpcap := filepath.Join(pcapDir, "c.pcap")
	cout, ccode := u.runAs(nobody, "capture", "internet", "-w", cpcap, "--for", "200ms")
	if head, _ := os.ReadFile(cpcap); (ccode == 0 && len(head) >= 24) != captureWorks {
		t.Errorf("doctor said spacelab capture works=%v, but it exited %d (%d bytes written):\n%s", captureWorks, ccode, len(head), cout)
	}
	if vpnWorks {
		return
	}
	// The real strongSwan cannot run there either, and the script says so.
	if _, err := os.Stat("/usr/lib/ipsec/charon"); err != nil {
		return
	}
	ss, _ := os.MkdirTemp("", "sl-ss-")
	os.Chown(ss, nobody, nobody)
	defer os.RemoveAll(ss)
	// A copy that user can read (the checkout may not be).
	src, err := os.ReadFile("../../scripts/office-strongswan.sh")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ss, "office-strongswan.sh"), src, 0o755)
	script := exec.Command("bash", filepath.Join(ss, "office-strongswan.sh"), "office", "enablement-jp")
	script.Env = append(append(os.Environ(), u.env...), "SPACELAB="+binary, "SPACELAB_STATE_DIR="+u.state, "STRONGSWAN_DIR="+ss+"/s", "HOME="+ss)
	script.Dir = ss
	asUser(script, nobody)
	sout, err := script.CombinedOutput()
	if err == nil || strings.Contains(string(sout), "strongSwan runs") || !strings.Contains(string(sout), "/dev/net/tun") {
		t.Fatalf("office-strongswan.sh as uid %d (%v):\n%s", nobody, err, sout)
	}
}

// office-strongswan.sh says what it could not find and what to do, before doing anything.
func TestOfficeStrongswanScriptSaysWhatIsMissing(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"no spacelab", []string{"SPACELAB=" + filepath.Join(empty, "nope")}, "is not an executable spacelab"},
		{"no environment", []string{"SPACELAB=" + binary, "SPACELAB_STATE_DIR=" + empty, "XDG_RUNTIME_DIR=" + empty}, "no env file of a running spacelab up in: " + empty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "no environment" {
				if _, err := os.Stat(fmt.Sprintf("/tmp/spacelab-%d/env", os.Getuid())); err == nil {
					t.Skipf("a spacelab up runs in /tmp/spacelab-%d: the script would use it", os.Getuid())
				}
			}
			cmd := exec.Command("bash", "../../scripts/office-strongswan.sh", "office", "enablement-jp")
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "HEROKU_") && !strings.HasPrefix(kv, "SPACELAB") {
					env = append(env, kv)
				}
			}
			cmd.Env = append(env, tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("(%v) lacks %q:\n%s", err, tc.want, out)
			}
		})
	}
}

// build-image.sh says, before building anything, that Docker is missing or its daemon does not
// answer, and what to do.
func TestBuildImageSaysWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	down := filepath.Join(dir, "docker")
	os.WriteFile(down, []byte("#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1\n"), 0o755)
	for _, tc := range []struct{ docker, want string }{
		{filepath.Join(dir, "nope"), "is not installed: apt-get install docker.io"},
		{down, "no Docker daemon answers " + down + " (Cannot connect to the Docker daemon"},
	} {
		cmd := exec.Command("bash", "../../scripts/build-image.sh")
		cmd.Env = append(os.Environ(), "DOCKER="+tc.docker)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) || strings.Contains(string(out), "static spacelab") {
			t.Errorf("build-image.sh with DOCKER=%s (%v) lacks %q or built first:\n%s", tc.docker, err, tc.want, out)
		}
	}
}

// The troubleshooting page is one text: docs/troubleshooting.md, shown by `spacelab help
// troubleshooting`, listed in `spacelab --help` and linked from the README.
func TestTroubleshootingPage(t *testing.T) {
	doc, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := os.ReadFile("troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, embedded) {
		t.Fatal("cmd/spacelab/troubleshooting.md differs from docs/troubleshooting.md: cp docs/troubleshooting.md cmd/spacelab/")
	}
	out, code := spacelab(t, "", "help", "troubleshooting")
	if code != 0 || !strings.Contains(out, "# Troubleshooting") || !strings.Contains(out, "open /dev/net/tun: permission denied") {
		t.Errorf("help troubleshooting (%d):\n%.300s", code, out)
	}
	if out, _ := spacelab(t, "", "--help"); !strings.Contains(out, "spacelab help troubleshooting") || !regexp.MustCompile(`(?m)^\s+doctor\s`).MatchString(out) {
		t.Errorf("--help lists no troubleshooting topic or doctor:\n%s", out)
	}
	readme, _ := os.ReadFile("../../README.md")
	if !bytes.Contains(readme, []byte("docs/troubleshooting.md")) || !bytes.Contains(readme, []byte("spacelab doctor")) {
		t.Error("README.md does not link docs/troubleshooting.md or mention spacelab doctor")
	}
	// Every message the page quotes from spacelab itself is one spacelab can print.
	for _, quoted := range []string{"is not defined", "leaves the scenario's directory", "cannot open the gateway's TUN device",
		"no such file, and no built-in topology of that name", "kernel-libipsec did not load"} {
		if !bytes.Contains(doc, []byte(quoted)) {
			t.Errorf("the page lacks %q", quoted)
		}
	}
}

// The requester rejecting its own cross-account request is refused with a message about
// rejecting, not accepting (the real AWS CLI prints it).
func TestRejectByTheWrongPartySaysReject(t *testing.T) {
	aws := testenv.AWSCLI(t)
	u := startUp(t)
	pcx := u.aws(aws, "ec2", "create-vpc-peering-connection", "--vpc-id", "vpc-0cb1a66017eed9372", "--peer-vpc-id", "vpc-b39527d4",
		"--peer-owner-id", "884226375513", "--peer-region", "ap-northeast-1")["VpcPeeringConnection"].(map[string]any)["VpcPeeringConnectionId"].(string)
	out, code := u.client(aws, "--endpoint-url", u.getenv("AWS_ENDPOINT_URL"), "ec2", "reject-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
	want := "An error occurred (OperationNotPermitted) when calling the RejectVpcPeeringConnection operation: User (435886841536) cannot reject peering " + pcx
	if code == 0 || !strings.Contains(out, want) {
		t.Fatalf("reject by the requester (%d):\n%s\nwant %s", code, out, want)
	}
	// And accept still says accept.
	out, _ = u.client(aws, "--endpoint-url", u.getenv("AWS_ENDPOINT_URL"), "ec2", "accept-vpc-peering-connection", "--vpc-peering-connection-id", pcx)
	if !strings.Contains(out, "User (435886841536) cannot accept peering "+pcx) {
		t.Fatalf("accept by the requester:\n%s", out)
	}
}

// `spacelab up --debug` logs one record per line: no blank lines, each with its own component
// once (records relayed from the sandbox said component=netns and then their own).
func TestUpDebugLogLines(t *testing.T) {
	u := startUpAs(t, -1, "--debug")
	records := 0
	for _, line := range strings.Split(strings.TrimSuffix(u.out.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# ") {
			continue
		}
		if strings.TrimSpace(line) == "" {
			t.Errorf("a blank line in the log:\n%s", u.out)
			continue
		}
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, " msg=") {
			t.Errorf("not a log record: %q", line)
		}
		if n := strings.Count(line, " component="); n != 1 {
			t.Errorf("%d components in %q", n, line)
		}
		records++
	}
	if records < 5 {
		t.Fatalf("only %d records before ready:\n%s", records, u.out)
	}
}

// Loading errors as the CLI prints them: the file, the line or object, and never the content
// of a file that is not a topology.
func TestLoadErrorsCLI(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.yaml", "")
	bad := write("bad.yaml", "heroku:\n  spaces:\n    - name: s\n      outbound_ips: [1.2.3]\n")
	secret := write("secret", "root:x:0:0:SECRET:/root:/bin/bash\n")
	undef := write("undef.yaml", "name: u\nsteps:\n  - name: first\n    heroku: GET /spaces/${space}\n")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	escape := write("sub/escape.yaml", "name: e\ntopology: ../secret\nsteps: []\n")
	typo := write("typo.yaml", "heroku:\n  spaces:\n    - name: s\n      regoin: tokyo\n")
	stepTypo := write("steptypo.yaml", "name: t\nsteps:\n  - name: first\n    heroku: GET /spaces/s\n    expekt: {status: 200}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"up", "--topology", empty}, "spacelab: topology: " + empty + ": the file is empty"},
		{[]string{"up", "--topology", bad}, "spacelab: topology: " + bad + ":4: heroku.spaces[0].outbound_ips (s): \"1.2.3\" is not an IPv4 address"},
		{[]string{"up", "--topology", secret}, "spacelab: topology: " + secret + ": not a topology"},
		{[]string{"run", undef}, "spacelab: scenarios: " + undef + ":3: steps[0] (first): ${space} is not defined"},
		{[]string{"run", escape}, "spacelab: scenarios: " + escape + ": topology: ../secret leaves the scenario's directory"},
		// A misspelt key is named in the file's terms, not by the Go type it missed.
		{[]string{"up", "--topology", typo}, "spacelab: topology: " + typo + ":4: unknown key regoin (misspelt, or at the wrong indentation)"},
		{[]string{"run", stepTypo}, "spacelab: scenarios: " + stepTypo + ":5: unknown key expekt (misspelt, or at the wrong indentation)"},
	} {
		out, code := spacelab(t, "", tc.args...)
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("spacelab %v (%d):\n%s\nwant %s", tc.args, code, out, tc.want)
		}
		if strings.Contains(out, "SECRET") {
			t.Errorf("spacelab %v printed the foreign file:\n%s", tc.args, out)
		}
	}
}

// The paths the README, the docs and the shipped YAML point a reader at exist in the repository
// (they once pointed at a directory that was not part of it).
func TestDocsPointAtRealPaths(t *testing.T) {
	files := []string{"../../README.md"}
	for _, g := range []string{"../../docs/*.md", "../../topology/*.yaml", "../../scenarios/*.yaml"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	ref := regexp.MustCompile(`\b(?:shared/|docs/|topology/|scenarios/|scripts/|cmd/)[A-Za-z0-9_.*/-]*[A-Za-z0-9_*]`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ref.FindAllString(string(b), -1) {
			m, _ := filepath.Glob(filepath.Join("../..", p))
			if len(m) == 0 {
				t.Errorf("%s refers to %s, which is not in the repository", strings.TrimPrefix(f, "../../"), p)
			}
		}
	}
}
