package scenarios

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Labs are the hands-on form of the seeds: a trainee works in a running emulator with the real
// clients, and `spacelab lab check` tells them which tasks are done, which is next and a hint
// for it. A task is done because of what the trainee did — the model's state read through the
// APIs and the packets of reachability checks — never because of the commands they typed.
//
// A lab is YAML in the scenario format: its checks are scenario steps, restricted to ones that
// only look (heroku: GET, aws: Describe*/Get*, http:, dns:, tcp:, icmp:, exec:), so a teacher
// writes a lab without Go:
//
//	name: peering
//	title: {en: "Private Space Peering", ja: "Private Space Peering の設定"}
//	topology: default            # a built-in topology or a file; empty means the default
//	setup:                       # steps run before the tasks at every check, to save values
//	  - heroku: GET /spaces/enablement-jp/peering-info
//	    save: {space_vpc: vpc_id}
//	tasks:
//	  - title: {en: "…", ja: "…"}
//	    do:    {en: "commands to run", ja: "…"}
//	    hint:  {en: "what to look at when stuck", ja: "…"}
//	    checks:                  # all must pass for the task to be done
//	      - http: {from: ip-172-16-0-8, url: "http://test-vpn-compute.herokuapp.com/"}
//	        expect: {status: 200}
//
// Shipped labs are embedded from labs/*.yaml.

//go:embed labs/*.yaml
var shippedLabs embed.FS

// Text is a text in several languages, keyed by language code (en, ja).
type Text map[string]string

// In returns the text in lang, falling back to English and then to any language.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok {
		return strings.TrimSpace(s)
	}
	if s, ok := t["en"]; ok {
		return strings.TrimSpace(s)
	}
	for _, k := range sortedKeys(t) {
		return strings.TrimSpace(t[k])
	}
	return ""
}

// Lab is a parsed lab.
type Lab struct {
	Name  string `yaml:"name"`
	Title Text   `yaml:"title"`
	Intro Text   `yaml:"intro"`
	// Topology is the world the lab starts in: a built-in topology name or a file (relative
	// to the lab file); empty means the built-in default.
	Topology string `yaml:"topology"`
	// Setup steps run before the tasks at every check; they look things up and save values.
	// Their failures are reported but mark no task.
	Setup []Step `yaml:"setup"`
	Tasks []Task `yaml:"tasks"`
}

// Task is one thing the trainee does.
type Task struct {
	Title Text `yaml:"title"`
	// Do says what to do (the commands, in the seed's words).
	Do Text `yaml:"do"`
	// Hint is shown when this task is the next one and its checks fail.
	Hint Text `yaml:"hint"`
	// Checks must all pass for the task to be done.
	Checks []Step `yaml:"checks"`
}

// ShippedLabs lists the names of the embedded labs.
func ShippedLabs() []string {
	entries, _ := fs.ReadDir(shippedLabs, "labs")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// LoadLab reads a lab from a file, or a shipped one by name. It returns the lab and its
// source, which a running emulator can be given to check against.
func LoadLab(nameOrPath string) (*Lab, []byte, error) {
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		var ferr error
		b, ferr = shippedLabs.ReadFile("labs/" + strings.TrimSuffix(nameOrPath, ".yaml") + ".yaml")
		if ferr != nil {
			return nil, nil, fmt.Errorf("scenarios: no lab %q (shipped labs: %s)", nameOrPath, strings.Join(ShippedLabs(), ", "))
		}
	} else if l, perr := ParseLab(b); perr == nil && l.Topology != "" && !strings.Contains(l.Topology, "/") {
		// A topology next to the lab file wins over a built-in of the same name.
		if p := filepath.Join(filepath.Dir(nameOrPath), l.Topology); fileExists(p) {
			l.Topology = p
			out, _ := yaml.Marshal(l)
			return l, out, nil
		}
	}
	l, err := ParseLab(b)
	return l, b, err
}

// ParseLab reads a lab document and checks that it is well formed and that its checks only look.
func ParseLab(b []byte) (*Lab, error) {
	var l Lab
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("scenarios: lab: %w", err)
	}
	if l.Name == "" {
		return nil, fmt.Errorf("scenarios: lab: name is required")
	}
	if len(l.Tasks) == 0 {
		return nil, fmt.Errorf("scenarios: lab %s: no tasks", l.Name)
	}
	check := func(where string, steps []Step) error {
		if _, err := Parse(mustYAML(Scenario{Name: l.Name, Steps: steps})); err != nil {
			return fmt.Errorf("scenarios: lab %s: %s: %w", l.Name, where, err)
		}
		for i, st := range steps {
			if err := looksOnly(st); err != nil {
				return fmt.Errorf("scenarios: lab %s: %s, check %d (%s): %w", l.Name, where, i+1, st.Name, err)
			}
		}
		return nil
	}
	if err := check("setup", l.Setup); err != nil {
		return nil, err
	}
	for i, t := range l.Tasks {
		if len(t.Checks) == 0 {
			return nil, fmt.Errorf("scenarios: lab %s: task %d (%s) has no checks", l.Name, i+1, t.Title.In("en"))
		}
		if err := check(fmt.Sprintf("task %d", i+1), t.Checks); err != nil {
			return nil, err
		}
	}
	return &l, nil
}

