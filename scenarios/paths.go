package scenarios

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// A document is a decoded response: maps, lists and strings, whether it came as JSON or XML.
// EC2's XML lists (<xSet><item>…</item></xSet>) become lists.

func decodeJSON(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeXML(b []byte) (any, error) {
	d := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return xmlElement(d, se)
		}
	}
}

func xmlElement(d *xml.Decoder, start xml.StartElement) (any, error) {
	children := map[string][]any{}
	var order []string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v, err := xmlElement(d, t)
			if err != nil {
				return nil, err
			}
			if _, seen := children[t.Name.Local]; !seen {
				order = append(order, t.Name.Local)
			}
			children[t.Name.Local] = append(children[t.Name.Local], v)
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(children) == 0 {
				return strings.TrimSpace(text.String()), nil
			}
			if len(order) == 1 && order[0] == "item" {
				return children["item"], nil
			}
			m := map[string]any{}
			for k, vs := range children {
				if len(vs) == 1 {
					m[k] = vs[0]
				} else {
					m[k] = vs
				}
			}
			return m, nil
		}
	}
	return strings.TrimSpace(text.String()), nil
}

// lookup evaluates a path such as vpcPeeringConnection.status.code, [pcx_id=pcx-1].status,
// routeTableSet[0].routeSet[destinationCidrBlock=10.0.0.0/16].state or peers[2].
func lookup(doc any, p string) (any, error) {
	cur := doc
	for _, seg := range splitPath(p) {
		name, sel, hasSel := seg, "", false
		if i := strings.IndexByte(seg, '['); i >= 0 && strings.HasSuffix(seg, "]") {
			name, sel, hasSel = seg[:i], seg[i+1:len(seg)-1], true
		}
		if name != "" {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: %q is not an object", p, name)
			}
			v, ok := m[name]
			if !ok {
				return nil, fmt.Errorf("%s: no %q", p, name)
			}
			cur = v
		}
		if !hasSel {
			continue
		}
		list, ok := cur.([]any)
		if !ok {
			if cur == "" || cur == nil {
				list = nil
			} else {
				list = []any{cur} // a one-element EC2 list may decode as its element
			}
		}
		if n, err := strconv.Atoi(sel); err == nil {
			if n < 0 || n >= len(list) {
				return nil, fmt.Errorf("%s: index %d out of %d", p, n, len(list))
			}
			cur = list[n]
			continue
		}
		k, want, ok := strings.Cut(sel, "=")
		if !ok {
			return nil, fmt.Errorf("%s: selector %q is neither [N] nor [key=value]", p, sel)
		}
		found := false
		for _, item := range list {
			if v, err := lookup(item, k); err == nil && scalar(v) == want {
				cur, found = item, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no element with %s=%s", p, k, want)
		}
	}
	return cur, nil
}

// splitPath splits on dots outside brackets.
func splitPath(p string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range p {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

// scalar renders a value for comparison: strings as they are, numbers and booleans in JSON
// spelling, lists joined with ", ".
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = scalar(e)
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// matches compares a value with an expectation that may contain * and ? globs.
func matches(got, want string) bool {
	if got == want {
		return true
	}
	ok, err := path.Match(want, got)
	return err == nil && ok
}
