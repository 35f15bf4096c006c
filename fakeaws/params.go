package fakeaws

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

// params are a Query request's parameters: Action, Version and the operation's members,
// flattened EC2-style (Filter.1.Value.2, IpPermissions.1.IpRanges.1.CidrIp, …).
type params struct{ v url.Values }

// parseParams decodes a form-encoded body (plus the URL's query string, which real EC2 also
// reads). Body values win over query values of the same name.
func parseParams(body, rawQuery string) (params, error) {
	v, err := url.ParseQuery(body)
	if err != nil {
		return params{}, err
	}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return params{}, err
		}
		for k, vs := range q {
			if _, ok := v[k]; !ok {
				v[k] = vs
			}
		}
	}
	return params{v: v}, nil
}

// get returns the first value of a parameter, or "".
func (p params) get(name string) string { return p.v.Get(name) }

// has reports whether a parameter was sent at all (even empty).
func (p params) has(name string) bool {
	_, ok := p.v[name]
	return ok
}

// indexes returns the distinct positive N of parameters named prefix.N or prefix.N.…, in
// numeric order. EC2 lists are 1-based and may have gaps.
func (p params) indexes(prefix string) []int {
	var out []int
	pre := prefix + "."
	for k := range p.v {
		rest, ok := strings.CutPrefix(k, pre)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || strconv.Itoa(n) != rest {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// list returns the values of prefix.1, prefix.2, … in index order.
func (p params) list(prefix string) []string {
	var out []string
	for _, n := range p.indexes(prefix) {
		if k := prefix + "." + strconv.Itoa(n); p.has(k) {
			out = append(out, p.get(k))
		}
	}
	return out
}

// member returns the name of member m of the n-th element of list prefix.
func member(prefix string, n int, m string) string {
	return prefix + "." + strconv.Itoa(n) + "." + m
}

// boolean parses a boolean parameter; absent means def.
func (p params) boolean(name string, def bool) (bool, error) {
	if !p.has(name) {
		return def, nil
	}
	switch strings.ToLower(p.get(name)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidValue(p.get(name), name)
}

// integer parses an integer parameter; ok is false when it is absent.
func (p params) integer(name string) (n int, ok bool, err error) {
	if !p.has(name) {
		return 0, false, nil
	}
	n, err = strconv.Atoi(strings.TrimSpace(p.get(name)))
	if err != nil {
		return 0, false, invalidValue(p.get(name), name)
	}
	return n, true, nil
}

// required returns a parameter that must be present and non-empty.
func (p params) required(name string) (string, error) {
	v := p.get(name)
	if v == "" {
		return "", emulator.AWSErr("MissingParameter", "The request must contain the parameter %s", lowerFirst(name))
	}
	return v, nil
}

// tags reads Tag.N.Key / Tag.N.Value under prefix (e.g. "Tag").
func (p params) tags(prefix string) emulator.Tags {
	out := emulator.Tags{}
	for _, n := range p.indexes(prefix) {
		if k := p.get(member(prefix, n, "Key")); k != "" || p.has(member(prefix, n, "Key")) {
			out[k] = p.get(member(prefix, n, "Value"))
		}
	}
	return out
}

// tagSpecs reads TagSpecification.N.ResourceType / .Tag.M.* and returns the tags meant for
// resource type typ. A specification for a type the action does not create is refused, as EC2
// does.
func (p params) tagSpecs(typ string) (emulator.Tags, error) { return p.tagSpecsAlso(typ) }

// tagSpecsAlso is tagSpecs for actions that also create resources of the other types (whose
// tags spacelab does not keep, e.g. the volumes of RunInstances).
func (p params) tagSpecsAlso(typ string, others ...string) (emulator.Tags, error) {
	out := emulator.Tags{}
	for _, n := range p.indexes("TagSpecification") {
		rt := p.get(member("TagSpecification", n, "ResourceType"))
		if rt != typ {
			if slices.Contains(others, rt) {
				continue
			}
			return nil, emulator.AWSErr("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		for k, v := range p.tags(member("TagSpecification", n, "Tag")) {
			out[k] = v
		}
	}
	if err := emulator.CheckTags(out); err != nil {
		return nil, err
	}
	return out, nil
}

// filter is one Filter.N: a name and the values any of which may match.
type filter struct {
	Name   string
	Values []string
}

// filters reads Filter.N.Name / Filter.N.Value.M.
func (p params) filters() ([]filter, error) {
	var out []filter
	for _, n := range p.indexes("Filter") {
		name := p.get(member("Filter", n, "Name"))
		if name == "" {
			return nil, emulator.AWSErr("InvalidParameterValue", "The filter 'null' is invalid")
		}
		out = append(out, filter{Name: name, Values: p.list(member("Filter", n, "Value"))})
	}
	return out, nil
}

func invalidValue(value, name string) error {
	return emulator.AWSErr("InvalidParameterValue", "Value (%s) for parameter %s is invalid.", value, lowerFirst(name))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