func mustYAML(v any) []byte {
	b, err := yaml.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// looksOnly refuses a check that would change the world: a lab check runs again at every
// `lab check`, and must find out what the trainee did, not do it for them.
func looksOnly(st Step) error {
	if st.Heroku != "" {
		if m := strings.Fields(st.Heroku)[0]; m != "GET" {
			return fmt.Errorf("heroku: %s changes the world; lab checks may only GET", m)
		}
	}
	if st.AWS != nil && !strings.HasPrefix(st.AWS.Action, "Describe") && !strings.HasPrefix(st.AWS.Action, "Get") {
		return fmt.Errorf("aws: %s changes the world; lab checks may only Describe or Get", st.AWS.Action)
	}
	return nil
}

// LabReport is the outcome of checking a lab against a running emulator.
type LabReport struct {
	Name  string       `json:"name"`
	Title string       `json:"title"`
	Lang  string       `json:"lang"`
	Setup []StepReport `json:"setup,omitempty"`
	Tasks []TaskReport `json:"tasks"`
	// Next is the number (from 1) of the first task not done; 0 when every task is done.
	Next     int  `json:"next"`
	Complete bool `json:"complete"`
}

// TaskReport is one task's state.
type TaskReport struct {
	N      int          `json:"n"`
	Title  string       `json:"title"`
	Do     string       `json:"do"`
	Hint   string       `json:"hint"`
	Done   bool         `json:"done"`
	Checks []StepReport `json:"checks"`
}

// StepReport is one check's outcome; Detail has the packets' summary and, for a blocked
// path, the hop and the reason.
type StepReport struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
	Packets bool   `json:"packets"` // a reachability check that sent packets
}

// CheckLab evaluates every task of l in order against the runner's lab: setup first (for its
// saved values), then each task's checks. Texts are in lang.
func (r *Runner) CheckLab(ctx context.Context, l *Lab, lang string) LabReport {
	if r.Vars == nil {
		r.Vars = map[string]string{}
	}
	rep := LabReport{Name: l.Name, Title: l.Title.In(lang), Lang: lang}
	run := func(st Step) StepReport {
		sr := r.stepWithDefaults(ctx, st)
		name := r.subst(st.Name)
		if name == "" {
			name = describeStep(r, st)
		}
		return StepReport{Name: name, OK: sr.OK, Detail: sr.Detail, Packets: sr.Check != nil}
	}
	for _, st := range l.Setup {
		rep.Setup = append(rep.Setup, run(st))
	}
	for i, t := range l.Tasks {
		tr := TaskReport{N: i + 1, Title: r.subst(t.Title.In(lang)), Do: r.subst(t.Do.In(lang)), Hint: r.subst(t.Hint.In(lang)), Done: true}
		for _, st := range t.Checks {
			sr := run(st)
			tr.Checks = append(tr.Checks, sr)
			tr.Done = tr.Done && sr.OK
		}
		if !tr.Done && rep.Next == 0 {
			rep.Next = tr.N
		}
		rep.Tasks = append(rep.Tasks, tr)
	}
	rep.Complete = rep.Next == 0
	return rep
}

// stepWithDefaults runs one step with the runner's defaults filled in.
func (r *Runner) stepWithDefaults(ctx context.Context, st Step) StepResult {
	if r.HTTP == nil {
		r.HTTP = defaultHTTP()
	}
	return r.step(ctx, st)
}

// describeStep names an unnamed check by what it does.
func describeStep(r *Runner, st Step) string {
	switch {
	case st.Heroku != "":
		return r.subst(st.Heroku)
	case st.AWS != nil:
		return "aws ec2 " + st.AWS.Action
	case st.Exec != nil:
		return r.subst(st.Exec.Host + ": " + strings.Join(st.Exec.Argv, " "))
	case st.HTTP != nil:
		return r.subst("curl " + st.HTTP.URL + " from " + st.HTTP.From)
	case st.DNS != nil:
		return r.subst("dig " + st.DNS.Name + " from " + st.DNS.From)
	case st.TCP != nil:
		return r.subst("tcp " + st.TCP.Target + " from " + st.TCP.From)
	case st.ICMP != nil:
		return r.subst("ping " + st.ICMP.Target + " from " + st.ICMP.From)
	}
	return ""
}
