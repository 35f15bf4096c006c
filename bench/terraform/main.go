// Command terraform measures `terraform apply` + `terraform destroy` of a 50-resource
// configuration (bench/terraform/config: two peered VPCs with subnets, route tables, routes,
// internet gateways, security groups and rules, network ACLs, tags) against spacelab, started
// in-process on loopback, and against moto_server, its peer, started on loopback by this
// program, in pairs taken alternately (spacelab, moto, spacelab, moto, …). It prints every run,
// the medians and the median of the pair-by-pair ratios spacelab/moto (target: below 1).
//
// After each apply, a second `terraform plan -detailed-exitcode` must exit 0 on spacelab (what
// was read back equals what was written); on moto its exit code is reported, not judged. The
// plan is not in the timed figure. The provider waits after ModifyVpcAttribute (the VPC with
// DNS hostnames on): and after ModifySubnetAttribute (a subnet with public IPs on launch): the times Terraform reports for creating those two, in sequence, are printed as "vpc+subnet".
//
//	go run ./bench/terraform                                  # 3 pairs, ports 5730/5731/5732
//	go run ./bench/terraform -pairs 5 -moto /root/.pyenv/shims/moto_server
//
// Needs root (spacelab's sandbox), /usr/local/bin/terraform, the provider mirror
// /opt/tf-plugins (see internal/tftest) and moto_server (pip install moto[server]).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spacelab-dev/spacelab/internal/tftest"
	"github.com/spacelab-dev/spacelab/lab"
)

func main() {
	pairs := flag.Int("pairs", 3, "pairs of runs (spacelab then moto)")
	motoBin := flag.String("moto", "moto_server", "the moto_server binary")
	tfBin := flag.String("terraform", "/usr/local/bin/terraform", "the terraform binary")
	motoAddr := flag.String("moto-listen", "127.0.0.1:5730", "moto_server's address (loopback)")
	awsAddr := flag.String("aws-listen", "127.0.0.1:5731", "spacelab's EC2/STS address (loopback)")
	herokuAddr := flag.String("heroku-listen", "127.0.0.1:5732", "spacelab's Platform API address (loopback)")
	config := flag.String("config", "", "folder of the *.tf configuration; empty means bench/terraform/config next to this source")
	keep := flag.Bool("keep", false, "keep the workspaces (printed) instead of removing them")
	flag.Parse()
	// An interrupt stops the running terraform; then moto_server and spacelab are stopped.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *pairs, *motoBin, *tfBin, *motoAddr, *awsAddr, *herokuAddr, *config, *keep)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/terraform:", err)
		os.Exit(1)
	}
}

func configDir(flagged string) string {
	if flagged != "" {
		return flagged
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "config")
}

