package fakeaws

import (
	"encoding/base64"
	"strings"

	"github.com/spacelab-dev/spacelab/emulator"
)

// fields maps a Describe action's filter names to the values a resource has for that name
// (a route table has one route.state per route, for example). A resource matches a filter when
// any of its values matches any of the filter's values.
type fields[T any] map[string]func(T) []string

// applyFilters keeps the items that match every filter. Besides the names in f it understands
// tag:<key>, tag-key and tag-value when tags is not nil. An unknown filter name is refused with
// EC2's InvalidParameterValue.
func applyFilters[T any](items []T, fs []filter, f fields[T], tags func(T) emulator.Tags) ([]T, error) {
	for _, flt := range fs {
		_, known := f[flt.Name]
		tagFilter := tags != nil && (strings.HasPrefix(flt.Name, "tag:") || flt.Name == "tag-key" || flt.Name == "tag-value")
		if !known && !tagFilter {
			return nil, emulator.AWSErr("InvalidParameterValue", "The filter '%s' is invalid", flt.Name)
		}
	}
	var out []T
	for _, it := range items {
		if matchesAll(it, fs, f, tags) {
			out = append(out, it)
		}
	}
	return out, nil
}

func matchesAll[T any](it T, fs []filter, f fields[T], tags func(T) emulator.Tags) bool {
	for _, flt := range fs {
		var vals []string
		switch get, known := f[flt.Name]; {
		case known:
			vals = get(it)
		case strings.HasPrefix(flt.Name, "tag:"):
			if v, ok := tags(it)[strings.TrimPrefix(flt.Name, "tag:")]; ok {
				vals = []string{v}
			}
		case flt.Name == "tag-key":
			vals = tags(it).Sorted()
		case flt.Name == "tag-value":
			t := tags(it)
			for _, k := range t.Sorted() {
				vals = append(vals, t[k])
			}
		}
		if !anyMatch(flt.Values, vals) {
			return false
		}
	}
	return true
}

func anyMatch(patterns, vals []string) bool {
	for _, p := range patterns {
		for _, v := range vals {
			if globMatch(p, v) {
				return true
			}
		}
	}
	return false
}

// globMatch matches EC2 filter wildcards: * is any run of characters, ? one character, and a
// backslash makes the next character literal.
func globMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '\\' && pi+1 < len(p) && p[pi+1] == t[ti]:
			pi += 2
			ti++
		case pi < len(p) && (p[pi] == '?' || (p[pi] != '*' && p[pi] != '\\' && p[pi] == t[ti])):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// one is a fields helper for a single value.
func one(s string) []string { return []string{s} }

// boolStr spells a boolean as EC2 filter values do.
func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// page is a slice of results and the token for the next page ("" on the last).
type page[T any] struct {
	Items []T
	Next  string
}

// paginate applies MaxResults / NextToken to items sorted ascending by key. The token is the
// key of the first item of the next page, so pages stay consistent while resources come and go.
// MaxResults must lie in [min, max]; without it everything is returned.
func paginate[T any](items []T, key func(T) string, p params, min, max int) (page[T], error) {
	start := 0
	if tok := p.get("NextToken"); tok != "" {
		k, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(k), "v1:") {
			return page[T]{}, emulator.AWSErr("InvalidPaginationToken", "Invalid pagination token")
		}
		after := strings.TrimPrefix(string(k), "v1:")
		for start < len(items) && key(items[start]) < after {
			start++
		}
	}
	n, set, err := p.integer("MaxResults")
	if err != nil {
		return page[T]{}, err
	}
	if !set {
		return page[T]{Items: items[start:]}, nil
	}
	if n < min || n > max {
		return page[T]{}, emulator.AWSErr("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Parameter must be between %d and %d.", n, min, max)
	}
	end := start + n
	if end >= len(items) {
		return page[T]{Items: items[start:]}, nil
	}
	return page[T]{Items: items[start:end], Next: base64.RawURLEncoding.EncodeToString([]byte("v1:" + key(items[end])))}, nil
}

// pickIDs keeps the items whose id is in ids (all items when ids is empty) and returns the ids
// that matched nothing.
func pickIDs[T any](items []T, id func(T) string, ids []string) (kept []T, missing []string) {
	if len(ids) == 0 {
		return items, nil
	}
	want := map[string]bool{}
	for _, x := range ids {
		want[x] = true
	}
	found := map[string]bool{}
	for _, it := range items {
		if want[id(it)] {
			kept = append(kept, it)
			found[id(it)] = true
		}
	}
	for _, x := range ids {
		if !found[x] && !contains(missing, x) {
			missing = append(missing, x)
		}
	}
	return kept, missing
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// selection is how a Describe action narrows its resources: to the ids asked for (one that
// does not exist is an error), then by the filters, then to one page.
type selection[T any] struct {
	id       func(T) string               // the resource id, also the page key
	notFound func(missing []string) error // the error for ids that do not exist
	fields   fields[T]
	tags     func(T) emulator.Tags
	maxPage  int // the largest MaxResults the action takes (the least is 5)
}

// page returns the page of items the request asks for.
func (s selection[T]) page(items []T, ids []string, fs []filter, p params) (page[T], error) {
	items, missing := pickIDs(items, s.id, ids)
	if len(missing) > 0 {
		return page[T]{}, s.notFound(missing)
	}
	items, err := applyFilters(items, fs, s.fields, s.tags)
	if err != nil {
		return page[T]{}, err
	}
	return paginate(items, s.id, p, 5, s.maxPage)
}

// idsNotFound is the notFound of a selection: EC2's "The <noun> ID '…' does not exist".
func idsNotFound(code, noun string) func([]string) error {
	return func(missing []string) error { return notFound(code, noun, missing) }
}
