package topology

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Parse reads a topology document. Unknown keys are errors, so typos surface.
func Parse(b []byte) (*Raw, error) { return parse(b, "") }

// parse reads a document from source (a file name, or "" for bytes from elsewhere); every
// error names the source and a line.
func parse(b []byte, source string) (*Raw, error) {
	r := &Raw{source: source}
	in := r.where(nil, "")
	if strings.TrimSpace(string(b)) == "" {
		return nil, fmt.Errorf("topology: %s: the file is empty; a topology has heroku:, aws:, internet: and offices: sections (start from a copy of topology/default.yaml)", in)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("topology: %s", yamlError(in, err))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("topology: %s: the file is empty; a topology has heroku:, aws:, internet: and offices: sections (start from a copy of topology/default.yaml)", in)
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		// Say what it is, not what it says: the file may be something else entirely.
		return nil, fmt.Errorf("topology: %s: not a topology: the document is not a mapping of heroku:, aws:, internet:, offices:", in)
	}
	r.doc = &doc
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("topology: %s", yamlError(in, err))
	}
	return r, nil
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

// Load parses a topology file, or a built-in topology by name; an empty path means the
// built-in default. A name that is neither says so and lists the built-in topologies.
func Load(path string) (*Topology, error) {
	if path == "" {
		path = "default"
	}
	b, err := os.ReadFile(path)
	source := path
	if err != nil {
		name := strings.TrimSuffix(path, ".yaml")
		bb, berr := builtin.ReadFile(name + ".yaml")
		if berr != nil || strings.Contains(name, "/") {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("topology: %s: no such file, and no built-in topology of that name (built-in: %s; `spacelab topologies` lists them)", path, strings.Join(Builtin(), ", "))
			}
			return nil, fmt.Errorf("topology: %w", err)
		}
		b, source = bb, "built-in topology "+name
	}
	raw, err := parse(b, source)
	if err != nil {
		return nil, err
	}
	return raw.Resolve()
}

// path is where an object is in a topology document: keys and sequence indices.
type path []any

func (p path) with(x ...any) path { return append(append(path{}, p...), x...) }

func (p path) String() string {
	var b strings.Builder
	for _, x := range p {
		switch v := x.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// where says where an object is, for an error: "FILE:LINE: PATH (NAME)".
func (r *Raw) where(p path, name string) string {
	var parts []string
	loc := r.source
	if line := r.line(p); line > 0 {
		if loc != "" {
			loc += ":" + strconv.Itoa(line)
		} else {
			loc = "line " + strconv.Itoa(line)
		}
	}
	if loc != "" {
		parts = append(parts, loc)
	}
	if len(p) > 0 {
		s := p.String()
		if name != "" {
			s += " (" + name + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "topology document"
	}
	return strings.Join(parts, ": ")
}

// line is the line of the object at p in the document (or of its nearest parent present).
func (r *Raw) line(p path) int {
	if r.doc == nil || len(r.doc.Content) == 0 {
		return 0
	}
	if len(p) == 0 {
		return 0
	}
	n := r.doc.Content[0]
	line := n.Line
	for _, x := range p {
		switch k := x.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					line, n, found = n.Content[i].Line, n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return line
			}
			n = n.Content[k]
			line = n.Line
		}
	}
	return line
}

// whereAt is where[i], or the source when the object was made without one.
func whereAt(where []string, i int, source string) string {
	if i < len(where) {
		return where[i]
	}
	if source != "" {
		return source
	}
	return "topology document"
}