func run(ctx context.Context, pairs int, motoBin, tfBin, motoAddr, awsAddr, herokuAddr, config string, keep bool) error {
	for _, a := range []string{motoAddr, awsAddr, herokuAddr} {
		if h, _, err := net.SplitHostPort(a); err != nil || !net.ParseIP(h).IsLoopback() {
			return fmt.Errorf("%s: listen on a loopback address only", a)
		}
	}
	if _, err := os.Stat(tftest.Mirror()); err != nil {
		return fmt.Errorf("the provider mirror: %w", err)
	}
	motoPath, err := exec.LookPath(motoBin)
	if err != nil {
		return fmt.Errorf("moto_server: %w (pip install 'moto[server]')", err)
	}
	root, err := os.MkdirTemp("", "tfbench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("workspaces in", root)
	} else {
		defer os.RemoveAll(root)
	}

	l, err := lab.Start(ctx, lab.Options{AWSAddr: awsAddr, HerokuAddr: herokuAddr, Dir: filepath.Join(root, "lab"),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("spacelab: %w", err)
	}
	defer l.Close()
	env, err := l.Env(filepath.Join(root, "clients"))
	if err != nil {
		return err
	}
	region := lookup(env, "AWS_REGION")

	moto, err := startMoto(ctx, motoPath, motoAddr, filepath.Join(root, "moto.log"))
	if err != nil {
		return err
	}
	defer moto.stop()

	backends := []*backend{
		{name: "spacelab", endpoint: l.AWSURL, env: env, cpu: func() time.Duration { return spacelabCPU(moto.cmd.Process.Pid) }},
		{name: "moto", endpoint: "http://" + motoAddr, env: []string{"AWS_ACCESS_KEY_ID=testing",
			"AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=" + region},
			cpu: func() time.Duration { return treeCPU(strconv.Itoa(moto.cmd.Process.Pid)) }},
	}
	for _, b := range backends {
		b.ctx = ctx
		if err := b.init(tfBin, configDir(config), filepath.Join(root, b.name), region); err != nil {
			return err
		}
	}
	start := time.Now()
	if _, _, err := backends[0].terraform("validate", "-no-color"); err != nil {
		return err
	}
	fmt.Printf("terraform validate (starts the provider, loads its schema; no API call): %.2fs\n", time.Since(start).Seconds())
	fmt.Printf("terraform apply + destroy of %s (%s), %d pairs; region %s\n", configDir(config), tftest.ProviderVersion, pairs, region)
	fmt.Printf("%-9s %4s %8s %8s %8s %11s %10s %s\n", "backend", "run", "apply", "destroy", "total", "backend-cpu", "vpc+subnet", "second plan")
	var ratios []float64
	var drift []string
	for i := range pairs {
		var totals [2]time.Duration
		for j, b := range backends {
			r, err := b.once()
			if err != nil {
				return fmt.Errorf("%s run %d: %w", b.name, i+1, err)
			}
			totals[j] = r.apply + r.destroy
			fmt.Printf("%-9s %4d %7.2fs %7.2fs %7.2fs %10.2fs %10s %s\n", b.name, i+1, r.apply.Seconds(), r.destroy.Seconds(),
				totals[j].Seconds(), r.cpu.Seconds(), r.vpcWait, r.plan)
			if b.name == "spacelab" && r.planCode != 0 {
				drift = append(drift, fmt.Sprintf("run %d: %s", i+1, tail(r.planOut)))
			}
		}
		ratios = append(ratios, totals[0].Seconds()/totals[1].Seconds())
	}
	fmt.Println()
	for _, b := range backends {
		fmt.Printf("%-9s median apply %.2fs, destroy %.2fs, apply+destroy %.2fs; backend cpu %.2fs\n", b.name,
			median(b.applies), median(b.destroys), median(b.totals), median(b.cpus))
	}
	fmt.Printf("RATIO spacelab/moto (median of %d pair ratios): %.2f  (pairs: %s; target < 1)\n", len(ratios), median(ratios), join(ratios))
	if len(drift) > 0 {
		return fmt.Errorf("a second plan against spacelab did not exit 0:\n%s", strings.Join(drift, "\n"))
	}
	return nil
}

// backend is one API Terraform is pointed at, with its workspace and its figures.
type backend struct {
	ctx            context.Context
	name, endpoint string
	env            []string
	cpu            func() time.Duration // the backend's cpu time so far
	dir            string
	cmdEnv         []string
	tf             string
	runs           int // terraform commands run, naming their logs in the workspace

	applies, destroys, totals, cpus []float64
}

func (b *backend) init(tf, src, dir, region string) error {
	b.tf, b.dir = tf, dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no *.tf files in %s", src)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "provider.tf"), []byte(tftest.ProviderConfig(region, b.endpoint)), 0o644); err != nil {
		return err
	}
	rc := filepath.Join(dir, ".terraformrc")
	if err := os.WriteFile(rc, []byte(tftest.CLIConfig()), 0o644); err != nil {
		return err
	}
	b.cmdEnv = append(os.Environ(), b.env...)
	b.cmdEnv = append(b.cmdEnv, "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_INPUT=0")
	_, _, err = b.terraform("init", "-input=false", "-no-color")
	return err
}

// terraform runs terraform in the workspace; an exit code other than 0 is an error unless
// the caller asks for the code.
func (b *backend) terraform(args ...string) (string, int, error) {
	cmd := exec.CommandContext(b.ctx, b.tf, args...)
	cmd.Dir, cmd.Env = b.dir, b.cmdEnv
	// Terraform and the provider it starts share a process group; an interrupt ends both.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	b.runs++
	_ = os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("%02d-%s.log", b.runs, args[0])), out.Bytes(), 0o644)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode(), fmt.Errorf("terraform %s: exit %d\n%s", strings.Join(args, " "), ee.ExitCode(), tail(out.String()))
	}
	if err != nil {
		return out.String(), -1, fmt.Errorf("terraform %s: %w", args[0], err)
	}
	return out.String(), 0, nil
}

