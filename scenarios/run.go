package scenarios

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/spacelab-dev/spacelab/lab"
	"github.com/spacelab-dev/spacelab/netspec"
)

// Runner replays scenarios against a lab.
type Runner struct {
	Lab *lab.Lab
	// Out receives one line per step; nil discards.
	Out io.Writer
	// Vars are the scenario's variables; steps add to them with save:.
	Vars map[string]string
	// HTTP is the client for API calls; nil means a plain one.
	HTTP *http.Client
	// CaptureDir, when set, receives a pcap of the source host's packets for each check that
	// fails (NN-step.pcap).
	CaptureDir string
}

// Result is a scenario's outcome.
type Result struct {
	Steps  []StepResult
	Failed int
}

// StepResult is one step's outcome.
type StepResult struct {
	N      int
	Name   string
	OK     bool
	Detail string
	Took   time.Duration
	Check  *lab.CheckResult
	// Report is the failed or passed check's whole story (path, stop, packets).
	Report *lab.Report
	// Capture is the pcap kept of a failed check (Runner.CaptureDir).
	Capture string
}

// Run executes every step in order, continuing after a failure so the report is complete.
func (r *Runner) Run(ctx context.Context, s *Scenario) (*Result, error) {
	if r.Vars == nil {
		r.Vars = map[string]string{}
	}
	if r.HTTP == nil {
		r.HTTP = defaultHTTP()
	}
	out := r.Out
	if out == nil {
		out = io.Discard
	}
	res := &Result{}
	for i, st := range s.Steps {
		start := time.Now()
		var sr StepResult
		if undef := r.undefined(st); len(undef) > 0 {
			sr.Detail = fmt.Sprintf("${%s} is not defined: no earlier step saved it (a save that failed is reported at its step)", strings.Join(undef, "}, ${"))
		} else if r.CaptureDir != "" && st.isCheck() {
			sr = r.captured(ctx, st, i+1)
		} else {
			sr = r.step(ctx, st)
		}
		sr.N, sr.Name, sr.Took = i+1, r.subst(st.Name), time.Since(start)
		if !sr.OK {
			res.Failed++
		}
		res.Steps = append(res.Steps, sr)
		mark := "ok  "
		if !sr.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(out, "%3d. [%s] %s\n", sr.N, mark, sr.Name)
		if sr.Detail != "" {
			for _, line := range strings.Split(strings.TrimRight(sr.Detail, "\n"), "\n") {
				fmt.Fprintf(out, "            %s\n", line)
			}
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
	}
	return res, nil
}

func defaultHTTP() *http.Client { return &http.Client{Timeout: 30 * time.Second} }

var varRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

func (r *Runner) subst(s string) string {
	return varRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := r.Vars[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// undefined lists the variables a step uses that are not set (yet).
func (r *Runner) undefined(st Step) []string {
	defined := map[string]bool{}
	for k := range r.Vars {
		defined[k] = true
	}
	return undefinedVars(st, defined)
}

func (r *Runner) substAny(v any) any {
	switch x := v.(type) {
	case string:
		return r.subst(x)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = r.substAny(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.substAny(e)
		}
		return out
	}
	return v
}

func (r *Runner) step(ctx context.Context, st Step) StepResult {
	switch {
	case st.Heroku != "":
		return r.api(ctx, st, r.herokuCall)
	case st.AWS != nil:
		return r.api(ctx, st, r.awsCall)
	case st.Exec != nil:
		return r.exec(ctx, st)
	case st.Clock != nil:
		return r.clock(ctx, st)
	}
	return r.check(ctx, st)
}

// response is an API call's outcome: status, the decoded body, and the error code if any.
type response struct {
	status int
	doc    any
	errID  string
	errMsg string
}

func (r *Runner) api(ctx context.Context, st Step, call func(context.Context, Step) (response, error)) StepResult {
	resp, err := call(ctx, st)
	if err != nil {
		return StepResult{Detail: err.Error()}
	}
	var problems, shown []string
	if st.Expect.Error != "" {
		if resp.errID != r.subst(st.Expect.Error) {
			problems = append(problems, fmt.Sprintf("wanted error %s, got %d %s %s", st.Expect.Error, resp.status, resp.errID, resp.errMsg))
		} else {
			shown = append(shown, fmt.Sprintf("refused as expected: %s: %s", resp.errID, resp.errMsg))
		}
	} else if resp.status >= 300 {
		problems = append(problems, fmt.Sprintf("HTTP %d %s: %s", resp.status, resp.errID, resp.errMsg))
	}
	if st.Expect.Status != 0 && resp.status != st.Expect.Status {
		problems = append(problems, fmt.Sprintf("wanted HTTP %d, got %d", st.Expect.Status, resp.status))
	}
	for _, p := range sortedKeys(st.Expect.Values) {
		want := r.subst(st.Expect.Values[p])
		v, err := lookup(resp.doc, r.subst(p))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if got := scalar(v); !matches(got, want) {
			problems = append(problems, fmt.Sprintf("%s = %q, wanted %q", p, got, want))
		}
	}
	for _, name := range sortedKeys(st.Save) {
		v, err := lookup(resp.doc, r.subst(st.Save[name]))
		if err != nil {
			problems = append(problems, "save "+name+": "+err.Error())
			continue
		}
		r.Vars[name] = scalar(v)
	}
	for _, p := range st.Show {
		v, err := lookup(resp.doc, r.subst(p))
		if err != nil {
			shown = append(shown, p+": "+err.Error())
			continue
		}
		shown = append(shown, fmt.Sprintf("%s: %s", p, scalar(v)))
	}
	return StepResult{OK: len(problems) == 0, Detail: strings.Join(append(problems, shown...), "\n")}
}

func (r *Runner) herokuCall(ctx context.Context, st Step) (response, error) {
	f := strings.Fields(r.subst(st.Heroku))
	var body io.Reader
	if st.Body != nil {
		b, _ := json.Marshal(r.substAny(st.Body))
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, f[0], r.Lab.HerokuURL+f[1], body)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Accept", "application/vnd.heroku+json; version=3")
	req.Header.Set("Authorization", "Bearer "+r.Lab.HerokuToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hr, err := r.HTTP.Do(req)
	if err != nil {
		return response{}, err
	}
	defer hr.Body.Close()
	b, _ := io.ReadAll(hr.Body)
	resp := response{status: hr.StatusCode}
	if len(bytes.TrimSpace(b)) > 0 {
		if resp.doc, err = decodeJSON(b); err != nil {
			return resp, fmt.Errorf("heroku %s: response is not JSON: %w", st.Heroku, err)
		}
	}
	if hr.StatusCode >= 300 {
		if m, ok := resp.doc.(map[string]any); ok {
			resp.errID, _ = m["id"].(string)
			resp.errMsg, _ = m["message"].(string)
		}
	}
	return resp, nil
}

func (r *Runner) awsCall(ctx context.Context, st Step) (response, error) {
	c := st.AWS
	key, region, err := r.Lab.AccessKeyFor(r.subst(c.Account))
	if err != nil {
		return response{}, err
	}
	if c.Region != "" {
		region = r.subst(c.Region)
	}
	service, version := "ec2", "2016-11-15"
	if c.Action == "GetCallerIdentity" {
		service, version = "sts", "2011-06-15"
	}
	form := url.Values{"Action": {c.Action}, "Version": {version}}
	for k, v := range c.Params {
		form.Set(k, r.subst(v))
	}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Lab.AWSURL+"/", strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		return response{}, err
	}
	hr, err := r.HTTP.Do(req)
	if err != nil {
		return response{}, err
	}
	defer hr.Body.Close()
	b, _ := io.ReadAll(hr.Body)
	resp := response{status: hr.StatusCode}
	if resp.doc, err = decodeXML(b); err != nil {
		return resp, fmt.Errorf("aws %s: response is not XML: %w", c.Action, err)
	}
	if hr.StatusCode >= 300 {
		code, _ := lookup(resp.doc, "Errors.Error.Code")
		msg, _ := lookup(resp.doc, "Errors.Error.Message")
		if code == nil {
			code, _ = lookup(resp.doc, "Error.Code")
			msg, _ = lookup(resp.doc, "Error.Message")
		}
		resp.errID, resp.errMsg = scalar(code), scalar(msg)
	}
	return resp, nil
}

func (r *Runner) exec(ctx context.Context, st Step) StepResult {
	argv := make([]string, len(st.Exec.Argv))
	for i, a := range st.Exec.Argv {
		argv[i] = r.subst(a)
	}
	var out bytes.Buffer
	code, err := r.Lab.Exec(ctx, r.subst(st.Exec.Host), argv, nil, &out, &out)
	if err != nil {
		return StepResult{Detail: err.Error()}
	}
	var problems []string
	want := 0
	if st.Expect.Exit != nil {
		want = *st.Expect.Exit
	}
	if code != want {
		problems = append(problems, fmt.Sprintf("exit code %d, wanted %d", code, want))
	}
	if o := r.subst(st.Expect.Output); o != "" && !strings.Contains(out.String(), o) {
		problems = append(problems, fmt.Sprintf("output lacks %q", o))
	}
	detail := strings.TrimRight(out.String(), "\n")
	if len(problems) > 0 {
		detail = strings.Join(problems, "\n") + "\n" + detail
	}
	return StepResult{OK: len(problems) == 0, Detail: detail}
}

func (r *Runner) check(ctx context.Context, st Step) StepResult {
	var p netspec.Probe
	switch {
	case st.HTTP != nil:
		p = netspec.Probe{From: r.subst(st.HTTP.From), Kind: "http", Target: r.subst(st.HTTP.URL)}
	case st.DNS != nil:
		p = netspec.Probe{From: r.subst(st.DNS.From), Kind: "dns", Target: r.subst(st.DNS.Name)}
		if st.DNS.Server != "" {
			a, err := netip.ParseAddr(r.subst(st.DNS.Server))
			if err != nil {
				return StepResult{Detail: "dns server: " + err.Error()}
			}
			p.Server = a
		}
	case st.TCP != nil:
		p = netspec.Probe{From: r.subst(st.TCP.From), Kind: "tcp", Target: r.subst(st.TCP.Target)}
	case st.ICMP != nil:
		p = netspec.Probe{From: r.subst(st.ICMP.From), Kind: "icmp", Target: r.subst(st.ICMP.Target)}
	}
	c, err := r.Lab.Check(ctx, p)
	if err != nil {
		return StepResult{Detail: err.Error()}
	}
	var problems []string
	e := st.Expect
	wantReach := true
	if e.Reachable != nil {
		wantReach = *e.Reachable
	}
	if c.Result.OK != wantReach {
		if wantReach {
			problems = append(problems, "wanted it reachable")
		} else {
			problems = append(problems, "wanted it blocked")
		}
	}
	if !c.Agree {
		problems = append(problems, fmt.Sprintf("the model predicted %s but the packets did otherwise", c.Verdict))
	}
	if e.Reason != "" && !strings.Contains(c.Verdict.Reason, r.subst(e.Reason)) {
		problems = append(problems, fmt.Sprintf("reason %q lacks %q", c.Verdict.Reason, e.Reason))
	}
	if e.Status != 0 && c.Result.Status != e.Status {
		problems = append(problems, fmt.Sprintf("HTTP %d, wanted %d", c.Result.Status, e.Status))
	}
	for _, h := range sortedKeys(e.Header) {
		if got := c.Result.Header.Get(h); !matches(got, r.subst(e.Header[h])) {
			problems = append(problems, fmt.Sprintf("header %s = %q, wanted %q", h, got, e.Header[h]))
		}
	}
	if len(e.Addrs) > 0 {
		var got, want []string
		for _, a := range c.Result.Addrs {
			got = append(got, a.String())
		}
		for _, a := range e.Addrs {
			want = append(want, r.subst(a))
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			problems = append(problems, fmt.Sprintf("addresses %v, wanted %v", got, want))
		}
	}
	if e.MaxAddrs > 0 && (len(c.Result.Addrs) == 0 || len(c.Result.Addrs) > e.MaxAddrs) {
		problems = append(problems, fmt.Sprintf("%d addresses %v, wanted 1 to %d", len(c.Result.Addrs), c.Result.Addrs, e.MaxAddrs))
	}
	body := strings.TrimSpace(c.Result.Body)
	if e.Body != "" && !matches(body, r.subst(e.Body)) {
		problems = append(problems, fmt.Sprintf("body %q, wanted %q", body, e.Body))
	}
	if len(e.BodyIn) > 0 {
		found := false
		for _, v := range e.BodyIn {
			found = found || body == r.subst(v)
		}
		if !found {
			problems = append(problems, fmt.Sprintf("body %q is none of %v", body, e.BodyIn))
		}
	}
	rep := c.Report(r.Lab.Reconciler.Spec())
	lines := []string{c.Summary()}
	if len(problems) > 0 {
		var b strings.Builder
		rep.Write(&b)
		lines = append(lines, strings.TrimRight(b.String(), "\n"))
	}
	if c.Probe.Kind == "http" && c.Result.OK && len(body) < 80 && !strings.Contains(body, "<") {
		lines = append(lines, "body: "+body)
	}
	if c.Result.OK && c.Result.Header.Get("Via") != "" {
		lines = append(lines, "Via: "+c.Result.Header.Get("Via"))
	}
	for _, d := range c.Result.Drops {
		lines = append(lines, fmt.Sprintf("packets dropped at %s: %s", d.Host, d.Why))
	}
	return StepResult{OK: len(problems) == 0, Detail: strings.Join(append(problems, lines...), "\n"), Check: &c, Report: &rep}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
