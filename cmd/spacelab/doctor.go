package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/spacelab-dev/spacelab/netns"
	"github.com/spacelab-dev/spacelab/netspec"
)

// A doctorCheck is one thing a feature needs, tried on this machine as this user.
type doctorCheck struct {
	ID     string `json:"id"`
	What   string `json:"what"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`        // what was found, or what failed
	Fix    string `json:"fix,omitempty"` // how to get it, when missing
}

// A doctorFeature works when every check it needs passed.
type doctorFeature struct {
	Name    string   `json:"feature"`
	Works   bool     `json:"works"`
	Needs   []string `json:"needs"`
	Missing []string `json:"missing,omitempty"`
}

// doctorReport is what `spacelab doctor` found.
type doctorReport struct {
	User     string          `json:"user"`
	UID      int             `json:"uid"`
	Checks   []doctorCheck   `json:"checks"`
	Features []doctorFeature `json:"features"`
}

// doctorFeatures is what each feature needs, by check id.
var doctorFeatures = []struct {
	name  string
	needs []string
}{
	{"the emulator: spacelab up, demo, run, exec, hosts", []string{"userns", "nftables"}},
	{"the README walkthrough with the real clients (heroku, aws, curl, dig)", []string{"userns", "nftables", "heroku", "aws", "curl", "dig"}},
	{"site-to-site VPN: the space's IPsec gateway and its tunnels (spaces:vpn:*)", []string{"userns", "nftables", "tun"}},
	{"a real strongSwan in the office (scripts/office-strongswan.sh)", []string{"userns", "nftables", "tun", "heroku", "strongswan"}},
	{"packet captures with tcpdump (spacelab exec HOST -- tcpdump …)", []string{"userns", "tcpdump", "ids"}},
	{"packet captures with spacelab capture HOST -w FILE.pcap", []string{"userns", "nftables"}},
	{"Docker: docker-compose up, testcontainers-go", []string{"docker", "compose"}},
	{"Terraform with the AWS provider against spacelab up", []string{"userns", "nftables", "terraform"}},
}

func doctorCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check this machine, as this user, for what each feature needs, and say how to get what is missing",
		Long: `Check this machine, as the user running it, for what each spacelab feature needs: a sandbox
(user and network namespaces, started for real), nftables in the kernel (a filter rule loaded in
it), /dev/net/tun (the VPN), the real clients (heroku CLI, AWS CLI v2, curl, dig, strongSwan,
tcpdump), Docker and docker-compose, Terraform and its provider mirror at /opt/tf-plugins. It
prints each check, then which features will and will not work here, and how to get what is
missing. It changes nothing on the machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: want text or json", format)
			}
			r := runDoctor(cmd.Context())
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			r.write(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func runDoctor(ctx context.Context) doctorReport {
	if ctx == nil {
		ctx = context.Background()
	}
	r := doctorReport{UID: os.Getuid(), User: currentUser()}
	one := func(f func(context.Context) doctorCheck) func(context.Context) []doctorCheck {
		return func(ctx context.Context) []doctorCheck { return []doctorCheck{f(ctx)} }
	}
	binary := func(id, what, fix, name string, args ...string) func(context.Context) []doctorCheck {
		return func(ctx context.Context) []doctorCheck {
			return []doctorCheck{checkBinary(ctx, id, what, fix, name, args...)}
		}
	}
	checks := []func(context.Context) []doctorCheck{
		checkSandbox, one(checkIDs), one(checkTUN), one(checkHeroku), one(checkAWS),
		binary("curl", "curl", "apt-get install curl", "curl", "--version"),
		binary("dig", "dig (DNS lookups in hosts)", "apt-get install dnsutils", "dig", "-v"),
		binary("tcpdump", "tcpdump", "apt-get install tcpdump", "tcpdump", "--version"),
		one(checkStrongswan), one(checkDocker), one(checkCompose), one(checkTerraform),
	}
	results := make([][]doctorCheck, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c(ctx)
		}()
	}
	wg.Wait()
	for _, cs := range results {
		r.Checks = append(r.Checks, cs...)
	}
	ok := map[string]bool{}
	for _, c := range r.Checks {
		ok[c.ID] = c.OK
	}
	for _, f := range doctorFeatures {
		df := doctorFeature{Name: f.name, Works: true, Needs: f.needs}
		for _, n := range f.needs {
			if !ok[n] {
				df.Works = false
				df.Missing = append(df.Missing, n)
			}
		}
		r.Features = append(r.Features, df)
	}
	return r
}

func (r doctorReport) write(w io.Writer) {
	fmt.Fprintf(w, "spacelab doctor: this machine, as %s (uid %d)\n\n", r.User, r.UID)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range r.Checks {
		mark := "ok"
		if !c.OK {
			mark = "MISSING"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", mark, c.What, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(tw, "\t\t→ %s\n", c.Fix)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "\nFeatures:")
	name, mark := 0, len("works") // widths in runes, so that a name with "…" lines up too
	for _, f := range r.Features {
		name = max(name, utf8.RuneCountInString(f.Name))
		if !f.Works {
			mark = len("WON'T WORK")
		}
	}
	for _, f := range r.Features {
		if f.Works {
			fmt.Fprintf(w, "  %-*s  %s\n", mark, "works", f.Name)
		} else {
			pad := strings.Repeat(" ", name-utf8.RuneCountInString(f.Name))
			fmt.Fprintf(w, "  %-*s  %s%s  (missing: %s)\n", mark, "WON'T WORK", f.Name, pad, strings.Join(f.Missing, ", "))
		}
	}
	fmt.Fprintln(w, "\nMore: spacelab help troubleshooting (docs/troubleshooting.md).")
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" && os.Getuid() != 0 {
		return u
	}
	b, err := os.ReadFile("/etc/passwd")
	if err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Split(l, ":")
			if len(f) > 2 && f[2] == fmt.Sprint(os.Getuid()) {
				return f[0]
			}
		}
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

// checkSandbox starts a real sandbox (what `spacelab up` does first), loads one nftables rule
// in a host inside it, and tears it down: two checks.
func checkSandbox(ctx context.Context) []doctorCheck {
	c := doctorCheck{ID: "userns", What: "sandbox (user + network namespaces)"}
	nft := doctorCheck{ID: "nftables", What: "nftables in the kernel", Detail: "not checked: no sandbox", Fix: "fix the sandbox first"}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	sb, err := netns.Start(ctx, netns.Options{})
	if err != nil {
		c.Detail = err.Error()
		switch {
		case errors.Is(err, netns.ErrNoUserNamespaces):
			c.Fix = "run as root, or allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 and user.max_user_namespaces=15000 (on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0)"
		case errors.Is(err, netns.ErrNotSupported):
			c.Fix = "spacelab needs Linux network namespaces"
		default:
			c.Fix = "run spacelab up --debug to see the sandbox's own log"
		}
		return []doctorCheck{c, nft}
	}
	defer sb.Close()
	c.OK = true
	c.Detail = fmt.Sprintf("a sandbox started and stopped (pid %d)", sb.Pid())
	spec := &netspec.Spec{Hosts: []*netspec.Host{{Name: "doctor", Kind: "doctor",
		Loopback: []netip.Prefix{netip.MustParsePrefix("10.255.255.1/32")},
		Filter: &netspec.Filter{Chains: []netspec.Chain{{Name: "doctor", Hook: netspec.Input, Policy: netspec.Accept,
			Rules: []netspec.FilterRule{{Proto: netspec.TCP, PortFrom: 9, PortTo: 9, Verdict: netspec.Drop, Why: "doctor"}}}}}}}}
	if err := sb.Apply(ctx, spec); err != nil {
		nft.Detail = err.Error()
		nft.Fix = "the kernel needs nf_tables (CONFIG_NF_TABLES, modprobe nf_tables as root)"
	} else {
		nft.OK, nft.Fix, nft.Detail = true, "", "a filter rule loaded in a host inside the sandbox"
	}
	return []doctorCheck{c, nft}
}

// checkIDs says which user ids exist in the sandbox: a sandbox started by root maps the first
// 65536, a normal user's maps only that user (as root inside, without setgroups), so a program
// that switches user or groups fails there — tcpdump does before it captures.
func checkIDs(context.Context) doctorCheck {
	c := doctorCheck{ID: "ids", What: "user ids in the sandbox (programs that switch user)"}
	if os.Geteuid() == 0 {
		c.OK, c.Detail = true, "as root the sandbox maps ids 0-65535"
		return c
	}
	c.Detail = fmt.Sprintf("only uid %d is mapped in this user's sandbox: tcpdump fails there (\"Couldn't change to 'tcpdump' uid=…: Operation not permitted\", also with -Z root)", os.Geteuid())
	c.Fix = "spacelab capture HOST -w FILE.pcap records as this user; run spacelab up as root to capture with tcpdump itself"
	return c
}

// checkTUN opens /dev/net/tun as this user: what the space's IPsec gateway and strongSwan's
// kernel-libipsec do in their hosts (opening it creates no device).
func checkTUN(context.Context) doctorCheck {
	c := doctorCheck{ID: "tun", What: "/dev/net/tun (the VPN's tunnels)"}
	f, err := os.OpenFile("/dev/net/tun", os.O_RDWR, 0)
	if err != nil {
		c.Detail = err.Error()
		c.Fix = "run spacelab as root (the device is root's on most systems), or give this user access to /dev/net/tun (e.g. chmod 0666 /dev/net/tun, as root)"
		if errors.Is(err, os.ErrNotExist) {
			c.Fix = "load the tun module as root (modprobe tun); in a container, pass --device /dev/net/tun"
		}
		return c
	}
	f.Close()
	c.OK, c.Detail = true, "opens read-write"
	return c
}

// firstExecutable returns the first candidate that exists and is executable (a name is looked
// up in PATH).
func firstExecutable(candidates ...string) string {
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if strings.Contains(c, "/") {
			if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	return ""
}

// toolVersion runs bin with args and returns the first line of its standard output, shortened
// to its first words.
func toolVersion(ctx context.Context, bin string, args ...string) (string, error) {
	const limit = 2 * time.Minute
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HEROKU_SKIP_NEW_VERSION_CHECK=true", "HEROKU_DISABLE_AUTOUPDATE=true", "AWS_PAGER=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		line, _, _ = strings.Cut(strings.TrimSpace(stderr.String()), "\n") // dig -v
	}
	if err != nil && ctx.Err() != nil {
		return "", fmt.Errorf("%s %s did not finish within %s (is the machine very busy?)", bin, strings.Join(args, " "), limit)
	}
	if err != nil {
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()+"\n"+line), "\n")
		if msg != "" {
			return "", fmt.Errorf("%s: %v: %s", bin, err, msg)
		}
		return "", fmt.Errorf("%s: %v", bin, err)
	}
	if f := strings.Fields(line); len(f) > 3 {
		line = strings.Join(f[:3], " ")
	}
	return line, nil
}

func checkBinary(ctx context.Context, id, what, fix string, name string, args ...string) doctorCheck {
	c := doctorCheck{ID: id, What: what}
	p := firstExecutable(name)
	if p == "" {
		c.Detail, c.Fix = name+" is not on PATH", fix+" (as root)"
		return c
	}
	v, err := toolVersion(ctx, p, args...)
	if err != nil {
		c.Detail, c.Fix = err.Error(), fix+" (as root)"
		return c
	}
	c.OK, c.Detail = true, p+": "+v
	return c
}

func checkHeroku(ctx context.Context) doctorCheck {
	c := doctorCheck{ID: "heroku", What: "heroku CLI"}
	fix := "npm install -g heroku@11 (or, as .ci/run does: npm install heroku@11.10.0 in /opt/heroku-cli); SPACELAB_HEROKU_CLI=PATH names another copy"
	p := firstExecutable(os.Getenv("SPACELAB_HEROKU_CLI"), "heroku", "/opt/heroku-cli/node_modules/.bin/heroku")
	if p == "" {
		c.Detail, c.Fix = "not on PATH, not in /opt/heroku-cli", fix
		return c
	}
	v, err := toolVersion(ctx, p, "--version")
	if err != nil {
		c.Detail, c.Fix = err.Error(), fix
		return c
	}
	c.OK, c.Detail = true, p+": "+v
	if !strings.Contains(os.Getenv("PATH"), filepath.Dir(p)) && firstExecutable("heroku") == "" {
		c.Detail += " (not on PATH: add " + filepath.Dir(p) + " to PATH to type heroku)"
	}
	return c
}

var awsV2 = regexp.MustCompile(`^aws-cli/2\.`)

func checkAWS(ctx context.Context) doctorCheck {
	c := doctorCheck{ID: "aws", What: "AWS CLI v2"}
	fix := "apt-get install awscli (Debian 12: AWS CLI 2.9 at /usr/bin/aws), as root; SPACELAB_AWS_CLI=PATH names another copy"
	var seen []string
	for _, cand := range []string{os.Getenv("SPACELAB_AWS_CLI"), "/usr/bin/aws", "/usr/local/bin/aws", "aws"} {
		p := firstExecutable(cand)
		if p == "" {
			continue
		}
		v, err := toolVersion(ctx, p, "--version")
		if err != nil {
			seen = append(seen, err.Error())
			continue
		}
		if awsV2.MatchString(v) {
			c.OK, c.Detail = true, p+": "+v
			if onPath := firstExecutable("aws"); onPath != "" && onPath != p {
				c.Detail += fmt.Sprintf(" (but `aws` on PATH is %s: run %s)", onPath, p)
			}
			return c
		}
		seen = append(seen, p+" is "+v+", not v2")
	}
	c.Fix = fix
	if len(seen) == 0 {
		c.Detail = "no aws found"
	} else {
		c.Detail = strings.Join(dedupe(seen), "; ")
	}
	return c
}

func checkStrongswan(ctx context.Context) doctorCheck {
	c := doctorCheck{ID: "strongswan", What: "strongSwan (charon, swanctl, kernel-libipsec)"}
	c.Fix = "apt-get install strongswan-charon strongswan-swanctl libcharon-extra-plugins (as root)"
	var missing []string
	for _, p := range []string{"/usr/lib/ipsec/charon", "/usr/sbin/swanctl"} {
		if firstExecutable(p) == "" {
			missing = append(missing, p)
		}
	}
	if _, err := os.Stat("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so"); err != nil {
		missing = append(missing, "the kernel-libipsec plugin (libcharon-extra-plugins)")
	}
	if len(missing) > 0 {
		c.Detail = "missing " + strings.Join(missing, ", ")
		return c
	}
	v, err := toolVersion(ctx, "/usr/lib/ipsec/charon", "--version")
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	c.OK, c.Fix, c.Detail = true, "", "/usr/lib/ipsec/charon: "+v+", /usr/sbin/swanctl, kernel-libipsec"
	return c
}

func checkDocker(ctx context.Context) doctorCheck {
	c := doctorCheck{ID: "docker", What: "Docker (the daemon, as this user)"}
	p := firstExecutable("docker")
	if p == "" {
		c.Detail, c.Fix = "docker is not on PATH", "apt-get install docker.io (as root), and start the daemon"
		return c
	}
	v, err := toolVersion(ctx, p, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		c.Detail = err.Error()
		switch {
		case strings.Contains(c.Detail, "permission denied") && os.Geteuid() != 0:
			c.Fix = "the daemon runs but this user may not use it: (as root) usermod -aG docker " + currentUser() + ", then log in again"
		case os.Geteuid() == 0:
			c.Fix = "start the Docker daemon: systemctl start docker, or dockerd & where there is no systemd"
		default:
			c.Fix = "start the Docker daemon (as root: systemctl start docker, or dockerd &); if it then says permission denied, (as root) usermod -aG docker " + currentUser()
		}
		return c
	}
	c.OK, c.Detail = true, p+": server "+v
	return c
}

func checkCompose(ctx context.Context) doctorCheck {
	c := doctorCheck{ID: "compose", What: "docker-compose"}
	if p := firstExecutable("docker-compose"); p != "" {
		if v, err := toolVersion(ctx, p, "version", "--short"); err == nil {
			c.OK, c.Detail = true, p+": "+v
			return c
		}
	}
	if p := firstExecutable("docker"); p != "" {
		if v, err := toolVersion(ctx, p, "compose", "version", "--short"); err == nil {
			c.OK, c.Detail = true, "docker compose "+v
			return c
		}
	}
	c.Detail, c.Fix = "neither docker-compose nor docker compose runs", "apt-get install docker-compose (as root)"
	return c
}

func checkTerraform(ctx context.Context) doctorCheck {
	c := doctorCheck{ID: "terraform", What: "Terraform + AWS provider mirror"}
	p := firstExecutable("terraform", "/usr/local/bin/terraform")
	if p == "" {
		c.Detail, c.Fix = "terraform is not on PATH", "install Terraform at /usr/local/bin/terraform (no registry is reachable here: it must come with the machine)"
		return c
	}
	v, err := toolVersion(ctx, p, "version")
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	mirror := "/opt/tf-plugins/registry.terraform.io/hashicorp/aws"
	entries, err := os.ReadDir(mirror)
	if err != nil || len(entries) == 0 {
		c.Detail = p + ": " + v + "; no provider mirror at " + mirror
		c.Fix = "unpack hashicorp/aws into /opt/tf-plugins (a filesystem mirror), and point TF_CLI_CONFIG_FILE at a provider_installation { filesystem_mirror { path = \"/opt/tf-plugins\" } } file"
		return c
	}
	var vs []string
	for _, e := range entries {
		vs = append(vs, e.Name())
	}
	c.OK, c.Detail = true, fmt.Sprintf("%s: %s; hashicorp/aws %s in /opt/tf-plugins", p, v, strings.Join(vs, ", "))
	return c
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