type result struct {
	apply, destroy time.Duration
	cpu            time.Duration // the backend's, over apply, plan and destroy
	vpcWait        string
	plan           string
	planCode       int
	planOut        string
}

// The provider waits after ModifyVpcAttribute (VPC a, DNS hostnames on) and after
// ModifySubnetAttribute (subnet a0, public IPs on launch); the two are in sequence.
var (
	vpcDone    = regexp.MustCompile(`aws_vpc\.v\["a"\]: Creation complete after (\S+)`)
	subnetDone = regexp.MustCompile(`aws_subnet\.s\["a0"\]: Creation complete after (\S+)`)
)

func (b *backend) once() (result, error) {
	var r result
	cpu0 := b.cpu()
	start := time.Now()
	out, _, err := b.terraform("apply", "-auto-approve", "-input=false", "-no-color")
	if err != nil {
		return r, err
	}
	r.apply = time.Since(start)
	if !strings.Contains(out, "Apply complete! Resources: 50 added, 0 changed, 0 destroyed.") {
		return r, fmt.Errorf("apply did not add 50 resources:\n%s", tail(out))
	}
	r.vpcWait = "?+?"
	if m, n := vpcDone.FindStringSubmatch(out), subnetDone.FindStringSubmatch(out); m != nil && n != nil {
		r.vpcWait = m[1] + "+" + n[1]
	}
	planOut, code, _ := b.terraform("plan", "-detailed-exitcode", "-input=false", "-no-color")
	r.planCode, r.planOut = code, planOut
	switch code {
	case 0:
		r.plan = "exit 0 (no changes)"
	case 2:
		r.plan = "exit 2 (drift: " + planSummary(planOut) + ")"
	default:
		r.plan = "exit " + strconv.Itoa(code) + " (failed)"
	}
	start = time.Now()
	out, _, err = b.terraform("destroy", "-auto-approve", "-input=false", "-no-color")
	if err != nil {
		return r, err
	}
	r.destroy = time.Since(start)
	r.cpu = b.cpu() - cpu0
	if !strings.Contains(out, "Destroy complete! Resources: 50 destroyed.") {
		return r, fmt.Errorf("destroy did not destroy 50 resources:\n%s", tail(out))
	}
	b.applies = append(b.applies, r.apply.Seconds())
	b.destroys = append(b.destroys, r.destroy.Seconds())
	b.totals = append(b.totals, (r.apply + r.destroy).Seconds())
	b.cpus = append(b.cpus, r.cpu.Seconds())
	return r, nil
}

var drifted = regexp.MustCompile(`(?m)^\s*# (\S+) (will be|must be) `)

// planSummary names the resources a plan would change.
func planSummary(out string) string {
	var names []string
	for _, m := range drifted.FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		return tail(out)
	}
	return strings.Join(names, ", ")
}

// motoServer is the moto_server process this program started.
type motoServer struct {
	cmd    *exec.Cmd
	log    *os.File
	exited chan error
}

func startMoto(ctx context.Context, bin, addr, logFile string) (*motoServer, error) {
	host, port, _ := net.SplitHostPort(addr)
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", host, "-p", port)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("moto_server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	m := &motoServer{cmd: cmd, log: f, exited: exited}
	// Ready when it answers; it prints nothing machine-readable, so ask it.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			f.Close()
			log, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("moto_server exited: %v\n%s", err, log)
		case <-tick.C:
			resp, err := http.Get("http://" + addr + "/moto-api/")
			if err == nil {
				resp.Body.Close()
				return m, nil
			}
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		}
	}
}

// stop kills moto_server by its pid (and what it started, in its own process group).
func (m *motoServer) stop() {
	pid := m.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.log.Close()
}

func lookup(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func join(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.2f", x))
	}
	return strings.Join(parts, ", ")
}

func tail(s string) string {
	const n = 4000
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
