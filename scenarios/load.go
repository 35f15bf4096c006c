package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/spacelab-dev/spacelab/topology"
)

// Load reads a scenario from a file, or a shipped one by name. It returns the scenario and the
// directory of its file ("" for a shipped one). Every error names the file and a line.
func Load(nameOrPath string) (*Scenario, string, error) {
	b, err := os.ReadFile(nameOrPath)
	source, dir := nameOrPath, filepath.Dir(nameOrPath)
	if err != nil {
		name := strings.TrimSuffix(nameOrPath, ".yaml")
		bb, ferr := shipped.ReadFile(name + ".yaml")
		if ferr != nil || strings.Contains(name, "/") {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, "", fmt.Errorf("scenarios: %s: no such file, and no shipped scenario of that name (shipped: %s; `spacelab scenarios` lists them)", nameOrPath, strings.Join(Shipped(), ", "))
			}
			return nil, "", fmt.Errorf("scenarios: %w", err)
		}
		b, source, dir = bb, "shipped scenario "+name, ""
	}
	s, err := parse(b, source)
	if err != nil {
		return nil, "", err
	}
	s.dir = dir
	return s, dir, nil
}

// Parse reads a scenario document and checks that every step is well formed and that every
// ${name} it uses is saved by an earlier step.
func Parse(b []byte) (*Scenario, error) { return parse(b, "") }

// ParseFor reads a scenario to run with r, whose variables (saved by what it ran before) count
// as defined.
func (r *Runner) ParseFor(b []byte) (*Scenario, error) {
	var known []string
	for k := range r.Vars {
		known = append(known, k)
	}
	return parse(b, "", known...)
}

func parse(b []byte, source string, known ...string) (*Scenario, error) {
	in := source
	if in == "" {
		in = "scenario"
	}
	fail := func(line int, format string, args ...any) error {
		loc := in
		if line > 0 {
			loc += ":" + strconv.Itoa(line)
		}
		return fmt.Errorf("scenarios: %s: "+format, append([]any{loc}, args...)...)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("scenarios: %s", yamlError(in, err))
	}
	if len(doc.Content) == 0 {
		return nil, fail(0, "the file is empty; a scenario has name:, topology: (optional) and steps: (see `spacelab scenarios` for shipped ones)")
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(doc.Content[0].Line, "not a scenario: the document is not a mapping of name:, topology:, steps:")
	}
	var s Scenario
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("scenarios: %s", yamlError(in, err))
	}
	s.source = source
	lines := stepLines(&doc)
	line := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return 0
	}
	defined := map[string]bool{}
	for _, k := range known {
		defined[k] = true
	}
	for i, st := range s.Steps {
		where := fmt.Sprintf("steps[%d] (%s)", i, st.Name)
		if st.Name == "" {
			where = fmt.Sprintf("steps[%d]", i)
		}
		n := 0
		for _, set := range []bool{st.Heroku != "", st.AWS != nil, st.Exec != nil, st.HTTP != nil, st.DNS != nil, st.TCP != nil, st.ICMP != nil, st.Clock != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, fail(line(i), "%s: needs exactly one of heroku, aws, exec, http, dns, tcp, icmp, clock", where)
		}
		if st.Heroku != "" {
			if f := strings.Fields(st.Heroku); len(f) != 2 || !strings.HasPrefix(f[1], "/") {
				return nil, fail(line(i), "%s: heroku: wants \"METHOD /path\", got %q", where, st.Heroku)
			}
		}
		if st.AWS != nil && st.AWS.Action == "" {
			return nil, fail(line(i), "%s: aws: action is required", where)
		}
		if undef := undefinedVars(st, defined); len(undef) > 0 {
			return nil, fail(line(i), "%s: ${%s} is not defined: no earlier step saves it (save: {%s: PATH} in an earlier step defines it)", where, undef[0], undef[0])
		}
		for name := range st.Save {
			defined[name] = true
		}
	}
	return &s, nil
}

// undefinedVars lists the ${name}s a step uses that are not in defined, sorted.
func undefinedVars(st Step, defined map[string]bool) []string {
	st.Name = "" // a step's name may mention a variable only to show it
	b, _ := yaml.Marshal(st)
	seen := map[string]bool{}
	var out []string
	for _, m := range varRE.FindAllStringSubmatch(string(b), -1) {
		if !defined[m[1]] && !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// stepLines is the line of each step in the document.
func stepLines(doc *yaml.Node) []int {
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "steps" && root.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, n := range root.Content[i+1].Content {
				out = append(out, n.Line)
			}
			return out
		}
	}
	return nil
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// yamlError says a YAML error as "SOURCE:LINE: problem", one line per problem.
func yamlError(source string, err error) string {
	probs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		probs = te.Errors
	}
	for i, p := range probs {
		// yaml.v3 names the Go type ("field bogus not found in type scenarios.Step"): say it
		// in the file's terms.
		p = unknownField.ReplaceAllString(p, "unknown key $1 (misspelt, or at the wrong indentation)")
		if rest, ok := strings.CutPrefix(p, "line "); ok {
			if n, msg, ok := strings.Cut(rest, ": "); ok {
				if _, err := strconv.Atoi(n); err == nil {
					probs[i] = source + ":" + n + ": " + msg
					continue
				}
			}
		}
		probs[i] = source + ": " + p
	}
	return strings.Join(probs, "\n")
}

// LoadTopology loads the topology the scenario names: nil (the built-in default) when it names
// none, a file beside the scenario (a relative path that stays inside the scenario's
// directory), or a built-in topology by name. A path leaving the scenario's directory is refused
// without reading it.
func (s *Scenario) LoadTopology() (*topology.Topology, error) {
	if s.Topology == "" {
		return nil, nil
	}
	in := s.source
	if in == "" {
		in = "scenario"
	}
	p := s.Topology
	if s.dir != "" {
		if filepath.IsAbs(p) || !filepath.IsLocal(p) {
			return nil, fmt.Errorf("scenarios: %s: topology: %s leaves the scenario's directory; name a built-in topology (%s) or a file beside the scenario",
				in, p, strings.Join(topology.Builtin(), ", "))
		}
		if rel := filepath.Join(s.dir, p); fileExists(rel) {
			return topology.Load(rel)
		}
	}
	if !isBuiltinTopology(p) {
		where := "beside the scenario"
		if s.dir == "" {
			where = "for a shipped scenario"
		}
		return nil, fmt.Errorf("scenarios: %s: topology: %s is neither a file %s nor a built-in topology (%s)", in, p, where, strings.Join(topology.Builtin(), ", "))
	}
	return topology.Load(strings.TrimSuffix(p, ".yaml"))
}

func isBuiltinTopology(name string) bool {
	for _, b := range topology.Builtin() {
		if b == strings.TrimSuffix(name, ".yaml") {
			return true
		}
	}
	return false
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
